"""YouTube Data API v3: commentThreads.list pages (part=snippet,replies) and a videos.list response."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .people import make_people, pick
from .textgen import Composer, Msg
from .timeline import END, START, clamp, iso_z, later, weighted
from .util import Stats, html_text, rand_str, write_json

VIDEOS = (  # title, description, published, language, topic mix, comment threads
    ("Sài Gòn ngập nặng sau bão: nhiều tuyến đường thành sông (15/9/2026)",
     "Ghi nhận tình trạng ngập tại TP.HCM sáng 15/9 sau mưa bão kết hợp triều cường.", datetime(2026, 9, 15, 2, 40),
     "vi", {"storm": 6, "flood": 4}, 72),
    ("Đi thử metro số 1 sau khi công bố giá vé mới | vé tháng 300k có đáng?",
     "Trải nghiệm tuyến Bến Thành – Suối Tiên và bảng giá vé mới.", datetime(2026, 8, 20, 11, 5),
     "vi", {"metro_fare": 5, "metro": 4, "traffic": 1}, 62),
    ("Pháo hoa Quốc khánh 2/9/2026 tại Hồ Gươm - trọn vẹn 15 phút",
     "Màn bắn pháo hoa mừng Quốc khánh nhìn từ phố đi bộ Hồ Gươm.", datetime(2026, 9, 2, 15, 20),
     "vi", {"fireworks": 6, "culture": 3, "traffic": 1}, 52),
    ("One week living in Hanoi's Old Quarter: traffic, street food and air quality (expat vlog)",
     "What daily life in Hanoi is really like: motorbikes, pho, AQI and the metro.", datetime(2026, 8, 10, 13, 0),
     "en", {"traffic": 4, "air": 3, "tourism": 3, "metro": 1, "culture": 1}, 64),
)


class YouTubeWriter:
    def __init__(self, rng: random.Random, stats: Stats):
        self.rng, self.stats = rng, stats

    def _cid(self) -> str:
        return "UC" + rand_str(self.rng, 22)

    def build(self, out: Path) -> None:
        r, comp = self.rng, Composer(self.rng)
        people = make_people(r, 340, lambda i: self._cid(), en_share=0.16, bi_share=0.1, n_news=0)
        channel = (self._cid(), "Nhịp Sống Đô Thị TV")
        expat_channel = (self._cid(), "Slow Travel VN")
        items = []
        for title, desc, published, lang, mix, n_threads in VIDEOS:
            vid = rand_str(r, 11)
            pub = published.replace(tzinfo=START.tzinfo)
            ch = expat_channel if lang == "en" else channel
            threads, total = [], 0
            for _ in range(n_threads):
                topic = weighted(r, mix)
                event = topic if topic in ("storm", "metro_fare", "fireworks", "trung_thu") else None
                t = clamp(pub + timedelta(minutes=3 + r.expovariate(1 / (36 * 60 if event else 5 * 24 * 60))))
                vi_share = 0.35 if lang == "en" else 0.85
                want = "vi" if r.random() < vi_share else "en"
                who = pick(r, people, want)
                msg = comp.post(who, topic, "hn" if lang == "en" else ("hn" if event == "fireworks" else "hcm"), event,
                                "en" if who.lang == "en" else want if who.lang == "bi" else "vi")
                thread = self._thread(vid, ch[0], who.uid, who.handle, msg, t)
                self.stats.add("youtube", "comment", msg.lang, who.uid, event, msg.emotion)
                n_rep = r.choice((0, 0, 0, 0, 0, 1, 1, 2, 3, 7))
                replies, p_t = [], t
                for _ in range(n_rep):
                    rwho = pick(r, people, exclude=who)
                    rep = comp.reply(rwho, msg)
                    p_t = later(r, p_t, 180)
                    text = f"@{who.handle} {rep.text}" if r.random() < 0.5 else rep.text
                    replies.append(self._comment(f"{thread['id']}.{rand_str(r, 22)}", vid, ch[0], rwho.uid,
                                                 rwho.handle, text, p_t, parent=thread["id"]))
                    if len(replies) <= 5:  # the API embeds only a few replies; the rest need comments.list
                        self.stats.add("youtube", "reply", rep.lang, rwho.uid, event, rep.emotion)
                thread["snippet"]["totalReplyCount"] = n_rep
                if replies:
                    thread["replies"] = {"comments": replies[:5]}
                total += 1 + n_rep
                threads.append(thread)
            threads.sort(key=lambda th: th["snippet"]["topLevelComment"]["snippet"]["publishedAt"], reverse=True)
            for i in range(0, len(threads), 50):
                page: dict[str, Any] = {"kind": "youtube#commentThreadListResponse", "etag": rand_str(r, 27)}
                if i + 50 < len(threads):
                    page["nextPageToken"] = rand_str(r, 60)
                chunk = threads[i:i + 50]
                page["pageInfo"] = {"totalResults": len(chunk), "resultsPerPage": 50}
                page["items"] = chunk
                write_json(out / "youtube" / f"commentThreads_{vid}_p{i // 50 + 1}.json", page)
            items.append(self._video(vid, ch, title, desc, pub, lang, total))
        write_json(out / "youtube" / "videos.json", {"kind": "youtube#videoListResponse", "etag": rand_str(r, 27),
                                                      "items": items,
                                                      "pageInfo": {"totalResults": len(items), "resultsPerPage": 5}})

    def _comment(self, cid: str, vid: str, channel: str, author: str, handle: str, text: str, t: datetime,
                 parent: str | None = None) -> dict[str, Any]:
        r = self.rng
        display = html_text(text)
        if r.random() < 0.08:  # a timestamp link into the video
            mm, ss = r.randint(0, 14), r.randint(0, 59)
            display = (f'<a href="https://www.youtube.com/watch?v={vid}&amp;t={mm * 60 + ss}">{mm}:{ss:02d}</a> '
                       + display)
            text = f"{mm}:{ss:02d} {text}"
        edited = t + timedelta(minutes=r.randint(1, 90)) if r.random() < 0.05 else t
        snippet: dict[str, Any] = {
            "channelId": channel, "videoId": vid, "textDisplay": display, "textOriginal": text,
            "authorDisplayName": f"@{handle}",
            "authorProfileImageUrl": f"https://yt3.ggpht.com/ytc/{rand_str(r, 40)}=s48-c-k-c0x00ffffff-no-rj",
            "authorChannelUrl": f"http://www.youtube.com/@{handle}", "authorChannelId": {"value": author},
            "canRate": True, "viewerRating": "none", "likeCount": max(int(r.paretovariate(1.4)) - 1, 0),
            "publishedAt": iso_z(t, millis=False), "updatedAt": iso_z(min(edited, END), millis=False),
        }
        if parent:
            snippet["parentId"] = parent
        return {"kind": "youtube#comment", "etag": rand_str(r, 27), "id": cid, "snippet": snippet}

    def _thread(self, vid: str, channel: str, author: str, handle: str, msg: Msg, t: datetime) -> dict[str, Any]:
        r = self.rng
        tid = "Ug" + r.choice("wxyz") + rand_str(r, 20) + "4AaABAg"
        text = msg.text
        if r.random() < 0.12:
            text = f'Câu "{text[:40].rstrip()}" nghe quen ghê\n{text}' if msg.lang == "vi" else \
                f'"{text[:40].rstrip()}" - this.\n{text}'
        top = self._comment(tid, vid, channel, author, handle, text, t)
        return {"kind": "youtube#commentThread", "etag": rand_str(r, 27), "id": tid,
                "snippet": {"channelId": channel, "videoId": vid, "topLevelComment": top, "canReply": True,
                            "totalReplyCount": 0, "isPublic": True}}

    def _video(self, vid: str, ch: tuple[str, str], title: str, desc: str, pub: datetime, lang: str,
               comments: int) -> dict[str, Any]:
        r = self.rng
        views = r.randint(40_000, 900_000)
        thumbs = {k: {"url": f"https://i.ytimg.com/vi/{vid}/{k}.jpg", "width": w, "height": h}
                  for k, w, h in (("default", 120, 90), ("medium", 320, 180), ("high", 480, 360))}
        return {
            "kind": "youtube#video", "etag": rand_str(r, 27), "id": vid,
            "snippet": {"publishedAt": iso_z(pub, millis=False), "channelId": ch[0], "title": title,
                        "description": desc, "thumbnails": thumbs, "channelTitle": ch[1],
                        "tags": ["Việt Nam", "đô thị"] if lang == "vi" else ["Vietnam", "Hanoi", "vlog"],
                        "categoryId": "25" if lang == "vi" else "19", "liveBroadcastContent": "none",
                        "defaultLanguage": lang, "localized": {"title": title, "description": desc},
                        "defaultAudioLanguage": lang},
            "contentDetails": {"duration": f"PT{r.randint(3, 24)}M{r.randint(0, 59)}S", "dimension": "2d",
                               "definition": "hd", "caption": "false", "licensedContent": False,
                               "projection": "rectangular"},
            "statistics": {"viewCount": str(views), "likeCount": str(views // r.randint(25, 60)),
                           "favoriteCount": "0", "commentCount": str(comments)},
        }
