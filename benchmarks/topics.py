"""Discovered topics: stability, outlier share, purity, speed and peak memory.

    python benchmarks/topics.py              # demo corpus (ingested with the CLI) + synthetic 100k stream
    python benchmarks/topics.py --million    # ... and the synthetic 1M stream (about 7 minutes more)
    python benchmarks/topics.py --demo-only
    python benchmarks/topics.py --skip-demo --n 1000000   # one size alone: its own peak RSS

Demo corpus: data/demo ingested into a temporary store with the real CLI, exported as JSON lines, and tokenised with
pyvi (word segmentation) plus a small stopword list. Synthetic stream: posts drawn from topic vocabularies with
background noise and pure-noise posts, generated counter-based in batches (any document can be regenerated from its
index alone, so the generator holds nothing and a shuffled order costs nothing).

Stability is the adjusted Rand index (ARI, outliers as one label) between final labellings of the same documents:
(a) two runs over the same data in different orders, (b) one run over 100% of the data vs. a run over the first 80%
followed by the remaining 20% as an incremental run. Final labels come from `predict` with the final state.
"""

from __future__ import annotations

import argparse
import html
import re
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
from sklearn.metrics import adjusted_rand_score

from civicpulse.analysis.discovery import TopicDiscovery

ROOT = Path(__file__).resolve().parents[1]
Docs = list[tuple[str, list[str]]]

# -- demo corpus: tokeniser (pyvi + stopwords) -------------------------------------------------------------------

_STOPWORDS = (
    "và", "của", "là", "có", "không", "được", "cho", "với", "các", "những", "một", "này", "đó", "thì", "mà", "đã",
    "đang", "sẽ", "rồi", "nha", "nhé", "ạ", "à", "ơi", "quá", "lắm", "thế", "vậy", "nào", "gì", "ai", "đi", "ra",
    "vào", "lên", "xuống", "ở", "tại", "trong", "ngoài", "trên", "dưới", "từ", "đến", "tới", "khi", "lúc", "nếu",
    "vì", "do", "nên", "để", "bị", "cũng", "vẫn", "còn", "chỉ", "rất", "hơn", "nhất", "như", "người", "mình",
    "tôi", "tao", "mày", "bạn", "anh", "chị", "em", "ông", "bà", "họ", "chúng", "ta", "nó", "hay", "hoặc", "nhưng",
    "thật", "luôn", "lại", "thôi", "nữa", "kia", "ấy", "đây", "đấy", "vừa", "mới", "cái", "con", "chiếc", "việc",
    "sự", "nhiều", "ít", "mọi", "mỗi", "hết", "cả", "gì", "đâu", "sao", "bao", "giờ", "ạ", "hả", "hở", "nhỉ",
    "chứ", "cơ", "ừ", "ừm", "ok", "oke", "uh", "ko", "k", "khong", "kg", "hok", "hông", "dc", "đc", "j",
    "bt", "mik", "mk", "ng", "vs", "ntn", "z", "r", "thui", "hem", "hong", "bik", "biết", "thấy", "nói", "làm",
    "muốn", "phải", "cần", "có thể", "the", "a", "an", "and", "or", "but", "of", "to", "in", "on", "at", "for",
    "with", "from", "by", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these",
    "those", "i", "you", "he", "she", "we", "they", "me", "my", "your", "our", "their", "them", "his", "her",
    "not", "no", "so", "just", "very", "too", "also", "than", "then", "there", "here", "what", "which", "who",
    "how", "when", "where", "why", "all", "any", "some", "can", "could", "would", "should", "will", "do", "does",
    "did", "have", "has", "had", "get", "got", "im", "it's", "i'm", "dont", "lol", "omg", "pls", "plz", "rt",
    "via", "amp", "user",
)


