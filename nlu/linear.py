"""A fitted logistic regression kept as arrays: what prediction needs, and nothing else.

scikit-learn fits the models; `SoftmaxLayer` keeps the coefficients so that a model file
is plain arrays (read with `numpy.load(allow_pickle=False)`: a model directory can never
run code, whoever wrote it), does not depend on the scikit-learn version that trained
it, and predicts with one product and a softmax, without importing scikit-learn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nlu.tfidf import SparseRows


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@dataclass(frozen=True, eq=False)
class SoftmaxLayer:
    """A multinomial logistic regression: `weights` (features × classes), `bias`.

    Features × classes, the transpose of scikit-learn's `coef_`, so that the rows a
    sparse input touches are contiguous.
    """

    weights: np.ndarray
    bias: np.ndarray

    def __post_init__(self) -> None:
        if self.weights.ndim != 2 or self.bias.shape != (self.weights.shape[1],):
            raise ValueError(
                f"weights of shape {self.weights.shape} and bias of shape {self.bias.shape}"
            )

    @property
    def inputs(self) -> int:
        return int(self.weights.shape[0])

    @property
    def classes(self) -> int:
        return int(self.weights.shape[1])

    @classmethod
    def from_estimator(cls, estimator: Any) -> SoftmaxLayer:
        """From a fitted scikit-learn `LogisticRegression`."""
        coef = np.asarray(estimator.coef_, dtype=np.float32)
        bias = np.asarray(estimator.intercept_, dtype=np.float32)
        if coef.shape[0] == 1:
            # Two classes: scikit-learn keeps one row, p(second) = sigmoid(z). As a
            # softmax over (0, z) that is the same probability.
            coef = np.vstack([np.zeros_like(coef), coef])
            bias = np.concatenate([np.zeros_like(bias), bias])
        return cls(np.ascontiguousarray(coef.T), bias)

    def log_proba(self, features: np.ndarray | SparseRows) -> np.ndarray:
        if isinstance(features, SparseRows):
            return log_softmax(self._sparse_logits(features) + self.bias)
        return log_softmax(np.asarray(features, dtype=np.float32) @ self.weights + self.bias)

    def _sparse_logits(self, rows: SparseRows) -> np.ndarray:
        logits = np.zeros((rows.count, self.classes), dtype=np.float32)
        filled = np.flatnonzero(np.diff(rows.indptr))
        if filled.size:
            # Row i's logits: its values times the weight rows of its columns, summed.
            # The starts of the non-empty rows cut `indices` into exactly those rows.
            products = self.weights[rows.indices] * rows.values[:, None]
            logits[filled] = np.add.reduceat(products, rows.indptr[filled], axis=0)
        return logits

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}.weights": self.weights, f"{prefix}.bias": self.bias}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> SoftmaxLayer:
        weights = np.ascontiguousarray(arrays[f"{prefix}.weights"], dtype=np.float32)
        return cls(weights, np.asarray(arrays[f"{prefix}.bias"], dtype=np.float32))
