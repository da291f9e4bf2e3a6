"""Article vectors in memory, and the articles nearest a query's vector.

At 100,000 articles float32 vectors would take 154 MB and a full scan 8 to 19 ms a
query on 2 cores, most of the search's budget. So a searcher holds each vector as
int8 codes with one scale per row (38 MB; cosine error about 0.002) plus its sign
bits around the KB's mean vector (4.8 MB). A query first ranks every article by
Hamming distance on the bits (1.8 ms at 100k), then scores the `RESCORE_POOL`
closest exactly from the codes; a KB of up to `RESCORE_POOL` articles is scored
exactly throughout. On disk the vectors are float16 (`vectors.npz`, read with
`allow_pickle=False`) with a digest of each article's embedded text, so a rebuild
re-embeds only the articles whose text changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from zipfile import BadZipFile

import numpy as np

VECTORS_FILE = "vectors.npz"
# Candidates scored exactly after the Hamming ranking. On the 100k benchmark corpus
# the exact top 20 were all among the first 1,000 by Hamming distance.
RESCORE_POOL = 1000
STORED_DTYPE = np.float16


def write_vectors(
    generation: Path, ids: Sequence[str], digests: Sequence[str], vectors: np.ndarray
) -> None:
    with (generation / VECTORS_FILE).open("wb") as handle:
        np.savez(
            handle,
            ids=np.array(ids, dtype=str),
            digests=np.array(digests, dtype=str),
            vectors=np.asarray(vectors, dtype=STORED_DTYPE),
        )


def read_vectors(generation: Path) -> tuple[list[str], list[str], np.ndarray] | None:
    """(ids, digests, float16 vectors) as stored, or None when missing or unreadable."""
    try:
        with np.load(generation / VECTORS_FILE, allow_pickle=False) as stored:
            ids, digests, vectors = stored["ids"], stored["digests"], stored["vectors"]
    except (OSError, ValueError, KeyError, EOFError, BadZipFile):
        return None
    if vectors.ndim != 2 or not len(ids) == len(digests) == len(vectors):
        return None
    return [str(i) for i in ids], [str(d) for d in digests], vectors


def _quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    vectors = np.asarray(vectors, dtype=np.float32)
    scales = np.abs(vectors).max(axis=1) / 127.0 if len(vectors) else np.zeros(0, np.float32)
    scales = np.where(scales > 0, scales, 1.0).astype(np.float32)
    codes = np.rint(vectors / scales[:, None]).astype(np.int8)
    return codes, scales


def _sign_bits(vectors: np.ndarray, center: np.ndarray) -> np.ndarray:
    packed = np.packbits(np.asarray(vectors, dtype=np.float32) > center, axis=1)
    padding = (-packed.shape[1]) % 8
    if padding:
        packed = np.pad(packed, ((0, 0), (0, padding)))
    return np.ascontiguousarray(packed).view(np.uint64)


@dataclass(frozen=True, eq=False)
class VectorSet:
    """Every embedded article's vector, compressed for search (see the module doc).

    Immutable: an update makes a new set (`with_changes`), so a search running on the
    old one is never disturbed.
    """

    ids: tuple[str, ...]
    digests: tuple[str, ...]
    codes: np.ndarray  # articles x dimension, int8
    scales: np.ndarray  # per article: vector = codes * scale
    bits: np.ndarray  # articles x dimension/64, uint64: signs around `center`
    center: np.ndarray  # the mean vector when the set was built

    @classmethod
    def build(
        cls,
        ids: Sequence[str],
        digests: Sequence[str],
        vectors: np.ndarray,
        center: np.ndarray | None = None,
    ) -> VectorSet:
        vectors = np.asarray(vectors, dtype=np.float32)
        if center is None:
            center = vectors.mean(axis=0) if len(vectors) else np.zeros(vectors.shape[1])
        center = np.asarray(center, dtype=np.float32)
        codes, scales = _quantise(vectors)
        return cls(tuple(ids), tuple(digests), codes, scales, _sign_bits(vectors, center), center)

    @classmethod
    def load(cls, generation: Path) -> VectorSet | None:
        stored = read_vectors(generation)
        return cls.build(*stored) if stored is not None else None

    def with_changes(
        self,
        removed: Iterable[str],
        ids: Sequence[str] = (),
        digests: Sequence[str] = (),
        vectors: np.ndarray | None = None,
    ) -> VectorSet:
        """A new set without `removed` (and the old rows of `ids`), with `ids` added."""
        keep = np.ones(len(self.ids), dtype=bool)
        keep[[self.rows[i] for i in (*removed, *ids) if i in self.rows]] = False
        kept_ids = [i for i, kept in zip(self.ids, keep, strict=True) if kept]
        kept_digests = [d for d, kept in zip(self.digests, keep, strict=True) if kept]
        codes, scales, bits = self.codes[keep], self.scales[keep], self.bits[keep]
        if len(ids):
            assert vectors is not None
            new_codes, new_scales = _quantise(vectors)
            codes = np.concatenate([codes, new_codes])
            scales = np.concatenate([scales, new_scales])
            bits = np.concatenate([bits, _sign_bits(vectors, self.center)])
        return VectorSet(
            (*kept_ids, *ids), (*kept_digests, *digests), codes, scales, bits, self.center
        )

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def rows(self) -> Mapping[str, int]:
        return {article_id: row for row, article_id in enumerate(self.ids)}

    def _scores(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        return (self.codes[rows].astype(np.float32) @ query) * self.scales[rows]

    def nearest(self, query_vector: np.ndarray, count: int) -> list[tuple[str, float]]:
        """The `count` articles most similar to the query, (id, similarity) best first."""
        if not len(self.ids) or count <= 0:
            return []
        query = np.asarray(query_vector, dtype=np.float32)
        if len(self.ids) <= RESCORE_POOL:
            pool = np.arange(len(self.ids))
        else:
            query_bits = _sign_bits(query[None, :], self.center)[0]
            distances = np.bitwise_count(self.bits ^ query_bits).sum(axis=1, dtype=np.uint16)
            pool = np.argpartition(distances, RESCORE_POOL)[:RESCORE_POOL]
        scores = self._scores(pool, query)
        best = np.argsort(-scores, kind="stable")[:count]
        return [(self.ids[pool[i]], float(scores[i])) for i in best]

    def similarity(self, query_vector: np.ndarray, article_ids: Iterable[str]) -> dict[str, float]:
        """Exact similarity of the query to each of `article_ids` that has a vector."""
        wanted = [article_id for article_id in article_ids if article_id in self.rows]
        if not wanted:
            return {}
        rows = np.array([self.rows[article_id] for article_id in wanted])
        scores = self._scores(rows, np.asarray(query_vector, dtype=np.float32))
        return dict(zip(wanted, (float(s) for s in scores), strict=True))
