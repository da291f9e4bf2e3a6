"""The passage of an article that matches a query, with the matching words marked.

A search result shows where the article talks about what was asked, not only its
summary: the sentence with the most of the query's word stems, cut to `WIDTH`
characters around its first match. Highlights are (start, end) offsets into the
snippet text, so every channel marks them its own way (HTML `<mark>` after escaping,
Slack `*bold*`, a terminal's `**`), and no markup is ever mixed into the text itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.kb.articles import Article, plain_text

WIDTH = 200
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
BLOCK_START = re.compile(r"\s{0,3}(?:#|[-*+] |\d+[.)] )")  # a heading or a list item
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Snippet:
    text: str
    highlights: tuple[tuple[int, int], ...] = ()

    def marked(self, before: str = "**", after: str = "**") -> str:
        """The text with each highlight wrapped in `before` and `after`."""
        parts, position = [], 0
        for start, end in self.highlights:
            parts += [self.text[position:start], before, self.text[start:end], after]
            position = end
        return "".join([*parts, self.text[position:]])


Sentences = tuple[tuple[str, frozenset[str]], ...]


def sentences_of(article: Article, stem: Callable[[str], str]) -> Sentences:
    """The body's sentences with their word stems: computed once per article and index."""
    return tuple(
        (sentence, frozenset(stem(w) for w in WORD.findall(sentence.lower())))
        for block in _blocks(article.body)
        for sentence in SENTENCE_END.split(plain_text(block))
        if sentence.strip()
    )


def make_snippet(
    article: Article,
    query_stems: frozenset[str],
    stem: Callable[[str], str],
    sentences: Sentences | None = None,
) -> Snippet:
    """The best-matching passage of `article` for a query reduced to `query_stems`."""
    best, best_score = "", 0
    for sentence, stems in sentences if sentences is not None else sentences_of(article, stem):
        score = len(stems & query_stems)
        if score > best_score:
            best, best_score = sentence, score
    if not best_score:
        return Snippet(article.summary[:WIDTH])
    text = _window(best, query_stems, stem)
    spans = tuple(
        (m.start(), m.end()) for m in WORD.finditer(text) if stem(m.group().lower()) in query_stems
    )
    return Snippet(text, spans)


def _blocks(markdown: str) -> list[str]:
    """Paragraphs, headings and list items: a sentence never runs across two of them."""
    blocks: list[list[str]] = [[]]
    for line in markdown.splitlines():
        if not line.strip() or BLOCK_START.match(line):
            blocks.append([])
        if line.strip():
            blocks[-1].append(line)
            if line.lstrip().startswith("#"):
                blocks.append([])
    return ["\n".join(block) for block in blocks if block]


def _window(sentence: str, query_stems: frozenset[str], stem: Callable[[str], str]) -> str:
    """`sentence`, or `WIDTH` characters of it starting shortly before its first match."""
    if len(sentence) <= WIDTH:
        return sentence
    first = next(
        (m.start() for m in WORD.finditer(sentence) if stem(m.group().lower()) in query_stems), 0
    )
    start = max(0, first - WIDTH // 4)
    start = sentence.rfind(" ", 0, start) + 1 if start else 0
    cut = sentence[start : start + WIDTH].rsplit(" ", 1)[0]
    return ("…" if start else "") + cut + "…"
