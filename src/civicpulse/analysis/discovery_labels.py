"""What a discovered topic is called: its keywords as written, a representative phrase, both steady across refits.

Keywords are chosen on keys (see `discovery_terms`), so "ngập" and "ngap" count as one word, and shown in their
most frequent spelling with diacritics. Words that say nothing about a topic ("nhà", "thật sự", "video", numbers,
single letters) are never label words, though they still count for grouping.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from civicpulse.analysis.discovery_terms import count_spellings, fold_key, keyed, rejoin, spell
from civicpulse.analysis.text import word_list

N_KEYWORDS = 8
LABEL_WORDS = 4
PHRASE_KEYS = (2, 3)  # a phrase is a run of two or three consecutive keywords of a post
PHRASE_MAX_SYLLABLES = 6
PHRASE_MIN_POSTS = 3  # a phrase is what several posts say, never one post's wording
PHRASE_MIN_SHARE = 0.1  # ... and what a tenth of the topic's sampled posts say


@dataclass
class Description:
    keywords: list[str]  # as written, most telling first
    phrases: list[tuple[str, int]]  # candidate phrases as written, with the posts that have them, best first
    phrase_bar: int  # posts a new phrase needs (a current phrase stays while it has half of that)


@cache
def _filler() -> tuple[frozenset[str], frozenset[str]]:
    """(words that never label a topic as written, their folded forms for words typed without diacritics)."""
    own = word_list("topic_label_filler.txt")
    return own | word_list("vi_stopwords.txt") | word_list("en_stopwords.txt"), frozenset(map(fold_key, own))


def is_filler(key: str, spelling: str) -> bool:
    bare = key.lstrip("#")
    if len(bare) < 2 or bare[0].isdigit() or not any(c.isalpha() for c in bare):
        return True
    exact, folded = _filler()
    return spelling in exact or (spelling == key and key in folded)


def describe(token_lists: Sequence[Sequence[str]], term_idf: Callable[[str], float],
             corpus_spellings: dict[str, Counter[str]] | None = None, limit: int = N_KEYWORDS) -> Description:
    """Keywords (frequent among the members, rare overall: share of members × IDF) and phrases of member posts.

    `term_idf(term)` gives the IDF of a term as the vectors hash it; a key's IDF is that of its spellings among the
    members, weighted by how often each is used. A key is skipped when its words are a subset of a keyword already
    chosen ("xe" after "kẹt xe") or the other way round, so a label does not spend two of its few slots on one idea.
    """
    keyed_docs = rejoin([keyed(tokens) for tokens in token_lists])
    docs = [[key for key, _ in keys] for keys in keyed_docs]
    local = count_spellings(keyed_docs)
    corpus = corpus_spellings or {}
    written: dict[str, str] = {}

    def spelled(key: str) -> str:
        if key not in written:
            written[key] = spell(key, local, corpus)
        return written[key]

    key_idf: dict[str, float] = {}

    def idf_of(key: str) -> float:
        if key not in key_idf:
            used = local.get(key) or Counter({key: 1})
            key_idf[key] = sum(c * term_idf(s) for s, c in used.items()) / sum(used.values())
        return key_idf[key]

    n = max(len(docs), 1)
    shares = Counter(k for keys in docs for k in set(keys))
    minimum = 2 if len(docs) >= 4 else 1
    scored = sorted((-(count / n) * idf_of(key), key) for key, count in shares.items()
                    if count >= minimum and not is_filler(key, spelled(key)))
    chosen: list[str] = []
    for _, key in scored:
        words = set(key.lstrip("#").split())
        if any(words <= set(c.lstrip("#").split()) or set(c.lstrip("#").split()) <= words for c in chosen):
            continue
        chosen.append(key)
        if len(chosen) == limit:
            break
    bar = max(PHRASE_MIN_POSTS, math.ceil(PHRASE_MIN_SHARE * len(docs)))
    return Description([spelled(k) for k in chosen], _phrases(docs, spelled, idf_of, bar), bar)


def _phrases(docs: list[list[str]], spelled: Callable[[str], str], idf_of: Callable[[str], float],
             bar: int) -> list[tuple[str, int]]:
    """Runs of consecutive content keys shared by at least half the bar of posts, best first (posts × IDF)."""
    counts: Counter[tuple[str, ...]] = Counter()
    for keys in docs:
        content = [k for k in keys if not is_filler(k, spelled(k))]
        runs = {tuple(content[i:i + size]) for size in PHRASE_KEYS for i in range(len(content) - size + 1)}
        counts.update(r for r in runs if len(set(r)) == len(r) and sum(len(k.split()) for k in r)
                      <= PHRASE_MAX_SYLLABLES and not any(k.startswith("#") for k in r))
    found = [(-count * sum(idf_of(k) for k in run), run, count)
             for run, count in counts.items() if 2 * count >= bar]
    return [(" ".join(spelled(k) for k in run), count) for _, run, count in sorted(found)]


def steady_keywords(current: Sequence[str], fresh: Sequence[str], size: int = LABEL_WORDS) -> list[str]:
    """Keywords for a refitted topic that keep its label readable across runs.

    While at least half of the label's words are still among the fresh keywords (compared folded), those label
    words stay first, in their order, in their fresh spelling (a label does not reshuffle because a sample moved a
    little; "ngap" becomes "ngập" once posts with diacritics join); otherwise the fresh keywords win.
    """
    fresh_by_key = {fold_key(w): w for w in fresh}
    kept = [fresh_by_key[fold_key(w)] for w in current[:size] if fold_key(w) in fresh_by_key]
    if not current or len(kept) * 2 < min(size, len(current)):
        return list(fresh)
    kept_keys = {fold_key(w) for w in kept}
    return kept + [w for w in fresh if fold_key(w) not in kept_keys]


def steady_phrase(current: str, description: Description) -> str:
    """The current phrase while half the bar of posts still have it; else the best phrase that meets the bar."""
    by_key = {fold_key(p): (p, c) for p, c in description.phrases}
    if current and fold_key(current) in by_key:
        return by_key[fold_key(current)][0]
    return next((p for p, c in description.phrases if c >= description.phrase_bar), "")


def label(words: Sequence[str], size: int = LABEL_WORDS) -> str:
    """A short readable label: the first few keywords joined by a middle dot."""
    return " · ".join(words[:size])
