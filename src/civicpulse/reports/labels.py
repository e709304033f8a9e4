"""Report wording in English and Vietnamese: every visible label of the PDF, CSV headers aside, and XLSX."""

from __future__ import annotations

LANGUAGES = ("en", "vi")

_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "CivicPulse report: {workspace}",
        "workspace": "Workspace", "period": "Period", "previous_period": "Previous period",
        "generated": "Generated", "filters": "Filters", "query": "Saved query", "no_filters": "none",
        "bucket": "Time bucket", "k_note": "Groups with fewer than {k} distinct authors are suppressed.",
        "key_figures": "Key figures", "metric": "Figure", "current": "This period", "previous": "Previous",
        "change": "Change", "suppressed": "suppressed (< {k} authors)", "no_data": "No data for this period.",
        "volume": "Volume over time", "sentiment": "Sentiment shares over time", "emotions": "Emotions",
        "topics": "Top topics", "places": "Top places (2025 provinces)",
        "key": "Group", "time": "Time", "posts": "Posts", "authors": "Authors",
        "negative": "Negative", "neutral": "Neutral", "positive": "Positive",
        "negative_share": "Negative share", "neutral_share": "Neutral share", "positive_share": "Positive share",
        "net": "Net sentiment", "mean_score": "Mean score", "suppressed_col": "Suppressed",
        "platforms": "Platforms", "languages": "Languages", "provinces": "Provinces", "sentiments": "Sentiments",
        "text_query": "Query", "topic_filter": "Topics",
        "hour": "hour", "day": "day", "week": "week", "month": "month",
        "digest_subject": "{name}: {workspace}, {start} to {end}",
        "digest_body": "The CivicPulse digest \"{name}\" for workspace {workspace} ({start} to {end}) is attached.",
        # briefing (issue 12 item 7)
        "summary": "Summary", "examples": "Representative posts",
        "hidden_groups": "{n} smaller groups hidden (fewer than {k} authors)",
        "hidden_groups_one": "1 smaller group hidden (fewer than {k} authors)",
        "hidden_periods": "{n} periods hidden (fewer than {k} authors)",
        "hidden_periods_one": "1 period hidden (fewer than {k} authors)",
        "label": "Label", "no_previous": "No previous period: the data starts within this period.",
    },
    "vi": {
        "title": "Báo cáo CivicPulse: {workspace}",
        "workspace": "Không gian làm việc", "period": "Khoảng thời gian", "previous_period": "Kỳ trước",
        "generated": "Ngày tạo", "filters": "Bộ lọc", "query": "Truy vấn đã lưu", "no_filters": "không có",
        "bucket": "Đơn vị thời gian", "k_note": "Các nhóm có ít hơn {k} tác giả khác nhau được ẩn đi.",
        "key_figures": "Số liệu chính", "metric": "Chỉ số", "current": "Kỳ này", "previous": "Kỳ trước",
        "change": "Thay đổi", "suppressed": "đã ẩn (< {k} tác giả)", "no_data": "Không có dữ liệu trong kỳ này.",
        "volume": "Số bài đăng theo thời gian", "sentiment": "Tỷ lệ cảm xúc theo thời gian", "emotions": "Cảm xúc",
        "topics": "Chủ đề hàng đầu", "places": "Địa điểm hàng đầu (tỉnh, thành năm 2025)",
        "key": "Nhóm", "time": "Thời gian", "posts": "Bài đăng", "authors": "Tác giả",
        "negative": "Tiêu cực", "neutral": "Trung tính", "positive": "Tích cực",
        "negative_share": "Tỷ lệ tiêu cực", "neutral_share": "Tỷ lệ trung tính", "positive_share": "Tỷ lệ tích cực",
        "net": "Cảm xúc ròng", "mean_score": "Điểm trung bình", "suppressed_col": "Đã ẩn",
        "platforms": "Nền tảng", "languages": "Ngôn ngữ", "provinces": "Tỉnh, thành", "sentiments": "Sắc thái",
        "text_query": "Truy vấn", "topic_filter": "Chủ đề",
        "hour": "giờ", "day": "ngày", "week": "tuần", "month": "tháng",
        "digest_subject": "{name}: {workspace}, {start} đến {end}",
        "digest_body": "Bản tin CivicPulse \"{name}\" của không gian {workspace} ({start} đến {end}) được đính kèm.",
        # briefing (issue 12 item 7)
        "summary": "Tóm tắt", "examples": "Bài đăng tiêu biểu",
        "hidden_groups": "{n} nhóm nhỏ đã ẩn (ít hơn {k} tác giả)",
        "hidden_groups_one": "1 nhóm nhỏ đã ẩn (ít hơn {k} tác giả)",
        "hidden_periods": "{n} khoảng thời gian đã ẩn (ít hơn {k} tác giả)",
        "hidden_periods_one": "1 khoảng thời gian đã ẩn (ít hơn {k} tác giả)",
        "label": "Nhãn", "no_previous": "Không có kỳ trước: dữ liệu bắt đầu trong kỳ này.",
    },
}

EMOTION_NAMES = {
    "vi": {"anger": "giận dữ", "disgust": "ghê tởm", "fear": "sợ hãi", "joy": "vui vẻ", "sadness": "buồn bã",
           "surprise": "ngạc nhiên", "neutral": "trung tính"},
}


def labels(lang: str) -> dict[str, str]:
    if lang not in _LABELS:
        raise ValueError(f"unknown report language {lang!r}; choose from {', '.join(LANGUAGES)}")
    return _LABELS[lang]


def emotion_name(emotion: str, lang: str) -> str:
    return EMOTION_NAMES.get(lang, {}).get(emotion, emotion)
