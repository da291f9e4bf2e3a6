"""The live index: an edited KB is searchable within a second, without a restart; a
rebuild never shows a search half an index; unchanged articles are not re-embedded."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.kb.articles import ArticleCache, load_articles
from bot.kb.index import TantivyKnowledgeBase, build_index, current_generation
from bot.kb.watch import KbWatcher
from nlu.encoder import SentenceEncoder, shared_encoder
from tests.bot.test_search import THREE_ARTICLES, make_kb, write


class CountingEncoder:
    """The real encoder, counting the texts it is asked to embed."""

    def __init__(self, encoder: SentenceEncoder) -> None:
        self._encoder = encoder
        self.identity = encoder.identity
        self.dimension = encoder.dimension
        self.texts = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return self._encoder.encode(texts)

    def encode_one(self, text: str) -> np.ndarray:
        return self._encoder.encode_one(text)


@pytest.fixture
def encoder() -> SentenceEncoder:
    shared = shared_encoder()
    assert shared is not None, "the test extra installs the encoder"
    return shared


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return make_kb(tmp_path / "kb", THREE_ARTICLES[:2])


def indexed(kb: Path, index: Path, encoder: SentenceEncoder) -> TantivyKnowledgeBase:
    build_index(kb, index, encoder=encoder)
    return TantivyKnowledgeBase(kb, index, encoder)


def wait_for(condition: object, seconds: float = 1.0) -> float:
    """Seconds until `condition()` held; fails after `seconds`."""
    started = time.perf_counter()
    while not condition():  # type: ignore[operator]
        assert time.perf_counter() - started < seconds, f"not within {seconds} s"
        time.sleep(0.02)
    return time.perf_counter() - started


def test_added_changed_and_deleted_articles_are_searchable_within_a_second(
    kb: Path, tmp_path: Path, encoder: SentenceEncoder
) -> None:
    index = tmp_path / "index"
    search = indexed(kb, index, encoder)
    watcher = KbWatcher(kb, lambda paths: build_index(kb, index, encoder=encoder, paths=paths))
    watcher.start()
    try:
        assert not search.search("deploy with the helm chart on kubernetes")
        write(kb, "helm", "Deploy with the Helm chart", "Use kubernetes and helm install.")

        def found(article_id: str, text: str) -> bool:
            hits = search.search(text)
            return bool(hits) and hits[0].article_id == article_id

        wait_for(lambda: found("helm", "deploy with the helm chart on kubernetes"))
        write(kb, "helm", "Run on Nomad", "Schedule the job with nomad run.")
        wait_for(lambda: found("helm", "schedule it with nomad"))
        assert search.get("helm").title == "Run on Nomad"  # type: ignore[union-attr]
        (kb / "helm.md").unlink()
        wait_for(lambda: search.get("helm") is None and not found("helm", "nomad job"))
    finally:
        watcher.stop()


def test_searches_during_rebuilds_always_see_a_whole_index(
    kb: Path, tmp_path: Path, encoder: SentenceEncoder
) -> None:
    index = tmp_path / "index"
    search = indexed(kb, index, encoder)
    results: list[str | None] = []
    stop = threading.Event()

    def keep_searching() -> None:
        while not stop.is_set():
            hits = search.search("backing up the database file")
            results.append(hits[0].article_id if hits else None)

    searcher = threading.Thread(target=keep_searching)
    searcher.start()
    try:
        for _ in range(5):
            build_index(kb, index, force=True, encoder=encoder)
    finally:
        stop.set()
        searcher.join()
    assert results and set(results) == {"backup"}
    generations = [p for p in index.iterdir() if p.is_dir() and p.name.startswith("gen-")]
    assert len(generations) == 2, "the current generation and the one before"
    assert current_generation(index) in generations


def test_only_changed_articles_are_embedded_again(
    kb: Path, tmp_path: Path, encoder: SentenceEncoder
) -> None:
    index = tmp_path / "index"
    counting = CountingEncoder(encoder)
    build_index(kb, index, encoder=counting)  # type: ignore[arg-type]
    assert counting.texts == 4, "two articles, a title and a body text each"
    write(kb, "backup", "Back up your data", "Copy the database file and the index.")
    build_index(kb, index, encoder=counting)  # type: ignore[arg-type]
    assert counting.texts == 6, "only the edited article again"
    search = TantivyKnowledgeBase(kb, index, encoder)
    assert search.search("install it on windows")[0].article_id == "install-windows"


def test_the_article_cache_parses_a_file_again_only_when_it_changed(kb: Path) -> None:
    cache = ArticleCache()
    first = load_articles(kb, cache)
    again = load_articles(kb, cache)
    assert all(a is b for a, b in zip(first.articles, again.articles, strict=True))
    write(kb, "backup", "Back up everything", "Copy the database file somewhere safe.")
    changed = {a.id: a for a in load_articles(kb, cache).articles}
    assert changed["backup"].title == "Back up everything"
    before = {a.id: a for a in first.articles}
    assert changed["install-windows"] is before["install-windows"], "not parsed again"


def test_an_edit_is_applied_as_an_update_that_every_reader_sees(
    kb: Path, tmp_path: Path, encoder: SentenceEncoder
) -> None:
    index = tmp_path / "index"
    search = indexed(kb, index, encoder)
    generation = current_generation(index)
    write(kb, "helm", "Deploy with the Helm chart", "Use kubernetes and helm install.")
    report = build_index(kb, index, encoder=encoder, paths=["helm.md"])
    assert report.rebuilt and not report.full and report.changed == 1
    assert current_generation(index) == generation, "an update, not a new generation"
    assert search.search("deploy on kubernetes with helm")[0].article_id == "helm"
    assert search.semantic, "the new article got its vector in the same update"
    reopened = TantivyKnowledgeBase(kb, index, encoder)  # another process, started later
    assert reopened.search("deploy on kubernetes with helm")[0].article_id == "helm"
    assert reopened.did_you_mean("kubernets") == "kubernetes", "the speller learnt its words"
    (kb / "helm.md").unlink()
    assert build_index(kb, index, encoder=encoder).changed == 1, "found by a full check too"
    assert search.get("helm") is None and reopened.get("helm") is None
    assert not [h for h in search.search("helm kubernetes") if h.article_id == "helm"]


SEARCH_UNTIL_FOUND = """
import sys, time
from pathlib import Path
from bot.kb.index import TantivyKnowledgeBase
from nlu.encoder import shared_encoder
kb = TantivyKnowledgeBase(Path(sys.argv[1]), Path(sys.argv[2]), shared_encoder())
print("ready", flush=True)
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    hits = kb.search("nomad job scheduling")
    if hits and hits[0].article_id == "nomad":
        print("found", flush=True)
        break
    time.sleep(0.02)
