"""Small federated platforms: a Mastodon public timeline and Bluesky searchPosts pages."""

from __future__ import annotations

import html
import random
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .people import compose_root, make_people, pick
from .textgen import Composer, Msg, Person
from .timeline import START, iso_z, later, plan
from .util import Stats, rand_str, write_json

LOCAL = "toot.vn.example"
REMOTES = ("mstdn.example", "fedi.hanoi.example", "social.saigon.example")
EVENTS = {"storm": 8, "metro_fare": 4, "fireworks": 5, "trung_thu": 2}
B32 = "234567abcdefghijklmnopqrstuvwxyz"


def _mastodon_html(text: str, host: str) -> str:
    out = html.escape(text, quote=True).replace("&#x27;", "&#39;")
    out = re.sub(r"(?<![\w&])#(\w+)", lambda m: f'<a href="https://{host}/tags/{m.group(1)}" class="mention hashtag" '
                 f'rel="tag">#<span>{m.group(1)}</span></a>', out)
    return "<p>" + out.replace("\n\n", "</p><p>").replace("\n", "<br />") + "</p>"


def _tid(t: datetime, rng: random.Random) -> str:
    value = (int(t.timestamp() * 1_000_000) + rng.randrange(1_000_000)) << 10 | rng.randrange(1024)
    return "".join(B32[(value >> (5 * i)) & 31] for i in reversed(range(13)))


