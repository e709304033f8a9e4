"""Facebook Graph API page feed pages and per-post comments edges (with nested replies via parent)."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path
from typing import Any

from .people import compose_root, make_people, pick
from .textgen import Composer, Msg, Person
from .timeline import later, plan
from .util import Stats, rand_str, write_json

GRAPH = "https://graph.facebook.com/v21.0"
PAGES = (  # (slug, page id, name, home city, events)
    ("cudan_saigon", "104857362918475", "Cộng Đồng Cư Dân Sài Gòn", "hcm", {"storm": 10, "metro_fare": 5}),
    ("phopho_hanoi", "100293847561029", "Hà Nội Phố Phường Mỗi Ngày", "hn", {"fireworks": 6, "trung_thu": 3}),
    ("song_danang", "108812736450091", "Đà Nẵng Sống Xanh", "dn", {"fireworks": 3}),
    ("tin_do_thi", "102938475610293", "Tin Nhanh Đô Thị Việt", "hcm", {"storm": 5, "metro_fare": 2}),
)
SPAM = ("Ai cần vay tiền nhanh không thế chấp ib mình nha", "Nhận chạy quảng cáo giá rẻ, inbox",
        "Chia sẻ cho mọi người cùng biết!!!")


def fb_time(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S+0000")


class FacebookWriter:
    def __init__(self, rng: random.Random, stats: Stats):
        self.rng, self.stats = rng, stats

    def build(self, out: Path) -> None:
        r, comp = self.rng, Composer(self.rng)
        people = make_people(r, 560, lambda i: str(r.randint(10**14, 10**15 - 1)), en_share=0.1, bi_share=0.08,
                             n_news=0)
        for slug, page_id, page_name, home, events in PAGES:
            page = Person(page_id, slug, page_name, "vi", home, 0.0, 0.0, 0.2, 0.3, news=True)
            posts = []
            for t, topic, event in plan(r, 36, events):
                if r.random() < 0.5:  # member submissions reposted by the page
                    _, msg = compose_root(r, comp, people, topic, event, vi_share=0.95)
                    msg.text = r.choice(("[Thành viên gửi] ", "#ẩndanh ", "Một bạn nhờ đăng: ", "")) + msg.text
                else:
                    msg = comp.post(page, topic, home if r.random() < 0.7 else r.choice(("hcm", "hn", "dn")),
                                    event, "vi")
                posts.append(self._post(page, msg, t, event))
            posts.sort(key=lambda p: p["created_time"], reverse=True)
            for post in posts:
                msg, t = post.pop("_msg"), post.pop("_t")
                if r.random() < (0.6 if msg.event else 0.3):
                    self._comments(out, comp, people, page, post, msg, t, with_from=slug != "tin_do_thi")
            for i in range(0, len(posts), 25):
                chunk = posts[i:i + 25]
                paging: dict[str, Any] = {"cursors": {"before": rand_str(r, 40), "after": rand_str(r, 40)}}
                if i:
                    paging["previous"] = f"{GRAPH}/{page_id}/feed?limit=25&before={paging['cursors']['before']}"
                if i + 25 < len(posts):
                    paging["next"] = f"{GRAPH}/{page_id}/feed?limit=25&after={paging['cursors']['after']}"
                write_json(out / "facebook" / f"{slug}_feed_p{i // 25 + 1}.json", {"data": chunk, "paging": paging})

    def _post(self, page: Person, msg: Msg, t: datetime, event: str | None) -> dict[str, Any]:
        r = self.rng
        pid = str(r.randint(10**15, 10**16 - 1))
        reactions = int(r.paretovariate(1.3) * (60 if event else 15))
        post: dict[str, Any] = {
            "id": f"{page.uid}_{pid}", "message": msg.text, "created_time": fb_time(t),
            "permalink_url": f"https://www.facebook.com/{page.uid}/posts/{pid}",
            "from": {"id": page.uid, "name": page.name},
            "reactions": {"data": [], "summary": {"total_count": reactions, "viewer_reaction": "NONE"}},
            "comments": {"data": [], "summary": {"order": "ranked", "total_count": r.randint(0, 4),
                                                  "can_comment": True}},
        }
        if r.random() < 0.6:
            post["shares"] = {"count": int(reactions * r.uniform(0.02, 0.4))}
        self.stats.add("facebook", "post", msg.lang, page.uid, event, msg.emotion)
        post["_msg"], post["_t"] = msg, t
        return post

    def _comments(self, out: Path, comp: Composer, people: list[Person], page: Person, post: dict[str, Any],
                  msg: Msg, t: datetime, with_from: bool) -> None:
        r = self.rng
        page_id, post_id = post["id"].split("_")
        rows: list[dict[str, Any]] = []
        nodes: list[tuple[dict[str, Any] | None, Msg, datetime, Person]] = [(None, msg, t, page)]
        for _ in range(r.randint(3, 22 if msg.event else 14)):
            parent, p_msg, p_t, p_who = r.choice(nodes) if r.random() < 0.3 else nodes[0]
            who = pick(r, people, exclude=p_who)
            when = later(r, p_t, 120)
            if r.random() < 0.015:
                rep = Msg(r.choice(SPAM), "vi", p_msg.topic, "neutral", p_msg.city, [], p_msg.event)
            elif parent is not None or r.random() < 0.6:
                rep = comp.reply(who, p_msg)
            else:
                rep = comp.post(who, msg.topic, msg.city, msg.event, "en" if who.lang == "en" else "vi")
            cid = str(r.randint(10**14, 10**15 - 1))
            row: dict[str, Any] = {"id": f"{post_id}_{cid}", "message": rep.text, "created_time": fb_time(when)}
            if with_from:
                row["from"] = {"id": who.uid, "name": who.name}
            row.update(like_count=max(int(r.paretovariate(1.5)) - 1, 0), comment_count=0,
                       permalink_url=f"https://www.facebook.com/{page_id}/posts/{post_id}/?comment_id={cid}")
            if parent is not None:
                top = parent.get("parent", {"id": parent["id"]})  # Facebook threads are two levels deep
                row["parent"] = {"id": top["id"]}
                next(x for x in rows if x["id"] == top["id"])["comment_count"] += 1
            rows.append(row)
            nodes.append((row, rep, when, who))
            self.stats.add("facebook", "reply" if parent else "comment", rep.lang, who.uid if with_from else None,
                           msg.event, rep.emotion)
        rows.sort(key=lambda x: x["created_time"])
        post["comments"]["summary"]["total_count"] = len(rows)
        for i in range(0, len(rows), 25):
            chunk = rows[i:i + 25]
            paging: dict[str, Any] = {"cursors": {"before": rand_str(r, 32), "after": rand_str(r, 32)}}
            base = f"{GRAPH}/{post['id']}/comments?filter=stream&limit=25"
            if i:
                paging["previous"] = f"{base}&before={paging['cursors']['before']}"
            if i + 25 < len(rows):
                paging["next"] = f"{base}&after={paging['cursors']['after']}"
            doc = {"data": chunk, "paging": paging,
                   "summary": {"order": "chronological", "total_count": len(rows), "can_comment": True}}
            suffix = f"_p{i // 25 + 1}" if len(rows) > 25 else ""
            write_json(out / "facebook" / "comments" / f"{post['id']}{suffix}.json", doc)
