"""Bluesky / AT Protocol: appview responses, repository records and Jetstream lines.

A post's id is its AT URI `at://{did}/app.bsky.feed.post/{rkey}`, which names the author's DID. Every URI is
stored with the DID replaced by the author's pseudonym (`pseudo_uri`), the same in all three formats, so
replies, threads and Jetstream deletions still line up. bsky.app links embed the DID or handle: no url is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from civicpulse.schema import Deletion, Kind, Post
from civicpulse.sources import register
from civicpulse.sources.base import Item, Node, ParseContext, RecordError, Reject, Skip, Source, api_error_message

PLATFORM = "bluesky"
POST_COLLECTION = "app.bsky.feed.post"
_UNAVAILABLE = ("#notFoundPost", "#blockedPost")  # thread nodes for posts the viewer cannot see: not errors
_DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]*[A-Za-z0-9._-]")
_AUTHOR_FIELDS = frozenset({"viewer", "creator", "by", "grandparentAuthor"})


def pseudo_uri(uri: str, ctx: ParseContext, path: str = "$") -> str:
    """`at://{did}/{collection}/{rkey}` with the DID (the URI's authority) replaced by the author's pseudonym."""
    if not uri.startswith("at://") or len(uri) <= 5:
        raise RecordError(path, f"expected an at:// URI, got {uri[:60]!r}")
    authority, sep, rest = uri[5:].partition("/")
    return f"at://{ctx.pseudonymize(PLATFORM, authority)}{sep}{rest}"


def _pseudonymized(value: Any, ctx: ParseContext) -> Any:
    """A copy of a raw payload with every DID pseudonymized.

    DIDs sit in many string fields that key scrubbing cannot see: every at:// URI (reply refs, quoted posts,
    the viewer's follow records), image CDN links (`…/plain/{did}/{cid}@jpeg`) and label sources.
    """
    if isinstance(value, dict):
        return {k: _pseudonymized(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [_pseudonymized(v, ctx) for v in value]
    if isinstance(value, str) and "did:" in value:
        return _DID.sub(lambda m: ctx.pseudonymize(PLATFORM, m.group(0)), value)
    return value


def _language(record: Node) -> str | None:
    langs = record.array("langs")
    first = langs[0] if langs else None
    if first is not None and not isinstance(first, str):
        raise RecordError(record.at("langs") + "[0]", "expected a language code")
    return None if not first or first == "und" else first


def _created(record: Node, fallback: Node | None, fallback_key: str) -> datetime:
    """`createdAt` is client-supplied and can be malformed: fall back to the server's time when there is one."""
    has_fallback = fallback is not None and fallback.has(fallback_key)
    try:
        created = record.time("createdAt")
    except RecordError:
        if not has_fallback:
            raise
        created = None
    if created is None and has_fallback:
        created = fallback.time(fallback_key)
    if created is None:
        raise RecordError(record.at("createdAt"), "required field is missing")
    return created


def record_post(
    source: Source, ctx: ParseContext, *, uri: str, uri_path: str, did: str, record: Node,
    handle: str | None = None, display_name: Any = None, view: Node | None = None, time_node: Node | None = None,
    time_key: str = "", edited: bool = False, raw: Node,
) -> Post:
    """A Post from an app.bsky.feed.post record, its URI and (appview only) the view around it."""
    if record.get("$type", POST_COLLECTION) != POST_COLLECTION:
        raise RecordError(record.at("$type"), f"expected an {POST_COLLECTION} record, got {record.get('$type')!r}")
    reply = record.obj("reply")
    parent = root = None
    if reply is not None:
        parent_ref = reply.obj("parent", required=True)
        parent = pseudo_uri(parent_ref.string("uri", required=True), ctx, parent_ref.at("uri"))
        root_ref = reply.obj("root")
        if root_ref is not None:
            root = pseudo_uri(root_ref.string("uri", required=True), ctx, root_ref.at("uri"))
    counts = view or Node({}, record.path)
    post_id = pseudo_uri(uri, ctx, uri_path)
    return ctx.post(
        platform=PLATFORM,
        post_id=post_id,
        kind=Kind.REPLY if reply is not None else Kind.POST,
        text=record.string("text") or "",
        created_at=_created(record, time_node, time_key),
        source_format=source.name,
        author_id=did,
        author_handle=handle,
        author_names=[display_name],
        parent_id=parent,
        thread_id=root or parent or post_id,  # a top-level post is the root of its own thread
        language=_language(record),
        likes=counts.integer("likeCount"),
        replies=counts.integer("replyCount"),
        shares=counts.integer("repostCount"),
        quotes=counts.integer("quoteCount"),
        edited=edited,
        raw=_pseudonymized(raw.value, ctx) if ctx.keep_raw else None,
        raw_path=raw.path,
    )


def _is_post_view(value: Any) -> bool:
    return (isinstance(value, dict) and isinstance(value.get("uri"), str) and value["uri"].startswith("at://")
            and isinstance(value.get("record"), dict) and "author" in value)


def _first(doc: Any, key: str) -> Any:
    items = doc.get(key) if isinstance(doc, dict) else None
    return items[0] if isinstance(items, list) and items else None


def _error(doc: Any) -> Reject | None:
    message = api_error_message(doc)
    return None if message is None else Reject("$", message, doc)


@register
class BlueskyAppview(Source):
    name = "bluesky-appview"
    platform = PLATFORM
    description = "Bluesky appview: searchPosts/getPosts {posts}, author feeds/timelines {feed}, getPostThread"
    author_fields = _AUTHOR_FIELDS

    def sniff(self, doc: Any) -> bool:
        if not isinstance(doc, dict):
            return False
        if _is_post_view(_first(doc, "posts")):
            return True
        item = _first(doc, "feed")
        if isinstance(item, dict) and _is_post_view(item.get("post")):
            return True
        thread = doc.get("thread")
        return isinstance(thread, dict) and (
            str(thread.get("$type", "")).startswith("app.bsky.feed.defs#") or _is_post_view(thread.get("post")))

    def parse(self, doc: Any, ctx: ParseContext) -> Iterator[Item]:
        if (error := _error(doc)) is not None:
            yield error
            return
        root = Node(doc) if isinstance(doc, dict) else None
        if root is None:
            yield Reject("$", "expected an appview response object", doc)
        elif "thread" in doc:
            yield from self._thread(doc["thread"], ctx)
        elif "feed" in doc:
            yield from self.each(root.objects("feed"), lambda n: self._view(n.obj("post", required=True), ctx))
        else:
            yield from self.each(root.objects("posts", required=True), lambda n: self._view(n, ctx))

    def _view(self, view: Node, ctx: ParseContext) -> Iterator[Item]:
        author = view.obj("author", required=True)
        yield record_post(
            self, ctx, uri=view.string("uri", required=True), uri_path=view.at("uri"),
            did=author.string("did", required=True), handle=author.string("handle"),
            display_name=author.get("displayName"),
            record=view.obj("record", required=True), view=view, time_node=view, time_key="indexedAt", raw=view,
        )

    def _thread(self, thread: Any, ctx: ParseContext) -> Iterator[Item]:
        # getPostThread nests ancestors under `parent` and descendants under `replies`, and hellthreads go
        # deep: walk with a stack, up through parents only and down through replies only (no revisits).
        pending: list[tuple[Any, str, bool, bool]] = [(thread, "$.thread", True, True)]
        while pending:
            value, where, up, down = pending.pop()
            try:
                node = Node(value, where)
            except RecordError as exc:
                yield Reject(exc.path, exc.reason, value)
                continue
            if str(node.get("$type", "")).endswith(_UNAVAILABLE) or node.get("notFound") or node.get("blocked"):
                yield Skip("thread node for a post that is not found or blocked")
                continue
            yield from self.each([node], lambda n: self._view(n.obj("post", required=True), ctx))
            if up and isinstance(node.get("parent"), dict):
                pending.append((node.get("parent"), node.at("parent"), True, False))
            replies = node.get("replies")
            if down and isinstance(replies, list):
                where = node.at("replies")
                pending.extend((r, f"{where}[{i}]", False, True) for i, r in reversed(list(enumerate(replies))))


@register
class BlueskyRecords(Source):
    name = "bluesky-record"
    platform = PLATFORM
    description = "AT Protocol app.bsky.feed.post records: getRecord {uri, cid, value}, listRecords {records}"
    author_fields = _AUTHOR_FIELDS

    def sniff(self, doc: Any) -> bool:
        if not isinstance(doc, dict):
            return False
        if doc.get("$type") == POST_COLLECTION:
            return True
        wrapped = _first(doc, "records") if "records" in doc else doc
        return (isinstance(wrapped, dict) and str(wrapped.get("uri", "")).startswith("at://")
                and isinstance(wrapped.get("value"), dict) and "$type" in wrapped["value"])

    def parse(self, doc: Any, ctx: ParseContext) -> Iterator[Item]:
        if (error := _error(doc)) is not None:
            yield error
        elif not isinstance(doc, dict):
            yield Reject("$", "expected a record object", doc)
        elif doc.get("$type") == POST_COLLECTION:
            yield Reject("$", "a bare app.bsky.feed.post record carries no at:// URI, so neither its id nor its "
                              "author is known; supply it as {uri, cid, value} (com.atproto.repo.getRecord)", doc)
        elif isinstance(doc.get("records"), list):
            yield from self.each(Node(doc).objects("records"), lambda n: self._record(n, ctx))
        else:
            yield from self.each([Node(doc)], lambda n: self._record(n, ctx))

    def _record(self, node: Node, ctx: ParseContext) -> Iterator[Item]:
        uri = node.string("uri", required=True)
        value = node.obj("value", required=True)
        if value.get("$type") != POST_COLLECTION:  # likes, follows, profiles… share the envelope
            yield Skip(f"{value.get('$type')} record is not a post")
            return
        did = uri[5:].partition("/")[0] if uri.startswith("at://") else ""
        yield record_post(self, ctx, uri=uri, uri_path=node.at("uri"), did=did, record=value, raw=node)


@register
class BlueskyJetstream(Source):
    name = "bluesky-jetstream"
    platform = PLATFORM
    description = "Bluesky Jetstream events (one JSON line each): post creates, updates and deletes"
    author_fields = _AUTHOR_FIELDS

    def sniff(self, doc: Any) -> bool:
        return (isinstance(doc, dict) and "time_us" in doc and "did" in doc
                and doc.get("kind") in ("commit", "identity", "account"))

    def parse(self, doc: Any, ctx: ParseContext) -> Iterator[Item]:
        if (error := _error(doc)) is not None:
            yield error
        elif not isinstance(doc, dict):
            yield Reject("$", "expected a Jetstream event object", doc)
        elif doc.get("kind") == "commit":
            yield from self.each([Node(doc)], lambda n: self._commit(n, ctx))
        else:  # identity and account events concern people, not posts
            yield Skip(f"Jetstream {doc.get('kind')} event is not a post")

    def _commit(self, event: Node, ctx: ParseContext) -> Iterator[Item]:
        commit = event.obj("commit", required=True)
        collection = commit.string("collection", required=True)
        if collection != POST_COLLECTION:
            yield Skip(f"Jetstream {collection} commit is not a post")
            return
        uri = f"at://{event.string('did', required=True)}/{collection}/{commit.ident('rkey')}"
        operation = commit.string("operation", required=True)
        if operation == "delete":
            yield Deletion(PLATFORM, pseudo_uri(uri, ctx, event.at("did")), "deleted")
        elif operation in ("create", "update"):
            yield record_post(
                self, ctx, uri=uri, uri_path=event.at("did"), did=event.string("did", required=True),
                record=commit.obj("record", required=True), time_node=event, time_key="time_us",
                edited=operation == "update", raw=event,
            )
        else:
            raise RecordError(commit.at("operation"), f"unknown operation {operation!r}")
