"""An article file as text: front matter and body apart and back together, with as
little change as possible, and a problem's place as the editor's form shows it.

Pure functions over strings, shared by the KB editor's workflow (bot/kb/editor.py)
and its web views; nothing here reads or writes a file.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.kb.articles import ArticleError, split_front_matter

# The front-matter fields the editor shows one by one, in the order files use them.
FIELD_ORDER = (
    "title",
    "id",
    "category",
    "audience",
    "summary",
    "tags",
    "products",
    "versions",
    "related",
    "questions",
    "updated",
)


def normalise(text: str) -> str:
    """One line ending, one final newline: diffs then show what the editor changed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.rstrip("\n") + "\n"


def compose(fields: dict[str, Any], body: str) -> str:
    """An article file from front-matter fields and a Markdown body. Empty fields are
    left out; fields the editor does not show are kept, after the known ones."""
    ordered = {name: fields[name] for name in FIELD_ORDER if name in fields}
    ordered.update({k: v for k, v in fields.items() if k not in ordered})
    kept = {k: v for k, v in ordered.items() if v not in (None, "", [], ())}
    front = yaml.safe_dump(kept, sort_keys=False, allow_unicode=True, width=100)
    return normalise(f"---\n{front}---\n\n{body.strip()}\n")


def _meaningful(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v not in (None, "", [], ())}


def recompose(original: str, fields: dict[str, Any], body: str) -> str:
    """Like `compose`, but when the fields are those of `original` its front matter is
    kept as written (comments, order, quoting): a change to the body alone then
    changes only the body, in the file and in the diff."""
    meta, _ = decompose(original)
    lines = normalise(original).splitlines()
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None or not lines or lines[0].strip() != "---":
        return compose(fields, body)
    if _meaningful(meta) != _meaningful(fields):
        return compose(fields, body)
    gap = "\n\n" if end + 1 < len(lines) and not lines[end + 1].strip() else "\n"
    return normalise("\n".join(lines[: end + 1]) + f"{gap}{body.strip()}\n")


_UPDATED = re.compile(r"^updated\s*:.*$", re.M)


def stamp_updated(text: str, today: date) -> str:
    """The front matter's `updated:` set to `today`, if the article has that field."""
    lines = normalise(text).splitlines()
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        return text
    front = "\n".join(lines[1:end])
    if not _UPDATED.search(front):
        return text
    front = _UPDATED.sub(f"updated: {today.isoformat()}", front, count=1)
    return normalise("\n".join([lines[0], front, *lines[end:]]))


def decompose(text: str) -> tuple[dict[str, Any], str]:
    """(front matter, body) of an article's text, or ({}, text) when it has none."""
    try:
        meta, body, _ = split_front_matter(Path("article.md"), text)
    except ArticleError:
        return {}, text
    return meta, body.strip()


def where(text: str, line: int) -> str:
    """A problem's place as the editor's form shows it: a front-matter field, or a line
    of the body (whose text area starts at the body's first non-blank line)."""
    lines = normalise(text).splitlines()
    if not lines or lines[0].strip() != "---":
        return f"line {line}"
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None or line <= end + 1:
        fields = {n: name for name, n in _front_matter_lines(lines).items()}
        owner = max((n for n in fields if n <= line), default=None)
        return f"front matter, {fields[owner]!r}" if owner is not None else "front matter"
    blank = 0
    while end + 1 + blank < len(lines) and not lines[end + 1 + blank].strip():
        blank += 1
    return f"body, line {max(1, line - (end + 1) - blank)}"


def _front_matter_lines(lines: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() in ("---", "..."):
            break
        match = re.match(r"^([A-Za-z_][\w-]*)\s*:", line)
        if match:
            found.setdefault(match.group(1), number)
    return found
