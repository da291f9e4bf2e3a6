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
    watcher = KbWatcher(kb, lambda: build_index(kb, index, encoder=encoder), interval=0.1)
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
