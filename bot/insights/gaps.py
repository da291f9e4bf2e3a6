"""Content gaps: what users asked that the KB could not answer, grouped by wording.

The grouping is done in Python, as SQL cannot group questions by wording.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.insights.common import Db, _session
from bot.insights.questions import (
    NONE_FITTED,
    NOT_HELPFUL,
    _Asked,
    _declined_offers,
    _fallback_questions,
    _unhelpful_questions,
)
from bot.kb.query import STOP_WORDS

MAX_EXAMPLES = 5
SIMILAR = 0.5  # the token-set Jaccard from which two questions are one gap


@dataclass(frozen=True)
class ContentGap:
    """Questions, worded alike, that the KB could not answer."""

    question: str  # the most frequent wording
    count: int
    examples: tuple[str, ...]  # up to 5 distinct wordings, most frequent first
    last_seen: datetime
    fallback: int  # times it fell to the fallback
    not_helpful: int  # times its article was marked not helpful, or none offered fitted
    reasons: tuple[tuple[str, int], ...]  # ("no_article", 3), ("not_helpful", 2), ...
    # The articles shown for it that the user said did not help: improve one of these
    # rather than write another.
    articles: tuple[str, ...] = ()


def content_gaps(db: Db, since: datetime, limit: int = 50) -> list[ContentGap]:
    """What users asked that fell to the fallback or got an unhelpful article, grouped
    by wording, the most asked first.

    Grouping is token-set Jaccard (lower-cased words, stop words dropped, plural and
    -ing/-ed endings trimmed) rather than TF-IDF: scikit-learn costs a serving process
    70 MB and most of a second to import (see nlu/tfidf.py), and on a few words of
    text the two agree.
    """
    session = _session(db)
    asked = [
        *_fallback_questions(session, since),
        *_unhelpful_questions(session, since),
        *_declined_offers(session, since),
    ]
    gaps = [_gap(items) for items in _group(asked)]
    gaps.sort(key=lambda g: (-g.count, -g.last_seen.timestamp(), g.question))
    return gaps[:limit]


_WORD = re.compile(r"\w+")
_DOUBLED = re.compile(r"([bcdfghjkmnpqrtvwxy])\1$")  # not ll, ss, zz: "install"


def _stem(word: str) -> str:
    """A light trim so "installs", "installing" and "installed" meet "install"."""
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = _DOUBLED.sub(r"\1", word[: -len(suffix)])
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def question_terms(text: str) -> frozenset[str]:
    """The words that carry a question's meaning: "How do I install on Windows?" and
    "install on windows how" both give {"install", "window"}."""
    words = _WORD.findall(text.casefold().replace("'", "").replace("\u2019", ""))
    return frozenset(_stem(w) for w in words if w not in STOP_WORDS)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b)


def _group(asked: Iterable[_Asked]) -> list[list[_Asked]]:
    """Greedy leader clustering: wordings in order of frequency, each joining the group
    whose first (so most frequent) wording it is most like, or starting its own.

    Identical term sets are merged first, and an inverted index limits each comparison
    to the groups sharing a term, so tens of thousands of questions take well under a
    second. Text of stop words alone ("thanks", "hi") carries no question and is left out.
    """
    by_terms: dict[frozenset[str], list[_Asked]] = defaultdict(list)
    for item in asked:
        terms = question_terms(item.text)
        if terms:
            by_terms[terms].append(item)
    leaders: list[frozenset[str]] = []
    groups: list[list[_Asked]] = []
    having: dict[str, list[int]] = defaultdict(list)  # term -> groups whose leader has it
    for terms, items in sorted(by_terms.items(), key=lambda kv: (-len(kv[1]), sorted(kv[0]))):
        candidates = {g for term in terms for g in having.get(term, ())}
        best = max(candidates, key=lambda g: (_jaccard(terms, leaders[g]), -g), default=None)
        if best is not None and _jaccard(terms, leaders[best]) >= SIMILAR:
            groups[best].extend(items)
            continue
        for term in terms:
            having[term].append(len(groups))
        leaders.append(terms)
        groups.append(list(items))
    return groups


def _latest(items: list[_Asked]) -> float:
    return max(item.at for item in items).timestamp()


def _wording(items: list[_Asked]) -> str:
    """How a wording is shown: its most common form as typed, the latest of equals."""
    forms: dict[str, list[_Asked]] = defaultdict(list)
    for item in items:
        forms[" ".join(item.text.split())].append(item)
    return min(forms.items(), key=lambda kv: (-len(kv[1]), -_latest(kv[1]), kv[0]))[0]


def _gap(items: list[_Asked]) -> ContentGap:
    """One group as a gap; wordings differing only in case, spacing and punctuation
    are one example."""
    wordings: dict[str, list[_Asked]] = defaultdict(list)
    for item in items:
        wordings[" ".join(_WORD.findall(item.text.casefold()))].append(item)
    ranked = sorted(wordings.values(), key=lambda same: (-len(same), -_latest(same)))
    examples = tuple(_wording(same) for same in ranked[:MAX_EXAMPLES])
    reasons = Counter(item.reason for item in items)
    not_helpful = reasons.get(NOT_HELPFUL, 0) + reasons.get(NONE_FITTED, 0)
    return ContentGap(
        question=examples[0],
        count=len(items),
        examples=examples,
        last_seen=max(item.at for item in items),
        fallback=len(items) - not_helpful,
        not_helpful=not_helpful,
        reasons=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        articles=tuple(
            article
            for article, _ in Counter(
                item.article_id for item in items if item.article_id is not None
            ).most_common()
        ),
    )
