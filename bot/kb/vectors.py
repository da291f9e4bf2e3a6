"""Article vectors in memory, and the articles nearest a query's vector.

At 100,000 articles float32 vectors would take 154 MB and a full scan 8 to 19 ms a
query on 2 cores, most of the search's budget. So a searcher holds each vector as
int8 codes with one scale per row (38 MB; cosine error about 0.002) plus its sign
bits around the KB's mean vector (4.8 MB). A query first ranks every row by Hamming
distance on the bits (1.8 ms at 100k), then scores the `RESCORE_POOL` closest
exactly from the codes; a KB of up to `RESCORE_POOL` rows is scored exactly
throughout. An article has a row for its main vector and one for each of its sample
questions (`bot.kb.semantic`), and scores the best of them.

Updates must not copy 40 MB on a search's path, so `LiveVectors` keeps the big block
as it was opened, marks the rows of changed and removed articles dead, and holds the
new rows in a small second block; the two are merged into one block once the small
one reaches `COMPACT_ROWS` (or a twentieth of the big one). On disk the vectors are
float16 (`vectors.npz`, read with `allow_pickle=False`) with a digest of each
article's embedded texts, so a rebuild re-embeds only the articles whose text changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from zipfile import BadZipFile

import numpy as np

from bot.kb.semantic import QUESTION_GATE, QUESTION_WEIGHT

VECTORS_FILE = "vectors.npz"
# Candidates scored exactly after the Hamming ranking. On the 100k benchmark corpus
# the exact top 20 were all among the first 1,000 by Hamming distance.
RESCORE_POOL = 1000
STORED_DTYPE = np.float16
CHUNK_ROWS = 8192  # rows converted at a time: no float32 copy of a whole KB
COMPACT_ROWS = 4096

ArticleRows = dict[str, tuple[str, np.ndarray]]  # article id: (text digest, its rows)


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


def read_vector_digests(generation: Path) -> dict[str, str]:
    """Article id: digest of its embedded texts, for every stored vector (not the vectors)."""
    try:
        with np.load(generation / VECTORS_FILE, allow_pickle=False) as stored:
            ids, digests = stored["ids"], stored["digests"]
    except (OSError, ValueError, KeyError, EOFError, BadZipFile):
        return {}
    return {str(i): str(d) for i, d in zip(ids, digests, strict=False)}


def group_rows(ids: Sequence[str], digests: Sequence[str], vectors: np.ndarray) -> ArticleRows:
    """Stored rows (an id and digest a row) as each article's digest and block of rows."""
    grouped: dict[str, tuple[str, list[np.ndarray]]] = {}
    for article_id, digest, vector in zip(ids, digests, vectors, strict=True):
        grouped.setdefault(str(article_id), (str(digest), []))[1].append(vector)
    return {i: (digest, np.stack(rows)) for i, (digest, rows) in grouped.items()}


def flatten_rows(articles: ArticleRows, dimension: int) -> tuple[list[str], list[str], np.ndarray]:
    """The inverse of `group_rows`: (ids, digests, float16 vectors), a row each."""
    ids: list[str] = []
    digests: list[str] = []
    blocks = []
    for article_id, (digest, rows) in articles.items():
        ids += [article_id] * len(rows)
        digests += [digest] * len(rows)
        blocks.append(np.asarray(rows, dtype=STORED_DTYPE))
    stacked = np.concatenate(blocks) if blocks else np.zeros((0, dimension), STORED_DTYPE)
    return ids, digests, stacked


def _quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes = np.zeros(vectors.shape, dtype=np.int8)
    scales = np.ones(len(vectors), dtype=np.float32)
    for start in range(0, len(vectors), CHUNK_ROWS):
        chunk = np.asarray(vectors[start : start + CHUNK_ROWS], dtype=np.float32)
        scale = np.abs(chunk).max(axis=1) / 127.0
        scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
        codes[start : start + len(chunk)] = np.rint(chunk / scale[:, None])
        scales[start : start + len(chunk)] = scale
    return codes, scales


