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

An article may also list sample questions (`questions:` in its front matter, the
"training phrases" of other support bots): each gets a vector of its own, and the
article scores the best of its vectors. They are how an editor teaches the KB the
words users type that the article never uses.

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
from dataclasses import dataclass

import numpy as np

from bot.kb.articles import Article
from nlu.encoder import SentenceEncoder
from nlu.scorer import clean_text

BODY_WEIGHT = 0.5
# The opening of the body, where an answer says what it is about. On StackFAQ dev 200
# characters scored as well as 1000 (R@1 0.952 / 0.947) and embed three times faster.
BODY_CHARS = 200
# A sample question's vector is one text's (cosine up to 1); an article's main vector
# sums two (up to 1.5). Scaled by 1.3, a question as close to the user's words as the
# title and body are counts as much. It counts only from a cosine of QUESTION_GATE:
# sample questions are short chat sentences, and unrelated chat resembles them (at
# 0.3 to 0.5); without the gate 38 % of unrelated CLINC150 texts found an article
# above the answer floor, with it 12 %, for the same 90.1 % right first answers on the
# shipped-KB questions (benchmarks/kb_calibrate.py, docs/search.md).
QUESTION_WEIGHT = 1.3
QUESTION_GATE = 0.5


def query_text(text: str) -> str:
    """The form a user's text is embedded in: exactly the NLU's, so the vector the NLU
    computed for this message is the one the encoder's cache hands back."""
    return clean_text(text)


@dataclass(frozen=True)
class EmbeddingTexts:
    """What an article's vectors are embedded from."""

    title: str
    body: str  # the title and the body's opening
    questions: tuple[str, ...] = ()  # the front matter's sample questions


def embedding_texts(article: Article) -> EmbeddingTexts:
    title = article.title
    body = " ".join((article.summary, *article.headings, article.body))[:BODY_CHARS]
    questions = tuple(dict.fromkeys(q for q in map(query_text, article.questions) if q))
    return EmbeddingTexts(title, f"{title}. {body}", questions)


def text_digest(article: Article) -> str:
    """A digest of the texts an article's vectors are made from: equal digests, equal vectors."""
    texts = embedding_texts(article)
    joined = "\0".join((texts.title, texts.body, *texts.questions))
    return hashlib.sha256(joined.encode()).hexdigest()[:24]


def embed(items: Sequence[EmbeddingTexts], encoder: SentenceEncoder) -> list[np.ndarray]:
    """Each article's vectors, a row each: first enc(title) + BODY_WEIGHT * enc(body),
    then QUESTION_WEIGHT * enc(question) for each sample question."""
    if not items:
        return []
    titles = encoder.encode([item.title for item in items])
    bodies = encoder.encode([item.body for item in items])
    questions = [q for item in items for q in item.questions]
    asked = QUESTION_WEIGHT * encoder.encode(questions) if questions else None
    vectors, used = [], 0
    for i, item in enumerate(items):
        main = (titles[i] + BODY_WEIGHT * bodies[i])[None, :]
        count = len(item.questions)
        if count and asked is not None:
            main = np.concatenate([main, asked[used : used + count]])
            used += count
        vectors.append(main)
    return vectors