def fold(word: str) -> str:
    """Vietnamese without diacritics ("không" -> "khong"), as many posts are typed."""
    decomposed = unicodedata.normalize("NFD", word.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# posts are typed with and without diacritics; both spellings of a function word are stopwords
STOPWORDS = frozenset(_STOPWORDS) | {fold(w) for w in _STOPWORDS}
URL = re.compile(r"https?://\S+|www\.\S+")
HASHTAG = re.compile(r"#(\w+)")
MARKUP = re.compile(r"<[^>]+>")


def tokenize(text: str) -> list[str]:
    """Word-segmented, lowercased content keywords; compounds joined with a space, hashtags as '#tag'."""
    from pyvi import ViTokenizer

    text = MARKUP.sub(" ", html.unescape(text))
    text = URL.sub(" ", text).replace("@user", " ")
    tags = ["#" + t.lower() for t in HASHTAG.findall(text)]
    out: list[str] = []
    for raw in ViTokenizer.tokenize(HASHTAG.sub(" ", text)).split():
        parts = [p for p in raw.lower().split("_") if p]
        # pyvi also glues English and unaccented words ("the_new", "hanoi_are"): such a compound holding a stopword
        # is split back into words; accented Vietnamese compounds ("người dân") stay whole
        glued = raw.isascii() and any(p in STOPWORDS for p in parts)
        pieces = parts if glued else [" ".join(parts)]
        out.extend(p for p in pieces if p not in STOPWORDS and len(p) > 1 and any(c.isalpha() for c in p))
    return out + tags


def demo_docs(exported: Path | None = None) -> Docs:
    """data/demo through the real CLI (ingest + export) into a temporary store, tokenised; or an existing export."""
    if exported is not None:
        return _tokenized(exported)
    cli = Path(sys.executable).with_name("civicpulse")
    with tempfile.TemporaryDirectory() as tmp:
        db, out = Path(tmp) / "demo.duckdb", Path(tmp) / "demo.jsonl"
        for args in (["ingest", str(ROOT / "data" / "demo"), "--workspace", "demo", "--no-progress"],
                     ["export", "--workspace", "demo", "--format", "jsonl", "-o", str(out)]):
            done = subprocess.run([str(cli), "--db", str(db), *args], capture_output=True, text=True)
            if done.returncode:
                sys.exit(f"civicpulse {args[0]} failed:\n{done.stderr[-2000:]}")
        return _tokenized(out)


def _tokenized(exported: Path) -> Docs:
    rows = [orjson.loads(line) for line in exported.read_bytes().splitlines() if line.strip()]
    return sorted((f"{r['platform']}:{r['post_id']}", TOKENIZER(r["text"] or "")) for r in rows)


def project_tokens(text: str) -> list[str]:
    """The project's own keyword extractor (civicpulse.analysis.keywords) plus hashtags, language detected."""
    from civicpulse.analysis.keywords import hashtags, keywords
    from civicpulse.analysis.language import detect_language

    return keywords(text, detect_language(text)[0]) + hashtags(text)


TOKENIZER = tokenize


# -- synthetic stream --------------------------------------------------------------------------------------------

SYLLABLES = (
    "kẹt", "ngập", "giá", "mất", "điện", "nước", "xe", "buýt", "đường", "phố", "cầu", "cống", "rác", "bụi", "khói",
    "cây", "bệnh", "viện", "thuốc", "trường", "học", "phí", "thi", "lương", "việc", "làm", "nhà", "đất", "thuê",
    "chợ", "xăng", "cháy", "trộm", "lừa", "đảo", "công", "an", "hẻm", "phường", "quận", "lễ", "hội", "pháo", "hoa",
    "biển", "khách", "sạn", "du", "lịch", "mưa", "bão", "nắng", "nóng", "lạnh", "gió", "lũ", "sạt", "lở", "thủ",
    "tục", "giấy", "tờ", "căn", "cước", "sổ", "đỏ", "cấp", "phép", "vé", "tàu", "ga", "sân", "bay", "taxi", "grab",
    "mạng", "cáp", "quang", "hóa", "đơn", "thực", "phẩm", "hàng", "quán", "ăn", "cà", "phê", "tắc", "nghẽn",
)


@dataclass(frozen=True)
class Synthetic:
    """Topic vocabularies (pairs of sibling topics share every fourth word) over a Zipfian background."""

    n_topics: int = 40
    topic_words: int = 40
    background_words: int = 4000
    noise_share: float = 0.08  # posts with no topic at all: the honest outliers
    topic_token_share: float = 0.55  # the rest of a topical post's tokens is background chatter
    seed: int = 11

    def vocabulary(self) -> list[str]:
        words, seen = [], set()
        rng = np.random.default_rng(self.seed)
        while len(words) < self.n_topics * self.topic_words + self.background_words:
            n = int(rng.integers(1, 4))
            word = " ".join(SYLLABLES[i] for i in rng.integers(0, len(SYLLABLES), n))
            if word not in seen:
                seen.add(word)
                words.append(word)
        return words

    def topic_vocab(self) -> np.ndarray:
        """(n_topics × topic_words) word ids; topic 2k+1 reuses every fourth word of topic 2k (about 1/5 of its
        token mass), so sibling topics overlap the way "flooding" and "traffic" share "đường", "kẹt", "mưa"."""
        ids = np.arange(self.n_topics * self.topic_words).reshape(self.n_topics, self.topic_words)
        ids[1::2, 3::4] = ids[0::2, 3::4]
        return ids


def _uniform(index: np.ndarray, salt: int, seed: int) -> np.ndarray:
    """Counter-based uniforms in [0, 1): splitmix64 of (seed, index, salt)."""
    with np.errstate(over="ignore"):
        x = index.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64((seed << 20) + salt * 7919 + 1)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


class SyntheticStream:
    def __init__(self, spec: Synthetic = Synthetic()) -> None:
        self.spec = spec
        self.words = spec.vocabulary()
        self.topics = spec.topic_vocab()
        popularity = 1.0 / np.arange(1, spec.n_topics + 1) ** 0.8
        self.topic_cdf = np.cumsum(popularity) / popularity.sum()
        zipf = 1.0 / np.arange(1, spec.topic_words + 1) ** 0.9
        self.word_cdf = np.cumsum(zipf) / zipf.sum()
        background = 1.0 / np.arange(1, spec.background_words + 1) ** 1.0
        self.background_cdf = np.cumsum(background) / background.sum()
        self.background_offset = spec.n_topics * spec.topic_words

    def docs(self, index: np.ndarray) -> tuple[Docs, np.ndarray]:
        """Documents number `index` (any order) and their true topic (-1: noise)."""
        s = self.spec
        truth = np.minimum(np.searchsorted(self.topic_cdf, _uniform(index, 0, s.seed)), s.n_topics - 1)
        truth = np.where(_uniform(index, 1, s.seed) < s.noise_share, -1, truth)
        length = 3 + (_uniform(index, 2, s.seed) * 13).astype(int)
        max_len = 16
        slot = np.arange(max_len)
        u_kind = _uniform(index[:, None] * max_len + slot, 3, s.seed)
        u_word = _uniform(index[:, None] * max_len + slot, 4, s.seed)
        topical = (u_kind < s.topic_token_share) & (truth[:, None] >= 0)
        topic_word = self.topics[np.maximum(truth, 0)[:, None], np.searchsorted(self.word_cdf, u_word).clip(
            0, s.topic_words - 1)]
        back_word = self.background_offset + np.searchsorted(self.background_cdf, u_word).clip(
            0, s.background_words - 1)
        word = np.where(topical, topic_word, back_word)
        words = self.words
        docs = [(f"d{i:07d}", [words[w] for w in row[:n]])
                for i, row, n in zip(index.tolist(), word.tolist(), length.tolist(), strict=True)]
        return docs, truth

    def batches(self, n: int, batch: int, start: int = 0, stop: int | None = None,
                shuffled: bool = False) -> Iterator[tuple[Docs, np.ndarray, np.ndarray]]:
        """Positions start..stop of an n-document stream in batches; shuffled = an affine permutation of 0..n-1."""
        stop = n if stop is None else stop
        step = _coprime_step(n) if shuffled else 1
        for first in range(start, stop, batch):
            positions = np.arange(first, min(stop, first + batch), dtype=np.int64)
            index = (positions * step + (n // 3 if shuffled else 0)) % n
            docs, truth = self.docs(index)
            yield docs, truth, index


def _coprime_step(n: int) -> int:
    step = int(n * 0.618) | 1
    while np.gcd(step, n) != 1:
        step += 2
    return step


# -- measuring ---------------------------------------------------------------------------------------------------

Batches = Iterator[tuple[Docs, np.ndarray, np.ndarray]]  # (docs, true topics, document numbers)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class RunResult:
    discovery: TopicDiscovery
    labels: np.ndarray  # final topic per document number (-1: outlier), from predict() with the final state
    seen: int = 0
    outliers: int = 0  # summed over the refresh reports: outliers as the stream went
    assign_seconds: float = 0.0
    refresh_seconds: float = 0.0
    refresh_pool_docs: int = 0  # pool sizes summed over refreshes
    refreshes: int = 0
    merges: int = 0
    splits: int = 0


def run(runs: list[Batches], relabel: Batches, n: int) -> RunResult:
    """One assign() + refresh() per element of `runs` (each a stream of batches), then predict() every document."""
    discovery = TopicDiscovery()
    result = RunResult(discovery, np.full(n, -1, dtype=np.int32))
    for batches in runs:
        for docs, _, _ in batches:
            start = time.perf_counter()
            discovery.assign(docs)
            result.assign_seconds += time.perf_counter() - start
        result.refresh_pool_docs += len(discovery.state.pool)
        start = time.perf_counter()
        report = discovery.refresh()
        result.refresh_seconds += time.perf_counter() - start
        result.refreshes += 1
        result.seen += report.assigned + report.outliers
        result.outliers += report.outliers
        result.merges += len(report.merged)
        result.splits += len(report.split)
    for docs, _, index in relabel:
        result.labels[index] = [-1 if a.topic_id is None else a.topic_id for a in discovery.predict(docs)]
    return result


def purity(labels: np.ndarray, truth: np.ndarray) -> float:
    """Share of assigned documents whose topic's majority true class is their own (noise counts as a class)."""
    assigned = labels >= 0
    if not assigned.any():
        return 0.0
    pairs, counts = np.unique(np.stack([labels[assigned], truth[assigned]]), axis=1, return_counts=True)
    best: dict[int, int] = {}
    for topic, count in zip(pairs[0].tolist(), counts.tolist(), strict=True):
        best[topic] = max(best.get(topic, 0), count)
    return sum(best.values()) / int(assigned.sum())


def recovered(labels: np.ndarray, truth: np.ndarray) -> int:
    """True topics for which one discovered topic holds at least half of their posts, mostly (>= 90%) theirs."""
    found = 0
    for topic in np.unique(truth[truth >= 0]):
        mine = labels[(truth == topic) & (labels >= 0)]
        if len(mine) == 0:
            continue
        best = np.bincount(mine).argmax()
        held = (mine == best).sum()
        if held >= 0.5 * (truth == topic).sum() and held >= 0.9 * (labels == best).sum():
            found += 1
    return found


def agreement(first: np.ndarray, second: np.ndarray) -> float:
    """Share of posts whose label in `second` is the counterpart (largest overlap) of their label in `first`;
    outliers are a label like any other. Easier to read than ARI: 0.9 means 9 posts in 10 kept their topic."""
    pairs, counts = np.unique(np.stack([first, second]), axis=1, return_counts=True)
    best: dict[int, int] = {}
    for label, count in zip(pairs[0].tolist(), counts.tolist(), strict=True):
        best[label] = max(best.get(label, 0), count)
    return sum(best.values()) / len(first)


def stability(first: np.ndarray, second: np.ndarray) -> str:
    return f"ARI {adjusted_rand_score(first, second):.3f}, agreement {agreement(first, second):.3f}"


def show(name: str, value: object) -> None:
    print(f"  {name:<50} {value}")


def report(result: RunResult, what: str) -> None:
    show(f"{what}: topics (active)", len(result.discovery.state.active_topics()))
    show(f"{what}: outlier share, final labels", f"{(result.labels < 0).mean():.3f}")
    show(f"{what}: outlier share, as streamed", f"{result.outliers / max(1, result.seen):.3f}")
    show(f"{what}: merges / splits", f"{result.merges} / {result.splits}")
    show(f"{what}: assign docs/s", f"{result.seen / result.assign_seconds:,.0f}")
    show(f"{what}: refresh calls, s/call, pool docs/s",
         f"{result.refreshes}, {result.refresh_seconds / result.refreshes:.2f}, "
         f"{result.refresh_pool_docs / max(result.refresh_seconds, 1e-9):,.0f}")


# -- the two corpora ---------------------------------------------------------------------------------------------


def bench_demo(exported: Path | None) -> None:
    start = time.perf_counter()
    docs = demo_docs(exported)
    n = len(docs)
    print(f"demo corpus: {n} posts (ingest + export + pyvi tokenise {time.perf_counter() - start:.1f} s), "
          f"{sum(1 for _, t in docs if not t)} with no content token, {sum(1 for _, t in docs if len(t) <= 2)} "
          "with at most two")
    numbers = np.arange(n)

    def one(selection: np.ndarray) -> Batches:
        yield [docs[i] for i in selection], np.zeros(len(selection)), selection

    rng = np.random.default_rng(5)
    shuffled = rng.permutation(n)
    first = run([one(numbers)], one(numbers), n)
    second = run([one(shuffled)], one(numbers), n)
    cut = np.sort(shuffled[: int(0.8 * n)])
    rest = np.setdiff1d(numbers, cut)
    incremental = run([one(cut), one(rest)], one(numbers), n)
    report(first, "one run")
    show("one run: state JSON (MB)", f"{len(first.discovery.state.to_json().encode()) / 1e6:.1f}")
    identical = first.discovery.state.to_json() == second.discovery.state.to_json()
    show("shuffled input: identical state", identical)
    show("shuffled input vs first", stability(first.labels, second.labels))
    show("100% vs 80% + 20%", stability(first.labels, incremental.labels))
    show("80% + 20%: topics created by the 20% run",
         sum(1 for t in incremental.discovery.state.topics.values() if t.first_seen == 2 and not t.parents))
    short = np.array([len(t) <= 2 for _, t in docs])
    short_outliers, outliers = int((first.labels[short] < 0).sum()), int((first.labels < 0).sum())
    show("outliers with <= 2 content tokens (share of outliers)",
         f"{short_outliers} ({short_outliers / max(1, outliers):.2f})")
    print("  largest topics (id, size, label):")
    for topic in first.discovery.topics()[:15]:
        print(f"    #{topic.id:<4}{topic.size:>5}  {topic.label}")


def bench_synthetic(n: int, batch: int) -> None:
    stream = SyntheticStream()
    truth = np.full(n, -2, dtype=np.int32)
    for _, t, index in stream.batches(n, 50_000):
        truth[index] = t
    print(f"synthetic: {n:,} posts, {stream.spec.n_topics} true topics, {stream.spec.noise_share:.0%} pure-noise "
          f"posts; stream = assign + refresh per batch of {batch:,}")
    first = run(list(_per_batch(stream, n, batch)), stream.batches(n, 50_000), n)
    report(first, "stream")
    show("stream: peak RSS so far (MiB)", f"{peak_rss_mib():.0f}")
    show("stream: state JSON (MB)", f"{len(first.discovery.state.to_json().encode()) / 1e6:.1f}")
    show("stream: purity vs ground truth", f"{purity(first.labels, truth):.3f}")
    show("stream: ARI vs ground truth", f"{adjusted_rand_score(truth, first.labels):.3f}")
    show("stream: true topics recovered", f"{recovered(first.labels, truth)} of {stream.spec.n_topics}")
    topical = truth >= 0
    show("stream: outlier share among topical / noise posts",
         f"{(first.labels[topical] < 0).mean():.3f} / {(first.labels[~topical] < 0).mean():.3f}")
    second = run(list(_per_batch(stream, n, batch, shuffled=True)), stream.batches(n, 50_000), n)
    show("stream, shuffled order vs first stream", stability(first.labels, second.labels))
    del second
    whole = run([stream.batches(n, batch)], stream.batches(n, 50_000), n)
    report(whole, "one run")
    show("one run: purity / ARI vs ground truth",
         f"{purity(whole.labels, truth):.3f} / {adjusted_rand_score(truth, whole.labels):.3f}")
    cut = int(0.8 * n)
    incremental = run([stream.batches(n, batch, stop=cut), stream.batches(n, batch, start=cut)],
                      stream.batches(n, 50_000), n)
    show("one run 100% vs 80% + 20%", stability(whole.labels, incremental.labels))
    show("peak RSS (MiB)", f"{peak_rss_mib():.0f}")


def _per_batch(stream: SyntheticStream, n: int, batch: int, shuffled: bool = False) -> Iterator[Batches]:
    """One single-batch stream per batch: assign + refresh after every batch."""
    for first in range(0, n, batch):
        yield stream.batches(n, batch, start=first, stop=min(n, first + batch), shuffled=shuffled)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--million", action="store_true", help="also run the synthetic 1M-document stream")
    parser.add_argument("--n", type=int, action="append", help="synthetic sizes to run instead (repeatable)")
    parser.add_argument("--demo-only", action="store_true")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--demo-jsonl", type=Path, help="an existing `civicpulse export` of data/demo to use")
    parser.add_argument("--batch", type=int, default=20_000, help="documents per assign + refresh (stream)")
    parser.add_argument("--tokens", choices=["pyvi", "civicpulse"], default="pyvi",
                        help="demo tokens: pyvi + stopwords (default) or civicpulse.analysis.keywords")
    args = parser.parse_args()
    global TOKENIZER
    TOKENIZER = project_tokens if args.tokens == "civicpulse" else tokenize
    if not args.skip_demo:
        bench_demo(args.demo_jsonl)
    if args.demo_only:
        return
    for n in args.n or [100_000, *([1_000_000] if args.million else [])]:
        bench_synthetic(n, args.batch)


if __name__ == "__main__":
    main()
