"""Instagram Graph API: media objects and lists, comments and replies edges, `?ids=` batches, business discovery.

Same envelope as Facebook (`{data, paging}`, `+0000` times, error bodies), told apart by Instagram's own keys
(`timestamp`, `caption`, `media_type`, `permalink`; comments `text` + `timestamp`). Comments name their media
only when `media{id}` was requested; otherwise the media (or, for `/replies`, the parent comment) is the object
of the edge named in `paging.next/previous`. Hashtag search returns no author at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from civicpulse.schema import Kind
from civicpulse.sources import register
from civicpulse.sources.base import Item, Node, ParseContext, Reject, Source, api_error_message, type_name
from civicpulse.sources.facebook import graph_edge, is_graph_time, is_id_batch, without_edge_items

_MEDIA_KEYS = frozenset({"caption", "media_type", "permalink", "media_url", "comments_count", "shortcode",
                         "media_product_type", "thumbnail_url"})
_MEDIA_EDGES = frozenset({"media", "recent_media", "top_media", "tags", "stories", "mentioned_media"})
_WRAPPERS = ("mentioned_media", "mentioned_comment")  # GET /{ig-user}?fields=mentioned_media.media_id(…){…}


def _is_media(d: Any) -> bool:
    return isinstance(d, dict) and "created_time" not in d and (is_graph_time(d.get("timestamp")) or
                                                                _is_hashtag_media(d)) and bool(_MEDIA_KEYS & d.keys())


def _is_hashtag_media(d: dict) -> bool:
    """Hashtag search media (/{hashtag-id}/recent_media, top_media): no author, and no timestamp unless requested.

    Told apart by an Instagram permalink, since no author or time key is there to go by.
    """
    return ("timestamp" not in d and "media_type" in d and "id" in d and "username" not in d and "owner" not in d
            and "instagram.com/" in str(d.get("permalink", "")))


def _is_comment(d: Any) -> bool:
    return isinstance(d, dict) and "created_time" not in d and is_graph_time(d.get("timestamp")) and "text" in d


def _author(user_id: str | None, username: str | None) -> str | None:
    """The id to pseudonymize: the user id, else the username (many edges return only that), kept apart by '@'."""
    return user_id or (f"@{username}" if username else None)


def _is_ig_object(d: Any) -> bool:
    return _is_media(d) or _is_comment(d)


@register
class InstagramGraph(Source):
    name = "instagram"
    platform = "instagram"
    description = "Instagram Graph API: media, media lists, comments/replies edges, ?ids= batches"
    author_fields = frozenset({"biography", "profile_picture_url", "website"})

    def sniff(self, doc: Any) -> bool:
        if not isinstance(doc, dict) or "error" in doc:
            return False  # Meta's error envelope is claimed by the facebook format; both parse it
        data = doc.get("data")
        if isinstance(data, list):
            return any(_is_ig_object(d) for d in data[:3])
        if isinstance(doc.get("business_discovery"), dict):
            return True
        if any(_is_ig_object(doc.get(key)) for key in _WRAPPERS):
            return True
        return _is_ig_object(doc) or (is_id_batch(doc) and _is_ig_object(next(iter(doc.values()))))

    def parse(self, doc: Any, ctx: ParseContext) -> Iterator[Item]:
        if (message := api_error_message(doc)) is not None:
            yield Reject("$", message, doc)
            return
        if not isinstance(doc, dict):
            yield Reject("$", f"expected a Graph API object, got {type_name(doc)}", doc)
            return
        root = Node(doc)
        if isinstance(doc.get("data"), list):
            edge, obj = graph_edge(doc)
            items = root.objects("data")
            if edge == "comments":
                yield from self.each(items, lambda n: self._comment(n, ctx, media=obj))
            elif edge == "replies":
                yield from self.each(items, lambda n: self._comment(n, ctx, parent=obj))
            elif edge in _MEDIA_EDGES:
                yield from self.each(items, lambda n: self._media(n, ctx))
            else:
                yield from self.each(items, lambda n: self._object(n, ctx))
        elif (bd := root.obj("business_discovery")) is not None:
            # Another business account's media: the account is the author of every item.
            owner = (bd.ident("id", required=False), bd.string("username"))
            if (media := bd.obj("media")) is not None:
                yield from self.each(media.objects("data"), lambda n: self._media(n, ctx, owner))
        elif wrapped := [key for key in _WRAPPERS if isinstance(doc.get(key), dict)]:
            yield from self.each([root.obj(wrapped[0])], lambda n: self._object(n, ctx))
        elif is_id_batch(doc):
            yield from self.each((Node(v, f"$[{k!r}]") for k, v in doc.items()), lambda n: self._object(n, ctx))
        else:
            yield from self.each([root], lambda n: self._object(n, ctx))

    def _object(self, node: Node, ctx: ParseContext) -> Iterator[Item]:
        if _is_media(node.value) or "text" not in node.value:
            yield from self._media(node, ctx)
        else:
            yield from self._comment(node, ctx)

    def _media(self, node: Node, ctx: ParseContext,
               owner: tuple[str | None, str | None] = (None, None)) -> Iterator[Item]:
        media_id = node.ident("id")
        own = node.obj("owner")
        handle = node.string("username") or owner[1]
        # Hashtag-search media may come without a time (older API versions, or `timestamp` not requested): kept,
        # with no creation time, rather than rejected; other media must have one.
        no_time_ok = owner == (None, None) and _is_hashtag_media(node.value)
        yield ctx.post(
            platform=self.platform,
            post_id=media_id,
            kind=Kind.POST,
            text=(node.string("caption") or "").strip(),
            created_at=node.time("timestamp", required=not no_time_ok),
            source_format=self.name,
            author_id=_author((own.ident("id", required=False) if own is not None else None) or owner[0], handle),
            author_handle=handle,
            url=node.string("permalink"),
            likes=node.integer("like_count"),  # absent when the owner hides like counts
            replies=node.integer("comments_count"),
            raw=without_edge_items(node.value),  # nested comments/replies land on their own
            raw_path=node.path,
        )
        if (comments := node.obj("comments")) is not None:
            yield from self.each(comments.objects("data"), lambda n: self._comment(n, ctx, media=media_id))

    def _comment(self, node: Node, ctx: ParseContext, media: str | None = None,
                 parent: str | None = None) -> Iterator[Item]:
        comment_id = node.ident("id")
        if (on := node.obj("media")) is not None:
            media = on.ident("id", required=False) or media
        parent = node.ident("parent_id", required=False) or parent
        # The commenter: `from{id, username}` on newer versions, `user{id}` (own account) + `username` on older.
        person = node.obj("from") or node.obj("user")
        handle = node.string("username") or (person.string("username") if person is not None else None)
        yield ctx.post(
            platform=self.platform,
            post_id=comment_id,
            kind=Kind.REPLY if parent else Kind.COMMENT,
            text=(node.string("text") or "").strip(),
            created_at=node.time("timestamp", required=True),
            source_format=self.name,
            author_id=_author(person.ident("id", required=False) if person is not None else None, handle),
            author_handle=handle,
            parent_id=parent or media,
            thread_id=media,
            likes=node.integer("like_count"),
            raw=without_edge_items(node.value),  # nested comments/replies land on their own
            raw_path=node.path,
        )
        if (replies := node.obj("replies")) is not None:
            yield from self.each(replies.objects("data"), lambda n: self._comment(n, ctx, media, comment_id))
