"""Dashboard aggregates over one workspace, with small groups suppressed (k distinct authors at least)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from civicpulse.analysis.labels import EMOTIONS, SENTIMENTS
from civicpulse.analytics.filters import FROM, Filters, where
from civicpulse.analytics.privacy import k_for
from civicpulse.store.base import Store

NO_FILTERS = Filters()
BUCKETS = ("hour", "day", "week", "month")


@dataclass
class Row:
    """One group of an aggregate. `suppressed` groups carry no counts: too few authors stand behind them."""

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

    def __init__(self, store: Store, workspace: str, k: int | None = None) -> None:
        self.store = store
        self.workspace = workspace
        self.k = k if k is not None else k_for(store, workspace)

    def _rows(self, select: str, group: str, f: Filters, extra_from: str = "", order: str = "1",
              limit: int | None = None) -> list[tuple]:
        """Group posts by `group`; a post joined to several rows of a group (a ward and its province) counts once."""
        clause, params = where(self.workspace, f)
        # Only places can name one post twice in a group (a ward and its province); elsewhere DISTINCT costs a sort.
        distinct = "DISTINCT " if "post_places" in extra_from else ""
        inner = (f"SELECT {distinct}{group} AS key, p.platform, p.post_id, p.author_key, a.sentiment, "
                 f"a.sentiment_score, a.emotion {FROM} {extra_from} WHERE {clause}")
        sql = (f"SELECT key, count(*) AS posts, count(DISTINCT author_key) AS authors"
               f"{', ' + select if select else ''} FROM ({inner}) g GROUP BY key ORDER BY {order}"
               + (f" LIMIT {int(limit)}" if limit else ""))
        return self.store.query(sql, params)

    def _suppress(self, key: Any, posts: int, authors: int, values: dict[str, Any]) -> Row:
        if authors < self.k:
            return Row(key, None, None, {k: None for k in values}, suppressed=True)
        return Row(key, posts, authors, values)

    def volume(self, f: Filters = NO_FILTERS, bucket: str = "day") -> list[Row]:
        """Posts and sentiment per time bucket: counts per label, shares, net sentiment and mean score."""
        if bucket not in BUCKETS:  # interpolated into SQL below: only the known names get there
            raise ValueError(f"unknown time bucket {bucket!r}; choose from {', '.join(BUCKETS)}")
        trunc = f"date_trunc('{bucket}', p.created_at)"
        counts = ", ".join(f"count(*) FILTER (WHERE sentiment = '{s}')" for s in SENTIMENTS)
        out = []
        for key, posts, authors, *rest in self._rows(f"{counts}, avg(sentiment_score)", trunc, f):
            by = dict(zip(SENTIMENTS, rest[:3], strict=True))
            total = sum(by.values()) or 1
            values = {**by, **{f"{s}_share": round(by[s] / total, 4) for s in SENTIMENTS},
                      "net": round((by["positive"] - by["negative"]) / total, 4),
                      "mean_score": round(rest[3], 4) if rest[3] is not None else None}
            out.append(self._suppress(key, posts, authors, values))
        return out

    def emotions(self, f: Filters = NO_FILTERS) -> list[Row]:
        rows = self._rows("", "a.emotion", f, order="2 DESC, 1")
        found = {r[0]: self._suppress(r[0], r[1], r[2], {}) for r in rows if r[0]}
        return [found[e] for e in EMOTIONS if e in found]

    def topics(self, f: Filters = NO_FILTERS, limit: int = 20) -> list[Row]:
        return self._grouped("t.topic", "JOIN post_topics t ON t.post_key = a.post_key", f, limit)

    def provinces(self, f: Filters = NO_FILTERS, limit: int = 70, era: str = "2025") -> list[Row]:
        column = {"2025": "pl.province_2025", "legacy": "pl.province_legacy"}[era]
        join = f"JOIN post_places pl ON pl.post_key = a.post_key AND {column} IS NOT NULL"
        return self._grouped(column, join, f, limit)

    def wards(self, f: Filters, province: str, limit: int = 200, era: str = "2025") -> list[Row]:
        """Drill-down: the wards (and pre-2025 districts) of one province that posts name, ranked."""
        name, parent = {"2025": ("pl.name_2025", "pl.province_2025"),
                        "legacy": ("pl.name_legacy", "pl.province_legacy")}[era]
        join = ("JOIN post_places pl ON pl.post_key = a.post_key "
                f"AND pl.kind IN ('vn_ward', 'vn_district') AND {name} IS NOT NULL AND {parent} = ?")
        clause, params = where(self.workspace, f)
        inner = (f"SELECT DISTINCT {name} AS key, p.platform, p.post_id, p.author_key, a.sentiment, "
                 f"a.sentiment_score {FROM} {join} WHERE {clause}")
        sql = ("SELECT key, count(*), count(DISTINCT author_key), avg(sentiment_score), "
               f"count(*) FILTER (WHERE sentiment = 'negative') FROM ({inner}) g GROUP BY key ORDER BY 2 DESC, 1 "
               f"LIMIT {int(limit)}")
        return [self._suppress(key, posts, authors, {"mean_score": round(mean, 4) if mean is not None else None,
                                                     "negative_share": round(neg / posts, 4) if posts else None})
                for key, posts, authors, mean, neg in self.store.query(sql, [province, *params])]

    def _grouped(self, column: str, join: str, f: Filters, limit: int) -> list[Row]:
        rows = self._rows("avg(sentiment_score), count(*) FILTER (WHERE sentiment = 'negative')", column, f,
                          extra_from=join, order="2 DESC, 1", limit=limit)
        return [self._suppress(key, posts, authors, {"mean_score": round(mean, 4) if mean is not None else None,
                                                     "negative_share": round(neg / posts, 4) if posts else None})
                for key, posts, authors, mean, neg in rows]
