"""The glossary page's terms, in English and Vietnamese: what the dashboards' figures mean and how they are
computed. Each term has an anchor (`/glossary#net-sentiment`) that the "?" links next to figure headings point
to; tests/web/test_glossary.py checks that every such link has its term here."""

from __future__ import annotations

from typing import NamedTuple


class Term(NamedTuple):
    anchor: str
    en: tuple[str, str]  # (term, explanation)
    vi: tuple[str, str]


GLOSSARY: tuple[Term, ...] = (
    Term("volume",
         ("Volume", "The number of posts (and comments) in a period or a time bucket, after the filters."),
         ("Số lượng bài đăng", "Số bài đăng (và bình luận) trong một khoảng thời gian hoặc một khoảng chia, sau khi "
                               "áp dụng bộ lọc.")),
    Term("authors",
         ("Authors", "Distinct pseudonymous authors behind the posts. No name or handle is stored; counts are "
                     "rounded down (to tens, then to two significant digits) so that no single author can be "
                     "singled out, and shown as “at least”."),
         ("Tác giả", "Số tác giả khác nhau (đã ẩn danh hóa) đứng sau các bài đăng. Không lưu tên hay tài khoản; số "
                     "đếm được làm tròn xuống (theo hàng chục, rồi hai chữ số có nghĩa) để không nhận ra được một tác "
                     "giả riêng lẻ, và hiển thị dạng “ít nhất”.")),
    Term("sentiment",
         ("Sentiment", "Whether a post reads negative, neutral or positive, judged by the analysis model in the "
                       "post's language. Shares are the part of the posts with each label."),
         ("Cảm xúc", "Bài đăng mang sắc thái tiêu cực, trung tính hay tích cực, do mô hình phân tích đánh giá theo "
                     "ngôn ngữ của bài. Tỷ lệ là phần bài đăng mang mỗi nhãn.")),
    Term("net-sentiment",
         ("Net sentiment", "The positive share minus the negative share, in points from −100 (all negative) to "
                           "+100 (all positive). A change is given in percentage points."),
         ("Cảm xúc ròng", "Tỷ lệ tích cực trừ tỷ lệ tiêu cực, tính bằng điểm từ −100 (toàn tiêu cực) đến +100 (toàn "
                          "tích cực). Mức thay đổi tính bằng điểm phần trăm.")),
    Term("note",
         ("Note on a date", "An analyst's remark pinned to a day (“heavy rain warning issued”), drawn as a marker "
                            "on the trend and event charts of the workspace so that a peak can be read with its "
                            "context. Notes are visible to every member and recorded in the audit log."),
         ("Ghi chú theo ngày", "Nhận xét của chuyên viên gắn với một ngày (“đã phát cảnh báo mưa lớn”), hiển thị "
                               "thành mốc trên biểu đồ xu hướng và sự kiện để đọc một đỉnh cùng bối cảnh của nó. Mọi "
                               "thành viên đều thấy ghi chú; việc thêm, xóa được ghi vào nhật ký.")),
    Term("negative-share",
         ("Negative share", "The part of the posts judged negative, in per cent."),
         ("Tỷ lệ tiêu cực", "Phần bài đăng được đánh giá là tiêu cực, tính theo phần trăm.")),
    Term("mean-score",
         ("Mean score", "The average sentiment score of the posts, from −1 (negative) to +1 (positive); unlike the "
                        "shares it also weighs how strongly a post is negative or positive."),
         ("Điểm trung bình", "Điểm cảm xúc trung bình của các bài đăng, từ −1 (tiêu cực) đến +1 (tích cực); khác với "
                             "tỷ lệ, điểm này tính cả mức độ tiêu cực hay tích cực của từng bài.")),
    Term("emotion",
         ("Emotion", "The main emotion a post expresses (such as anger, fear, joy or sadness), or none."),
         ("Cảm xúc cụ thể", "Cảm xúc chính mà bài đăng thể hiện (như giận dữ, sợ hãi, vui mừng hay buồn bã), hoặc "
                            "không có.")),
    Term("topic",
         ("Topic", "A subject from the workspace's taxonomy (traffic, flooding, public services…) that a post is "
                   "about; a post may have several. Owners edit the taxonomy."),
         ("Chủ đề", "Một chủ đề trong danh mục của không gian làm việc (giao thông, ngập lụt, dịch vụ công…) mà bài "
                    "đăng nói đến; một bài có thể thuộc nhiều chủ đề. Chủ sở hữu chỉnh sửa danh mục.")),
    Term("discovered-topic",
         ("Discovered topic", "A group of posts about the same thing found by clustering, without a taxonomy, and "
                              "named by its most typical phrase: it shows what people talk about that no listed "
                              "topic covers."),
         ("Chủ đề tự phát hiện", "Một nhóm bài đăng cùng nói về một việc, được tìm ra bằng phân cụm, không cần danh "
                                 "mục, và được đặt tên theo cụm từ tiêu biểu nhất: cho thấy người dân bàn về điều gì "
                                 "mà chưa chủ đề nào bao quát.")),
    Term("place",
         ("Place", "The province (2025 administrative units, or the former ones) or ward a post mentions or was "
                   "posted from, recognised in the text. A place is never an author's home."),
         ("Địa điểm", "Tỉnh/thành (đơn vị hành chính 2025 hoặc trước đó) hay phường/xã mà bài đăng nhắc đến hoặc "
                      "được đăng từ đó, nhận diện từ nội dung. Địa điểm không bao giờ là nơi ở của tác giả.")),
    Term("spike",
         ("Spike", "A time bucket well above its usual level: the volume, or the negative share, compared with the "
                   "buckets before it (the baseline). The spike score says how far above: a robust z-score, so 3 "
                   "means about three typical deviations above the usual level."),
         ("Tăng đột biến", "Một khoảng thời gian cao hơn hẳn mức thường lệ: số bài đăng hoặc tỷ lệ tiêu cực, so với "
                           "các khoảng trước đó (mức nền). Điểm đột biến cho biết cao hơn bao nhiêu: một chỉ số z bền "
                           "vững, nên 3 nghĩa là cao hơn mức thường lệ khoảng ba độ lệch điển hình.")),
    Term("k",
         ("k (minimum authors)", "The fewest distinct authors a figure must rest on to be shown (never below 5; "
                                 "owners may raise it). Below it the figure is suppressed."),
         ("k (số tác giả tối thiểu)", "Số tác giả khác nhau ít nhất mà một số liệu phải dựa vào thì mới được hiển "
                                      "thị (không bao giờ dưới 5; chủ sở hữu có thể nâng lên). Thấp hơn thì số liệu "
                                      "bị ẩn.")),
    Term("suppressed",
         ("Suppressed", "A figure resting on fewer than k distinct authors is not shown (a gap in a chart, a dash in "
                        "a table), so that nothing can be learnt about a single person."),
         ("Bị ẩn", "Số liệu dựa trên ít hơn k tác giả khác nhau thì không hiển thị (khoảng trống trên biểu đồ, gạch "
                   "ngang trong bảng), để không suy ra được điều gì về một cá nhân.")),
    Term("bucket",
         ("Bucket", "The time step of a chart: hour, day, week or month. “Automatic” picks one that suits the "
                    "period."),
         ("Khoảng chia", "Bước thời gian của biểu đồ: giờ, ngày, tuần hoặc tháng. “Tự động” chọn bước phù hợp với "
                         "khoảng thời gian.")),
    Term("retention",
         ("Retention", "How long a workspace keeps posts. Older posts and their analysis are deleted daily; "
                       "aggregates already exported are not affected."),
         ("Thời hạn lưu giữ", "Thời gian không gian làm việc giữ bài đăng. Bài cũ hơn cùng kết quả phân tích bị xóa "
                              "hằng ngày; các số liệu tổng hợp đã xuất không bị ảnh hưởng.")),
    Term("pseudonymized",
         ("Pseudonymized", "Authors are replaced by a keyed code when a file is imported; names and handles in the "
                           "text are masked. The code lets authors be counted, never identified."),
         ("Ẩn danh hóa", "Tác giả được thay bằng một mã có khóa ngay khi nhập tệp; tên và tài khoản trong nội dung bị "
                         "che. Mã này cho phép đếm tác giả, không bao giờ nhận diện được họ.")),
)
ANCHORS = frozenset(term.anchor for term in GLOSSARY)


def glossary(lang: str) -> list[dict[str, str]]:
    return [{"anchor": t.anchor, "term": (t.vi if lang == "vi" else t.en)[0],
             "text": (t.vi if lang == "vi" else t.en)[1]} for t in GLOSSARY]
