"""The live index under renames, crashes, symlinks, damaged files and races.

BM25 only (no encoder): these are about what the index holds, not how it ranks.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
import tantivy

from bot.kb.generations import current_generation
from bot.kb.index import TantivyKnowledgeBase
from bot.kb.sync import build_index

ARTICLE = "---\nid: {id}\ntitle: {title}\n---\n{body}\n"


def put(kb: Path, name: str, article_id: str, title: str, body: str) -> None:
    (kb / name).write_text(ARTICLE.format(id=article_id, title=title, body=body))


def indexed_alpha_kb(tmp_path: Path) -> tuple[Path, Path]:
    """(KB dir, index dir): a KB of one article, id "a", indexed."""
    kb = tmp_path / "kb"
    kb.mkdir()
    put(kb, "a.md", "a", "Alpha", "alpha body")
    index = tmp_path / "index"
    build_index(kb, index)
    return kb, index


def test_rename_to_a_name_sorting_first_keeps_the_article(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    put(kb, "zz-install.md", "install", "Install on Windows", "Run the installer.")
    put(kb, "other.md", "other", "Something else", "Nothing here.")
    index = tmp_path / "index"
    build_index(kb, index)
    os.rename(kb / "zz-install.md", kb / "aa-install.md")  # what a watcher reports
    report = build_index(kb, index, paths=["aa-install.md", "zz-install.md"])
    assert report.errors == (), "the renamed file keeps its id"
    hits = TantivyKnowledgeBase(kb, index).search("installer windows")
    assert [h.article_id for h in hits][:1] == ["install"]


def test_rename_full_check_keeps_the_article(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    put(kb, "zz-install.md", "install", "Install on Windows", "Run the installer.")
    index = tmp_path / "index"
    build_index(kb, index)
    os.rename(kb / "zz-install.md", kb / "aa-install.md")
    build_index(kb, index)  # paths=None, the watcher's periodic rescan / a server start
    assert TantivyKnowledgeBase(kb, index).get("install") is not None


def test_new_file_committed_but_not_journaled_is_not_indexed_twice(tmp_path: Path) -> None:
    """Crash window: tantivy commit done, journal/UPDATED not written (process killed)."""
    kb, index = indexed_alpha_kb(tmp_path)
    put(kb, "b.md", "b", "Bravo", "bravo body")
    import bot.kb.update as update

    original = update.write_update

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # stands in for SIGKILL / power loss after the commit

    update.write_update = crash
    try:
        with contextlib.suppress(KeyboardInterrupt):
            build_index(kb, index, paths=["b.md"])
    finally:
        update.write_update = original
    import bot.kb.state as state

    state._cache.clear()  # a new process
    build_index(kb, index, paths=["b.md"])
    generation = current_generation(index)
    idx = tantivy.Index.open(str(generation))
    searcher = idx.searcher()
    hits = searcher.search(tantivy.Query.term_query(idx.schema, "id", "b"), 10).hits
    assert len(hits) == 1, f"{len(hits)} documents with id 'b'"
    assert searcher.num_docs == 2


def test_watcher_paths_of_a_symlink_stay_inside_the_kb(tmp_path: Path) -> None:
    """A path that climbs out of the KB is refused; a link is known by its own name."""
    kb = tmp_path / "kb"
    kb.mkdir()
    put(kb, "a.md", "a", "Alpha", "alpha body")
    outside = tmp_path / "outside"
    outside.mkdir()
    put(outside, "secret.md", "secret", "Secret", "hunter2 password")
    index = tmp_path / "index"
    build_index(kb, index)
    os.symlink(outside / "secret.md", kb / "link.md")
    assert not build_index(kb, index, paths=["../outside/secret.md"]).rebuilt
    assert not TantivyKnowledgeBase(kb, index).search("hunter2 password")
    build_index(kb, index, paths=["link.md"])  # a link in the KB: its target, by its name
    assert TantivyKnowledgeBase(kb, index).get("secret") is not None
    os.unlink(kb / "link.md")
    build_index(kb, index, paths=["link.md"])
    build_index(kb, index)
    assert not TantivyKnowledgeBase(kb, index).search("hunter2 password")


def test_a_new_searcher_does_not_suggest_words_of_deleted_articles(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    put(kb, "a.md", "a", "Alpha", "alpha body")
    put(kb, "b.md", "b", "Bravo", "configure the kubernetes cluster")
    index = tmp_path / "index"
    build_index(kb, index)
    live = TantivyKnowledgeBase(kb, index)
    (kb / "b.md").unlink()
    build_index(kb, index, paths=["b.md"])
    assert live.did_you_mean("kubernetis") is None  # a searcher that caught up
    assert TantivyKnowledgeBase(kb, index).did_you_mean("kubernetis") is None  # a new one


def test_a_truncated_journal_entry_is_a_warning_not_an_exception(tmp_path: Path) -> None:
    kb, index = indexed_alpha_kb(tmp_path)
    live = TantivyKnowledgeBase(kb, index)
    put(kb, "b.md", "b", "Bravo", "bravo body")
    build_index(kb, index, paths=["b.md"])
    entry = current_generation(index) / "updates" / "00000001.npz"
    entry.write_bytes(entry.read_bytes()[:200])  # power loss before the data reached disk
    assert live.search("alpha")[0].article_id == "a", "a warning, and the old snapshot"


def test_a_truncated_journal_entry_makes_the_writer_rebuild(tmp_path: Path) -> None:
    kb, index = indexed_alpha_kb(tmp_path)
    put(kb, "b.md", "b", "Bravo", "bravo body")
    build_index(kb, index, paths=["b.md"])
    entry = current_generation(index) / "updates" / "00000001.npz"
    entry.write_bytes(entry.read_bytes()[:200])
    import bot.kb.state as state

    state._cache.clear()  # a server starting
    report = build_index(kb, index)
    assert report.full, "a damaged journal: built again from the files"
    assert TantivyKnowledgeBase(kb, index).search("bravo")[0].article_id == "b"


def test_a_synonyms_reload_racing_a_catch_up_does_not_regress_the_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thread A in _refresh's not-stale branch (synonyms changed) while thread B catches
    up to a new update: A stores its old snapshot back; the next search applies the
    update's speller deltas a second time to the shared Speller."""
    import bot.kb.index as index_module

    kb, index = indexed_alpha_kb(tmp_path)
    live = TantivyKnowledgeBase(kb, index)
    real_stamp = index_module._stamp
    calls = {"n": 0}

    def stamp(path: Path) -> tuple[int, int] | None:
        calls["n"] += 1
        if calls["n"] == 1:  # thread A, after its staleness check
            put(kb, "b.md", "b", "Bravo", "configure the kubernetes cluster")
            build_index(kb, index, paths=["b.md"])
            monkeypatch.setattr(index_module, "_stamp", real_stamp)
            live._refresh()  # thread B catches up to update 1
            monkeypatch.setattr(index_module, "_stamp", stamp)
            return (1, 1)  # synonyms.txt changed
        return real_stamp(path)

    monkeypatch.setattr(index_module, "_stamp", stamp)
    live.search("alpha")  # thread A
    monkeypatch.setattr(index_module, "_stamp", real_stamp)
    assert live._snapshot.update == 1, "the snapshot went back to update 0"