"""


def test_a_server_process_sees_another_process_update_without_restarting(
    kb: Path, tmp_path: Path, encoder: SentenceEncoder
) -> None:
    import subprocess
    import sys

    index = tmp_path / "index"
    indexed(kb, index, encoder)
    reader = subprocess.Popen(
        [sys.executable, "-c", SEARCH_UNTIL_FOUND, str(kb), str(index)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "ready"
        write(kb, "nomad", "Run on Nomad", "Schedule the job with nomad run.")
        build_index(kb, index, encoder=encoder, paths=["nomad.md"])
        assert reader.stdout.readline().strip() == "found"
    finally:
        reader.kill()
        reader.wait()


def test_ids_stay_unique_across_updates(kb: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(kb, index)
    search = TantivyKnowledgeBase(kb, index)
    (kb / "zz-copy.md").write_text("---\ntitle: Another backup\nid: backup\n---\nCopy it.\n")
    report = build_index(kb, index, paths=["zz-copy.md"])
    assert any("duplicate id 'backup'" in error for error in report.errors)
    assert search.get("backup").title == "Back up your data"  # type: ignore[union-attr]
    (kb / "backup.md").unlink()
    report = build_index(kb, index, paths=["backup.md"])
    assert not report.errors, "the file that wanted the freed id is read again"
    assert search.get("backup").title == "Another backup"  # type: ignore[union-attr]


def test_a_broken_edit_is_reported_and_its_fix_restores_the_article(
    kb: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    build_index(kb, index)
    search = TantivyKnowledgeBase(kb, index)
    good = (kb / "backup.md").read_text()
    (kb / "backup.md").write_text("---\ntitle: [\n---\n")
    report = build_index(kb, index, paths=["backup.md"])
    assert [e for e in report.errors if "backup.md:2: invalid YAML" in e]
    assert search.get("backup") is None
    (kb / "backup.md").write_text(good)
    assert not build_index(kb, index, paths=["backup.md"]).errors
    assert search.search("back up the database file")[0].article_id == "backup"


def test_a_server_answers_before_a_new_kb_is_embedded(
    kb: Path, tmp_path: Path, encoder: SentenceEncoder
) -> None:
    from bot.kb.update import embed_missing

    index = tmp_path / "index"
    report = build_index(kb, index, encoder=encoder, embed=False)
    assert report.full and report.missing_vectors == 2
    search = TantivyKnowledgeBase(kb, index, encoder)
    assert not search.semantic, "BM25 alone until every article has its vector"
    assert search.search("install on windows")[0].article_id == "install-windows"
    assert embed_missing(kb, index, encoder) == 2
    assert search.semantic
    assert search.search("setting it up on a pc")[0].article_id == "install-windows"
    assert build_index(kb, index, encoder=encoder).missing_vectors == 0


def test_a_long_journal_is_folded_into_a_full_build(
    kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.kb.sync

    monkeypatch.setattr(bot.kb.sync, "MAX_UPDATES", 2)
    index = tmp_path / "index"
    build_index(kb, index)
    for number in range(2):
        write(kb, f"extra{number}", f"Extra article {number}", "More text.")
        assert not build_index(kb, index, paths=[f"extra{number}.md"]).full
    write(kb, "extra2", "Extra article 2", "More text.")
    report = build_index(kb, index, paths=["extra2.md"])
    assert report.full and report.articles == 5
    assert TantivyKnowledgeBase(kb, index).get("extra2") is not None
