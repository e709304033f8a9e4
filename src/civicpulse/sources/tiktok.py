"""TikTok Research API: video query and comment list responses (or their items, one per JSONL line).

The envelope always carries `error`; success is `error.code == "ok"`, so the code is checked, not the HTTP status.
Video and comment ids are int64 JSON numbers above 2^53: they must be read as exact integers (orjson and
Node.ident do). Videos name their author by `username` only, so that is the id that gets pseudonymized;
comments name no author. The API gives no language and no post location: `region_code` is the country of the
creator's account, so it is deliberately kept out of the place fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from civicpulse.schema import Kind
from civicpulse.sources import register
from civicpulse.sources.base import (
    Item,
    Node,
    ParseContext,
    RecordError,
    Reject,
    Source,
    api_error_message,
    type_name,
)
from civicpulse.sources.text import join_parts


def _is_video(d: Any) -> bool:
    return isinstance(d, dict) and "create_time" in d and ("id" in d or "video_id" in d) and (
        "video_description" in d or "hashtag_names" in d or "music_id" in d or "voice_to_text" in d)


def _is_comment(d: Any) -> bool:
    return isinstance(d, dict) and "create_time" in d and "video_id" in d and "parent_comment_id" in d


def _is_envelope(doc: dict) -> bool:
    data, err = doc.get("data"), doc.get("error")
    if isinstance(data, dict) and isinstance(data.get("videos" if "videos" in data else "comments"), list):
        return isinstance(err, dict) or "cursor" in data or "has_more" in data
    # A failed request: `{error:{code, message, log_id}}`, with `data` empty or absent.
    return isinstance(err, dict) and "log_id" in err and err.get("code") != "ok"


@register
class TikTokResearch(Source):
    name = "tiktok"
    platform = "tiktok"
    description = "TikTok Research API: video query and video comment list responses"

    def sniff(self, doc: Any) -> bool:
        if isinstance(doc, list):
            return bool(doc) and (_is_video(doc[0]) or _is_comment(doc[0]))
        return isinstance(doc, dict) and (_is_envelope(doc) or _is_video(doc) or _is_comment(doc))

    def parse(self, doc: Any, ctx: ParseContext) -> Iterator[Item]:
        if (message := api_error_message(doc)) is not None:
            yield Reject("$", message, doc)
            return
        if isinstance(doc, list):
            nodes = (Node(d, f"$[{i}]") if isinstance(d, dict) else d for i, d in enumerate(doc))
            yield from self.each(nodes, lambda n: self._item(n, ctx), "$")
            return
        if not isinstance(doc, dict):
            yield Reject("$", f"expected a TikTok Research API object, got {type_name(doc)}", doc)
            return
        root = Node(doc)
        data = root.obj("data")
        if data is None:
            yield from self.each([root], lambda n: self._item(n, ctx))
        elif "comments" in data.value:
            yield from self.each(data.objects("comments"), lambda n: self._comment(n, ctx))
        else:
            yield from self.each(data.objects("videos"), lambda n: self._video(n, ctx))

    def _item(self, node: Any, ctx: ParseContext) -> Iterator[Item]:
        if not isinstance(node, Node):  # each() names the element's index when the path is left empty
            raise RecordError("", f"expected a video or comment object, got {type_name(node)}")
        return self._comment(node, ctx) if _is_comment(node.value) else self._video(node, ctx)

    def _video(self, node: Node, ctx: ParseContext) -> Iterator[Item]:
        # Current docs name the id `id`; older docs and the sample use `video_id`.
        video_id = node.ident("id") if "id" in node.value else node.ident("video_id")
        username = node.string("username")
        yield ctx.post(
            platform=self.platform,
            post_id=video_id,
            kind=Kind.POST,
            text=join_parts(node.string("video_description"), node.string("voice_to_text")),
            created_at=node.time("create_time", required=True),
            source_format=self.name,
            author_id=username,
            author_handle=username,
            # The id-only form: TikTok redirects it, and it does not carry the author's handle.
            url=f"https://www.tiktok.com/@/video/{video_id}",
            likes=node.integer("like_count"),
            replies=node.integer("comment_count"),
            shares=node.integer("share_count"),
            views=node.integer("view_count"),
            raw=node.value,
            raw_path=node.path,
        )

    def _comment(self, node: Node, ctx: ParseContext) -> Iterator[Item]:
        video_id = node.ident("video_id")
        parent = node.ident("parent_comment_id", required=False)
        # A top-level comment's parent_comment_id is the video id itself.
        is_reply = parent is not None and parent != video_id
        yield ctx.post(
            platform=self.platform,
            post_id=node.ident("id"),
            kind=Kind.REPLY if is_reply else Kind.COMMENT,
            text=(node.string("text") or "").strip(),
            created_at=node.time("create_time", required=True),
            source_format=self.name,
            parent_id=parent if is_reply else video_id,
            thread_id=video_id,
            likes=node.integer("like_count"),
            replies=node.integer("reply_count"),
            raw=node.value,
            raw_path=node.path,
        )
