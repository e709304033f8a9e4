"""Alert texts in English and Vietnamese; the event row keeps English, its detail JSON keeps both."""

from __future__ import annotations

from typing import Any

from civicpulse.alerts.models import Rule

_WINDOW = {"en": {"hour": "this hour", "day": "today"}, "vi": {"hour": "trong giờ này", "day": "trong hôm nay"}}


def _scope(rule: Rule, lang: str, topic_names: dict[str, dict[str, str]]) -> str:
    parts = []
    if rule.topic:  # the topic's label where the taxonomy has it: a message never shows a raw id like flooding_weather
        name = topic_names.get(rule.topic, {}).get(lang, rule.topic)
        parts.append(("topic " if lang == "en" else "chủ đề ") + name)
    if rule.place:
        parts.append(("in " if lang == "en" else "tại ") + rule.place)
    if rule.query_id:
        parts.append(("saved query " if lang == "en" else "truy vấn đã lưu ") + rule.query_id)
    return f" ({', '.join(parts)})" if parts else ""


def texts(rule: Rule, value: float, spike: dict[str, Any] | None = None,
          topic_names: dict[str, dict[str, str]] | None = None) -> dict[str, str]:
    """{"en": ..., "vi": ...} describing why `rule` fired with `value`; `topic_names`: id -> {"en": .., "vi": ..}."""
    en_w, vi_w = _WINDOW["en"][rule.window], _WINDOW["vi"][rule.window]
    en_s, vi_s = _scope(rule, "en", topic_names or {}), _scope(rule, "vi", topic_names or {})
    if rule.metric == "volume":
        en = f"{value:g} posts {en_w}{en_s}, at or above the threshold of {rule.threshold:g}."
        vi = f"{value:g} bài đăng {vi_w}{vi_s}, đạt hoặc vượt ngưỡng {rule.threshold:g}."
    elif rule.metric == "negative_share":
        en = f"{value:.0%} of posts are negative {en_w}{en_s}, at or above the threshold of {rule.threshold:.0%}."
        vi = f"{value:.0%} bài đăng tiêu cực {vi_w}{vi_s}, đạt hoặc vượt ngưỡng {rule.threshold:.0%}."
    elif (spike or {}).get("metric") == "negative_share":
        observed, usual = spike["observed"], spike["expected"]  # type: ignore[index]
        en = (f"Unusual rise in negative posts {en_w}{en_s}: {observed:.0%} against a usual {usual:.0%} "
              f"(score {value:.1f}, threshold {rule.threshold:g}).")
        vi = (f"Tỷ lệ bài đăng tiêu cực tăng bất thường {vi_w}{vi_s}: {observed:.0%} so với mức thường thấy "
              f"{usual:.0%} (điểm {value:.1f}, ngưỡng {rule.threshold:g}).")
    else:
        s = spike or {}
        observed, expected = s.get("observed", 0), s.get("expected", 0)
        en = (f"Unusual spike {en_w}{en_s}: {observed:g} posts against about {expected:.1f} expected "
              f"(score {value:.1f}, threshold {rule.threshold:g}).")
        vi = (f"Tăng đột biến bất thường {vi_w}{vi_s}: {observed:g} bài đăng so với khoảng {expected:.1f} "
              f"dự kiến (điểm {value:.1f}, ngưỡng {rule.threshold:g}).")
    return {"en": f"“{rule.name}”: {en}", "vi": f"“{rule.name}”: {vi}"}


def email_subject(rule: Rule) -> str:
    return f"[civicpulse] Alert / Cảnh báo: {rule.name} ({rule.workspace})"


def email_body(message: dict[str, str], link: str) -> str:
    return (f"{message['en']}\n\n{message['vi']}\n\nOpen / Mở: {link}\n\n"
            "-- \ncivicpulse: aggregate figures only; no author is identified. "
            "/ chỉ số liệu tổng hợp; không nhận dạng tác giả.\n")
