"""Reddit: /new listings for three invented-content subreddits and permalink thread files."""

from __future__ import annotations

import html
import random
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from .people import compose_root, make_people, pick
from .places import CITIES
from .textgen import Composer, Msg, Person
from .timeline import later, plan
from .util import Stats, base36, rand_str, write_json

SUBS = {"VietNam": ("t5_2qh8m", 412_000, 0.3), "saigon": ("t5_2s4pc", 118_000, 0.45),
        "hanoi": ("t5_2r1hq", 96_000, 0.25)}
TITLES: dict[str, tuple[str, ...]] = {
    "traffic": ("How do you survive the commute on {road}?", "Traffic in {city} is getting worse, right?"),
    "transit": ("Best way to get from {d} to the airport?", "Grab vs Be vs Xanh SM in {city}?"),
    "metro": ("Metro experience so far?", "Is {line} worth it for commuting from {d}?"),
    "flood": ("Flooding in {d} right now", "Rainy season tips for new arrivals in {city}"),
    "air": ("AQI is insane today", "Air purifier recommendations for {city}?"),
    "health": ("English-speaking clinic in {city}?", "Dengue going around {d}?"),
    "edu": ("Schools in {city} for expat kids?", "Teaching English in {city} - worth it in 2026?"),
    "admin": ("Ward names changed after the merger - what address do I use?", "TRC renewal in {city}, how long?"),
    "housing": ("Rent in {d} - is this reasonable?", "Apartment hunting in {city}, tips?"),
    "prices": ("Gold price queues again", "Cost of living in {city} in 2026"),
    "jobs": ("Job market in {city} for foreigners?", "Unpaid OT culture - normal?"),
    "safety": ("PSA: phone snatching on {road}", "Scam calls pretending to be tax officers"),
    "utilities": ("Power cut again in {d}", "Which fibre ISP is least bad in {city}?"),
    "culture": ("What's on this weekend in {city}?", "Concerts in {city} this month?"),
    "tourism": ("Weekend trip from {city}: {dest}?", "Underrated places near {city}?"),
    "words": ("Anyone been to Hue recently?", "Moving to Vinh for work - advice?"),
    "storm": ("Storm megathread - {city} flooding", "Is anyone else's street completely underwater?"),
    "metro_fare": ("Metro Line 1 fares announced", "Metro monthly pass: good deal or not?"),
    "fireworks": ("National Day fireworks - best viewing spot?", "Fireworks photos from tonight"),
    "trung_thu": ("Mid-Autumn festival with kids in {city}?",),
}


def md_html(text: str) -> str:
    """selftext_html as returned with raw_json=1 (the form in the recorded samples)."""
    paras = "\n\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in text.split("\n\n"))
    return f'<!-- SC_OFF --><div class="md">{paras}\n</div><!-- SC_ON -->'


