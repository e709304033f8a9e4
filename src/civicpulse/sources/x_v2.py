"""X API v2: response pages, twarc2 JSONL pages, filtered-stream lines, and twarc2's flattened tweets.

A page is `{data, includes: {users, tweets, places, media}, meta, errors?}`; `data` is a list (search,
lookup, timelines) or one object (filtered stream, with `matching_rules`). twarc2 adds `__twarc` with the
time it fetched the page. Referenced tweets (the original of a retweet) and places live in `includes`, so a
tweet is converted together with an index of its page. twarc2's flattened form inlines those expansions into
each tweet (`author`, `referenced_tweets[]` with the full tweet, `geo` merged with the place), which lets the
same conversion run over it with an index built from the tweet itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
    nodes,
    type_name,
)
from civicpulse.sources.text import unescape

PLATFORM = "x"

# Links to a tweet with the author's handle would undo the pseudonym; this form needs only the id.
STATUS_URL = "https://x.com/i/web/status/{}"

# X's pseudo-languages: undetermined, no linguistic content, and "only media/hashtags/mentions/cashtags/short".
_NOT_LANGUAGES = frozenset({"und", "zxx", "qme", "qht", "qam", "qct", "qst"})

# Keys that identify people inside a tweet: the flattened reply target; links to tweets or media
# (`https://twitter.com/{handle}/status/...`) that the key-based scrubber cannot clean by value; link-card
# `title`/`description` ("<name> on Instagram: ..."); v1.1 media's `source_user*` (the original poster).
X_AUTHOR_FIELDS = frozenset({"in_reply_to_user", "expanded_url", "display_url", "unwound_url", "title",
                             "description", "source_user", "source_user_id", "source_user_id_str"})

_SNOWFLAKE_EPOCH = datetime(2010, 11, 4, 1, 42, 54, 657000)
_FIRST_SNOWFLAKE = 2**35  # ids before the switch to snowflakes (Nov 2010) were sequential and stayed below this

_TWEET_KEYS = ("edit_history_tweet_ids", "author_id", "conversation_id", "public_metrics", "referenced_tweets")
_PAGE_KEYS = ("includes", "meta", "__twarc", "matching_rules")


def language(code: str | None) -> str | None:
    return None if not code or code in _NOT_LANGUAGES else code


def snowflake_time(post_id: str) -> datetime | None:
    """Creation time encoded in a snowflake id: default-field pages carry only `id` and `text`."""
    if not post_id.isdigit() or int(post_id) < _FIRST_SNOWFLAKE:
        return None
    return _SNOWFLAKE_EPOCH + timedelta(milliseconds=int(post_id) >> 22)


def point(value: Any, path: str, ctx: ParseContext, lat_first: bool = False) -> tuple[float | None, float | None]:
    """A [lon, lat] pair (or [lat, lon] for v1.1's legacy `geo`); a malformed one is dropped with a warning."""
    if (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        a, b = float(value[0]), float(value[1])
        return (b, a) if lat_first else (a, b)
    ctx.warnings.append(Reject(path, f"expected a [lon, lat] pair, got {type_name(value)}; dropped", value,
                               severity="warning"))
    return None, None


def box_centre(west: float, south: float, east: float, north: float) -> tuple[float, float]:
    if west > east:  # the box crosses the antimeridian (Fiji, Chukotka)
        east += 360.0
    lon = (west + east) / 2
    return (lon - 360.0 if lon > 180.0 else lon), (south + north) / 2


def bbox_centre(value: Any, path: str, ctx: ParseContext) -> tuple[float | None, float | None]:
    """Centre of a v2 place's `geo.bbox` [west, south, east, north]."""
    if (isinstance(value, list) and len(value) == 4
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        return box_centre(*(float(v) for v in value))
    ctx.warnings.append(Reject(path, f"expected a [w, s, e, n] box, got {type_name(value)}; dropped", value,
                               severity="warning"))
    return None, None


def _ids(values: Any, key: str) -> dict[str, dict]:
    """Index an includes array by id; malformed entries cannot be referenced, so they are simply not indexed."""
    if not isinstance(values, list):
        return {}
    return {v[key]: v for v in values if isinstance(v, dict) and isinstance(v.get(key), str)}


@dataclass(slots=True)
class Expansions:
    """What a tweet's references resolve to: `includes` of a page, or the inlined parts of a flat tweet."""

    tweets: dict[str, Node] = field(default_factory=dict)
    places: dict[str, Node] = field(default_factory=dict)
    handles: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # display names, only to mask them in text
    collected_at: datetime | None = None

    @classmethod
    def of_page(cls, root: Node) -> Expansions:
        includes = root.get("includes")
        includes = includes if isinstance(includes, dict) else {}
        found = cls(collected_at=_retrieved_at(root))
        for key, index in (("tweets", found.tweets), ("places", found.places)):
            for i, value in enumerate(includes.get(key) or []):
                if isinstance(value, dict) and isinstance(value.get("id"), str):
                    index[value["id"]] = Node(value, f"$.includes.{key}[{i}]")
        users = _ids(includes.get("users"), "id")
        found.handles = {k: v["username"] for k, v in users.items() if isinstance(v.get("username"), str)}
        found.names = {k: v["name"] for k, v in users.items() if isinstance(v.get("name"), str)}
        return found

    @classmethod
    def of_flat(cls, tweet: Node) -> Expansions:
        found = cls(collected_at=_retrieved_at(tweet))
        for i, ref in enumerate(tweet.get("referenced_tweets") or []):
            if isinstance(ref, dict) and isinstance(ref.get("id"), str) and "text" in ref:
                found.tweets[ref["id"]] = Node(ref, f"{tweet.path}.referenced_tweets[{i}]")
        geo = tweet.get("geo")
        if isinstance(geo, dict) and isinstance(geo.get("place_id"), str) and "full_name" in geo:
            found.places[geo["place_id"]] = Node(geo, f"{tweet.path}.geo")
        author = tweet.get("author")
        if isinstance(author, dict) and isinstance(author.get("id"), str) and isinstance(author.get("username"), str):
            found.handles[author["id"]] = author["username"]
            if isinstance(author.get("name"), str):
                found.names[author["id"]] = author["name"]
        return found


def _retrieved_at(node: Node) -> datetime | None:
    """twarc2's fetch time is when we collected the data; a malformed one only loses that detail."""
    twarc = node.get("__twarc")
    if not isinstance(twarc, dict):
        return None
    try:
        return Node(twarc, node.at("__twarc")).time("retrieved_at")
    except RecordError:
        return None


def full_text(tweet: Node) -> str:
    """Long posts keep only their first 280 characters in `text`; the whole post is in `note_tweet.text`."""
    note = tweet.obj("note_tweet")
    text = (note.string("text") if note is not None else None) or tweet.string("text", required=True)
    return unescape(text)


def convert_tweet(source: Source, node: Node, ctx: ParseContext, found: Expansions) -> Iterator[Item]:
    """One v2 tweet (a page's `data` element or a flattened line) as a Post."""
    post_id = node.ident("id")
    refs: dict[str, str] = {}
    for ref in node.objects("referenced_tweets"):
        refs.setdefault(ref.string("type", required=True), ref.ident("id"))
    text = full_text(node)
    retweeted = refs.get("retweeted")
    if retweeted and retweeted in found.tweets:
        # `text` of a retweet is "RT @x: " plus the original cut with "…"; the original has it whole.
        text = full_text(found.tweets[retweeted])
    lon, lat, place_name, country = _place(node, ctx, found)
    metrics = node.obj("public_metrics")
    author_id = node.ident("author_id", required=False)
    parent = refs.get("replied_to")
    yield ctx.post(
        platform=PLATFORM,
        post_id=post_id,
        kind=Kind.REPLY if parent else Kind.POST,
        text=text,
        created_at=node.time("created_at") or snowflake_time(post_id),
        source_format=source.name,
        author_id=author_id,
        author_handle=found.handles.get(author_id) if author_id else None,
        author_names=[found.names.get(author_id)] if author_id else (),
        mentioned_names=_mentioned(node, found),
        url=STATUS_URL.format(post_id),
        parent_id=parent,
        thread_id=node.ident("conversation_id", required=False),
        language=language(node.string("lang")),
        place_name=place_name,
        place_country=country,
        place_lon=lon,
        place_lat=lat,
        likes=metrics.integer("like_count") if metrics else None,
        replies=metrics.integer("reply_count") if metrics else None,
        shares=metrics.integer("retweet_count") if metrics else None,
        quotes=metrics.integer("quote_count") if metrics else None,
        views=metrics.integer("impression_count") if metrics else None,
        edited=len(node.array("edit_history_tweet_ids")) > 1,  # the list holds every version, this one included
        collected_at=found.collected_at,
        raw=node.value,
        raw_path=node.path,
    )


def _mentioned(tweet: Node, found: Expansions) -> list[str]:
    """Handles and display names of the users a tweet mentions (the names live in `includes.users`)."""
    entities = tweet.get("entities")
    mentions = entities.get("mentions") if isinstance(entities, dict) else None
    if not isinstance(mentions, list):
        return []
    people = [m for m in mentions if isinstance(m, dict)]
    ids = [m["id"] for m in people if isinstance(m.get("id"), str)]
    return [*(found.handles.get(i, "") for i in ids), *(found.names.get(i, "") for i in ids),
            *(m["username"] for m in people if isinstance(m.get("username"), str))]


def _place(node: Node, ctx: ParseContext, found: Expansions) -> tuple[float | None, float | None, str | None,
                                                                        str | None]:
    geo = node.obj("geo")
    if geo is None:
        return None, None, None, None
    lon = lat = None
    if (coordinates := geo.obj("coordinates")) is not None:  # an exact point, GeoJSON order [lon, lat]
        lon, lat = point(coordinates.get("coordinates"), coordinates.at("coordinates"), ctx)
    place_id = geo.string("place_id")
    place = found.places.get(place_id) if place_id else None
    if place is None:
        return lon, lat, None, None
    if lon is None and (shape := place.obj("geo")) is not None and shape.has("bbox"):
        lon, lat = bbox_centre(shape.get("bbox"), shape.at("bbox"), ctx)
    return lon, lat, place.string("full_name"), place.string("country_code")


def _partial_error(error: Any, path: str) -> Reject:
    """An error beside data (a suspended mentioned user, a deleted referenced tweet): the page still landed."""
    if not isinstance(error, dict):
        return Reject(path, f"API partial error: {type_name(error)}", error, severity="warning")
    reason = " / ".join(str(error[k]) for k in ("title", "detail", "message") if error.get(k))
    record = error
    if error.get("resource_type") == "user":
        # The resource of a user error is their handle or id: keep it out of the reject as well.
        for key in ("resource_id", "value"):
            if isinstance(error.get(key), str) and error[key]:
                reason = reason.replace(error[key], "…")
        record = {k: v for k, v in error.items() if k not in ("resource_id", "value", "detail")}
    return Reject(path, f"API partial error: {reason or 'unspecified'}", record, severity="warning")


def _problem_message(doc: dict) -> str | None:
    """v2's top-level problem body (`{title, detail, type, status}`), which has no `errors` array."""
    if "data" in doc or "title" not in doc or not ("detail" in doc or "type" in doc):
        return None
    return "API error body: " + " / ".join(str(doc[k]) for k in ("status", "title", "detail") if doc.get(k))


def _is_tweet(value: Any) -> bool:
    return isinstance(value, dict) and "id" in value and "text" in value


@register
class XV2Pages(Source):
    name = "x-v2"
    platform = PLATFORM
    description = "X API v2 response pages, twarc2 JSONL pages (__twarc) and filtered-stream lines"
    author_fields = X_AUTHOR_FIELDS

    def sniff(self, doc: Any) -> bool:
        if not isinstance(doc, dict) or "paging" in doc:  # Graph API pages (Facebook, Instagram) have `paging`
            return False
        data = doc.get("data")
        first = data[0] if isinstance(data, list) and data else data
        if _is_tweet(first):
            # Instagram comments are `{id, text}` too: ask for an X envelope key or a tweet-only field.
            return any(k in doc for k in _PAGE_KEYS) or any(k in first for k in _TWEET_KEYS)
        if not data and isinstance(doc.get("meta"), dict):
            return "result_count" in doc["meta"]  # an empty search page
        if not data and isinstance(doc.get("errors"), list) and doc["errors"]:
            error = doc["errors"][0]
            return isinstance(error, dict) and "api.twitter.com/2/problems" in str(error.get("type", ""))
        return not data and "title" in doc and "api.twitter.com/2/problems" in str(doc.get("type", ""))

    def parse(self, doc: Any, ctx: ParseContext) -> Iterator[Item]:
        if not isinstance(doc, dict):
            yield Reject("$", f"expected an object, got {type_name(doc)}", doc)
            return
        if (message := api_error_message(doc) or _problem_message(doc)) is not None:
            yield Reject("$", message, doc)
            return
        root = Node(doc)
        found = Expansions.of_page(root)
        data = root.get("data")
        try:
            tweets = [Node(data, "$.data")] if isinstance(data, dict) else nodes(data or [], "$.data")
            yield from self.each(tweets, lambda n: convert_tweet(self, n, ctx, found), "$.data")
        except RecordError as exc:  # `data` itself is neither an object nor an array
            yield Reject(exc.path, exc.reason, data)
        errors = doc.get("errors")
        for i, error in enumerate(errors if isinstance(errors, list) else []):
            yield _partial_error(error, f"$.errors[{i}]")


@register
class XV2Flat(Source):
    name = "x-v2-flat"
    platform = PLATFORM
    description = "twarc2 flattened tweets: one v2 tweet per line with author and references inlined"
    author_fields = X_AUTHOR_FIELDS

    def sniff(self, doc: Any) -> bool:
        if not _is_tweet(doc) or "data" in doc:
            return False
        author = doc.get("author")
        # `author` as an object with a `username` is twarc's inlining (Bluesky authors have `handle`, Reddit's is
        # a string); `__twarc` marks any twarc output.
        return "__twarc" in doc or (isinstance(author, dict) and "username" in author)

    def parse(self, doc: Any, ctx: ParseContext) -> Iterator[Item]:
        if (message := api_error_message(doc)) is not None:
            yield Reject("$", message, doc)
            return
        if not isinstance(doc, dict):
            yield Reject("$", f"expected an object, got {type_name(doc)}", doc)
            return
        node = Node(doc)
        yield from self.each([node], lambda n: convert_tweet(self, n, ctx, Expansions.of_flat(n)))
