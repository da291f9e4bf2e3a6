"""Typo tolerance: misspelt words are matched to the KB's own words, real words never."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.kb.index import TantivyKnowledgeBase, build_index
from bot.kb.spelling import Speller
from tests.bot.test_search import make_kb

KB_TEXT = ["Install Tier0 on Windows", "Connect to PostgreSQL", "postgres connection refused"]


@pytest.mark.parametrize(
    ("typo", "fixed"),
    [
        ("instal", "install"),  # a letter missing
        ("installl", "install"),  # one too many
        ("windwos", "windows"),  # two swapped
        ("conection", "connection"),
        ("postgress", "postgres"),
    ],
)
def test_one_edit_away_is_corrected(typo: str, fixed: str) -> None:
    assert Speller.from_texts(KB_TEXT).correct(typo) == fixed


def test_known_short_and_unrelated_words_are_left_alone() -> None:
    speller = Speller.from_texts(KB_TEXT, known={"night"})
    assert speller.correct("install") is None  # a KB word
    assert speller.correct("night") is None  # a real word the KB lacks
    assert speller.correct("dont") is None  # a contraction typed without apostrophe
    assert speller.correct("wnd") is None  # too short to guess
    assert speller.correct("xylophone") is None  # nothing close
    assert speller.suggest("Instal it on Windwos!") == "install it on windows!"
    assert speller.suggest("install it") is None


def test_the_keyword_search_finds_articles_despite_typos(tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb")
    build_index(kb, tmp_path / "index")
    search = TantivyKnowledgeBase(kb, tmp_path / "index")
    assert search.search("instal on windwos")[0].article_id == "install-windows"
    assert search.did_you_mean("instal on windwos") == "install on windows"
    assert search.did_you_mean("install on windows") is None


def test_nothing_found_says_what_the_user_may_have_meant(assistant: object) -> None:
    from tests.drivers import engine_driver

    send = engine_driver(assistant.engine)  # type: ignore[attr-defined]
    replies = send({"text": "how do I configur the qwertzuiop"})
    assert replies[0]["text"] == (
        'I found nothing for that. Did you mean "how do I configure the qwertzuiop"?'
    )
    assert not any(r["type"] == "article" for r in replies)
