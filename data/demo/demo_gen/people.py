"""Invented authors: handles, display names, language and writing habits, activity skew."""

from __future__ import annotations

import random
from collections.abc import Callable

from .places import CITIES
from .textgen import Composer, Msg, Person
from .timeline import weighted

GIVEN_VI = ("Minh Anh", "Tuấn", "Hà My", "Thảo", "Quân", "Ngọc", "Khánh", "Linh", "Hưng", "Trâm", "Phúc", "Vy",
            "Long", "Hạnh", "Duy", "Nhi", "Bảo", "Trang", "Khoa", "Yến", "Sơn", "Mai", "Đạt", "Thư", "Hiếu", "Uyên",
            "Tâm", "Lộc", "Giang", "Phương", "Nam", "Hân", "Tín", "Diệp", "Kiệt", "Châu", "Thiện", "Như")
NICK_VI = ("", "", "", " (SG)", " HN", " 🌸", " 🐧", " Bé", " 2k", " Đà Nẵng", " ✨", " Xe Ôm", " Mẹ Bỉm")
FIRST_EN = ("Mike", "Jules", "Sam", "Anna", "Tom", "Lena", "Chris", "Nora", "Ben", "Ella", "Jay", "Maya", "Luke",
            "Ivy", "Owen", "Zoe", "Leo", "Ruth", "Dan", "Kim")
HANDLE_EN = ("saigon", "hanoi", "danang", "vn", "expat", "nomad", "backpack", "pho", "banhmi", "scooter", "dalat")
HANDLE_EN2 = ("_life", "_diaries", "walker", "_eats", "_rider", "_notes", "life", "_daily", "_in_vn", "_wanders")
NEWS_VI = ("Tin Nhanh Đô Thị", "Góc Phố Sài Gòn 24/7", "Bản Tin Thủ Đô Mỗi Ngày", "Giao Thông Đô Thị Live",
           "Thời Tiết Nam Bộ Hôm Nay", "Cộng Đồng Cư Dân Thủ Đức", "Phố Hà Thành Review")
NEWS_EN = ("VN City Wire", "Saigon Expat Bulletin", "Hanoi English Digest")


def _ascii(name: str) -> str:
    from .textgen import strip_diacritics
    return "".join(c for c in strip_diacritics(name).lower() if c.isalnum())


def _handle_vi(rng: random.Random, name: str) -> str:
    base = _ascii(name.split(" (")[0]) or "user"
    sep = rng.choice(("_", ".", "", "_", ""))
    tail = rng.choice((str(rng.randint(80, 99)), str(rng.randint(1, 9999)), f"2k{rng.randint(0, 6)}",
                       rng.choice(("sg", "hn", "dn", "vn", "cute", "xinh", "real", "official"))))
    return f"{base}{sep}{tail}"


def make_people(rng: random.Random, n: int, make_id: Callable[[int], str], *, en_share: float, bi_share: float,
                n_news: int = 3, handle_style: str = "plain") -> list[Person]:
    """n authors; the first n_news are news/page accounts with high activity."""
    people: list[Person] = []
    seen: set[str] = set()
    city_w = {k: c.weight for k, c in CITIES.items()}
    for i in range(n):
        news = i < n_news
        roll = rng.random()
        lang = "en" if roll < en_share else ("bi" if roll < en_share + bi_share else "vi")
        if news:
            lang = "en" if i == n_news - 1 and en_share > 0.3 else "vi"
            name = rng.choice(NEWS_EN if lang == "en" else NEWS_VI)
            handle = _ascii(name)[:15]
        elif lang == "en":
            name = f"{rng.choice(FIRST_EN)} {rng.choice('ABCDEFGHKLMNPRSTW')}."
            handle = f"{rng.choice(HANDLE_EN)}{rng.choice(HANDLE_EN2)}{rng.choice(('', str(rng.randint(1, 99))))}"
        else:
            name = rng.choice(GIVEN_VI) + rng.choice(NICK_VI)
            handle = _handle_vi(rng, name)
        while handle in seen:
            handle = f"{handle}{rng.randint(0, 9)}"
        seen.add(handle)
        if handle_style == "bsky":
            handle = f"{handle.replace('_', '-').replace('.', '-')}.bsky.social"
        home = weighted(rng, city_w)
        teen = 0.0 if news else rng.choice((0.05, 0.2, 0.45, 0.7, 0.9))
        weight = (5.0 + rng.random() * 3) if news else 1.0 / (1 + rng.random() * 7) ** 1.1
        if not news and rng.random() < 0.04:
            weight *= 6  # a few very active regulars
        people.append(Person(
            uid=make_id(i), handle=handle, name=name, lang=lang, city=home,
            nodiac=0.0 if news else rng.choice((0.02, 0.08, 0.15, 0.3, 0.6)), teen=teen,
            emoji=0.15 if news else rng.choice((0.1, 0.3, 0.5, 0.75)),
            tags=0.5 if news else rng.choice((0.0, 0.05, 0.2, 0.4)), news=news, weight=weight,
        ))
    return people


def pick(rng: random.Random, people: list[Person], lang: str | None = None, exclude: Person | None = None) -> Person:
    """A weighted author; when replying to someone (exclude given), news accounts are left out."""
    pool = [p for p in people if p is not exclude and (lang is None or p.lang in (lang, "bi"))
            and not (exclude is not None and p.news)] or people
    return rng.choices(pool, weights=[p.weight for p in pool])[0]


def city_for(rng: random.Random, person: Person, event: str | None) -> str:
    from .timeline import EVENTS
    if event:
        return weighted(rng, EVENTS[event].cities)
    if rng.random() < 0.6:
        return person.city
    return weighted(rng, {k: c.weight for k, c in CITIES.items()})


def compose_root(rng: random.Random, comp: Composer, people: list[Person], topic: str, event: str | None,
                 vi_share: float) -> tuple[Person, Msg]:
    """An author and a post; vi_share steers the platform's language mix."""
    lang = "vi" if rng.random() < vi_share else "en"
    author = pick(rng, people, lang)
    lang = author.lang if author.lang != "bi" else lang
    return author, comp.post(author, topic, city_for(rng, author, event), event, lang)
