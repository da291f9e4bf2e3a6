"""Reduce free user text to plain search terms.

tantivy's query parser raises on ordinary text (`can't`, an unbalanced quote, `AND`
at the end) and deep bracket nesting can crash the process, so no user text ever
reaches it raw: we keep lowercase word characters only, drop stop words, and cap
the count and length of terms.
"""

from __future__ import annotations

import re

MAX_TERMS = 32
MAX_TERM_LENGTH = 40
WORD = re.compile(r"[a-z0-9]+")

# Function words that match nearly every article and only add noise to BM25.
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "before",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "don",
        "for",
        "from",
        "get",
        "gets",
        "getting",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hi",
        "hello",
        "hey",
        "him",
        "his",
        "how",
        "i",
        "if",
        "im",
        "in",
        "into",
        "is",
        "isnt",
        "it",
        "its",
        "ive",
        "just",
        "let",
        "me",
        "my",
        "myself",
        "need",
        "no",
        "not",
        "now",
        "of",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "please",
        "should",
        "so",
        "some",
        "still",
        "such",
        "than",
        "thanks",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "too",
        "up",
        "us",
        "very",
        "was",
        "we",
        "were",
        "what",
        "whats",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
    ]
)


def search_terms(text: str) -> list[str]:
    """Plain, parser-safe terms from any text (quotes, emoji, 10 kB, brackets...)."""
    terms: list[str] = []
    seen: set[str] = set()
    for word in WORD.findall(text.lower().replace("'", "")):
        if word in STOP_WORDS or len(word) > MAX_TERM_LENGTH or word in seen:
            continue
        seen.add(word)
        terms.append(word)
        if len(terms) == MAX_TERMS:
            break
    return terms
