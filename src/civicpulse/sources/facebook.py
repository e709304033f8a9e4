"""Facebook Graph API: page/group feed pages, single posts, comments edges and `?ids=` batch objects.

Post ids are `{pageId}_{postId}`. Comment ids are `{postId}_{commentId}` (newer) or
`{pageId}_{postId}_{commentId}` (older), and a comments page may carry no ids at all when `id` was not
granted (comments_p1 in the samples): then the id is rebuilt from the comment's permalink
(`…/{pageId}/posts/{postId}/?comment_id=C&reply_comment_id=R` -> `{postId}_{R or C}`, the shape the API uses).

A reply's parent comment, most certain first: its `parent{id}` field; the permalink's `comment_id` when it
has a `reply_comment_id`; the comment it is nested under, or the object of the `/{id}/comments` edge named in
`paging.next/previous` when that object is a comment. A comment with none of these is a COMMENT whose parent is
the root post (also the thread_id): the post it is nested under, else the edge object, else the permalink's
post, else the prefix of a three-part comment id; with none of those it lands without a parent. Reply ids
rebuilt from a permalink are assumed to share their post's prefix, as the API's own reply ids do.

People tagged in `message` appear as plain names; `message_tags` locates them and they are masked.

`from` is absent without a page token, so author_id may be None. `story` is not used as text: Facebook writes
it from names ("X shared a link"). There is no edit flag: `updated_time` also moves when comments arrive.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
from civicpulse.sources.redact import MENTION_PLACEHOLDER

_GRAPH_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$")  # 2021-07-09T19:09:52+0000
_GRAPH_ID = re.compile(r"^\d+(?:_\d+){1,2}$")
_NUMERIC_ID = re.compile(r"^\d+(?:_\d+){0,2}$")  # any Graph object id, bare or compound
_EDGE = re.compile(r"graph\.(?:facebook|instagram)\.com/(?:v[\d.]+/)?([^/?]+)/([a-z_]+)")
# Feed-like edges of a page, group or user: their items are posts.
_POST_EDGES = frozenset({"feed", "posts", "published_posts", "tagged", "visitor_posts", "ratings"})
# Keys that only a post has (a comment has `attachment`, `like_count`, `comment_count` instead).
_POST_KEYS = frozenset({"status_type", "story", "shares", "reactions", "full_picture", "attachments", "place",
                        "is_published", "updated_time", "privacy"})
_COMMENT_KEYS = frozenset({"parent", "comment_count", "like_count", "attachment", "can_remove", "user_likes"})


def is_graph_time(value: Any) -> bool:
    return isinstance(value, str) and _GRAPH_TIME.match(value) is not None


def _is_fb_object(d: Any) -> bool:
    """A Facebook post or comment: Graph timestamps in `created_time`, never Instagram's `timestamp`."""
    if not isinstance(d, dict) or "timestamp" in d or "caption" in d or "media_type" in d:
        return False
    if is_graph_time(d.get("created_time")):
        return True
    ident = d.get("id")
    return isinstance(ident, str) and _GRAPH_ID.match(ident) is not None and (
        "message" in d or "permalink_url" in d or "story" in d)


def is_id_batch(doc: dict) -> bool:
    """`?ids=a,b`: an object keyed by id whose values are the objects themselves."""
    return bool(doc) and all(isinstance(v, dict) and v.get("id") == k for k, v in doc.items())


@dataclass(slots=True, frozen=True)
class _Context:
    """What the container says about the comments in it."""

    post: str | None = None  # the root post (thread)
    comment: str | None = None  # the comment these are replies to
    edge: str | None = None  # the object of a `/{id}/comments` edge: a post or a comment, see _from_edge


def graph_edge(doc: dict) -> tuple[str | None, str | None]:
    """(edge name, object id) from `paging.next/previous`, e.g. ("comments", "19292868552_10158407654328553")."""
    paging = doc.get("paging")
    if not isinstance(paging, dict):
        return None, None
    for key in ("next", "previous"):
        url = paging.get(key)
        if isinstance(url, str) and (m := _EDGE.search(url)):
            return m.group(2), m.group(1)
    return None, None


def _from_edge(edge: str, comment_parts: list[str]) -> _Context:
    """Whether the edge object is the post or a comment, judged against one comment's own id.

    Post ids are `{pageId}_{postId}`; comment ids `{postId}_{commentId}` or `{pageId}_{postId}_{commentId}`.
    So a two-part edge object is a comment exactly when its first part is this comment's `postId`.
    (The edge may name a photo/video object whose id differs from the permalink's post: the edge is what was
    fetched, so it wins over the permalink for the thread.)
    """
    parts = edge.split("_")
    if len(parts) == 3:
        return _Context(post=f"{parts[0]}_{parts[1]}", comment=edge)
    if len(parts) == 2 and len(comment_parts) >= 2 and parts[0] == comment_parts[-2]:
        return _Context(comment=edge)
    return _Context(post=edge)


