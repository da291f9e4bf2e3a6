"""The shipped KB answers realistic questions with the right article first (issue 4).

Unit tests of the search use tiny made-up KBs; this module checks what users actually
get from the 40 articles in kb_articles/: the real index, built with the real sentence
encoder exactly as the app builds it, asked the questions in kb_questions.yml. Those
were written from the articles' content as users type them (symptoms, error messages,
typos), not from the titles, and are not tuned to pass: a miss says an article lacks
its users' words or that two articles compete, which is what this test is for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot.kb.articles import load_articles
from bot.kb.index import TantivyKnowledgeBase, build_index
from nlu.encoder import shared_encoder

KB_DIR = Path(__file__).resolve().parents[2] / "kb_articles"
QUESTIONS_FILE = Path(__file__).with_name("kb_questions.yml")
MIN_QUESTIONS_PER_ARTICLE = 3
MIN_QUESTIONS = 60
# Issue 4's target: the right article first for 90 % (the search reaches 90.1 %, top-3
# 97.7 %, with the articles' sample questions; docs/search.md).
MIN_TOP1_SHARE = 0.90
MIN_TOP3_SHARE = 0.95


@dataclass(frozen=True)
class Answer:
    question: str
    expected: str
    got: list[str]  # the ids of the top 3 hits, best first

    @property
    def top1(self) -> bool:
        return bool(self.got) and self.got[0] == self.expected

    @property
    def top3(self) -> bool:
        return self.expected in self.got


def load_questions() -> dict[str, list[str]]:
    data = yaml.safe_load(QUESTIONS_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{QUESTIONS_FILE.name} must map article ids to lists"
    return {str(article_id): [str(q) for q in questions] for article_id, questions in data.items()}


@pytest.fixture(scope="module")
def questions() -> dict[str, list[str]]:
    return load_questions()


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> TantivyKnowledgeBase:
    encoder = shared_encoder()
    assert encoder is not None, "the sentence encoder (test extra) is not installed"
    index_dir = tmp_path_factory.mktemp("shipped-kb") / "index"
    report = build_index(KB_DIR, index_dir, encoder=encoder)
    assert not report.errors, report.errors
    return TantivyKnowledgeBase(KB_DIR, index_dir, encoder)


@pytest.fixture(scope="module")
def answers(kb: TantivyKnowledgeBase, questions: dict[str, list[str]]) -> list[Answer]:
    assert kb.semantic, "the index was built without article vectors"
    return [
        Answer(question, expected, [hit.article_id for hit in kb.search(question, limit=3)])
        for expected, asked in questions.items()
        for question in asked
    ]


def test_every_article_has_questions_and_every_id_exists(
    questions: dict[str, list[str]],
) -> None:
    article_ids = {article.id for article in load_articles(KB_DIR).articles}
    assert article_ids, "no articles found in kb_articles/"
    unknown = sorted(set(questions) - article_ids)
    assert not unknown, f"ids in {QUESTIONS_FILE.name} with no article: {unknown}"
    too_few = sorted(
        article_id
        for article_id in article_ids
        if len(questions.get(article_id, [])) < MIN_QUESTIONS_PER_ARTICLE
    )
    assert not too_few, f"articles with fewer than {MIN_QUESTIONS_PER_ARTICLE} questions: {too_few}"


def test_enough_questions(questions: dict[str, list[str]]) -> None:
    total = sum(len(asked) for asked in questions.values())
    assert total >= MIN_QUESTIONS, f"only {total} questions"


def test_right_article_comes_first(answers: list[Answer]) -> None:
    top1 = sum(answer.top1 for answer in answers) / len(answers)
    top3 = sum(answer.top3 for answer in answers) / len(answers)
    misses = [
        f"{a.question} -> got {a.got[0] if a.got else 'nothing'} (expected {a.expected})"
        for a in answers
        if not a.top1
    ]
    summary = f"top-1 {top1:.1%}, top-3 {top3:.1%} of {len(answers)} questions"
    print(summary)  # shown with -s or -rP
    assert top1 >= MIN_TOP1_SHARE, summary + "; misses:\n" + "\n".join(misses)
    assert top3 >= MIN_TOP3_SHARE, summary + "; misses:\n" + "\n".join(misses)
