"""Example posts picked in bulk (topic trends, spike explanations) are the ones the one-query-per-group path picks.

The bulk path ranks candidates first and reads texts after; ties, posts without text and topics too small for the
shared candidate pool each take a different branch, and every branch must give the same examples.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

import civicpulse.analytics.examples as examples
import civicpulse.analytics.explain_spike as explain_spike
import civicpulse.analytics.posts as posts
import civicpulse.analytics.topic_trends as topic_trends_module
from civicpulse.analytics import Filters
from civicpulse.analytics.topic_trends import _TOPIC, topic_trends
from civicpulse.analytics.trends import detect_spikes
from civicpulse.store.duckdb_store import DuckDBStore
from trend_data import HCMC, START, Item, add_items, burst, daily_background

PERIOD = Filters(start=START, end=START + timedelta(days=10))
EMPTY = [f"h{n:02d}" for n in range(15)]  # the most confident healthcare posts: no text


def _items() -> list[Item]:
    items = []
    for n in range(150):  # pairs of posts with one confidence (steps of 0.1) and one time: ties on both sort keys
        items.append(Item(f"t{n:03d}", f"ta{n % 20}", START + timedelta(hours=n // 2), "negative" if n % 3 else
                          "neutral", ("traffic_transport",), text=f"kẹt xe số {n % 40}",
                          confidence=round(n // 2 % 7 / 10, 1), platform="x" if n % 4 in (0, 3) else "mastodon",
                          discovered=1))
    for n in range(40):
        items.append(Item(f"h{n:02d}", f"ha{n % 12}", START + timedelta(hours=3 * n), text=f"bệnh viện {n}",
                          topics=("healthcare",), confidence=0.99 - n / 100, discovered=2))
    for n in range(12):  # least confident of all: outside any small candidate pool
        items.append(Item(f"j{n:02d}", f"ja{n}", START + timedelta(hours=5 * n), text=f"việc làm {n}",
                          topics=("jobs",), confidence=0.01, discovered=3))
    return items


@pytest.fixture(scope="module")
def store():
    s = DuckDBStore(":memory:")
    add_items(s, "ex", _items())
    add_items(s, "other", [Item("t000", "z", START, text="another workspace", topics=("traffic_transport",),
                                confidence=1.0, discovered=1)])
    s.execute(f"UPDATE posts SET text = '' WHERE workspace = 'ex' AND post_id IN ({', '.join('?' * len(EMPTY))})",
              EMPTY)
    yield s
    s.close()


@pytest.fixture
def calls(monkeypatch):
    """Counts the fallback queries: one `representative` per unsettled topic, one top-n per short pool."""
    seen = {"representative": 0, "top_n": 0}
    fallback, query = posts.representative, DuckDBStore.query

    def counted(*args, **kwargs):
        seen["representative"] += 1
        return fallback(*args, **kwargs)

    def spied(self, sql, params=()):
        seen["top_n"] += "max_by(" in sql
        return query(self, sql, params)

    monkeypatch.setattr(examples, "representative", counted)
    monkeypatch.setattr(DuckDBStore, "query", spied)
    return seen


@pytest.mark.parametrize("kind", ["taxonomy", "discovered"])
@pytest.mark.parametrize("pool_factor", [1, 4])
def test_topic_examples_are_those_of_one_query_per_topic(store, calls, monkeypatch, kind, pool_factor) -> None:
    monkeypatch.setattr(topic_trends_module, "POOL_FACTOR", pool_factor)
    rows = topic_trends(store, "ex", PERIOD, kind=kind)
    assert len(rows) == 3 and not any(r["suppressed"] for r in rows)
    for row in rows:
        expected = posts.representative(store, "ex", PERIOD, 3, _TOPIC[kind][2], [row["id"]])
        assert row["examples"] == expected and len(expected) == 3
    assert not {e["post_id"] for r in rows for e in r["examples"]} & set(EMPTY)
    assert "another workspace" not in str(rows)
    # Healthcare's best candidates have no text: its own query settles it. With a pool of 120 for 200 posts,
    # jobs (least confident) is left out of the pool and gets its own top-n; with 480 the pool holds them all.
    assert calls["representative"] == 1
    assert calls["top_n"] == (1 if pool_factor == 1 else 0)


def test_settle_declines_a_tie_at_the_cut(store) -> None:
    keys = store.query("SELECT platform, post_id FROM post_analysis WHERE workspace = 'ex' AND post_id LIKE 't%' "
                       "ORDER BY sentiment_confidence DESC, created_at DESC, platform, post_id")
    head = [{"platform": p, "post_id": i} for p, i in keys]
    groups = {"all": head, "cut": head[:examples.candidate_count(4)], "few": head[3::-1]}
    settled = examples.settle(store, "ex", groups, 4)
    assert [r[1] for r in settled["all"]] == [i for _, i in keys[:4]]  # every post seen: exact
    assert [r[1] for r in settled["few"]] == [i for _, i in keys[:4]]  # in example order, ties broken by key
    # Posts 1-4 of the head and the last candidate differ in their (confidence, time): the cut is clean.
    assert settled["cut"] is not None
    tied = head[:1] * examples.candidate_count(4)  # the same post everywhere: the 4th ties with the last
    assert examples.settle(store, "ex", {"tied": tied}, 4)["tied"] is None


def _spikes_store() -> DuckDBStore:
    s = DuckDBStore(":memory:")
    add_items(s, "city", daily_background("c") + burst("f", 27, 60, 25, topics=("flooding_weather",),
                                                        provinces=(HCMC,), terms=("#ngapnuoc", "ngập")))
    return s


def test_spike_examples_match_the_windowed_query(monkeypatch) -> None:
    s = _spikes_store()
    fast = detect_spikes(s, "city", Filters(), explain=None)
    monkeypatch.setattr(explain_spike, "settle", lambda store, ws, groups, n: dict.fromkeys(groups))
    exact = detect_spikes(s, "city", Filters(), explain=None)  # every group declined: the exact query
    assert [x.to_dict() for x in fast] == [x.to_dict() for x in exact]
    assert len(fast) >= 3 and all(x.explanation["posts"] for x in fast)
    s.close()


def test_spike_examples_skip_posts_without_text() -> None:
    s = _spikes_store()
    best = [f"f27-{n}" for n in range(20)]
    s.execute(f"UPDATE posts SET text = '' WHERE post_id IN ({', '.join('?' * len(best))})", best)
    spikes = detect_spikes(s, "city", Filters(), explain=None)
    shown = {p["post_id"] for x in spikes for p in x.explanation["posts"]}
    assert shown and not shown & set(best)
    s.close()


def test_only_the_best_spikes_get_drivers() -> None:
    s = _spikes_store()
    full = detect_spikes(s, "city", Filters(), explain=None)
    brief = detect_spikes(s, "city", Filters(), explain=1)
    assert len(full) == len(brief) >= 3
    assert brief[0].to_dict() == full[0].to_dict()
    for short, long in zip(brief[1:], full[1:], strict=True):
        assert short.explanation["terms"] == short.explanation["posts"] == short.explanation["topics"] == []
        assert long.explanation["terms"] and long.explanation["posts"]
        same = ("baseline_start", "bucket_posts", "baseline_posts", "sentiment")
        assert {k: short.explanation[k] for k in same} == {k: long.explanation[k] for k in same}
        assert long.explanation["summary"]["en"].startswith(short.explanation["summary"]["en"])
    later = replace(Filters(), start=datetime(2026, 9, 28, 12))  # the spike bucket starts before the period
    found = detect_spikes(s, "city", later, explain=None)
    assert found and all(p["created_at"] >= "2026-09-28T12" for x in found for p in x.explanation["posts"])
    s.close()
