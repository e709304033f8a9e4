"""X API v2 full-archive search pages, written as twarc2 JSONL (one response page per line)."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .people import compose_root, make_people, pick
from .places import CITIES
from .textgen import Composer, Msg, Person, strip_diacritics
from .timeline import RETRIEVED, START, iso_z, later, plan
from .util import Stats, rand_str, snowflake, write_jsonl

QUERY = ("(kẹt xe OR ngập OR metro OR AQI OR \"cúp điện\" OR \"mất nước\" OR \"giá xăng\" OR \"dịch vụ công\" OR "
         "\"sáp nhập\" OR \"pháo hoa\" OR flood OR traffic OR Saigon OR Hanoi OR \"Da Nang\") -is:nullcast")
EVENTS = {"storm": 60, "metro_fare": 32, "fireworks": 44, "trung_thu": 12}
SPLIT = datetime(2026, 9, 14, tzinfo=START.tzinfo)


def _entities(text: str) -> dict[str, Any]:
    ent: dict[str, Any] = {}
    tags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)} for m in re.finditer(r"#(\w+)", text)]
    mentions = [{"start": m.start(), "end": m.end(), "username": m.group(1)}
                for m in re.finditer(r"(?<!\w)@(\w+)", text)]
    if tags:
        ent["hashtags"] = tags
    if mentions:
        ent["mentions"] = mentions
    return ent


class XWriter:
    def __init__(self, rng: random.Random, stats: Stats):
        self.rng, self.stats = rng, stats
        self.used: set[int] = set()
        self.tweets: list[dict[str, Any]] = []
        self.by_id: dict[str, dict[str, Any]] = {}
        self.people: dict[str, Person] = {}
        self.places: dict[str, dict[str, Any]] = {}

    def _uid(self, i: int) -> str:
        r = self.rng
        return str(r.randint(10**17, 2 * 10**18)) if r.random() < 0.6 else str(r.randint(10**7, 4 * 10**9))

    def _place(self, city_key: str) -> dict[str, Any]:
        if city_key not in self.places:
            c = CITIES[city_key]
            self.places[city_key] = {
                "full_name": c.place_full, "id": rand_str(self.rng, 16, "0123456789abcdef"), "country": "Vietnam",
                "country_code": "VN", "name": c.place_full.split(",")[0], "place_type": "city",
                "geo": {"type": "Feature", "bbox": list(c.bbox), "properties": {}},
            }
        return self.places[city_key]

    def _tweet(self, author: Person, text: str, lang: str, t: datetime, conv: str | None = None) -> dict[str, Any]:
        r = self.rng
        tid = snowflake(r, t, self.used)
        if lang == "vi" and strip_diacritics(text) == text and r.random() < 0.15:
            lang = "und"  # short no-diacritics Vietnamese is often not recognised by the platform
        likes = int(r.paretovariate(1.6) * (12 if author.news else 2)) - 1
        tw: dict[str, Any] = {
            "id": tid, "text": text, "author_id": author.uid, "created_at": iso_z(t), "conversation_id": conv or tid,
            "lang": lang, "edit_history_tweet_ids": [tid], "reply_settings": "everyone", "possibly_sensitive": False,
            "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": max(likes, 0), "quote_count": 0,
                               "bookmark_count": r.randint(0, 2),
                               "impression_count": max(likes, 0) * 37 + r.randint(3, 400)},
        }
        if ent := _entities(text):
            tw["entities"] = ent
        self.tweets.append(tw)
        self.by_id[tid] = tw
        self.people[author.uid] = author
        return tw

    def build(self, out: Path) -> None:
        r, comp = self.rng, Composer(self.rng)
        people = make_people(r, 520, self._uid, en_share=0.44, bi_share=0.14, n_news=6)
        copypasta: list[Msg] = []
        for t, topic, event in plan(r, 470, EVENTS):
            author, msg = compose_root(r, comp, people, topic, event, vi_share=0.42)
            if copypasta and r.random() < 0.035:  # the same text pasted by someone else
                msg = r.choice(copypasta)
            elif msg.lang == "vi" and r.random() < 0.1:
                copypasta.append(msg)
            root = self._tweet(author, msg.text, msg.lang, t)
            self.stats.add("x", "post", msg.lang, author.uid, event, msg.emotion)
            if not author.news and r.random() < 0.09:
                place = self._place(msg.city)
                root["geo"] = {"place_id": place["id"]}
                if r.random() < 0.3:
                    w, s, e, n = CITIES[msg.city].bbox
                    root["geo"]["coordinates"] = {"type": "Point",
                                                  "coordinates": [round(r.uniform(w, e), 6), round(r.uniform(s, n), 6)]}
            if r.random() < (0.4 if event else 0.28):
                self._thread(comp, people, author, root, msg, t)
            if r.random() < (0.2 if author.news or event else 0.08):
                self._retweets(people, author, root, t)
        self._write(out)

    def _thread(self, comp: Composer, people: list[Person], author: Person, root: dict[str, Any], msg: Msg,
                t: datetime) -> None:
        r = self.rng
        nodes = [(author, root, msg, t)]
        for _ in range(r.choice((1, 1, 1, 2, 2, 3, 5))):
            p_author, parent, p_msg, p_t = r.choice(nodes) if r.random() < 0.4 else nodes[0]
            who = pick(r, people, exclude=p_author)
            when = later(r, p_t, 70)
            if r.random() < 0.03:
                rep = Msg(r.choice(("😂😂", "👍", "😭😭😭", "🙏")), "und", p_msg.topic, "neutral", p_msg.city, [])
                lang = "und"
            else:
                rep = comp.reply(who, p_msg)
                lang = rep.lang
            tw = self._tweet(who, f"@{p_author.handle} {rep.text}", lang, when, conv=root["id"])
            tw["referenced_tweets"] = [{"type": "replied_to", "id": parent["id"]}]
            tw["in_reply_to_user_id"] = p_author.uid
            parent["public_metrics"]["reply_count"] += 1
            self.stats.add("x", "reply", lang, who.uid, p_msg.event, rep.emotion)
            nodes.append((who, tw, rep, when))

    def _retweets(self, people: list[Person], author: Person, orig: dict[str, Any], t: datetime) -> None:
        r = self.rng
        for _ in range(r.choice((1, 1, 2, 3))):
            who = pick(r, people, exclude=author)
            text = f"RT @{author.handle}: {orig['text']}"
            if len(text) > 140:
                text = text[:139] + "…"
            rt = self._tweet(who, text, orig["lang"], later(r, t, 240))
            rt["referenced_tweets"] = [{"type": "retweeted", "id": orig["id"]}]
            rt["public_metrics"].update(like_count=0, impression_count=0, bookmark_count=0)
            orig["public_metrics"]["retweet_count"] += 1
            self.stats.add("x", "retweet", orig["lang"], who.uid)
        for rt in self.tweets[-3:]:
            if rt.get("referenced_tweets", [{}])[0].get("id") == orig["id"]:
                rt["public_metrics"]["retweet_count"] = orig["public_metrics"]["retweet_count"]

    def _user(self, p: Person) -> dict[str, Any]:
        r = random.Random(p.uid)  # stable per user, independent of call order
        created = START - timedelta(days=r.randint(200, 5000), seconds=r.randrange(86400))
        loc = "" if r.random() < 0.3 else r.choice(CITIES[p.city].vi + CITIES[p.city].en)
        return {
            "id": p.uid, "name": p.name, "username": p.handle, "created_at": iso_z(created), "description": "",
            "location": loc, "protected": False, "verified": False, "url": "",
            "profile_image_url": "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png",
            "public_metrics": {"followers_count": int(r.paretovariate(1.2) * (900 if p.news else 40)),
                               "following_count": r.randint(10, 900), "tweet_count": r.randint(50, 30000),
                               "listed_count": r.randint(0, 30)},
        }

    def _write(self, out: Path) -> None:
        tweets = sorted(self.tweets, key=lambda tw: int(tw["id"]), reverse=True)  # search returns newest first
        halves = {"2026-09-14_2026-10-26": [tw for tw in tweets if tw["created_at"] >= iso_z(SPLIT)],
                  "2026-08-03_2026-09-14": [tw for tw in tweets if tw["created_at"] < iso_z(SPLIT)]}
        for span, items in halves.items():
            start, end = span.split("_")
            url = ("https://api.twitter.com/2/tweets/search/all?expansions=author_id%2Creferenced_tweets.id%2C"
                   "referenced_tweets.id.author_id%2Cin_reply_to_user_id%2Cgeo.place_id&tweet.fields=author_id%2C"
                   "conversation_id%2Ccreated_at%2Centities%2Cgeo%2Cid%2Cin_reply_to_user_id%2Clang%2Cpublic_metrics"
                   "%2Creferenced_tweets%2Creply_settings%2Ctext%2Cpossibly_sensitive%2Cedit_history_tweet_ids"
                   "&user.fields=created_at%2Cdescription%2Cid%2Clocation%2Cname%2Cprofile_image_url%2Cprotected"
                   "%2Cpublic_metrics%2Curl%2Cusername%2Cverified&place.fields=country%2Ccountry_code%2Cfull_name"
                   f"%2Cgeo%2Cid%2Cname%2Cplace_type&max_results=100&query={quote(QUERY, safe='')}"
                   f"&start_time={start}T00%3A00%3A00%2B00%3A00&end_time={end}T00%3A00%3A00%2B00%3A00")
            pages = []
            for i in range(0, len(items), 100):
                pages.append(self._page(items[i:i + 100], url, last=i + 100 >= len(items), n=i // 100))
            write_jsonl(out / "x" / f"search_{span}.jsonl", pages)

    def _page(self, data: list[dict[str, Any]], url: str, last: bool, n: int) -> dict[str, Any]:
        ids = {tw["id"] for tw in data}
        refs = [ref["id"] for tw in data for ref in tw.get("referenced_tweets", []) if ref["id"] not in ids]
        included = [self.by_id[i] for i in dict.fromkeys(refs)]
        user_ids = dict.fromkeys([tw["author_id"] for tw in data + included]
                                 + [tw["in_reply_to_user_id"] for tw in data if "in_reply_to_user_id" in tw])
        place_ids = dict.fromkeys(tw["geo"]["place_id"] for tw in data if "geo" in tw)
        by_place = {p["id"]: p for p in self.places.values()}
        page: dict[str, Any] = {"data": data, "includes": {"users": [self._user(self.people[u]) for u in user_ids]}}
        if included:
            page["includes"]["tweets"] = included
        if place_ids:
            page["includes"]["places"] = [by_place[p] for p in place_ids]
        meta: dict[str, Any] = {"newest_id": data[0]["id"], "oldest_id": data[-1]["id"], "result_count": len(data)}
        if not last:
            meta["next_token"] = rand_str(self.rng, 45, "0123456789abcdefghijklmnopqrstuvwxyz")
        page["meta"] = meta
        when = RETRIEVED + timedelta(seconds=3 * n)
        page["__twarc"] = {"url": url, "version": "2.14.0", "retrieved_at": when.isoformat()}
        return page
