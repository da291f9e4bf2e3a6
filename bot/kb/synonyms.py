"""The KB's synonyms file: words users type that the articles spell another way.

`synonyms.txt` in the KB directory holds one group a line, comma-separated
(`log in, sign in, login`); `#` starts a comment. At query time every group member
found in the user's text (whole words, any case) brings the rest of its group into
the BM25 query, so "sign in" finds the article that says "log in". A KB editor edits
the file like an article: the live index notices, and `tier0 kb lint` checks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SYNONYMS_FILE = "synonyms.txt"
MAX_GROUP = 20


@dataclass(frozen=True)
class SynonymProblem:
    line: int
    message: str


@dataclass(frozen=True)
class Synonyms:
    groups: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def load(cls, kb_dir: Path) -> Synonyms:
        """The KB's groups; a missing file is no synonyms, bad lines are skipped (see lint)."""
        groups, _ = parse(kb_dir / SYNONYMS_FILE)
        return cls(groups)

    def expand(self, text: str) -> list[str]:
        """The other members of every group with a member in `text`."""
        lowered = f" {' '.join(re.findall(r'[a-z0-9]+', text.lower()))} "
        extra: list[str] = []
        for group in self.groups:
            if any(f" {member} " in lowered for member in group):
                extra += [member for member in group if f" {member} " not in lowered]
        return extra


def _normalise(entry: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", entry.lower()))


def parse(path: Path) -> tuple[tuple[tuple[str, ...], ...], list[SynonymProblem]]:
    """The groups in `path` and the problems of its lines (none when it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return (), []
    except (OSError, UnicodeDecodeError) as error:
        return (), [SynonymProblem(1, f"cannot read the synonyms file: {error}")]
    groups, problems, seen = [], [], {}
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        members = tuple(dict.fromkeys(m for m in map(_normalise, content.split(",")) if m))
        if len(members) < 2:
            problems.append(SynonymProblem(number, "a synonym group needs two or more entries"))
            continue
        if len(members) > MAX_GROUP:
            problems.append(SynonymProblem(number, f"more than {MAX_GROUP} entries in a group"))
            continue
        for member in members:
            if member in seen:
                problems.append(
                    SynonymProblem(
                        number, f"'{member}' is already in the group on line {seen[member]}"
                    )
                )
            seen.setdefault(member, number)
        groups.append(members)
    return tuple(groups), problems
