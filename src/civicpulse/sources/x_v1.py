"""X (Twitter) API v1.1: one tweet, arrays of tweets (timelines, lookup), search pages, streaming lines.

Text comes in three places depending on the request mode: `full_text` (tweet_mode=extended), or a `text`
cut at 140 characters with the whole post in `extended_tweet.full_text` (compat mode, streaming). Retweets
carry the original in `retweeted_status`. `id` is a 64-bit number that JSON readers in other languages round,
so only `id_str` is trusted. Exact points come twice and in opposite orders: GeoJSON `coordinates`
[lon, lat] and the legacy `geo` [lat, lon].
"""

from __future__ import annotations

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
    Source,
    api_error_message,
    nodes,
    type_name,
)
from civicpulse.sources.text import unescape
from civicpulse.sources.x_v2 import (
    PLATFORM,
    STATUS_URL,
    X_AUTHOR_FIELDS,
    box_centre,
    language,
    point,
)

# Stream notices that are not posts; `delete` is handled, the others carry nothing we can store.
_NOTICES = frozenset({"limit", "scrub_geo", "status_withheld", "user_withheld", "disconnect", "warning"})


def _is_status(doc: Any) -> bool:
    return (isinstance(doc, dict) and "id_str" in doc and "created_at" in doc
            and ("text" in doc or "full_text" in doc) and ("user" in doc or "retweet_count" in doc))


def _text(status: Node) -> str:
    if (text := status.string("full_text")) is None:
        extended = status.obj("extended_tweet")
        text = (extended.string("full_text") if extended is not None else None) or status.string("text", required=True)
    return unescape(text)


@register
class XV1(Source):
    name = "x-v1"
    platform = PLATFORM
    description = "X API v1.1 tweets: single, arrays, search {statuses}, premium {results}, streaming lines"
    author_fields = X_AUTHOR_FIELDS | {"contributors", "quoted_status_permalink", "current_user_retweet"}

    def sniff(self, doc: Any) -> bool:
        if isinstance(doc, list):
            return bool(doc) and _is_status(doc[0])
        if not isinstance(doc, dict):
            return False
        if "statuses" in doc and "search_metadata" in doc:
            return True
        if isinstance(doc.get("results"), list) and "requestParameters" in doc:  # premium / enterprise search
            return True
        if len(doc) <= 2 and isinstance(doc.get("delete"), dict) and "status" in doc["delete"]:
            return True
        if len(doc) == 1 and next(iter(doc)) in _NOTICES and isinstance(next(iter(doc.values())), dict):
            return True
        errors = doc.get("errors")
        if isinstance(errors, list) and errors and len(doc) == 1:  # v1.1 error body: [{code, message}]
            return isinstance(errors[0], dict) and "code" in errors[0] and "message" in errors[0]
        return _is_status(doc)

    def parse(self, doc: Any, ctx: ParseContext) -> Iterator[Item]:
        if (message := api_error_message(doc)) is not None:
            yield Reject("$", message, doc)
            return
        convert = lambda n: self._status(n, ctx)  # noqa: E731
        if isinstance(doc, list):
            yield from self.each(nodes(doc, "$"), convert)
            return
        if not isinstance(doc, dict):
            yield Reject("$", f"expected an object or an array, got {type_name(doc)}", doc)
            return
        if "delete" in doc:
            yield from self.each([Node(doc)], self._deletion)
            return
        if len(doc) == 1 and next(iter(doc)) in _NOTICES:
            yield Reject("$", f"stream notice {next(iter(doc))!r} carries no post; skipped", doc, severity="warning")
            return
        for key in ("statuses", "results"):
            if key in doc:
                try:
                    yield from self.each(nodes(doc[key], f"$.{key}"), convert, f"$.{key}")
                except RecordError as exc:
                    yield Reject(exc.path, exc.reason, doc[key])
                return
        yield from self.each([Node(doc)], convert)

    def _deletion(self, node: Node) -> Iterator[Item]:
        status = node.obj("delete", required=True).obj("status", required=True)
        yield Deletion(self.platform, status.ident("id_str"), "deleted")

    def _status(self, node: Node, ctx: ParseContext) -> Iterator[Item]:
        post_id = node.ident("id_str")
        user = node.obj("user")
        original = node.obj("retweeted_status")
        # A retweet's own text is "RT @x: " plus the original cut short; store the original's words whole.
        text = _text(original if original is not None else node)
        parent = node.ident("in_reply_to_status_id_str", required=False)
        lon, lat, place_name, country = _place(node, ctx)
        history = node.obj("edit_history")
        yield ctx.post(
            platform=self.platform,
            post_id=post_id,
            kind=Kind.REPLY if parent else Kind.POST,
            text=text,
            created_at=node.time("created_at", required=True),
            source_format=self.name,
            author_id=user.ident("id_str") if user is not None else None,
            author_handle=user.string("screen_name") if user is not None else None,
            author_names=[user.get("name")] if user is not None else (),
            url=STATUS_URL.format(post_id),
            parent_id=parent,
            language=language(node.string("lang")),
            place_name=place_name,
            place_country=country,
            place_lon=lon,
            place_lat=lat,
            likes=node.integer("favorite_count"),
            replies=node.integer("reply_count"),  # only streaming and premium payloads have reply/quote counts
            shares=node.integer("retweet_count"),
            quotes=node.integer("quote_count"),
            edited=history is not None and len(history.array("edit_tweet_ids")) > 1,
            raw=node.value,
            raw_path=node.path,
        )


def _place(node: Node, ctx: ParseContext) -> tuple[float | None, float | None, str | None, str | None]:
    lon = lat = None
    if (exact := node.obj("coordinates")) is not None:  # GeoJSON: [lon, lat]
        lon, lat = point(exact.get("coordinates"), exact.at("coordinates"), ctx)
    elif (legacy := node.obj("geo")) is not None:  # deprecated, and [lat, lon]
        lon, lat = point(legacy.get("coordinates"), legacy.at("coordinates"), ctx, lat_first=True)
    place = node.obj("place")
    if place is None:
        return lon, lat, None, None
    if lon is None and (box := place.obj("bounding_box")) is not None:
        lon, lat = _polygon_centre(box.get("coordinates"), box.at("coordinates"), ctx)
    return lon, lat, place.string("full_name"), place.string("country_code")


def _polygon_centre(value: Any, path: str, ctx: ParseContext) -> tuple[float | None, float | None]:
    """Centre of a place's bounding box, a GeoJSON polygon [[[lon, lat] x 4]]."""
    try:
        ring = value[0]
        lons = [float(p[0]) for p in ring]
        lats = [float(p[1]) for p in ring]
        if not ring:
            raise ValueError
    except (TypeError, ValueError, IndexError, KeyError):
        ctx.warnings.append(Reject(path, f"expected a GeoJSON polygon, got {type_name(value)}; dropped", value,
                                   severity="warning"))
        return None, None
    if max(lons) - min(lons) > 180.0:  # the box crosses the antimeridian: measure east of it
        lons = [lon + 360.0 if lon < 0 else lon for lon in lons]
    return box_centre(min(lons), min(lats), max(lons), max(lats))
