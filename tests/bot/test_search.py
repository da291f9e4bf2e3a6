from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.kb.base import SearchFilters
from bot.kb.index import ANSWER_FLOOR, TantivyKnowledgeBase, build_index, current_generation
from bot.kb.query import search_terms
from bot.kb.vectors import VECTORS_FILE
from nlu.encoder import SentenceEncoder, shared_encoder

ARTICLE = "---\ntitle: {title}\ncategory: howto\ntags: [{tags}]\n---\n{body}\n"


def write(kb: Path, name: str, title: str, body: str, tags: str = "") -> None:
    (kb / f"{name}.md").write_text(ARTICLE.format(title=title, body=body, tags=tags))


THREE_ARTICLES = (
    ("install-windows", "Install on Windows", "Run the installer as admin."),
    ("backup", "Back up your data", "Copy the database file somewhere safe."),
    ("slack", "Connect Slack", "Create a Slack app, paste the signing secret."),
)


def make_kb(directory: Path, articles: tuple[tuple[str, str, str], ...] = THREE_ARTICLES) -> Path:
    """A small KB of made-up articles (id, title, body) in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, title, body in articles:
        write(directory, name, title, body)
    return directory


@pytest.fixture
def small_kb(tmp_path: Path) -> tuple[Path, Path]:
    kb = tmp_path / "kb"
    kb.mkdir()
    write(
        kb,
        "install-windows",
        "Install on Windows",
        "Run the installer as administrator.",
        "setup, windows",
    )
    write(kb, "backup", "Back up your data", "Copy the database file somewhere safe.", "backups")
    write(kb, "slack", "Connect Slack", "Create a Slack app and paste the signing secret.")
    (kb / "broken.md").write_text("---\ntitle: [\n---\n")
    return kb, tmp_path / "index"


def test_search_terms_are_parser_safe() -> None:
    assert search_terms('Can\'t install C++ on Windows: "AND" (error)') == [
        "cant",
        "install",
        "c",
        "windows",
        "error",
    ]
    assert search_terms("(" * 10_000) == []
    assert len(search_terms(" ".join(f"word{i}" for i in range(500)))) == 32


def test_build_search_and_skip_when_current(small_kb: tuple[Path, Path]) -> None:
    kb, index = small_kb
    report = build_index(kb, index)
    assert report.rebuilt and report.articles == 3
    assert any("broken.md" in e for e in report.errors), "a bad file is reported, not fatal"
    assert not build_index(kb, index).rebuilt
    search = TantivyKnowledgeBase(kb, index)
    hits = search.search("how do I install it on windows?")
    assert hits[0].article_id == "install-windows"
    assert hits[0].matched_terms == 2 and hits[0].coverage == 1.0
    assert search.search("backing up my data")[0].article_id == "backup"


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "can't",
        "C++",
        "a:b",
        "title:x",
        "AND",
        "foo AND",
        "*",
        "((((",
        "(" * 10_000,
        "🔥🙈",
        "x" * 10_000,
        "",
        "   ",
        "NOT OR AND",
        "\x00",
        "install~2 ^3 [1 TO 5]",
    ],
)
def test_any_text_searches_without_raising(small_kb: tuple[Path, Path], text: str) -> None:
    kb, index = small_kb
    build_index(kb, index)
    assert isinstance(TantivyKnowledgeBase(kb, index).search(text), list)


def test_rebuild_is_visible_to_a_running_searcher(small_kb: tuple[Path, Path]) -> None:
    kb, index = small_kb
    build_index(kb, index)
    search = TantivyKnowledgeBase(kb, index)
    assert not search.search("kubernetes helm chart")
    time.sleep(0.01)
    write(kb, "helm", "Deploy with the Helm chart", "Use kubernetes and helm.")
    assert build_index(kb, index).rebuilt
    assert search.search("kubernetes helm chart")[0].article_id == "helm"
    assert search.get("helm") is not None


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="tier0 kb index"):
        TantivyKnowledgeBase(tmp_path, tmp_path / "index")


# With the sentence encoder: meaning first, BM25 as a tie-breaker.


def generation_of(index: Path) -> Path:
    generation = current_generation(index)
    assert generation is not None
    return generation


@pytest.fixture
def encoder() -> SentenceEncoder:
    shared = shared_encoder()
    assert shared is not None, "the test extra installs the encoder"
    return shared


def test_semantic_search_finds_paraphrases_that_share_no_words(
    small_kb: tuple[Path, Path], encoder: SentenceEncoder
) -> None:
    kb, index = small_kb
    build_index(kb, index, encoder=encoder)
    lexical, semantic = TantivyKnowledgeBase(kb, index), TantivyKnowledgeBase(kb, index, encoder)
    assert semantic.semantic and not lexical.semantic
    question = "archive everything so nothing gets lost"
    assert not lexical.search(question), "no shared word: BM25 finds nothing"
    assert semantic.search(question)[0].article_id == "backup"
    assert semantic.search("how do I install it on windows?")[0].article_id == "install-windows"


def test_unrelated_text_finds_nothing_by_meaning_alone(
    small_kb: tuple[Path, Path], encoder: SentenceEncoder
) -> None:
    kb, index = small_kb
    build_index(kb, index, encoder=encoder)
    search = TantivyKnowledgeBase(kb, index, encoder)
    assert search.search("what's the weather like in lisbon tomorrow") == []
    assert search.search("🔥🙈") == []


def test_an_index_without_vectors_is_rebuilt_once_the_encoder_is_there(
    small_kb: tuple[Path, Path], encoder: SentenceEncoder
) -> None:
    kb, index = small_kb
    assert build_index(kb, index).rebuilt
    assert not (generation_of(index) / VECTORS_FILE).exists()
    assert not TantivyKnowledgeBase(kb, index, encoder).semantic
    assert build_index(kb, index, encoder=encoder).rebuilt
    assert (generation_of(index) / VECTORS_FILE).exists()
    assert not build_index(kb, index, encoder=encoder).rebuilt


def test_damaged_vectors_fall_back_to_bm25(
    small_kb: tuple[Path, Path], encoder: SentenceEncoder
) -> None:
    kb, index = small_kb
    build_index(kb, index, encoder=encoder)
    (generation_of(index) / VECTORS_FILE).write_bytes(b"not an npz")
    search = TantivyKnowledgeBase(kb, index, encoder)
    assert not search.semantic
    assert search.search("install on windows")[0].article_id == "install-windows"


@pytest.mark.parametrize("text", ['"', "(" * 10_000, "x" * 10_000, "\x00", "title:x AND *"])
def test_any_text_searches_semantically_without_raising(
    small_kb: tuple[Path, Path], encoder: SentenceEncoder, text: str
) -> None:
    kb, index = small_kb
    build_index(kb, index, encoder=encoder)
    assert isinstance(TantivyKnowledgeBase(kb, index, encoder).search(text), list)


def test_filters_by_category_product_and_version(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    front = "---\ntitle: {title}\ncategory: {category}\nproducts: [{products}]\n{versions}---\n"
    for name, title, category, products, versions in (
        ("install-old", "Install the agent", "installation", "agent", "versions: ['1.2']\n"),
        ("install-new", "Install the agent", "installation", "agent", "versions: ['2.0']\n"),
        ("install-any", "Install anything", "installation", "", ""),
        ("fix-install", "Install fails", "troubleshooting", "console", ""),
    ):
        text = front.format(title=title, category=category, products=products, versions=versions)
        (kb / f"{name}.md").write_text(text + "Run the installer.\n")
    build_index(kb, tmp_path / "index")
    search = TantivyKnowledgeBase(kb, tmp_path / "index")

    def ids(**filters: str) -> set[str]:
        return {hit.article_id for hit in search.search("install", 10, SearchFilters(**filters))}

    assert ids() == {"install-old", "install-new", "install-any", "fix-install"}
    assert ids(category="troubleshooting") == {"fix-install"}
    assert ids(product="Agent") == {"install-old", "install-new", "install-any"}
    assert ids(product="agent", version="1.2.7") == {"install-old", "install-any"}
    assert ids(version="2") == {"install-new", "install-any", "fix-install"}


def test_a_rare_exact_term_is_found_even_when_its_meaning_is_unclear(
    tmp_path: Path, encoder: SentenceEncoder
) -> None:
    kb = make_kb(tmp_path / "kb")
    write(
        kb, "sync-error", "Sync problems", "If you see 0x80070005 qzx-77 the folder is read-only."
    )
    build_index(kb, tmp_path / "index", encoder=encoder)
    search = TantivyKnowledgeBase(kb, tmp_path / "index", encoder)
    # "qzx" alone is below the answer floor by meaning (0.399 measured): found as a word.
    hits = search.search("qzx")
    assert [hit.article_id for hit in hits] == ["sync-error"]
    assert hits[0].score < ANSWER_FLOOR
    assert search.search("zzzz") == []
