"""`tier0 kb lint`: every problem in the KB as `file:line: problem`, errors before warnings."""

from __future__ import annotations

import re
from collections.abc import Container, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.kb.articles import Article, load_articles
from bot.kb.synonyms import SYNONYMS_FILE
from bot.kb.synonyms import parse as parse_synonyms

MIN_FIX_STEPS = 1


@dataclass(frozen=True, order=True)
class Problem:
    path: Path
    line: int
    message: str
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.path}:{self.line}: {prefix}{self.message}"


def article_problems(article: Article, known_ids: Container[str]) -> list[Problem]:
    path, lines = article.path, article.field_lines
    problems = [
        Problem(path, lines.get(name, 1), f"unknown field '{name}'")
        for name in article.unknown_fields
    ]
    problems += [
        Problem(path, link.line, f"broken link: no article with id '{link.target_id}'")
        for link in article.links
        if link.target_id not in known_ids
    ]
    problems += [
        Problem(path, lines.get("related", 1), f"'related' names unknown article '{rid}'")
        for rid in article.related
        if rid not in known_ids
    ]
    if article.guided_fix is not None:
        fix = article.guided_fix
        if len(fix.steps) < MIN_FIX_STEPS:
            problems.append(
                Problem(path, fix.line, "guided fix has no steps (add '### Step title' headings)")
            )
        problems += [Problem(path, p.line, p.message, p.severity) for p in fix.problems]
    if article.category is None:
        problems.append(Problem(path, 2, "no 'category'", "warning"))
    if not article.summary:
        problems.append(Problem(path, 2, "no 'summary' and no opening paragraph", "warning"))
    return problems


def _shared_questions(articles: Sequence[Article]) -> list[Problem]:
    """A sample question listed by two articles teaches the search nothing but a tie."""
    first: dict[str, Article] = {}
    problems = []
    for article in sorted(articles, key=lambda a: str(a.path)):
        for question in article.questions:
            key = " ".join(re.findall(r"\w+", question.casefold()))
            owner = first.setdefault(key, article)
            if owner is not article:
                line = article.field_lines.get("questions", 1)
                message = f"sample question {question!r} is also in article '{owner.id}'"
                problems.append(Problem(article.path, line, message, "warning"))
    return problems


def lint(kb_dir: Path) -> list[Problem]:
    loaded = load_articles(kb_dir)
    problems = [Problem(e.path, e.line, e.message) for e in loaded.errors]
    synonyms = kb_dir / SYNONYMS_FILE
    problems += [Problem(synonyms, p.line, p.message) for p in parse_synonyms(synonyms)[1]]
    known = {article.id for article in loaded.articles}
    for article in loaded.articles:
        problems += article_problems(article, known)
    problems += _shared_questions(loaded.articles)
    return sorted(problems, key=lambda p: (p.severity != "error", str(p.path), p.line))
