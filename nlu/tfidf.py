"""TF-IDF features of a trained model, computed without scikit-learn.

scikit-learn's `TfidfVectorizer` learns the vocabulary and the IDF weights at training
time; this module turns new texts into the same features from those two arrays. Why
not keep the vectoriser: importing scikit-learn costs a serving process 70 MB and 0.6 s,
and its `transform` spends more time validating one message than weighting it. The
analysers below reproduce scikit-learn's `word` (default token pattern) and `char_wb`
analysers exactly; `tests/nlu/test_tfidf.py` checks them against scikit-learn.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

ANALYZERS = ("word", "char_wb")
# scikit-learn's defaults: its token pattern, and the runs of whitespace `char_wb` folds.
TOKEN = re.compile(r"(?u)\b\w\w+\b")
WHITESPACE_RUN = re.compile(r"\s\s+")


@dataclass(frozen=True, eq=False)
class SparseRows:
    """Rows of a sparse matrix in CSR form: row i is `indices[indptr[i]:indptr[i+1]]`."""

    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray

    @property
    def count(self) -> int:
        return len(self.indptr) - 1


def word_ngrams(text: str, low: int, high: int) -> list[str]:
    tokens = TOKEN.findall(text)
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), high + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """Character n-grams inside space-padded words; a word shorter than n counts once."""
    grams: list[str] = []
    for word in WHITESPACE_RUN.sub(" ", text).split():
        padded = f" {word} "
        for n in range(low, high + 1):
            grams.extend(padded[i : i + n] for i in range(max(len(padded) - n, 0) + 1))
            if len(padded) <= n:
                break
    return grams


@dataclass(frozen=True, eq=False)
class TfidfVocabulary:
    """One fitted vectoriser: its analyser settings, vocabulary and IDF weights."""

    analyzer: str
    ngram_range: tuple[int, int]
    vocabulary: Mapping[str, int]
    idf: np.ndarray
    lowercase: bool = True
    sublinear_tf: bool = True

    def __post_init__(self) -> None:
        if self.analyzer not in ANALYZERS:
            raise ValueError(f"unknown analyzer {self.analyzer!r}, expected one of {ANALYZERS}")
        low, high = self.ngram_range
        if not 1 <= low <= high:
            raise ValueError(f"ngram_range {self.ngram_range} is not a range")
        if self.idf.shape != (len(self.vocabulary),):
            raise ValueError(
                f"{len(self.vocabulary)} terms but IDF weights of shape {self.idf.shape}"
            )

    @classmethod
    def from_vectorizer(cls, vectorizer: Any) -> TfidfVocabulary:
        """From a fitted scikit-learn `TfidfVectorizer` with settings this module computes."""
        params = vectorizer.get_params()
        unsupported = {
            key: params[key]
            for key, default in (
                ("norm", "l2"),
                ("use_idf", True),
                ("token_pattern", TOKEN.pattern),
                ("strip_accents", None),
                ("stop_words", None),
                ("preprocessor", None),
                ("tokenizer", None),
                ("binary", False),
            )
            if params[key] != default
        }
        if unsupported:
            raise ValueError(f"TF-IDF settings this model format cannot keep: {unsupported}")
        return cls(
            analyzer=params["analyzer"],
            ngram_range=tuple(params["ngram_range"]),
            vocabulary=dict(vectorizer.vocabulary_),
            idf=np.asarray(vectorizer.idf_, dtype=np.float32),
            lowercase=bool(params["lowercase"]),
            sublinear_tf=bool(params["sublinear_tf"]),
        )

    def terms(self, text: str) -> list[str]:
        if self.lowercase:
            text = text.lower()
        low, high = self.ngram_range
        analyse = word_ngrams if self.analyzer == "word" else char_wb_ngrams
        return analyse(text, low, high)

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The L2-normalised TF-IDF vector of `text` as (column indices, values)."""
        counts = Counter(self.vocabulary[t] for t in self.terms(text) if t in self.vocabulary)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if self.sublinear_tf:
            tf = np.log(tf) + 1.0
        weights = tf * self.idf[columns]
        return columns, (weights / np.linalg.norm(weights)).astype(np.float32)

    def state(self) -> tuple[dict[str, Any], np.ndarray]:
        """JSON-safe settings with the vocabulary in column order, and the IDF array."""
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        settings = {
            "analyzer": self.analyzer,
            "ngram_range": list(self.ngram_range),
            "lowercase": self.lowercase,
            "sublinear_tf": self.sublinear_tf,
            "vocabulary": terms,
        }
        return settings, self.idf

    @classmethod
    def from_state(cls, settings: Mapping[str, Any], idf: np.ndarray) -> TfidfVocabulary:
        unknown = set(settings) - {"analyzer", "ngram_range", "lowercase", "sublinear_tf"}
        unknown -= {"vocabulary", "name"}
        if unknown:
            raise ValueError(f"unknown vectoriser settings {sorted(unknown)}")
        terms = [str(term) for term in settings["vocabulary"]]
        vocabulary = {term: column for column, term in enumerate(terms)}
        if len(vocabulary) != len(terms):
            raise ValueError("the vocabulary repeats a term")
        low, high = (int(n) for n in settings["ngram_range"])
        return cls(
            analyzer=str(settings["analyzer"]),
            ngram_range=(low, high),
            vocabulary=vocabulary,
            idf=np.asarray(idf, dtype=np.float32),
            lowercase=bool(settings["lowercase"]),
            sublinear_tf=bool(settings["sublinear_tf"]),
        )


@dataclass(frozen=True, eq=False)
class TfidfFeatures:
    """Named vectorisers whose outputs are concatenated, as a FeatureUnion does."""

    parts: tuple[tuple[str, TfidfVocabulary], ...]

    @property
    def width(self) -> int:
        return sum(len(part.vocabulary) for _, part in self.parts)

    def transform(self, texts: Iterable[str]) -> SparseRows:
        indptr, indices, values = [0], [], []
        for text in texts:
            offset, stored = 0, indptr[-1]
            for _, part in self.parts:
                columns, weights = part.vector(text)
                indices.append(columns + offset)
                values.append(weights)
                offset += len(part.vocabulary)
                stored += len(columns)
            indptr.append(stored)
        return SparseRows(
            np.array(indptr, dtype=np.int64),
            np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64),
            np.concatenate(values) if values else np.zeros(0, dtype=np.float32),
        )

    def state(self) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
        settings, arrays = [], {}
        for name, part in self.parts:
            entry, idf = part.state()
            settings.append({"name": name, **entry})
            arrays[f"{name}.idf"] = idf
        return settings, arrays

    @classmethod
    def from_state(
        cls, settings: Sequence[Mapping[str, Any]], arrays: Mapping[str, np.ndarray]
    ) -> TfidfFeatures:
        parts = []
        for entry in settings:
            name = str(entry["name"])
            parts.append((name, TfidfVocabulary.from_state(entry, arrays[f"{name}.idf"])))
        return cls(tuple(parts))
