"""YouTube Data API v3: commentThreads.list, comments.list and videos.list responses (or one resource of each).

Comment text arrives twice: `textDisplay` is HTML (links as `<a>`, `<br>`, entities), `textOriginal` is what
was typed; the plain original is preferred. A thread's top-level comment has the thread's id, and a reply's id
is `<threadId>.<suffix>` with `snippet.parentId` = the thread id, so parent links need no lookup. Statistics
counts are digit strings. Comments carry no language; videos may carry `defaultLanguage`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from civicpulse.schema import Kind
from civicpulse.sources import register
from civicpulse.sources.base import Item, Node, ParseContext, Reject, Source, api_error_message, type_name
from civicpulse.sources.text import html_to_text, join_parts

_LIST_KINDS = frozenset({
    "youtube#commentThreadListResponse", "youtube#commentListResponse", "youtube#videoListResponse",
})
_ITEM_KINDS = frozenset({"youtube#commentThread", "youtube#comment", "youtube#video"})
# Language codes YouTube uses for "no language": not a language to filter or analyse by.
_NO_LANGUAGE = frozenset({"und", "zxx", "mul"})


def _is_google_error(doc: dict) -> bool:
    err = doc.get("error")
    # Google's envelope: numeric code plus `errors[{domain, reason}]` and/or a gRPC-style `status`.
    return isinstance(err, dict) and isinstance(err.get("code"), int) and ("errors" in err or "status" in err)


def _watch_url(video_id: str | None, comment_id: str | None = None) -> str | None:
    if not video_id:
        return None  # channel-discussion comments have no video to link to
    url = f"https://www.youtube.com/watch?v={video_id}"
    return f"{url}&lc={comment_id}" if comment_id else url


@register
class YouTubeDataV3(Source):
    name = "youtube"
    platform = "youtube"
    description = "YouTube Data API v3: commentThreads.list, comments.list, videos.list responses"
    # channelId on a video is its uploader; on a thread, the channel the video belongs to.
    author_fields = frozenset({"channelId"})

    def sniff(self, doc: Any) -> bool:
        if not isinstance(doc, dict):
            return False
        kind = doc.get("kind")
        if kind in _LIST_KINDS:
            return True
        if kind in _ITEM_KINDS:
            return "id" in doc and "snippet" in doc
        return _is_google_error(doc)

    def parse(self, doc: Any, ctx: ParseContext) -> Iterator[Item]:
        if (message := api_error_message(doc)) is not None:
            yield Reject("$", message, doc)
            return
        if not isinstance(doc, dict):
            yield Reject("$", f"expected a YouTube API response object, got {type_name(doc)}", doc)
            return
        root = Node(doc)
        kind = doc.get("kind")
        # A list response holds resources of one kind; a single resource (e.g. one JSONL line) is its own list.
        items = root.objects("items") if kind in _LIST_KINDS else iter([root])
        if kind in ("youtube#commentThreadListResponse", "youtube#commentThread"):
            yield from self.each(items, lambda n: self._thread(n, ctx))
        elif kind in ("youtube#commentListResponse", "youtube#comment"):
            yield from self.each(items, lambda n: self._comment(n, ctx, video_id=None))
        else:
            yield from self.each(items, lambda n: self._video(n, ctx))

    def _thread(self, node: Node, ctx: ParseContext) -> Iterator[Item]:
        snippet = node.obj("snippet", required=True)
        video_id = snippet.ident("videoId", required=False)
        top = snippet.obj("topLevelComment", required=True)
        yield from self._comment(top, ctx, video_id=video_id, reply_count=snippet.integer("totalReplyCount"))
        # part=replies returns only some replies (the rest need comments.list?parentId=); take what is here.
        if (replies := node.obj("replies")) is not None:
            yield from self.each(replies.objects("comments"), lambda n: self._comment(n, ctx, video_id=video_id))

    def _comment(self, node: Node, ctx: ParseContext, video_id: str | None,
                 reply_count: int | None = None) -> Iterator[Item]:
        comment_id = node.ident("id")
        snippet = node.obj("snippet", required=True)
        video_id = snippet.ident("videoId", required=False) or video_id
        parent = snippet.ident("parentId", required=False)
        original = snippet.string("textOriginal")
        text = original if original is not None else html_to_text(snippet.string("textDisplay") or "")
        published = snippet.time("publishedAt", required=True)
        updated = snippet.time("updatedAt")
        author = snippet.obj("authorChannelId")
        yield ctx.post(
            platform=self.platform,
            post_id=comment_id,
            kind=Kind.REPLY if parent else Kind.COMMENT,
            text=text.strip(),
            created_at=published,
            source_format=self.name,
            author_id=author.ident("value", required=False) if author is not None else None,
            author_names=[snippet.get("authorDisplayName")],
            parent_id=parent or video_id,
            thread_id=video_id,
            url=_watch_url(video_id, comment_id),
            likes=snippet.integer("likeCount"),
            replies=reply_count,
            edited=updated is not None and updated != published,
            raw=node.value,
            raw_path=node.path,
        )

    def _video(self, node: Node, ctx: ParseContext) -> Iterator[Item]:
        video_id = node.ident("id")
        snippet = node.obj("snippet", required=True)
        stats = node.obj("statistics")
        language = snippet.string("defaultLanguage") or snippet.string("defaultAudioLanguage")
        lon = lat = None
        place_name = None
        if (recording := node.obj("recordingDetails")) is not None:
            place_name = recording.string("locationDescription")
            if (location := recording.obj("location")) is not None:
                lon, lat = location.number("longitude"), location.number("latitude")
        yield ctx.post(
            platform=self.platform,
            post_id=video_id,
            kind=Kind.POST,
            text=join_parts(snippet.string("title"), snippet.string("description")),
            created_at=snippet.time("publishedAt", required=True),
            source_format=self.name,
            author_id=snippet.ident("channelId", required=False),
            author_names=[snippet.get("channelTitle")],
            url=_watch_url(video_id),
            language=None if language in _NO_LANGUAGE else language,
            place_name=place_name,
            place_lon=lon,
            place_lat=lat,
            likes=stats.integer("likeCount") if stats else None,
            replies=stats.integer("commentCount") if stats else None,
            views=stats.integer("viewCount") if stats else None,
            raw=node.value,
            raw_path=f"{node.path}.recordingDetails",
        )