def _permalink_ids(url: str | None) -> tuple[str | None, str | None, str | None]:
    """(post id `{pageId}_{postId}`, comment id, reply id) read from a comment or post permalink."""
    if not url:
        return None, None, None
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    segments = [s for s in parts.path.split("/") if s]
    post = None
    if len(segments) >= 3 and segments[1] in ("posts", "videos") and segments[0].isdigit() and segments[2].isdigit():
        post = f"{segments[0]}_{segments[2]}"
    elif len(segments) >= 4 and segments[0] == "groups" and segments[2] == "permalink":
        post = f"{segments[1]}_{segments[3]}" if segments[1].isdigit() and segments[3].isdigit() else None
    elif "story_fbid" in query and "id" in query:
        post = f"{query['id'][0]}_{query['story_fbid'][0]}"
    comment = query.get("comment_id", [None])[0]
    reply = query.get("reply_comment_id", [None])[0]
    return post, comment, reply


def _count(node: Node, key: str) -> int | None:
    """An edge's count (`{summary:{total_count}}` or `{count}`), or a plain integer (old comment `likes`)."""
    value = node.get(key)
    if isinstance(value, dict):
        edge = Node(value, node.at(key))
        if (summary := edge.obj("summary")) is not None:
            return summary.integer("total_count")
        return edge.integer("count")
    return node.integer(key)


def without_edge_items(value: dict) -> dict:
    """The payload without edge item lists: reaction/like lists name people, nested comments land separately."""
    return {k: ({kk: vv for kk, vv in v.items() if kk != "data"} if isinstance(v, dict) and "data" in v else v)
            for k, v in value.items()}


def _mask_tags(text: str, tags: list[Any]) -> str:
    """Replace the names of people tagged in a message (`message_tags`) with the mention placeholder.

    Tagged names sit in the text as plain words, not @handles, so mask_mentions cannot see them. Pages, groups
    and events keep their names. Offsets are checked against the name before use (UTF-16 units, else code
    points); when neither matches, the name itself is replaced.
    """
    spans = []
    for tag in tags:
        if not isinstance(tag, dict) or tag.get("type", "user") != "user" or not isinstance(tag.get("name"), str):
            continue
        name, offset, length = tag["name"], tag.get("offset"), tag.get("length")
        if isinstance(offset, int) and isinstance(length, int):
            units = text.encode("utf-16-le")
            if units[offset * 2:(offset + length) * 2].decode("utf-16-le", "ignore") == name:
                spans.append((len(units[:offset * 2].decode("utf-16-le", "ignore")), len(name)))
                continue
            if text[offset:offset + length] == name:
                spans.append((offset, length))
                continue
        text = text.replace(name, MENTION_PLACEHOLDER) if name else text
    for start, length in sorted(spans, reverse=True):
        text = text[:start] + MENTION_PLACEHOLDER + text[start + length:]
    return text


def _message(node: Node) -> str:
    return _mask_tags((node.string("message") or "").strip(), node.array("message_tags"))


def _raw(node: Node, text: str) -> dict:
    raw = without_edge_items(node.value)
    if "message" in raw:
        raw["message"] = text  # with tagged people masked, as in the text column
    return raw


