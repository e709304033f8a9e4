"""Composes post and reply texts from templates, slot fillers and per-author writing habits."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field

from .places import CITIES, DESTINATIONS_EN, DESTINATIONS_VI, FESTIVALS, TOPIC_TAGS, City
from .templates_en import EN, EN_REPLIES
from .templates_vi import VI, VI_REPLIES

EMOJI: dict[str, tuple[str, ...]] = {
    "anger": ("😡", "🤬", "😤", "💢", "😠"), "disgust": ("🤢", "🙄", "😒", "🤮"),
    "fear": ("😰", "😨", "🙏", "😱", "⚠️"), "joy": ("😍", "🥰", "🎉", "👍", "❤️", "😆", "🤩", "✨"),
    "sadness": ("😢", "😭", "💔", "😞", "🥲"), "surprise": ("😮", "😱", "🤯", "😳", "‼️"),
    "neutral": ("📌", "ℹ️", "👉", "🚦", "📍"),
}
EVENT_EMOJI = {"storm": ("🌧️", "🌊", "⛈️"), "fireworks": ("🎆", "🇻🇳", "🎇"), "trung_thu": ("🏮", "🥮", "🌕"),
               "metro_fare": ("🚇", "🎫")}
VI_PREFIX: dict[str, tuple[str, ...]] = {
    "anger": ("Bực mình ghê.", "Chịu hết nổi!", "Thật sự luôn á,", "Trời ơi"),
    "disgust": ("Ghê thật,", "Nói thật là", "Haizz,"), "fear": ("Mọi người ơi cẩn thận,", "Lo quá,", "Trời ơi"),
    "joy": ("Yay!", "Vui quá,", "Tin vui nè:", "Quá đỉnh,"), "sadness": ("Haizz,", "Buồn ghê,", "Thôi xong,"),
    "surprise": ("Ủa?", "Trời đất,", "Wow,", "Ủa alo,"), "neutral": ("Mọi người ơi,", "Cho mình hỏi,", "Cả nhà ơi,"),
}
VI_SUFFIX: dict[str, tuple[str, ...]] = {
    "anger": ("bực thật sự", "ai chịu nổi", "!!!", "quá đáng thật", "chán dễ sợ"),
    "disgust": ("nhìn mà ngán", "hết nói nổi", "chán"), "fear": ("sợ ghê", "ai ở gần cẩn thận nha", "lo lắm"),
    "joy": ("quá đã", "thích ghê", "10 điểm", "mãi iu", "quá xá đã"), "sadness": ("nản ghê", "mệt mỏi quá", "..."),
    "surprise": ("bất ngờ thật", "thiệt hả trời", "?!"), "neutral": ("nha", "nhé mọi người", "ạ"),
}
EN_SLANG: dict[str, tuple[str, ...]] = {
    "anger": ("smh", "ugh", "bruh", "wtf"), "disgust": ("ugh", "smh", "gross"), "fear": ("yikes", "ngl", "omg"),
    "joy": ("lowkey", "fr", "no cap", "ngl", "lol"), "sadness": ("ngl", "sigh", "tbh"),
    "surprise": ("wild", "omg", "lol"),
    "neutral": ("tbh", "fyi", "psa:", "honestly"),
}
TEENCODE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("không", ("ko", "k", "hok", "hông", "khum")), ("được", ("dc", "đc")), ("gì", ("j",)), ("với", ("vs",)),
    ("mọi người", ("mn", "mng")), ("anh em", ("ae",)), ("thích", ("thik", "thích")), ("biết", ("bit", "bít")),
    ("vậy", ("z", "zậy", "vại")), ("như thế nào", ("ntn",)), ("rồi", ("r", "rùi")), ("cũng", ("cx",)),
    ("quá", ("wá", "qá", "quá")), ("luôn", ("lun",)), ("nhiều", ("nhìu",)), ("thật sự", ("thực sự", "thiệt sự")),
    ("bạn", ("b", "bn")), ("biết bao", ("bít bao",)),
)
CODESWITCH: tuple[tuple[str, str], ...] = (
    ("kẹt xe", "traffic jam"), ("cuối tuần", "weekend"), ("tăng ca", "OT"), ("hạn chót", "deadline"),
    ("đẹp", "xịn xò"), ("công việc", "job"), ("tuyệt vời", "amazing"), ("đồ ăn", "food"),
)
WORD = r"(?<![\wÀ-ỹ])({})(?![\wÀ-ỹ])"


def strip_diacritics(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


def sentiment_of(emotion: str) -> str:
    if emotion in ("anger", "disgust", "fear", "sadness"):
        return "negative"
    return "positive" if emotion == "joy" else ("mixed" if emotion == "surprise" else "neutral")


@dataclass
class Person:
    uid: str
    handle: str
    name: str
    lang: str  # vi, en, bi
    city: str
    nodiac: float
    teen: float
    emoji: float
    tags: float
    news: bool = False
    weight: float = 1.0
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class Msg:
    text: str
    lang: str
    topic: str
    emotion: str
    city: str
    tags: list[str]
    event: str | None = None


class Composer:
    def __init__(self, rng: random.Random):
        self.rng = rng

    # -- slots ---------------------------------------------------------------
    def _slot(self, name: str, city: City, lang: str) -> str:
        r, vi = self.rng, lang == "vi"
        if name == "city":
            return r.choice(city.vi if vi else city.en)
        if name == "d":
            return r.choice(city.districts if vi else city.districts_en)
        if name == "ward":
            return r.choice(city.wards)
        if name in ("road", "road2"):
            return r.choice(city.roads)
        if name == "lm":
            return r.choice(city.landmarks)
        if name == "line":
            metro = CITIES["hcm"] if not city.metro else city
            return r.choice(metro.metro if vi else metro.metro_en)
        if name == "station":
            return r.choice(city.stations or CITIES["hcm"].stations)
        if name == "hosp":
            return r.choice(city.hospitals)
        if name == "t":
            return r.choice(("6h sáng", "7h", "sáng giờ", "5h chiều", "chiều nay", "tối nay", "17h30"))
        if name == "hh":
            h, m = r.choice((6, 7, 8, 16, 17, 18, 19)), r.choice((0, 15, 30, 45))
            return f"{h}h{m:02d}" if vi else f"{h % 12 or 12}:{m:02d}{'am' if h < 12 else 'pm'}"
        if name == "n":
            return str(r.randint(2, 60))
        if name == "aqi":
            return str(r.randint(152, 318))
        if name == "aqi_low":
            return str(r.randint(18, 48))
        if name == "fuel":
            v = r.randint(2035, 2390) * 10
            return f"{v:,}".replace(",", ".") if vi else f"{v:,}"
        if name == "gold":
            return str(r.randint(118, 136))
        if name == "bill":
            return r.choice(("1,2 triệu", "980 nghìn", "1,5 triệu", "2 triệu mốt", "850k"))
        if name in ("mfare", "mfare2", "mpass"):
            v = {"mfare": 7000, "mfare2": 20000, "mpass": 300000}[name]
            return (f"{v:,}".replace(",", ".") + "đ") if vi else f"{v:,}"
        if name == "dest":
            return r.choice(DESTINATIONS_VI if vi else DESTINATIONS_EN)
        if name == "fest":
            return r.choice(FESTIVALS)
        if name == "date":
            return f"{r.randint(1, 28)}/{r.choice((8, 9, 10))}"
        raise KeyError(name)

    def fill(self, template: str, city: City, lang: str) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: self._slot(m.group(1), city, lang), template)

    # -- styles ----------------------------------------------------------------
    def _teen(self, text: str, p: float) -> str:
        r = self.rng
        for word, options in TEENCODE:
            if word in text.lower():
                text = re.sub(WORD.format(re.escape(word)),
                              lambda m, o=options: r.choice(o) if r.random() < p else m.group(0), text, flags=re.I)
        return text

    def _style_vi(self, text: str, person: Person, emotion: str) -> str:
        r = self.rng
        if person.news:
            return r.choice(("", "", "[Cập nhật] ", "TIN NHANH | ", "🔴 ")) + text
        long = len(text) > 30  # short replies ("Công nhận") get no extra framing
        if long and r.random() < 0.28:
            text = f"{r.choice(VI_PREFIX[emotion])} {text[0].lower()}{text[1:]}"
        if long and not text.endswith("?") and r.random() < 0.3:
            sfx = r.choice(VI_SUFFIX[emotion])
            text = text + sfx if sfx in ("!!!", "...", "?!") else f"{text}, {sfx}"
        if r.random() < 0.25:
            for vi_w, en_w in CODESWITCH:
                if vi_w in text:
                    text = text.replace(vi_w, en_w, 1)
                    break
        if r.random() < person.teen:
            text = self._teen(text, 0.75)
            if r.random() < 0.35:
                text = text.lower()
        if r.random() < 0.12:
            text = re.sub(r"(quá|ghê|luôn|trời)(?![\wÀ-ỹ])", lambda m: m.group(1) + m.group(1)[-1] * 2, text, count=1)
        if r.random() < person.nodiac:
            text = strip_diacritics(text)
        return text

    def _style_en(self, text: str, person: Person, emotion: str) -> str:
        r = self.rng
        if person.news:
            return r.choice(("", "UPDATE: ", "")) + text
        if r.random() < 0.25:
            slang = r.choice(EN_SLANG[emotion])
            text = f"{text} {slang}" if r.random() < 0.5 else f"{slang} {text}"
        if r.random() < 0.2:
            text = text.lower()
        return text

    def _decorate(self, text: str, person: Person, emotion: str, topic: str, city: City, event: str | None,
                  reply: bool) -> tuple[str, list[str]]:
        r = self.rng
        if r.random() < person.emoji * (0.4 if person.news else 1.0):
            pool = EVENT_EMOJI.get(event or "", ()) + EMOJI[emotion]
            text = f"{text} {''.join(r.choice(pool) for _ in range(r.choice((1, 1, 2, 3))))}"
        tags: list[str] = []
        if not reply and r.random() < person.tags:
            tags = [r.choice(city.tags)]
            if r.random() < 0.8:
                tags.append(r.choice(TOPIC_TAGS[event or topic]))
            tags = list(dict.fromkeys(tags))
            text = f"{text} {' '.join(tags)}"
        return text, tags

    # -- public ----------------------------------------------------------------
    def pick_lang(self, person: Person) -> str:
        if person.lang == "bi":
            return "vi" if self.rng.random() < 0.5 else "en"
        return person.lang

    def post(self, person: Person, topic: str, city_key: str, event: str | None = None,
             lang: str | None = None) -> Msg:
        r = self.rng
        lang = lang or self.pick_lang(person)
        city = CITIES[city_key]
        if topic == "metro" and not city.metro:
            city = CITIES[r.choice(("hcm", "hcm", "hn"))]
        key = event or topic
        pool = (VI if lang == "vi" else EN)[key]
        if person.news:
            neutral = [t for t in pool if t.startswith("neutral|")]
            pool = tuple(neutral) if neutral else pool
        emotion, template = r.choice(pool).split("|", 1)
        text = self.fill(template, city, lang)
        text = self._style_vi(text, person, emotion) if lang == "vi" else self._style_en(text, person, emotion)
        text, tags = self._decorate(text, person, emotion, topic, city, event, reply=False)
        return Msg(text, lang, key, emotion, city.key, tags, event)

    def reply(self, person: Person, parent: Msg, lang: str | None = None) -> Msg:
        r = self.rng
        lang = lang or (parent.lang if person.lang == "bi" else person.lang)
        city = CITIES[parent.city]
        if r.random() < 0.35:  # an on-topic comment in its own words
            msg = self.post(person, parent.topic, city.key, parent.event, lang)
            msg.tags = []
            return msg
        emotion, template = r.choice(VI_REPLIES if lang == "vi" else EN_REPLIES).split("|", 1)
        if emotion == "inherit":
            emotion = parent.emotion
        text = self.fill(template, city, lang)
        text = self._style_vi(text, person, emotion) if lang == "vi" else self._style_en(text, person, emotion)
        text, _ = self._decorate(text, person, emotion, parent.topic, city, parent.event, reply=True)
        return Msg(text, lang, parent.topic, emotion, city.key, [], parent.event)