class SocialWriter:
    def __init__(self, rng: random.Random, stats: Stats):
        self.rng, self.stats = rng, stats

    # -- Mastodon ----------------------------------------------------------------
    def mastodon(self, out: Path) -> None:
        r, comp = self.rng, Composer(self.rng)
        people = make_people(r, 70, lambda i: str(r.randint(10**17, 2 * 10**17)), en_share=0.45, bi_share=0.2,
                             n_news=1)
        for p in people:
            p.extra["host"] = LOCAL if r.random() < 0.6 else r.choice(REMOTES)
        statuses: list[dict[str, Any]] = []
        for t, topic, event in plan(r, 52, EVENTS):
            author, msg = compose_root(r, comp, people, topic, event, vi_share=0.42)
            st = self._status(author, msg, t)
            statuses.append(st)
            self.stats.add("mastodon", "post", msg.lang, author.uid, event, msg.emotion)
            if r.random() < 0.3:
                who = pick(r, people, exclude=author)
                rep = comp.reply(who, msg)
                reply = self._status(who, rep, later(r, t, 60), mention=author)
                reply["in_reply_to_id"], reply["in_reply_to_account_id"] = st["id"], author.uid
                st["replies_count"] += 1
                statuses.append(reply)
                self.stats.add("mastodon", "reply", rep.lang, who.uid, event, rep.emotion)
            if r.random() < 0.1:
                who = pick(r, people, exclude=author)
                boost = self._status(who, Msg("", msg.lang, msg.topic, "neutral", msg.city, []), later(r, t, 200))
                boost.update(content="", language=None, reblog=st, tags=[])
                st["reblogs_count"] += 1
                statuses.append(boost)
                self.stats.add("mastodon", "boost", msg.lang, who.uid)
        statuses.sort(key=lambda s: int(s["id"]), reverse=True)
        write_json(out / "mastodon" / "public_timeline.json", statuses)

    def _account(self, p: Person) -> dict[str, Any]:
        host = str(p.extra["host"])
        r = random.Random(p.uid)
        created = (START - timedelta(days=r.randint(30, 1500))).replace(hour=0, minute=0, second=0)
        return {
            "id": p.uid, "username": p.handle, "acct": p.handle if host == LOCAL else f"{p.handle}@{host}",
            "display_name": p.name, "locked": False, "bot": p.news, "discoverable": True, "indexable": True,
            "group": False, "created_at": iso_z(created), "note": "", "url": f"https://{host}/@{p.handle}",
            "uri": f"https://{host}/users/{p.handle}", "avatar": f"https://{LOCAL}/avatars/original/missing.png",
            "avatar_static": f"https://{LOCAL}/avatars/original/missing.png", "followers_count": r.randint(3, 900),
            "following_count": r.randint(5, 400), "statuses_count": r.randint(10, 4000), "noindex": False,
            "emojis": [], "fields": [],
        }

    def _status(self, who: Person, msg: Msg, t: datetime, mention: Person | None = None) -> dict[str, Any]:
        r = self.rng
        host = str(who.extra["host"])
        sid = str((int(t.timestamp() * 1000) << 16) | r.randrange(1 << 16))
        content = _mastodon_html(msg.text, LOCAL)
        mentions = []
        if mention is not None:
            mhost = str(mention.extra["host"])
            card = (f'<span class="h-card" translate="no"><a href="https://{mhost}/@{mention.handle}" '
                    f'class="u-url mention">@<span>{mention.handle}</span></a></span> ')
            content = content.replace("<p>", "<p>" + card, 1)
            mentions.append({"id": mention.uid, "username": mention.handle, "url": f"https://{mhost}/@{mention.handle}",
                             "acct": mention.handle if mhost == LOCAL else f"{mention.handle}@{mhost}"})
        tags = [{"name": tag[1:].lower(), "url": f"https://{LOCAL}/tags/{tag[1:].lower()}"} for tag in
                dict.fromkeys(re.findall(r"#\w+", msg.text))]
        return {
            "id": sid, "created_at": iso_z(t) if host != LOCAL else f"{iso_z(t)[:-4]}{r.randrange(1000):03d}Z",
            "in_reply_to_id": None, "in_reply_to_account_id": None, "sensitive": False,
            "spoiler_text": "bão, ngập" if msg.event == "storm" and r.random() < 0.25 else "",
            "visibility": "public", "language": msg.lang if r.random() < 0.92 else None,
            "uri": f"https://{host}/users/{who.handle}/statuses/{sid}", "url": f"https://{host}/@{who.handle}/{sid}",
            "replies_count": 0, "reblogs_count": 0, "favourites_count": max(int(r.paretovariate(1.5)) - 1, 0),
            "quotes_count": 0, "edited_at": None, "content": content, "reblog": None, "account": self._account(who),
            "media_attachments": [], "mentions": mentions, "tags": tags, "emojis": [], "card": None, "poll": None,
        }

    # -- Bluesky -----------------------------------------------------------------
    def bluesky(self, out: Path) -> None:
        r, comp = self.rng, Composer(self.rng)
        people = make_people(r, 75, lambda i: "did:plc:" + rand_str(r, 24, B32), en_share=0.45, bi_share=0.2,
                             n_news=1, handle_style="bsky")
        posts: list[dict[str, Any]] = []
        for t, topic, event in plan(r, 50, EVENTS):
            author, msg = compose_root(r, comp, people, topic, event, vi_share=0.45)
            root = self._bsky(author, msg, t)
            posts.append(root)
            self.stats.add("bluesky", "post", msg.lang, author.uid, event, msg.emotion)
            parent, p_msg, p_t, p_author = root, msg, t, author
            for _ in range(r.choice((0, 0, 0, 1, 1, 2, 3))):
                who = pick(r, people, exclude=p_author)
                rep = comp.reply(who, p_msg)
                p_t = later(r, p_t, 50)
                node = self._bsky(who, rep, p_t, reply=(root, parent))
                parent["replyCount"] += 1
                posts.append(node)
                self.stats.add("bluesky", "reply", rep.lang, who.uid, event, rep.emotion)
                parent, p_msg, p_author = node, rep, who
        posts.sort(key=lambda p: p["indexedAt"], reverse=True)
        for i in range(0, len(posts), 50):  # limit=50 per request
            doc: dict[str, Any] = {"posts": posts[i:i + 50]}
            if i + 50 < len(posts):
                doc["cursor"] = str(i + 50)
            doc["hitsTotal"] = len(posts)
            write_json(out / "bluesky" / f"searchPosts_p{i // 50 + 1}.json", doc)

    def _bsky(self, who: Person, msg: Msg, t: datetime,
              reply: tuple[dict[str, Any], dict[str, Any]] | None = None) -> dict[str, Any]:
        r = self.rng
        created = t + timedelta(milliseconds=r.randrange(1000))
        stamp = created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z"
        record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": msg.text, "createdAt": stamp,
                                  "langs": [msg.lang]}
        facets = []
        raw = msg.text.encode("utf-8")
        for m in re.finditer(rb"#([\w\x80-\xff]+)", raw):
            facets.append({"$type": "app.bsky.richtext.facet", "index": {"byteStart": m.start(), "byteEnd": m.end()},
                           "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": m.group(1).decode()}]})
        if facets:
            record["facets"] = facets
        if reply:
            record["reply"] = {k: {"$type": "com.atproto.repo.strongRef", "cid": v["cid"], "uri": v["uri"]}
                               for k, v in (("root", reply[0]), ("parent", reply[1]))}
        if r.random() < 0.05:
            record["createdAt"] = created.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00"  # client-chosen format
        indexed = created + timedelta(milliseconds=r.randint(80, 2500))
        return {
            "uri": f"at://{who.uid}/app.bsky.feed.post/{_tid(t, r)}", "cid": "bafyrei" + rand_str(r, 52, B32),
            "author": {"did": who.uid, "handle": who.handle, "displayName": who.name, "labels": [],
                       "createdAt": "2024-11-0" + str(r.randint(1, 9)) + "T10:00:00.000Z"},
            "record": record, "replyCount": 0, "repostCount": r.choice((0, 0, 0, 1, 2)),
            "likeCount": max(int(r.paretovariate(1.4)) - 1, 0), "quoteCount": 0,
            "indexedAt": indexed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{indexed.microsecond // 1000:03d}Z", "labels": [],
        }
