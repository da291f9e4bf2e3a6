"""The index directory's layout: generations, the `CURRENT` pointer and the update journal.

A full build writes a new generation directory beside the current one and then
switches `CURRENT` to it (an atomic rename), so a search sees the old index or the new
one, never half of one; the previous generation is kept for searches still reading
it. Between full builds a generation is changed in place by small updates (one
article file added, edited or removed, see `bot.kb.update`): tantivy commits each one
atomically, and the rest of the update (the article's vector, its words for the
speller, the files' new state) is one numbered journal file under `updates/`. The
generation's `UPDATED` file names the last complete update; it is written last, so a
searcher that sees number N finds tantivy's commit and journal files 1..N in place.

    index/
      CURRENT                  "gen-1764633600000000000"
      gen-1764633600000000000/
        (tantivy's files)
        manifest.json          schema, encoder, article count, build time
        files.json             every article file's size, mtime, digest, id or error
        vectors.npz            article vectors at build time (bot.kb.vectors)
        words.json             how many articles use each word (bot.kb.spelling)
        updates/00000001.npz   one per update since the build
        UPDATED                "1"
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

import numpy as np

CURRENT = "CURRENT"  # names the generation directory searches use
MANIFEST = "manifest.json"
FILES = "files.json"
WORDS = "words.json"
UPDATES = "updates"
UPDATED = "UPDATED"  # the number of the last update a searcher may apply
KEEP_GENERATIONS = 2  # the current one and the one before, for searches still on it


def current_generation(index_dir: Path) -> Path | None:
    """The generation directory `CURRENT` names, or None when there is none yet."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    path = index_dir / name
    return path if name and "/" not in name and path.is_dir() else None


def read_json(path: Path) -> Any:
    """A JSON file's value, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, value: object) -> None:
    """Write atomically: a reader sees the old file or the new one."""
    pending = path.with_name(f".{path.name}.tmp")
    pending.write_text(json.dumps(value, separators=(",", ":")), encoding="utf-8")
    os.replace(pending, path)


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    generation = current_generation(index_dir)
    data = read_json(generation / MANIFEST) if generation is not None else None
    return data if isinstance(data, dict) else None


def new_generation(index_dir: Path) -> Path:
    if (index_dir / "meta.json").exists() and not (index_dir / CURRENT).exists():
        shutil.rmtree(index_dir)  # an index from before generations: rebuild it whole
    index_dir.mkdir(parents=True, exist_ok=True)
    generation = index_dir / f"gen-{time.time_ns()}"
    generation.mkdir()
    (generation / UPDATES).mkdir()
    return generation


def switch_to(index_dir: Path, generation: Path) -> None:
    """Point `CURRENT` at `generation` atomically, then drop the oldest generations."""
    pending = index_dir / f".{CURRENT}.{generation.name}"
    pending.write_text(generation.name, encoding="utf-8")
    os.replace(pending, index_dir / CURRENT)
    # Runs under the index lock: no other build is writing, so a generation without a
    # manifest is one a crashed build left half written.
    generations = sorted(p for p in index_dir.glob("gen-*") if p.is_dir())
    whole = [p for p in generations if (p / MANIFEST).is_file()]
    keep = {generation, *whole[-KEEP_GENERATIONS:]}
    for old in generations:
        if old not in keep:
            shutil.rmtree(old, ignore_errors=True)


def last_update(generation: Path) -> int:
    """The number of the generation's last complete update (0: none since the build)."""
    try:
        return int((generation / UPDATED).read_text(encoding="utf-8").strip() or 0)
    except (OSError, ValueError):
        return 0


def update_path(generation: Path, number: int) -> Path:
    return generation / UPDATES / f"{number:08d}.npz"


def write_update(generation: Path, number: int, meta: dict[str, Any], **arrays: Any) -> None:
    """Journal file `number`: `meta` (JSON) and arrays; then `UPDATED` names it."""
    path = update_path(generation, number)
    pending = path.with_name(f".{path.name}.tmp")
    with pending.open("wb") as handle:
        np.savez(handle, meta=np.array(json.dumps(meta)), **arrays)
        handle.flush()
        os.fsync(handle.fileno())  # on disk before `UPDATED` may name it
    os.replace(pending, path)
    marker = generation / f".{UPDATED}.tmp"
    marker.write_text(str(number), encoding="utf-8")
    os.replace(marker, generation / UPDATED)


def read_updates(generation: Path, after: int, upto: int) -> Iterator[tuple[dict[str, Any], Any]]:
    """(meta, arrays) of updates `after`+1 .. `upto`, in order."""
    for number in range(after + 1, upto + 1):
        path = update_path(generation, number)
        try:
            with np.load(path, allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
            meta = json.loads(str(arrays.pop("meta")))
        except (OSError, ValueError, KeyError, EOFError, BadZipFile) as error:
            raise ValueError(f"damaged index journal entry {path}: {error}") from None
        yield meta, arrays