def _sign_bits(vectors: np.ndarray, center: np.ndarray) -> np.ndarray:
    words = -(-vectors.shape[1] // 64)
    bits = np.zeros((len(vectors), words), dtype=np.uint64)
    for start in range(0, len(vectors), CHUNK_ROWS):
        chunk = np.asarray(vectors[start : start + CHUNK_ROWS], dtype=np.float32)
        packed = np.packbits(chunk > center, axis=1)
        packed = np.pad(packed, ((0, 0), (0, words * 8 - packed.shape[1])))
        bits[start : start + len(chunk)] = np.ascontiguousarray(packed).view(np.uint64)
    return bits


@dataclass(frozen=True, eq=False)
class VectorSet:
    """One block of rows, compressed for search (see the module doc). Immutable."""

    ids: tuple[str, ...]  # the article of each row
    digests: tuple[str, ...]  # of each row's article's texts
    codes: np.ndarray  # rows x dimension, int8
    scales: np.ndarray  # per row: vector = codes * scale
    bits: np.ndarray  # rows x dimension/64, uint64: signs around `center`
    center: np.ndarray  # the mean vector of the rows the block was first built from

    @classmethod
    def build(
        cls,
        ids: Sequence[str],
        digests: Sequence[str],
        vectors: np.ndarray,
        center: np.ndarray | None = None,
    ) -> VectorSet:
        if center is None:
            center = _mean(vectors)
        center = np.asarray(center, dtype=np.float32)
        codes, scales = _quantise(vectors)
        return cls(tuple(ids), tuple(digests), codes, scales, _sign_bits(vectors, center), center)

    @classmethod
    def load(cls, generation: Path) -> VectorSet | None:
        stored = read_vectors(generation)
        return cls.build(*stored) if stored is not None else None

    def __len__(self) -> int:
        """The number of articles with vectors."""
        return len(self.rows)

    @cached_property
    def rows(self) -> Mapping[str, tuple[int, ...]]:
        """Each article's rows."""
        found: dict[str, list[int]] = {}
        for row, article_id in enumerate(self.ids):
            found.setdefault(article_id, []).append(row)
        return {article_id: tuple(rows) for article_id, rows in found.items()}

    def without(self, dead: np.ndarray) -> VectorSet:
        keep = ~dead
        ids = tuple(i for i, kept in zip(self.ids, keep, strict=True) if kept)
        digests = tuple(d for d, kept in zip(self.digests, keep, strict=True) if kept)
        return VectorSet(
            ids, digests, self.codes[keep], self.scales[keep], self.bits[keep], self.center
        )

    def plus(self, other: VectorSet) -> VectorSet:
        """This block followed by `other`'s rows (built around the same center)."""
        return VectorSet(
            self.ids + other.ids,
            self.digests + other.digests,
            np.concatenate([self.codes, other.codes]),
            np.concatenate([self.scales, other.scales]),
            np.concatenate([self.bits, other.bits]),
            self.center,
        )

    def recentred(self) -> VectorSet:
        """The same rows, with sign bits around their own mean (better Hamming ranking)."""
        vectors = _Dequantised(self.codes, self.scales)
        center = _mean(vectors)
        bits = _sign_bits(vectors, center)
        return VectorSet(self.ids, self.digests, self.codes, self.scales, bits, center)

    @cached_property
    def question_rows(self) -> np.ndarray:
        """Per row: whether it is a sample question's (an article's rows after its first)."""
        first = np.ones(len(self.ids), dtype=bool)
        first[1:] = np.array(self.ids[1:], dtype=object) != np.array(self.ids[:-1], dtype=object)
        return ~first

    def scores(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Each row's similarity to the query; a sample question's below the gate does
        not count (-1: under every article's main score)."""
        scores = (self.codes[rows].astype(np.float32) @ query) * self.scales[rows]
        ignored = self.question_rows[rows] & (scores < QUESTION_WEIGHT * QUESTION_GATE)
        return np.where(ignored, np.float32(-1.0), scores)

    def pool(self, query: np.ndarray, dead: np.ndarray | None = None) -> np.ndarray:
        """The rows worth scoring exactly: all of them, or the closest by Hamming distance."""
        alive = np.arange(len(self.ids)) if dead is None else np.flatnonzero(~dead)
        if len(alive) <= RESCORE_POOL:
            return alive
        query_bits = _sign_bits(query[None, :], self.center)[0]
        distances = np.bitwise_count(self.bits ^ query_bits).sum(axis=1, dtype=np.uint16)
        if dead is not None:
            distances[dead] = np.iinfo(np.uint16).max
        return np.argpartition(distances, RESCORE_POOL)[:RESCORE_POOL]

    def best(
        self, query: np.ndarray, count: int, dead: np.ndarray | None = None
    ) -> dict[str, float]:
        """The `count` best articles of this block: id -> the best score of its rows."""
        pool = self.pool(query, dead)
        scores = self.scores(pool, query)
        best: dict[str, float] = {}
        for i in np.argsort(-scores, kind="stable"):
            article_id = self.ids[pool[i]]
            if article_id not in best:
                best[article_id] = float(scores[i])
                if len(best) == count:
                    break
        return best

    def similarity(self, query: np.ndarray, article_ids: Sequence[str]) -> dict[str, float]:
        if not article_ids:
            return {}
        rows = np.array([row for article_id in article_ids for row in self.rows[article_id]])
        scores = iter(self.scores(rows, query))
        return {
            article_id: max(float(next(scores)) for _ in self.rows[article_id])
            for article_id in article_ids
        }


class _Dequantised:
    """Rows of codes x scales as float32, a chunk at a time (for `_mean`, `_sign_bits`)."""

    def __init__(self, codes: np.ndarray, scales: np.ndarray) -> None:
        self._codes, self._scales = codes, scales
        self.shape = codes.shape

    def __len__(self) -> int:
        return len(self._codes)

    def __getitem__(self, rows: slice) -> np.ndarray:
        return self._codes[rows].astype(np.float32) * self._scales[rows][:, None]


def _mean(vectors: np.ndarray | _Dequantised) -> np.ndarray:
    total = np.zeros(vectors.shape[1], dtype=np.float64)
    for start in range(0, len(vectors), CHUNK_ROWS):
        total += np.asarray(vectors[start : start + CHUNK_ROWS], dtype=np.float64).sum(axis=0)
    return (total / max(1, len(vectors))).astype(np.float32)


@dataclass(frozen=True, eq=False)
class LiveVectors:
    """The vectors a searcher uses: the block it opened, less the rows of articles that
    changed since (`dead`), plus their new rows (`recent`). Immutable: an update makes
    a new one, so a search on the old one is never disturbed."""

    base: VectorSet
    dead: np.ndarray  # per base row
    recent: VectorSet
    replaced: frozenset[str] = field(default=frozenset())  # ids whose base rows are dead

    @classmethod
    def of(cls, base: VectorSet) -> LiveVectors:
        dimension = base.codes.shape[1]
        empty = VectorSet.build((), (), np.zeros((0, dimension), np.float32), base.center)
        return cls(base, np.zeros(len(base.ids), dtype=bool), empty)

    def __len__(self) -> int:
        """The number of articles with vectors."""
        return len(self.base) - len(self.replaced) + len(self.recent)

    def with_changes(
        self,
        removed: Iterable[str],
        ids: Sequence[str] = (),
        digests: Sequence[str] = (),
        vectors: np.ndarray | None = None,
    ) -> LiveVectors:
        """Without the rows of `removed` (and the old rows of `ids`), with `ids`' rows."""
        gone = {*removed, *ids}
        newly_dead = [i for i in gone if i in self.base.rows and i not in self.replaced]
        dead = self.dead
        if newly_dead:
            dead = dead.copy()
            dead[[row for i in newly_dead for row in self.base.rows[i]]] = True
        recent = self.recent
        in_recent = [i for i in gone if i in recent.rows]
        if in_recent:
            mask = np.zeros(len(recent.ids), dtype=bool)
            mask[[row for i in in_recent for row in recent.rows[i]]] = True
            recent = recent.without(mask)
        if len(ids):
            assert vectors is not None
            recent = recent.plus(VectorSet.build(ids, digests, vectors, self.base.center))
        live = LiveVectors(self.base, dead, recent, self.replaced | set(newly_dead))
        limit = max(COMPACT_ROWS, len(self.base.ids) // 20)
        return live.compacted() if len(recent.ids) > limit else live

    def compacted(self) -> LiveVectors:
        """One block again; re-centred when most of its rows were not in the old one."""
        merged = self.base.without(self.dead).plus(self.recent)
        if len(self.recent.ids) > len(merged.ids) // 2:
            merged = merged.recentred()
        return LiveVectors.of(merged)

    def nearest(self, query_vector: np.ndarray, count: int) -> list[tuple[str, float]]:
        """The `count` articles most similar to the query, (id, similarity) best first."""
        if count <= 0:
            return []
        query = np.asarray(query_vector, dtype=np.float32)
        found = self.recent.best(query, count) if len(self.recent.ids) else {}
        if len(self.base.ids):
            found |= self.base.best(query, count, self.dead if self.replaced else None)
        return sorted(found.items(), key=lambda item: -item[1])[:count]

    def similarity(self, query_vector: np.ndarray, article_ids: Iterable[str]) -> dict[str, float]:
        """Exact similarity of the query to each of `article_ids` that has vectors."""
        query = np.asarray(query_vector, dtype=np.float32)
        wanted = list(article_ids)
        recent = [i for i in wanted if i in self.recent.rows]
        base = [i for i in wanted if i in self.base.rows and i not in self.replaced]
        return self.recent.similarity(query, recent) | self.base.similarity(query, base)
