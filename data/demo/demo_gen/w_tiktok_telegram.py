"""TikTok Research API (video query pages, comment lists) and a Telegram Desktop channel export."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .people import compose_root, make_people
from .textgen import Composer, Person
from .timeline import VN, later, plan
from .util import Stats, rand_str, write_json

TT_TAGS = ("#xuhuong", "#fyp", "#tiktoknews", "#viral", "#foryou", "#trending")
CHANNEL_ID = 1765432198
CHANNEL = "Tin Nhanh Đô Thị 24h"


def _tt_id(t: datetime, rng: random.Random) -> int:
    return (int(t.timestamp()) << 32) | rng.randrange(1 << 32)  # int64 above 2^53, like real TikTok ids


def _ok(data: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    return {"data": data, "error": {"code": "ok", "message": "", "log_id": "20261026" + rand_str(rng, 26,
                                                                                                "0123456789ABCDEF")}}


class TikTokWriter:
    def __init__(self, rng: random.Random, stats: Stats):
        self.rng, self.stats = rng, stats

    def build(self, out: Path) -> None:
        r, comp = self.rng, Composer(self.rng)
        people = make_people(r, 150, lambda i: "", en_share=0.1, bi_share=0.06, n_news=3)
        commenters = make_people(r, 200, lambda i: "", en_share=0.08, bi_share=0.05, n_news=0)
        for p in people + commenters:
            p.teen, p.emoji, p.nodiac = min(p.teen + 0.3, 0.95), min(p.emoji + 0.3, 0.95), min(p.nodiac + 0.1, 0.7)
        videos: list[dict[str, Any]] = []
        for t, topic, event in plan(r, 100, {"storm": 16, "metro_fare": 6, "fireworks": 12, "trung_thu": 5}):
            author, msg = compose_root(r, comp, people, topic, event, vi_share=0.88)
            desc = msg.text + " " + " ".join(r.sample(TT_TAGS, r.randint(1, 3)))
            views = int(r.paretovariate(0.9) * (3000 if event else 800))
            vid = {
                "id": _tt_id(t, r), "create_time": int(t.timestamp()), "username": author.handle, "region_code": "VN",
                "video_description": desc, "hashtag_names": [h[1:].lower() for h in re.findall(r"#\w+", desc)],
                "like_count": views // r.randint(8, 40), "comment_count": 0, "share_count": views // r.randint(60, 400),
                "view_count": views, "favorites_count": views // r.randint(50, 300),
                "video_duration": r.randint(8, 180),
            }
            if r.random() < 0.2:
                vid["voice_to_text"] = comp.post(author, topic, msg.city, event, msg.lang).text
            videos.append(vid)
            self.stats.add("tiktok", "post", msg.lang, author.handle, event, msg.emotion)
            n = r.randint(10, 30) if r.random() < (0.25 if event else 0.04) else 0
            if n:
                self._comments(out, comp, commenters, vid, msg, t, n)
            vid["comment_count"] = max(vid["comment_count"], r.randint(0, 12))
        videos.sort(key=lambda v: v["create_time"])
        search_id = str(7_300_000_000_000_000_000 + r.randrange(10**17))
        for i in range(0, len(videos), 100):
            chunk = videos[i:i + 100]
            data = {"videos": chunk, "cursor": i + len(chunk), "has_more": i + 100 < len(videos),
                    "search_id": search_id}
            write_json(out / "tiktok" / f"video_query_p{i // 100 + 1}.json", _ok(data, r))

    def _comments(self, out: Path, comp: Composer, people: list[Person], vid: dict[str, Any], msg: Any,
                  t: datetime, n: int) -> None:
        r = self.rng
        rows: list[dict[str, Any]] = []
        nodes = [(vid["id"], msg, t)]
        for _ in range(n):
            parent, p_msg, p_t = r.choice(nodes) if r.random() < 0.25 else nodes[0]
            who = people[r.randrange(len(people))]
            rep = comp.reply(who, p_msg)
            when = later(r, p_t, 300)
            cid = _tt_id(when, r)
            rows.append({"id": cid, "video_id": vid["id"], "text": rep.text, "create_time": int(when.timestamp()),
                         "like_count": max(int(r.paretovariate(1.2)) - 1, 0), "reply_count": 0,
                         "parent_comment_id": parent})
            if parent != vid["id"]:
                next(x for x in rows if x["id"] == parent)["reply_count"] += 1
            nodes.append((cid, rep, when))
            self.stats.add("tiktok", "comment" if parent == vid["id"] else "reply", rep.lang, None, msg.event,
                           rep.emotion)
        vid["comment_count"] = len(rows)
        rows.sort(key=lambda c: c["create_time"])
        write_json(out / "tiktok" / f"comments_{vid['id']}.json",
                   _ok({"comments": rows, "cursor": len(rows), "has_more": False}, r))


class TelegramWriter:
    def __init__(self, rng: random.Random, stats: Stats):
        self.rng, self.stats = rng, stats

    def build(self, out: Path) -> None:
        r, comp = self.rng, Composer(self.rng)
        chan = Person(f"channel{CHANNEL_ID}", "tinnhanhdothi24h", CHANNEL, "vi", "hcm", 0.0, 0.0, 0.25, 0.6,
                      news=True)
        msgs: list[dict[str, Any]] = []
        seen_events: set[str] = set()
        for t, topic, event in plan(r, 88, {"storm": 24, "metro_fare": 8, "fireworks": 8, "trung_thu": 4}):
            if event:
                city = {"storm": "hcm", "metro_fare": "hcm", "fireworks": r.choice(("hn", "hcm")), "trung_thu": "hn"}
                city_key = city[event]
            else:
                city_key = r.choice(("hcm", "hcm", "hn", "hn", "dn", "hp", "ct", "hue"))
            msg = comp.post(chan, topic, city_key, event, "vi")
            is_reply = event in seen_events and r.random() < 0.4
            if event:
                seen_events.add(event)
            if is_reply and "Cập nhật" not in msg.text:
                msg.text = "⚡ Cập nhật: " + msg.text
            m: dict[str, Any] = {"_t": t, "_event": event, "_reply": is_reply, "type": "message", "from": CHANNEL,
                                 "from_id": chan.uid}
            if r.random() < 0.3:  # formatted post: bold headline and a link as entity objects
                parts: list[Any] = [{"type": "bold", "text": msg.text.split(",")[0].upper()[:60]}, "\n" + msg.text]
                if r.random() < 0.5:
                    link = f"https://tinnhanhdothi.example/tin/{r.randint(10000, 99999)}"
                    parts += ["\nChi tiết: ", {"type": "link", "text": link}]
                m["text"] = parts
                m["text_entities"] = [p if isinstance(p, dict) else {"type": "plain", "text": p} for p in parts]
            else:
                m["text"] = msg.text
                m["text_entities"] = [{"type": "plain", "text": msg.text}]
            if r.random() < 0.06:
                m["_edited"] = later(r, t, 20)
            msgs.append(m)
            self.stats.add("telegram", "reply" if is_reply else "post", "vi", chan.uid, event, msg.emotion)
        msgs.sort(key=lambda m: m["_t"])
        pin = next(i for i, m in enumerate(msgs) if m["_event"] == "storm" and not m["_reply"])
        msgs.insert(pin + 1, {"_t": msgs[pin]["_t"] + timedelta(minutes=2), "_event": None, "_reply": False,
                              "type": "service", "actor": CHANNEL, "actor_id": chan.uid, "action": "pin_message",
                              "message_id": pin + 1, "text": "", "text_entities": []})
        first: dict[str, int] = {}
        rows = []
        for i, m in enumerate(msgs, start=1):
            t, event, is_reply, edited = m.pop("_t"), m.pop("_event"), m.pop("_reply"), m.pop("_edited", None)
            row: dict[str, Any] = {"id": i, "type": m.pop("type"), "date": (t + VN).replace(tzinfo=None).isoformat(),
                                   "date_unixtime": str(int(t.timestamp()))}
            if edited is not None:
                row["edited"] = (edited + VN).replace(tzinfo=None).isoformat()
                row["edited_unixtime"] = str(int(edited.timestamp()))
            if event and not is_reply:
                first.setdefault(event, i)
            if is_reply and event in first:
                m = {**{k: m[k] for k in ("from", "from_id")}, "reply_to_message_id": first[event],
                     **{k: v for k, v in m.items() if k not in ("from", "from_id")}}
            row.update(m)
            rows.append(row)
        write_json(out / "telegram" / "channel_export.json",
                   {"name": CHANNEL, "type": "public_channel", "id": CHANNEL_ID, "messages": rows})
