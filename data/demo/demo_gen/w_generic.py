"""A city hotline / feedback-portal CSV export (TP.HCM, Vietnamese headers, local times) and its mapping."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

from .places import CITIES, HOTLINE_AREAS
from .textgen import Composer, strip_diacritics
from .timeline import VN, base_time, event_time, weighted
from .util import Stats

HEADER = ("ma_phan_anh", "thoi_gian", "noi_dung", "kenh", "quan_huyen", "linh_vuc", "nguoi_gui", "trang_thai")
CHANNELS = {"Tổng đài 1022": 5, "Ứng dụng Công dân số": 4, "Cổng dịch vụ công": 2, "Zalo OA": 3, "Email": 1}
STATUS = {"Đã tiếp nhận": 3, "Đang xử lý": 3, "Đã xử lý": 5, "Chuyển đơn vị khác": 1}
# category → "emotion|text"
HOTLINE: dict[str, tuple[str, ...]] = {
    "Hạ tầng - Thoát nước": (
        "anger|Phản ánh tình trạng ngập nước kéo dài tại đường {road} sau mưa, gây khó khăn cho người dân đi lại. "
        "Đề nghị cơ quan chức năng kiểm tra, nạo vét cống thoát nước.",
        "sadness|Hẻm nhà tôi ngập mỗi khi triều cường, nước tràn vào nhà nhiều lần trong tháng, mong được hỗ trợ.",
        "joy|Cảm ơn lực lượng công nhân thoát nước đã xử lý nhanh điểm ngập tại {road}."),
    "Giao thông": (
        "anger|Đèn tín hiệu giao thông tại giao lộ {road} – {road2} không hoạt động, gây ùn tắc kéo dài.",
        "fear|Mặt đường {road} xuất hiện nhiều ổ gà sau mưa, rất nguy hiểm cho người đi xe máy ban đêm.",
        "neutral|Đề nghị bố trí thêm chuyến xe buýt gom khách ra ga metro {station} vào giờ cao điểm."),
    "Cây xanh - Chiếu sáng": (
        "fear|Cây xanh ngã đổ trên đường {road} chắn ngang lối đi, đề nghị xử lý khẩn cấp.",
        "anger|Đèn đường tại {road} hư hỏng nhiều ngày, buổi tối tối om, mất an toàn."),
    "Điện - Nước": (
        "anger|Khu vực nhà tôi mất điện từ {hh} đến nay chưa có điện trở lại, không có thông báo trước.",
        "sadness|Nước sinh hoạt yếu, mất nước liên tục 2 ngày, gia đình có người già và trẻ nhỏ rất vất vả.",
        "disgust|Nước máy có màu vàng đục và mùi lạ, đề nghị đơn vị cấp nước kiểm tra chất lượng."),
    "Môi trường - Trật tự đô thị": (
        "disgust|Rác thải tập kết tự phát tại {road} bốc mùi hôi thối, đề nghị thu gom.",
        "anger|Hàng quán lấn chiếm vỉa hè trên đường {road}, người đi bộ phải đi xuống lòng đường.",
        "anger|Quán karaoke trong khu dân cư mở nhạc lớn sau 22h gây ồn ào, ảnh hưởng người dân nghỉ ngơi.",
        "disgust|Cơ sở sản xuất trong hẻm xả khói bụi, người dân xung quanh bị ảnh hưởng sức khỏe."),
    "Hành chính công": (
        "anger|Hồ sơ nộp qua Cổng dịch vụ công đã quá hạn {n} ngày nhưng chưa có kết quả, gọi điện không ai nghe.",
        "neutral|Đề nghị hướng dẫn cập nhật địa chỉ thường trú trên căn cước sau khi sắp xếp đơn vị hành chính.",
        "joy|Cảm ơn cán bộ phường {ward} đã hỗ trợ nhiệt tình khi làm thủ tục căn cước cho người cao tuổi.",
        "neutral|Xin hỏi thủ tục đăng ký tạm trú online cho người thuê trọ cần những giấy tờ gì."),
    "An ninh trật tự": (
        "fear|Tình trạng trộm cắp xe máy trong hẻm xảy ra nhiều lần, đề nghị công an phường tăng cường tuần tra.",
        "anger|Nhóm thanh niên tụ tập đua xe trên đường {road} vào ban đêm, gây mất an ninh trật tự."),
}
STORM: tuple[str, ...] = (
    "fear|Nước ngập sâu vào nhà, có người già cần di dời khẩn cấp, đề nghị hỗ trợ.",
    "fear|Cây ngã đổ đè lên dây điện trên đường {road} sau bão, nguy cơ điện giật, đề nghị xử lý gấp.",
    "anger|Đường {road} ngập sâu hơn nửa mét, xe chết máy hàng loạt, không có người phân luồng.",
    "sadness|Khu dân cư mất điện và ngập nước từ tối qua, chưa có lực lượng hỗ trợ.",
    "anger|Sau bão rác và bùn đất tràn khắp hẻm, chưa được thu dọn, đề nghị xử lý.",
    "neutral|Đề nghị thông tin các điểm nhận hỗ trợ cho hộ dân bị ngập trong khu vực.",
)
MAPPING = '''platform = "other"            # schema platform for these rows
[columns]                     # schema field = source column name (CSV) or dotted path (JSONL)
post_id = "ma_phan_anh"
created_at = "thoi_gian"
text = "noi_dung"
author_id = "nguoi_gui"
place_name = "quan_huyen"
[options]
time_format = "%d/%m/%Y %H:%M"   # strptime format; omit for ISO/epoch auto-detection
timezone = "Asia/Ho_Chi_Minh"    # zone of naive times
'''


def write_hotline(rng: random.Random, stats: Stats, out: Path, n_base: int = 260, n_storm: int = 70) -> None:
    comp = Composer(rng)
    city = CITIES["hcm"]
    senders = [f"u{rng.randint(1000, 9999)}" for _ in range(240)]
    weights = [1.0 / (1 + i) ** 0.6 for i in range(len(senders))]
    rows = []
    for i in range(n_base + n_storm):
        storm = i >= n_base
        if storm:
            cat, line, t = "Hạ tầng - Thoát nước", rng.choice(STORM), event_time(rng, "storm")
        else:
            cat = weighted(rng, {k: len(v) for k, v in HOTLINE.items()})
            line, t = rng.choice(HOTLINE[cat]), base_time(rng, "admin" if cat == "Hành chính công" else "traffic")
        emotion, template = line.split("|", 1)
        text = comp.fill(template, city, "vi")
        if rng.random() < 0.08:  # typed on a phone without a Vietnamese keyboard
            text = strip_diacritics(text)
        local = (t + VN).replace(tzinfo=None)
        sender = rng.choices(senders, weights=weights)[0]
        rows.append([local, text, weighted(rng, CHANNELS), rng.choice(HOTLINE_AREAS["hcm"]), cat, sender,
                     weighted(rng, STATUS) if not storm else rng.choice(("Đã tiếp nhận", "Đang xử lý"))])
        stats.add("generic", "feedback", "vi", sender, "storm" if storm else None, emotion)
    rows.sort(key=lambda row: row[0])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    for n, row in enumerate(rows, start=1):
        local = row[0]
        w.writerow([f"PA-{local:%Y%m}-{n:05d}", local.strftime("%d/%m/%Y %H:%M"), *row[1:]])
    (out / "generic").mkdir(parents=True, exist_ok=True)
    (out / "generic" / "hotline_feedback.csv").write_text(buf.getvalue(), encoding="utf-8")
    (out / "generic" / "hotline_feedback.mapping.toml").write_text(MAPPING, encoding="utf-8")
