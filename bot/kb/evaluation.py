"""How well search finds the right article: the figures `tier0 kb eval` prints.

A queries file is JSON lines, `{"query": "...", "relevant": ["<article id>", ...]}`;
an article id is the front matter's `id` or the file name without `.md`. Recall@k is
the share of queries with a relevant article among the first k hits, MRR@10 the mean
of 1/rank of the first relevant hit within ten (0 when there is none).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.kb.base import KnowledgeBase

DEPTH = 10


@dataclass(frozen=True)
class LabelledQuery:
    query: str
    relevant: frozenset[str]


@dataclass(frozen=True)
class SearchScores:
    recall_at_1: float
    recall_at_5: float
    mrr_at_10: float
    n: int

    def to_json(self) -> dict[str, float | int]:
        return {
            "recall@1": round(self.recall_at_1, 4),
            "recall@5": round(self.recall_at_5, 4),
            "mrr@10": round(self.mrr_at_10, 4),
            "n": self.n,
        }


def read_queries(path: Path) -> list[LabelledQuery]:
    """Parse a queries file; raises ValueError naming the file and line of a bad entry."""
    queries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError as error:
            raise ValueError(f"{path}:{number}: not JSON ({error})") from None
        query, relevant = (
            (entry.get("query"), entry.get("relevant")) if isinstance(entry, dict) else (None, None)
        )
        if not isinstance(query, str) or not query.strip():
            raise ValueError(f'{path}:{number}: "query" must be a non-empty string')
        if not isinstance(relevant, list) or not all(isinstance(i, str) for i in relevant):
            raise ValueError(f'{path}:{number}: "relevant" must be a list of article ids')
        queries.append(LabelledQuery(query, frozenset(relevant)))
    if not queries:
        raise ValueError(f"{path}: no queries")
    return queries


def evaluate(kb: KnowledgeBase, queries: Sequence[LabelledQuery]) -> SearchScores:
    first, five, reciprocal = 0, 0, 0.0
    for labelled in queries:
        ranked = [hit.article_id for hit in kb.search(labelled.query, limit=DEPTH)]
        rank = next((i for i, a in enumerate(ranked) if a in labelled.relevant), None)
        if rank is not None:
            first += rank == 0
            five += rank < 5
            reciprocal += 1.0 / (rank + 1)
    n = len(queries)
    return SearchScores(first / n, five / n, reciprocal / n, n)
