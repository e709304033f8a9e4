"""Cheap text features: hashed word and character n-grams plus lexicon scores.

These feed the fast "student" classifiers that label most posts without running the sentence encoder. Words are
used both as written (diacritics disambiguate Vietnamese: "bán" sell vs "bạn" friend) and folded (so "khong tot"
and "không tốt" share features); character trigrams of folded words absorb typos, teencode and elongations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils import murmurhash3_32

from civicpulse.analysis.lexicon import LexiconScore, get_lexicon
from civicpulse.analysis.text import clean, fold, normalize_teencode, tokens

N_FEATURES = 2**18
NEGATORS = frozenset({"không", "chẳng", "chả", "chưa", "đâu", "đừng", "chớ", "not", "no", "never", "dont", "don't",
                      "cant", "can't", "won't", "isn't", "wasn't", "didn't", "doesn't", "ain't", "nothing", "hardly"})
N_LEXICON = 4


def feature_strings(text: str) -> list[tuple[str, str]]:
    """(feature, shown-as) pairs for one text; `shown-as` is the words an explanation quotes."""
    toks = tokens(normalize_teencode(clean(text).lower()))
    folded = [fold(t) for t in toks]
    feats: list[tuple[str, str]] = []
    negate = 0
    for i, (tok, f) in enumerate(zip(toks, folded, strict=True)):
        feats.append(("w:" + tok, tok))
        if f != tok:
            feats.append(("f:" + f, tok))
        if negate:
            feats.append(("n:" + f, "… " + tok))
            negate -= 1
        if tok in NEGATORS:
            negate = 3
        if i:
            feats.append(("b:" + folded[i - 1] + " " + f, toks[i - 1] + " " + tok))
        if len(f) > 3 and f.isalpha():
            padded = f"<{f}>"
            feats.extend(("c:" + padded[j:j + 3], tok) for j in range(len(padded) - 2))
    return feats


@dataclass
class TextFeatures:
    """Hashed feature columns of one text and the words each stands for (what explanations quote)."""

    columns: np.ndarray  # sorted unique column indices
    shown: dict[int, str]


class FeatureExtractor:
    """Turns texts into a sparse matrix: hashed n-gram presence (l2-normalised) then the dense lexicon columns."""

    def __init__(self, n_features: int = N_FEATURES) -> None:
        self.n_features = n_features

    @property
    def width(self) -> int:
        return self.n_features + N_LEXICON

    def text_features(self, text: str) -> TextFeatures:
        shown: dict[int, str] = {}
        n = self.n_features
        for feature, words in feature_strings(text):
            shown.setdefault(murmurhash3_32(feature, positive=True) % n, words)
        return TextFeatures(np.fromiter(sorted(shown), dtype=np.int64, count=len(shown)), shown)

    def transform(self, texts: list[str], langs: list[str]
                  ) -> tuple[sp.csr_matrix, list[LexiconScore], list[TextFeatures]]:
        per_text = [self.text_features(t) for t in texts]
        lex = lexicon_scores(texts, langs)
        dense = lexicon_matrix(lex)
        indptr = [0]
        indices: list[np.ndarray] = []
        data: list[np.ndarray] = []
        lex_columns = np.arange(self.n_features, self.width)
        for tf, row in zip(per_text, dense, strict=True):
            k = len(tf.columns)
            indices += [tf.columns, lex_columns]
            data += [np.full(k, 1.0 / np.sqrt(k) if k else 0.0, dtype=np.float32), row]
            indptr.append(indptr[-1] + k + N_LEXICON)
        matrix = sp.csr_matrix((np.concatenate(data) if data else np.zeros(0, np.float32),
                                np.concatenate(indices) if indices else np.zeros(0, np.int64), indptr),
                               shape=(len(texts), self.width), dtype=np.float32)
        return matrix, lex, per_text


def lexicon_scores(texts: list[str], langs: list[str]) -> list[LexiconScore]:
    lexicon = get_lexicon()
    return [lexicon.score(t, lang) for t, lang in zip(texts, langs, strict=True)]


def lexicon_matrix(scores: list[LexiconScore]) -> np.ndarray:
    """Four dense columns per text: compound, positive, negative and whether the lexicon saw anything."""
    out = np.zeros((len(scores), N_LEXICON), dtype=np.float32)
    for i, s in enumerate(scores):
        out[i] = (s.compound, min(s.pos, 3.0) / 3.0, min(s.neg, 3.0) / 3.0, 1.0 if s.hits else 0.0)
    return out
