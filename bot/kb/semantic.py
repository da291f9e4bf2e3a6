"""Semantic article retrieval: the NLU's sentence encoder, reused to match meaning.

Users rarely phrase a question like the article's title ("making the text on github
crossed out" for "Strikethrough with GitHub Markdown"); BM25 only sees shared words.
Each article gets one vector, `title + BODY_WEIGHT * body` (each embedded and
L2-normalised), so a query's score is cos(query, title) + 0.5 cos(query, body): the
title says what the article answers, the body adds the words a title leaves out.
Measured on the StackFAQ dev queries (625 paraphrases of 125 articles), vectors
alone: R@1 / R@5 / MRR@10 0.949 / 0.998 / 0.973, against 0.936 / 0.998 / 0.966 for
the title alone, 0.890 / 0.992 / 0.935 for title and body embedded as one text, and
0.747 / 0.926 / 0.822 for BM25 alone (see docs/search.md).

The vectors are computed when the index is built and stored beside it
(`vectors.npz`, read with `allow_pickle=False`), tagged with the encoder's identity so
a changed model rebuilds them rather than comparing vectors of two models. The
encoder is the process's one shared instance (`nlu.encoder.shared_encoder`): the NLU
classifier embeds the same message first, and its small cache makes the second
embedding free.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from zipfile import BadZipFile

import numpy as np

from bot.kb.articles import Article
from nlu.encoder import SentenceEncoder
from nlu.scorer import clean_text

VECTORS_FILE = "vectors.npz"
BODY_WEIGHT = 0.5
# The opening of the body, where an answer says what it is about. On StackFAQ dev 200
# characters scored as well as 1000 (R@1 0.952 / 0.947) and embed three times faster.
BODY_CHARS = 200


def query_text(text: str) -> str:
    """The form a user's text is embedded in: exactly the NLU's, so the vector the NLU
    computed for this message is the one the encoder's cache hands back."""
    return clean_text(text)


def _texts(article: Article) -> tuple[str, str]:
    title = article.title
    body = " ".join((article.summary, *article.headings, article.body))[:BODY_CHARS]
    return title, f"{title}. {body}"


def _digest(article: Article) -> str:
    return hashlib.sha256("\0".join(_texts(article)).encode()).hexdigest()[:24]


def article_vectors(
    articles: Sequence[Article],
    digests: Sequence[str],
    encoder: SentenceEncoder,
    reusable: ArticleVectors | None = None,
) -> np.ndarray:
    """One vector per article; those whose text (`digests`) is unchanged are taken
    from `reusable`."""
    vectors = np.zeros((len(articles), encoder.dimension), dtype=np.float32)
    known = reusable.by_digest if reusable is not None else {}
    fresh = [i for i, digest in enumerate(digests) if digest not in known]
    for i, digest in enumerate(digests):
        if digest in known:
            vectors[i] = known[digest]
    if fresh:
        titles, bodies = zip(*(_texts(articles[i]) for i in fresh), strict=True)
        computed = encoder.encode(list(titles)) + BODY_WEIGHT * encoder.encode(list(bodies))
        vectors[fresh] = computed
    return vectors


def write_vectors(
    index_dir: Path,
    articles: Sequence[Article],
    encoder: SentenceEncoder,
    reusable: ArticleVectors | None = None,
) -> None:
    digests = [_digest(article) for article in articles]
    vectors = article_vectors(articles, digests, encoder, reusable)
    ids = np.array([a.id for a in articles], dtype=str)
    with (index_dir / VECTORS_FILE).open("wb") as handle:
        np.savez(
            handle,
            ids=ids,
            digests=np.array(digests, dtype=str),
            vectors=vectors.astype(np.float16),
        )


@dataclass(frozen=True, eq=False)
class ArticleVectors:
    """Every article's vector, and a query's similarity to each of them."""

    ids: tuple[str, ...]
    vectors: np.ndarray  # articles x dimension, float32 in memory (float16 on disk)
    digests: tuple[str, ...] = ()  # of each article's embedded text, to reuse vectors

    @classmethod
    def load(cls, index_dir: Path) -> ArticleVectors | None:
        """The stored vectors, or None when there are none or they are unreadable."""
        try:
            with np.load(index_dir / VECTORS_FILE, allow_pickle=False) as stored:
                ids, vectors = stored["ids"], stored["vectors"]
                digests = stored["digests"] if "digests" in stored.files else np.array([])
        except (OSError, ValueError, KeyError, EOFError, BadZipFile):
            return None
        if vectors.ndim != 2 or len(ids) != len(vectors):
            return None
        return cls(
            tuple(str(i) for i in ids),
            np.ascontiguousarray(vectors, dtype=np.float32),
            tuple(str(d) for d in digests) if len(digests) == len(ids) else (),
        )

    @cached_property
    def by_digest(self) -> dict[str, np.ndarray]:
        return dict(zip(self.digests, self.vectors, strict=False))

    @cached_property
    def rows(self) -> dict[str, int]:
        return {article_id: row for row, article_id in enumerate(self.ids)}

    def similarities(self, query_vector: np.ndarray) -> np.ndarray:
        """cos(query, title) + BODY_WEIGHT * cos(query, body) per article, in `ids` order."""
        return self.vectors @ np.asarray(query_vector, dtype=np.float32)

    def best(self, similarities: np.ndarray, count: int) -> list[int]:
        """The rows of the `count` most similar articles, best first."""
        if count >= len(similarities):
            return list(np.argsort(-similarities, kind="stable"))
        rows = np.argpartition(-similarities, count)[:count]
        return list(rows[np.argsort(-similarities[rows], kind="stable")])
