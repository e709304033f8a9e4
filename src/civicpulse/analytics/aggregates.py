"""Dashboard aggregates over one workspace, with small groups suppressed (k distinct authors at least)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from civicpulse.analysis.labels import EMOTIONS, SENTIMENTS
from civicpulse.analytics.day_source import groups as day_groups
from civicpulse.analytics.filters import FROM, Filters, where
from civicpulse.analytics.localtime import bucket_sql, timezone_for
from civicpulse.analytics.privacy import k_for, publish_authors
from civicpulse.analytics.rollup_source import AUTHORS, MEAN, POSTS, cells, label_posts
from civicpulse.store.base import Store

NO_FILTERS = Filters()
BUCKETS = ("hour", "day", "week", "month")


@dataclass
class Row:
    """One group of an aggregate. `suppressed` groups carry no counts: too few authors stand behind them.
    `authors` is the published (coarsened) count, `privacy.publish_authors`; `posts` is exact."""

    key: Any
    posts: int | None
    authors: int | None
    values: dict[str, Any]
    suppressed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "posts": self.posts, "authors": self.authors, **self.values,
                "suppressed": self.suppressed}


class Analytics:
    """Every query names the workspace through `filters.where`; nothing here can read across workspaces."""

    def __init__(self, store: Store, workspace: str, k: int | None = None, timezone: str | None = None) -> None:
        self.store = store
        self.workspace = workspace
        self.k = k if k is not None else k_for(store, workspace)
        self.timezone = timezone or timezone_for(store, workspace)  # time buckets are local days and hours

    def _rows(self, select: str, group: str, f: Filters, extra_from: str = "", order: str = "1",
              limit: int | None = None, extra_params: tuple[Any, ...] = ()) -> list[tuple]:
        """Posts and distinct authors per `group`, plus `select`; `extra_params` belong to `extra_from`."""
        clause, params = where(self.workspace, f, self.store.dialect)
        sql = (f"SELECT {group} AS key, count(*) AS posts, count(DISTINCT a.author_id) AS authors"
               f"{', ' + select if select else ''} {FROM} {extra_from} WHERE {clause} GROUP BY 1 ORDER BY {order}"
               + (f" LIMIT {int(limit)}" if limit else ""))
        return self.store.query(sql, [*extra_params, *params])

    def _cell_rows(self, dimension: str, select: str, group: str, f: Filters, order: str = "1",
                   limit: int | None = None) -> list[tuple] | None:
        """`_rows` over the rollup cells of `dimension` (`select` over cells `c`); None when the rollups cannot
        answer `f`."""
        source = cells(self.store, self.workspace, f, self.timezone, dimension)
        if source is None:
            return None
        sql = (f"SELECT {group} AS key, {POSTS} AS posts, {AUTHORS} AS authors{', ' + select if select else ''} "
               f"FROM {source.sql} GROUP BY 1 ORDER BY {order}"
               + (f" LIMIT {int(limit)}" if limit else ""))
        return self.store.query(sql, source.params)

    def _day_rows(self, dimension: str, f: Filters, *figures: str, bucket: str | None = None) -> list[tuple] | None:
        """`_cell_rows`' rows (key, posts, authors, *figures: Group attributes) from the day rollups, by key (or
        `bucket` start), largest first by posts unless bucketed; None when they cannot answer `f`."""
        found = day_groups(self.store, self.workspace, f, self.timezone, dimension, self.k, bucket=bucket)
        if found is None:
            return None
        rows = [(g.bucket if bucket else g.key, g.posts, g.authors, *(getattr(g, x) for x in figures)) for g in found]
        return sorted(rows, key=lambda r: r[0] if bucket else (-r[1], r[0]))

    def _suppress(self, key: Any, posts: int, authors: int, values: dict[str, Any]) -> Row:
        if authors < self.k:
            return Row(key, None, None, {k: None for k in values}, suppressed=True)
        return Row(key, posts, publish_authors(authors, self.k), values)

    def volume(self, f: Filters = NO_FILTERS, bucket: str = "day") -> list[Row]:
        """Posts and sentiment per local time bucket (keys: local wall-clock bucket starts), non-empty buckets only:
        counts per label, shares, net sentiment and mean score."""
        if bucket not in BUCKETS:  # interpolated into SQL below: only the known names get there
            raise ValueError(f"unknown time bucket {bucket!r}; choose from {', '.join(BUCKETS)}")
        trunc = bucket_sql(bucket, "a.created_at", self.timezone)
        counts = ", ".join(f"count(*) FILTER (WHERE a.sentiment = '{s}')" for s in SENTIMENTS)
        label_counts = ", ".join(label_posts(s) for s in SENTIMENTS)
        rows = self._day_rows("all", f, *SENTIMENTS, "mean", bucket=bucket) if bucket != "hour" else None
        if rows is None:
            rows = self._cell_rows("all", f"{label_counts}, {MEAN}", bucket_sql(bucket, "c.hour_utc", self.timezone), f)
        out = []
        for key, posts, authors, *rest in rows if rows is not None else self._rows(
                f"{counts}, avg(a.sentiment_score)", trunc, f):
            by = dict(zip(SENTIMENTS, rest[:3], strict=True))
            total = sum(by.values()) or 1
            values = {**by, **{f"{s}_share": round(by[s] / total, 4) for s in SENTIMENTS},
                      "net": round((by["positive"] - by["negative"]) / total, 4),
                      "mean_score": round(rest[3], 4) if rest[3] is not None else None}
            out.append(self._suppress(key, posts, authors, values))
        return out

    def emotions(self, f: Filters = NO_FILTERS) -> list[Row]:
        rows = self._day_rows("emotion", f)
        rows = rows if rows is not None else self._cell_rows("all", "", "c.emotion", f, order="2 DESC, 1")
        rows = rows if rows is not None else self._rows("", "a.emotion", f, order="2 DESC, 1")
        found = {r[0]: self._suppress(r[0], r[1], r[2], {}) for r in rows if r[0]}
        return [found[e] for e in EMOTIONS if e in found]

    def topics(self, f: Filters = NO_FILTERS, limit: int = 20) -> list[Row]:
        # post_key digests the workspace, which the WHERE names: a workspace condition on post_topics as well
        # would only mislead the planner's estimates.
        return self._grouped("t.topic", "JOIN post_topics t ON t.post_key = a.post_key", (), f, limit, "topics")

    def provinces(self, f: Filters = NO_FILTERS, limit: int = 70, era: str = "2025") -> list[Row]:
        column = {"2025": "province_2025", "legacy": "province_legacy"}[era]
        return self._grouped("pl.key", *places_join(column, f"{column} IS NOT NULL", self.workspace), f, limit,
                             f"places_{era}")

    def wards(self, f: Filters, province: str, limit: int = 200, era: str = "2025") -> list[Row]:
        """Drill-down: the wards (and pre-2025 districts) of one province that posts name, ranked."""
        name, parent = {"2025": ("name_2025", "province_2025"), "legacy": ("name_legacy", "province_legacy")}[era]
        condition = f"kind IN ('vn_ward', 'vn_district') AND {name} IS NOT NULL AND {parent} = ?"
        join, params = places_join(name, condition, self.workspace, province)
        return self._grouped("pl.key", join, params, f, limit)

    def ward_centres(self, province: str, era: str = "2025") -> dict[str, tuple[float, float]]:
        """Where the wards (districts) of a province are, for the ward map: the gazetteer's centre that analysis
        stored with each recognized ward (public reference data, the same for every post naming it)."""
        name, parent = {"2025": ("name_2025", "province_2025"), "legacy": ("name_legacy", "province_legacy")}[era]
        rows = self.store.query(f"SELECT {name}, avg(lat), avg(lon) FROM post_places WHERE workspace = ? "
                                f"AND kind IN ('vn_ward', 'vn_district') AND {parent} = ? AND {name} IS NOT NULL "
                                "AND lat IS NOT NULL AND lon IS NOT NULL GROUP BY 1", [self.workspace, province])
        return {key: (round(lat, 5), round(lon, 5)) for key, lat, lon in rows}

    def _grouped(self, column: str, join: str, join_params: tuple[Any, ...], f: Filters, limit: int,
                 dimension: str | None = None) -> list[Row]:
        """Posts grouped by `column` of `join`; from the rollup `dimension` where it can answer."""
        rows = self._day_rows(dimension, f, "mean", "negative") if dimension else None
        rows = rows[:limit] if rows is not None else None
        if rows is None and dimension:
            rows = self._cell_rows(dimension, f"{MEAN}, {label_posts('negative')}", "c.dim_key", f, "2 DESC, 1", limit)
        if rows is None:
            rows = self._rows("avg(a.sentiment_score), count(*) FILTER (WHERE a.sentiment = 'negative')", column, f,
                              extra_from=join, order="2 DESC, 1", limit=limit, extra_params=join_params)
        return [self._suppress(key, posts, authors, {"mean_score": round(mean, 4) if mean is not None else None,
                                                     "negative_share": round(neg / posts, 4) if posts else None})
                for key, posts, authors, mean, neg in rows]


def places_join(column: str, condition: str, workspace: str, *params: Any) -> tuple[str, tuple[Any, ...]]:
    """JOIN of the (post, place `column`) pairs matching `condition`, each once: a post naming a ward and its
    province counts once for the province. DISTINCT on the narrow place rows costs far less than on joined rows."""
    return (f"JOIN (SELECT DISTINCT post_key, {column} AS key FROM post_places WHERE workspace = ? AND {condition}) "
            "pl ON pl.post_key = a.post_key", (workspace, *params))
