"""Search-result snippets: the best-matching passage, with offsets of the matching words."""

from __future__ import annotations

from pathlib import Path

from bot.kb.articles import parse_article
from bot.kb.index import TantivyKnowledgeBase, build_index
from bot.kb.snippets import WIDTH, Snippet, make_snippet
from tests.bot.test_search import make_kb


def stem(word: str) -> str:
    return word.rstrip("s")  # enough of a stemmer to show that stems, not words, match


def article(body: str) -> object:
    return parse_article(Path("a.md"), f"---\ntitle: T\nsummary: The summary.\n---\n{body}\n")


def test_the_sentence_with_most_query_stems_is_chosen_and_marked() -> None:
    body = "## Ports\nPick a port.\n\nAnother program may use ports 8000 and 8001. Unrelated."
    snippet = make_snippet(article(body), frozenset({"port", "program"}), stem)  # type: ignore[arg-type]
    assert snippet.text == "Another program may use ports 8000 and 8001."
    assert [snippet.text[a:b] for a, b in snippet.highlights] == ["program", "ports"]
    assert snippet.marked("<", ">") == "Another <program> may use <ports> 8000 and 8001."


def test_no_match_falls_back_to_the_summary() -> None:
    snippet = make_snippet(article("Nothing relevant here."), frozenset({"zebra"}), stem)  # type: ignore[arg-type]
    assert snippet == Snippet("The summary.")


def test_a_long_sentence_is_cut_around_its_first_match() -> None:
    body = " ".join(["filler"] * 80) + " the port is busy " + " ".join(["tail"] * 80) + "."
    snippet = make_snippet(article(body), frozenset({"port"}), stem)  # type: ignore[arg-type]
    assert len(snippet.text) <= WIDTH + 2 and snippet.text.startswith("…")
    assert [snippet.text[a:b] for a, b in snippet.highlights] == ["port"]


def test_search_hits_carry_snippets(tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb")
    build_index(kb, tmp_path / "index")
    hit = TantivyKnowledgeBase(kb, tmp_path / "index").search("paste the signing secret")[0]
    assert hit.article_id == "slack" and hit.snippet is not None
    assert "**signing** **secret**" in hit.snippet.marked()