@register
class FacebookGraph(Source):
    name = "facebook"
    platform = "facebook"
    description = "Facebook Graph API: page/group feeds, posts, comments edges, ?ids= batches"
    author_fields = frozenset({"message_tags", "story_tags", "with_tags", "to", "story", "admin_creator",
                               "description_tags", "tags", "profile"})

    def sniff(self, doc: Any) -> bool:
        if not isinstance(doc, dict):
            return False
        err = doc.get("error")
        if isinstance(err, dict):
            return "fbtrace_id" in err or (isinstance(err.get("type"), str) and isinstance(err.get("code"), int))
        data = doc.get("data")
        if isinstance(data, list):
            return any(_is_fb_object(d) for d in data[:3])
        if _is_fb_object(doc):
            return True
        return is_id_batch(doc) and _is_fb_object(next(iter(doc.values())))

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
            if edge == "comments":
                where = _Context(edge=obj if obj and _NUMERIC_ID.match(obj) else None)
                yield from self.each(root.objects("data"), lambda n: self._comment(n, ctx, where))
            elif edge in _POST_EDGES:
                yield from self.each(root.objects("data"), lambda n: self._post(n, ctx))
            else:
                yield from self.each(root.objects("data"), lambda n: self._object(n, ctx))
        elif not is_id_batch(doc):
            yield from self.each([root], lambda n: self._object(n, ctx))
        else:
            yield from self.each((Node(v, f"$[{k!r}]") for k, v in doc.items()), lambda n: self._object(n, ctx))

    def _object(self, node: Node, ctx: ParseContext) -> Iterator[Item]:
        """A post or a comment, told apart by shape when the container does not say."""
        value = node.value
        ident = value.get("id")
        three_part = isinstance(ident, str) and ident.count("_") == 2
        if three_part or "comment_id=" in str(value.get("permalink_url", "")) or (
                _COMMENT_KEYS & value.keys() and not _POST_KEYS & value.keys()):
            yield from self._comment(node, ctx, _Context())
        else:
            yield from self._post(node, ctx)

    def _post(self, node: Node, ctx: ParseContext) -> Iterator[Item]:
        post_id = node.ident("id")
        text = _message(node)
        author = node.obj("from")
        lon = lat = None
        place_name = country = None
        if (place := node.obj("place")) is not None:
            place_name = place.string("name")
            if (location := place.obj("location")) is not None:
                lon, lat = location.number("longitude"), location.number("latitude")
                country = location.string("country")
        likes = _count(node, "reactions")
        for key in ("likes", "like"):  # `like` is the usual alias of reactions.type(LIKE)
            likes = likes if likes is not None else _count(node, key)
        shares = node.obj("shares")
        yield ctx.post(
            platform=self.platform,
            post_id=post_id,
            kind=Kind.POST,
            text=text,
            created_at=node.time("created_time", required=True),
            source_format=self.name,
            author_id=author.ident("id", required=False) if author is not None else None,
            author_names=[author.get("name")] if author is not None else (),
            url=node.string("permalink_url"),
            place_name=place_name,
            place_country=country,
            place_lon=lon,
            place_lat=lat,
            likes=likes,
            replies=_count(node, "comments"),
            shares=shares.integer("count") if shares is not None else None,
            raw=_raw(node, text),
            raw_path=f"{node.path}.place.location",
        )
        if (comments := node.obj("comments")) is not None:
            here = _Context(post=post_id)
            yield from self.each(comments.objects("data"), lambda n: self._comment(n, ctx, here))

    def _comment(self, node: Node, ctx: ParseContext, where: _Context) -> Iterator[Item]:
        link = node.string("permalink_url")
        link_post, link_comment, link_reply = _permalink_ids(link)
        comment_id = node.ident("id", required=False)
        if comment_id is None:
            own = link_reply or link_comment
            if not (own and link_post):
                raise RecordError(node.at("id"), "required field is missing (and the permalink names no comment)")
            comment_id = f"{link_post.split('_')[1]}_{own}"
        parts = comment_id.split("_")
        edge = _from_edge(where.edge, parts) if where.edge else _Context()
        linked_parent = None
        if link_reply and link_comment and link_post:
            # Name the parent in the same id style as this comment's own id, so that the two link up.
            linked_parent = f"{link_post}_{link_comment}" if len(parts) == 3 else f"{parts[-2]}_{link_comment}"
        parent = node.obj("parent")
        parent_comment = (
            (parent.ident("id") if parent is not None else None) or linked_parent or where.comment or edge.comment
        )
        post = (where.post or edge.post or link_post
                or (f"{parts[0]}_{parts[1]}" if len(parts) == 3 else None))
        author = node.obj("from")
        text = _message(node)
        yield ctx.post(
            platform=self.platform,
            post_id=comment_id,
            kind=Kind.REPLY if parent_comment else Kind.COMMENT,
            text=text,
            created_at=node.time("created_time", required=True),
            source_format=self.name,
            author_id=author.ident("id", required=False) if author is not None else None,
            author_names=[author.get("name")] if author is not None else (),
            parent_id=parent_comment or post,
            thread_id=post,
            url=link,
            likes=node.integer("like_count") if node.has("like_count") else _count(node, "likes"),
            replies=node.integer("comment_count") if node.has("comment_count") else _count(node, "comments"),
            raw=_raw(node, text),
            raw_path=node.path,
        )
        if (replies := node.obj("comments")) is not None:
            here = _Context(post=post, comment=comment_id)
            yield from self.each(replies.objects("data"), lambda n: self._comment(n, ctx, here))
