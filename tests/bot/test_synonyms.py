"""The KB's synonyms file: parsed with line-numbered problems, applied at query time,
and part of the KB's fingerprint so an edit reaches a running search."""

from __future__ import annotations

from pathlib import Path

from bot.kb.index import TantivyKnowledgeBase, build_index
from bot.kb.lint import lint
from bot.kb.synonyms import SYNONYMS_FILE, Synonyms, parse
from tests.bot.test_search import make_kb, write


def test_groups_comments_and_problems(tmp_path: Path) -> None:
    path = tmp_path / SYNONYMS_FILE
    path.write_text(
        "# a comment\n"
        "Log In, login, sign-in  # trailing comment\n"
        "\n"
        "lonely\n"
        "db, database, DB\n"
        "postgres, database\n"
    )
    groups, problems = parse(path)
    assert groups == (("log in", "login", "sign in"), ("db", "database"), ("postgres", "database"))
    assert [(p.line, p.message) for p in problems] == [
        (4, "a synonym group needs two or more entries"),
        (6, "'database' is already in the group on line 5"),
    ]
    assert parse(tmp_path / "absent.txt") == ((), [])


def test_expansion_matches_whole_words_only() -> None:
    synonyms = Synonyms((("log in", "login", "sign in"), ("db", "database")))
    assert synonyms.expand("I can't Sign-In anymore") == ["log in", "login"]
    assert synonyms.expand("my dbase is gone") == []
    assert synonyms.expand("db and login") == ["log in", "sign in", "database"]


def test_a_synonym_finds_the_article_bm25_alone_would_miss(tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb")
    write(kb, "reset", "Reset your password", "Open the log in page and choose reset.")
    index = tmp_path / "index"
    build_index(kb, index)
    search = TantivyKnowledgeBase(kb, index)
    assert not search.search("logon trouble")
    (kb / SYNONYMS_FILE).write_text("log in, logon\n")
    hits = search.search("logon trouble")
    assert hits and hits[0].article_id == "reset", "a running search reads the edited file"
    assert not build_index(kb, index).rebuilt, "synonyms apply at query time: no rebuild"


def test_lint_reports_the_synonyms_file(tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb")
    (kb / SYNONYMS_FILE).write_text("ok, fine\nalone\n")
    problems = [str(p) for p in lint(kb)]
    assert f"{kb / SYNONYMS_FILE}:2: a synonym group needs two or more entries" in problems


def test_the_shipped_synonyms_file_is_clean() -> None:
    shipped = Path(__file__).resolve().parents[2] / "kb_articles" / SYNONYMS_FILE
    groups, problems = parse(shipped)
    assert groups and not problems
