"""Reddit JSON API: Listings, post threads, /api/morechildren and /api/info.

Everything arrives as "things" `{kind, data}`: t3 = post, t1 = comment, `more` = a stub naming comments not
sent (a collector fetches them through /api/morechildren; they are not posts and not errors). Ids are
fullnames (`t3_…`, `t1_…`), so `parent_id` and `link_id` are already in the post-id space.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from civicpulse.schema import Deletion, Kind
from civicpulse.sources import register
from civicpulse.sources.base import (
    Item,
    Node,
    ParseContext,
    RecordError,
    Reject,
    Skip,
    Source,
    api_error_message,
)
from civicpulse.sources.redact import redact_text
from civicpulse.sources.text import join_parts, unescape

_BASE_URL = "https://www.reddit.com"
_PLACEHOLDERS = frozenset({"[deleted]", "[removed]"})
_DELETED_AUTHOR = "[deleted]"
# Things that exist in listings but are not posts: accounts, messages, subreddits, awards, "load more" stubs.
_NOT_POSTS = frozenset({"more", "t2", "t4", "t5", "t6"})


def _is_listing(doc: Any) -> bool:
    return (isinstance(doc, dict) and doc.get("kind") == "Listing" and isinstance(doc.get("data"), dict)
            and isinstance(doc["data"].get("children"), list))


def _error_message(doc: Any) -> str | None:
    """Reddit's own error bodies: `{"message": "Forbidden", "error": 403}` and `{json: {errors: [...]}}`."""
    if not isinstance(doc, dict):
        return None
    if isinstance(doc.get("error"), int) and not isinstance(doc.get("error"), bool) and "data" not in doc:
        return f"API error body: {doc['error']}" + (f" / {doc['message']}" if doc.get("message") else "")
    envelope = doc.get("json")
    if isinstance(envelope, dict) and isinstance(envelope.get("errors"), list) and envelope["errors"]:
        return "API error body: " + "; ".join(
            " / ".join(str(p) for p in e) if isinstance(e, list) else str(e) for e in envelope["errors"])
    return api_error_message(doc)


def _redacted(value: Any, name: str | None) -> Any:
    """A copy of a raw thing with the author's name, u/ mentions and profile links taken out of every string.

    Key scrubbing is not enough on Reddit: a post on a profile lives in subreddit `u_name`, and that name
    recurs in `subreddit`, `subreddit_name_prefixed`, `permalink` and `url`.
    """
    # "_" and "-" may precede the name: profile posts live in subreddit u_{name}; signatures read "-name".
    pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9_-])", re.I) if name else None

    def walk(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, str):
            v = pattern.sub("user", v) if pattern is not None else v
            return redact_text(v)
        return v

    return walk(value)


