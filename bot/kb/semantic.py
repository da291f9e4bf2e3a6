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

The vectors are computed when the index is built or updated and stored beside it
(`bot.kb.vectors`), tagged with the encoder's identity so a changed model rebuilds
them rather than comparing vectors of two models. The
encoder is the process's one shared instance (`nlu.encoder.shared_encoder`): the NLU
classifier embeds the same message first, and its small cache makes the second
embedding free.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from bot.kb.articles import Article
from nlu.encoder import SentenceEncoder
from nlu.scorer import clean_text

BODY_WEIGHT = 0.5
# The opening of the body, where an answer says what it is about. On StackFAQ dev 200
# characters scored as well as 1000 (R@1 0.952 / 0.947) and embed three times faster.
BODY_CHARS = 200


def query_text(text: str) -> str:
    """The form a user's text is embedded in: exactly the NLU's, so the vector the NLU
    computed for this message is the one the encoder's cache hands back."""
    return clean_text(text)


def embedding_texts(article: Article) -> tuple[str, str]:
    """(title, title + the body's opening): the two texts an article's vector sums."""
    title = article.title
    body = " ".join((article.summary, *article.headings, article.body))[:BODY_CHARS]
    return title, f"{title}. {body}"


def text_digest(article: Article) -> str:
    """A digest of the texts an article's vector is made from: equal digests, equal vectors."""
    return hashlib.sha256("\0".join(embedding_texts(article)).encode()).hexdigest()[:24]


def embed(texts: Sequence[tuple[str, str]], encoder: SentenceEncoder) -> np.ndarray:
    """Article vectors from their `embedding_texts`: enc(title) + BODY_WEIGHT * enc(body)."""
    if not texts:
        return np.zeros((0, encoder.dimension), dtype=np.float32)
    titles, bodies = zip(*texts, strict=True)
    return encoder.encode(list(titles)) + BODY_WEIGHT * encoder.encode(list(bodies))
