"""Fitted models as plain arrays: what a trained classifier is after scikit-learn is done.

scikit-learn fits the models; this module keeps only what prediction needs (vocabulary,
IDF weights, coefficients) so that:

- a model file is arrays and JSON, loaded with `numpy.load(allow_pickle=False)`: a model
  directory can never run code, whoever wrote it;
- a model does not depend on the scikit-learn version that trained it;
- one parse is a sparse-dense product and a softmax, without the input validation a
  scikit-learn pipeline repeats on every call (1.8 ms of a 2 ms TF-IDF parse).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

# The TfidfVectorizer parameters a model records; all others are left at their defaults.
VECTORIZER_PARAMS = ("analyzer", "ngram_range", "sublinear_tf", "lowercase", "norm")


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@dataclass(frozen=True, eq=False)
class SoftmaxLayer:
    """A multinomial logistic regression: `coef` (classes × features), `intercept`."""

    coef: np.ndarray
    intercept: np.ndarray

    @classmethod
    def from_estimator(cls, estimator: LogisticRegression) -> SoftmaxLayer:
        coef = np.asarray(estimator.coef_, dtype=np.float32)
        intercept = np.asarray(estimator.intercept_, dtype=np.float32)
        if coef.shape[0] == 1:
            # Two classes: scikit-learn keeps one row, p(second) = sigmoid(z). As a
            # softmax over (0, z) that is the same probability.
            coef = np.vstack([np.zeros_like(coef), coef])
            intercept = np.concatenate([np.zeros_like(intercept), intercept])
        return cls(np.ascontiguousarray(coef), intercept)

    def log_proba(self, features: np.ndarray | sparse.spmatrix) -> np.ndarray:
        logits = features @ self.coef.T
        return log_softmax(np.asarray(logits, dtype=np.float32) + self.intercept)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}.coef": self.coef, f"{prefix}.intercept": self.intercept}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> SoftmaxLayer:
        coef = np.asarray(arrays[f"{prefix}.coef"], dtype=np.float32)
        intercept = np.asarray(arrays[f"{prefix}.intercept"], dtype=np.float32)
        if coef.ndim != 2 or intercept.shape != (coef.shape[0],):
            raise ValueError(f"{prefix}: coefficient shapes {coef.shape} and {intercept.shape}")
        return cls(coef, intercept)


@dataclass(frozen=True, eq=False)
class TfidfFeatures:
    """Named TF-IDF vectorisers whose outputs are concatenated, as a FeatureUnion does."""

    vectorizers: tuple[tuple[str, TfidfVectorizer], ...]

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        blocks = [vectorizer.transform(texts) for _, vectorizer in self.vectorizers]
        return sparse.hstack(blocks, format="csr") if len(blocks) > 1 else blocks[0]

    def state(self) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
        """JSON-safe settings and vocabularies, and the IDF arrays, for storage."""
        settings, arrays = [], {}
        for name, vectorizer in self.vectorizers:
            params = vectorizer.get_params()
            vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
            settings.append(
                {
                    "name": name,
                    "params": {key: params[key] for key in VECTORIZER_PARAMS},
                    "vocabulary": vocabulary,
                }
            )
            arrays[f"{name}.idf"] = vectorizer.idf_.astype(np.float32)
        return settings, arrays

    @classmethod
    def from_state(
        cls, settings: Sequence[Mapping[str, Any]], arrays: Mapping[str, np.ndarray]
    ) -> TfidfFeatures:
        vectorizers = []
        for entry in settings:
            name, params = str(entry["name"]), dict(entry["params"])
            unknown = set(params) - set(VECTORIZER_PARAMS)
            if unknown:
                raise ValueError(f"{name}: unknown vectoriser settings {sorted(unknown)}")
            params["ngram_range"] = tuple(params["ngram_range"])
            vocabulary = [str(term) for term in entry["vocabulary"]]
            vectorizer = TfidfVectorizer(vocabulary=vocabulary, dtype=np.float32, **params)
            vectorizer.idf_ = np.asarray(arrays[f"{name}.idf"], dtype=np.float64)
            vectorizers.append((name, vectorizer))
        return cls(tuple(vectorizers))