@register
class RedditThings(Source):
    name = "reddit"
    platform = "reddit"
    description = "Reddit JSON API: Listings (posts, comments), [post, comments] threads, morechildren, api/info"
    author_fields = frozenset({
        "author_flair_text", "author_flair_richtext", "author_flair_css_class", "author_flair_template_id",
        "author_flair_background_color", "author_flair_text_color", "author_flair_type", "author_premium",
        "author_patreon_flair", "author_is_blocked", "author_cakeday", "link_author", "approved_by", "banned_by",
        "mod_reason_by", "mod_reports", "user_reports", "removed_by",
    })

    def sniff(self, doc: Any) -> bool:
        if isinstance(doc, list):
            return bool(doc) and _is_listing(doc[0])
        if _is_listing(doc):
            return True
        # /api/morechildren: {json: {errors, data: {things}}}
        envelope = doc.get("json") if isinstance(doc, dict) else None
        return isinstance(envelope, dict) and "errors" in envelope and (
            not isinstance(envelope.get("data"), dict) or "things" in envelope["data"])

    def parse(self, doc: Any, ctx: ParseContext) -> Iterator[Item]:
        if (message := _error_message(doc)) is not None:
            yield Reject("$", message, doc)
            return
        if isinstance(doc, list):  # a thread: [post listing, comment listing]
            for i, listing in enumerate(doc):
                yield from self._listing(listing, f"$[{i}]", ctx)
        elif isinstance(doc, dict) and isinstance(doc.get("json"), dict):
            data = doc["json"].get("data")
            if isinstance(data, dict):
                yield from self._things(data.get("things"), "$.json.data.things", ctx)
        else:
            yield from self._listing(doc, "$", ctx)

    def _listing(self, value: Any, path: str, ctx: ParseContext) -> Iterator[Item]:
        try:
            node = Node(value, path)
            if node.get("kind") != "Listing":
                raise RecordError(node.at("kind"), f"expected a Listing, got {node.get('kind')!r}")
            data = node.obj("data", required=True)
            data.array("children", required=True)
        except RecordError as exc:
            yield Reject(exc.path, exc.reason, value)
            return
        yield from self._things(data.value["children"], data.at("children"), ctx)

    def _things(self, things: Any, path: str, ctx: ParseContext) -> Iterator[Item]:
        if not isinstance(things, list):
            yield Reject(path, "expected an array of things", things)
            return
        # A comment tree is walked depth-first with an explicit stack, so deep threads cannot hit recursion
        # limits; each thing is converted on its own, so one bad comment does not lose its siblings or replies.
        stack = [(value, f"{path}[{i}]") for i, value in reversed(list(enumerate(things)))]
        while stack:
            value, where = stack.pop()
            try:
                node = Node(value, where)
            except RecordError as exc:
                yield Reject(exc.path, exc.reason, value)
                continue
            children: list[tuple[Any, str]] = []
            yield from self.each([node], lambda n, found=children: self._thing(n, ctx, found))
            stack.extend(reversed(children))

    def _thing(self, thing: Node, ctx: ParseContext, children: list[tuple[Any, str]]) -> Iterator[Item]:
        kind = thing.string("kind", required=True)
        if kind in _NOT_POSTS:
            yield Skip(f"reddit {kind} thing is not a post")
            return
        if kind not in ("t1", "t3"):
            raise RecordError(thing.at("kind"), f"unknown thing kind {kind!r}")
        data = thing.obj("data", required=True)
        replies = data.get("replies")
        if isinstance(replies, dict):  # a Listing, or "" when there are none
            listing = replies.get("data") if isinstance(replies.get("data"), dict) else {}
            if isinstance(listing.get("children"), list):
                where = data.at("replies") + ".data.children"
                children.extend((v, f"{where}[{i}]") for i, v in enumerate(listing["children"]))
        yield from self._convert(kind, data, ctx)

    def _convert(self, kind: str, data: Node, ctx: ParseContext) -> Iterator[Item]:
        post_id = data.ident("name")
        author = data.string("author")
        deleted = author == _DELETED_AUTHOR
        if kind == "t3":
            body = data.string("selftext") or ""
            if data.get("removed_by_category") == "deleted" or (deleted and body in _PLACEHOLDERS):
                yield Deletion(self.platform, post_id, "removed" if body == "[removed]" else "deleted")
                return
            # A moderator-removed post keeps its public title; the placeholder body is not the author's words.
            text = join_parts(unescape(data.string("title") or ""), "" if body in _PLACEHOLDERS else unescape(body))
            parent_id, thread_id, post_kind = None, post_id, Kind.POST
        else:
            body = data.string("body") or ""
            if body in _PLACEHOLDERS:  # nothing of the comment is left; Reddit keeps only its place in the tree
                yield Deletion(self.platform, post_id, body.strip("[]"))
                return
            text = unescape(body)
            parent_id = data.ident("parent_id")
            thread_id = data.ident("link_id")
            post_kind = Kind.COMMENT if parent_id.startswith("t3_") else Kind.REPLY
        permalink = data.string("permalink")
        yield ctx.post(
            platform=self.platform,
            post_id=post_id,
            kind=post_kind,
            text=text,
            created_at=data.time("created_utc", required=True),
            source_format=self.name,
            author_id=None if deleted else data.string("author_fullname") or author,
            author_handle=None if deleted else author,
            url=_BASE_URL + permalink if permalink else None,
            parent_id=parent_id,
            thread_id=thread_id,
            likes=data.integer("score"),
            replies=data.integer("num_comments"),
            edited=_edited(data),
            # The nested replies are stored as posts of their own; in the raw they would only repeat them.
            raw=_redacted({k: v for k, v in data.value.items() if k != "replies"}, None if deleted else author)
            if ctx.keep_raw else None,
            raw_path=data.path,
        )


def _edited(data: Node) -> bool:
    """`edited` is false, or the epoch seconds of the last edit."""
    value = data.get("edited")
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, (int, float)):
        return value > 0
    raise RecordError(data.at("edited"), f"expected false or an epoch time, got {value!r}")