class RedditWriter:
    def __init__(self, rng: random.Random, stats: Stats):
        self.rng, self.stats = rng, stats

    def build(self, out: Path) -> None:
        r, comp = self.rng, Composer(self.rng)
        people = make_people(r, 220, lambda i: "t2_" + base36(r.randint(36**7, 36**9)), en_share=0.7, bi_share=0.14,
                             n_news=0)
        subs: dict[str, list[dict[str, Any]]] = {s: [] for s in SUBS}
        threads: list[tuple[dict[str, Any], Msg, datetime, Person]] = []
        events = {"storm": 3, "metro_fare": 2, "fireworks": 1, "trung_thu": 1}
        for t, topic, event in plan(r, 58, events):
            author, msg = compose_root(r, comp, people, topic, event, vi_share=0.12)
            sub = "saigon" if msg.city == "hcm" and r.random() < 0.7 else "hanoi" if msg.city == "hn" and \
                r.random() < 0.7 else "VietNam"
            post = self._post(sub, author, msg, t, comp)
            subs[sub].append(post)
            self.stats.add("reddit", "post", msg.lang, author.uid, event, msg.emotion)
            threads.append((post, msg, t, author))
        picks = [next(x for x in threads if x[1].event == "storm"), next(x for x in threads if x[1].event ==
                 "metro_fare"), next(x for x in threads if x[1].topic in ("air", "traffic") and x[1].city == "hn")]
        for n, (post, msg, t, author) in enumerate(picks):
            comments = self._tree(comp, people, post, msg, t, author, depth=0, budget=[(60, 48, 36)[n]],
                                  parent=post["data"]["name"], more=n == 0, deleted=n == 1)
            post["data"]["num_comments"] = self._count(comments) + (5 if n == 0 else 0)
            write_json(out / "reddit" / f"thread_{post['data']['subreddit']}_{post['data']['id']}.json",
                       [self._listing([post]), self._listing(comments)])
        for sub, posts in subs.items():
            posts.sort(key=lambda p: p["data"]["created_utc"], reverse=True)
            for p in posts:
                if p["data"]["num_comments"] == 0:
                    p["data"]["num_comments"] = r.randint(0, 40)
            listing = self._listing(posts)
            listing["data"].update(after=posts[-1]["data"]["name"], dist=len(posts), geo_filter=None)
            write_json(out / "reddit" / f"r_{sub}_new.json", listing)

    @staticmethod
    def _listing(children: list[dict[str, Any]]) -> dict[str, Any]:
        return {"kind": "Listing", "data": {"after": None, "dist": None, "modhash": "", "children": children,
                                            "before": None}}

    def _count(self, children: list[dict[str, Any]]) -> int:
        n = 0
        for c in children:
            if c["kind"] == "t1":
                rep = c["data"]["replies"]
                n += 1 + (self._count(rep["data"]["children"]) if rep else 0)
        return n

    def _post(self, sub: str, author: Person, msg: Msg, t: datetime, comp: Composer) -> dict[str, Any]:
        r = self.rng
        pid = base36(r.randint(36**6 * 20, 36**6 * 30))
        title = comp.fill(r.choice(TITLES[msg.topic]), CITIES[msg.city], "en")
        if msg.lang == "vi":
            title = r.choice(("Hỏi chút về chuyện này", "Mọi người thấy sao?", "[Thảo luận] ")) + \
                ("" if r.random() < 0.5 else f" - {CITIES[msg.city].vi[0]}")
        body = msg.text if r.random() < 0.8 else f"{msg.text}\n\nEdit: {comp.reply(author, msg).text}"
        slug = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:50] or "post"
        score = max(int(r.paretovariate(1.2) * 8) - 2, 0)
        sid, subs = SUBS[sub][0], SUBS[sub][1]
        permalink = f"/r/{sub}/comments/{pid}/{slug}/"
        return {"kind": "t3", "data": {
            "approved_at_utc": None, "subreddit": sub, "selftext": body, "author_fullname": author.uid,
            "saved": False, "gilded": 0, "clicked": False, "title": title, "subreddit_name_prefixed": f"r/{sub}",
            "hidden": False, "downs": 0, "hide_score": False, "name": f"t3_{pid}", "quarantine": False,
            "link_flair_text": r.choice((None, "Discussion", "Question", "News", "Travel")),
            "upvote_ratio": round(r.uniform(0.6, 1.0), 2), "subreddit_type": "public", "ups": score,
            "total_awards_received": 0, "score": score, "edited": False, "is_self": True,
            "created": float(int(t.timestamp())), "domain": f"self.{sub}", "selftext_html": md_html(body),
            "likes": None, "id": pid, "author": author.handle, "num_comments": 0, "send_replies": True,
            "permalink": permalink, "url": f"https://www.reddit.com{permalink}", "subreddit_subscribers": subs,
            "created_utc": float(int(t.timestamp())), "num_crossposts": 0, "over_18": False, "stickied": False,
            "locked": False, "is_video": False, "subreddit_id": sid, "author_flair_text": None, "distinguished": None,
            "lang": None,
        }}

    def _tree(self, comp: Composer, people: list[Person], post: dict[str, Any], msg: Msg, t: datetime,
              p_author: Person, depth: int, budget: list[int], parent: str, more: bool = False,
              deleted: bool = False) -> list[dict[str, Any]]:
        r, pd = self.rng, post["data"]
        children: list[dict[str, Any]] = []
        width = r.randint(4, 9) if depth == 0 else r.choice((0, 0, 1, 1, 2, 3))
        for i in range(width):
            if budget[0] <= 0 or depth > 5:
                break
            budget[0] -= 1
            who = pick(r, people, exclude=p_author)
            rep = comp.reply(who, msg)
            when = t.fromtimestamp(pd["created_utc"], t.tzinfo) if depth == 0 else t
            when = later(r, when, 150)
            cid = "n" + rand_str(r, 6, "0123456789abcdefghijklmnopqrstuvwxyz")
            is_deleted = deleted and depth == 0 and i == 1
            body = "[deleted]" if is_deleted else rep.text
            replies = self._tree(comp, people, post, rep, when, who, depth + 1, budget, f"t1_{cid}")
            score = max(int(r.paretovariate(1.3) * 3) - 1, -3)
            children.append({"kind": "t1", "data": {
                "subreddit_id": pd["subreddit_id"], "link_id": pd["name"], "likes": None,
                "replies": self._listing(replies) if replies else "", "saved": False, "id": cid, "gilded": 0,
                "archived": False, "author": "[deleted]" if is_deleted else who.handle, "parent_id": parent,
                "score": score, "controversiality": 0, "body": body, "edited": False, "downs": 0,
                "body_html": f'<div class="md"><p>{html.escape(body, quote=False)}</p>\n</div>',
                "subreddit": pd["subreddit"], "name": f"t1_{cid}", "score_hidden": False, "stickied": False,
                "created": float(int(when.timestamp())), "created_utc": float(int(when.timestamp())),
                "distinguished": None, "ups": score, "depth": depth, "is_submitter": who is p_author,
                "permalink": f"{pd['permalink']}{cid}/",
                **({} if is_deleted else {"author_fullname": who.uid}),
            }})
            self.stats.add("reddit", "comment" if depth == 0 else "reply", "und" if is_deleted else rep.lang,
                           None if is_deleted else who.uid, msg.event, rep.emotion)
        if more and depth == 0:
            kids = ["n" + rand_str(r, 6, "0123456789abcdefghijklmnopqrstuvwxyz") for _ in range(5)]
            children.append({"kind": "more", "data": {"count": 5, "name": f"t1_{kids[0]}", "id": kids[0],
                                                      "parent_id": parent, "depth": 0, "children": kids}})
        return children
