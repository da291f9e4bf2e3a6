"""Parse KB articles: Markdown files with YAML front matter and an optional guided fix.

The format is the KB editor's contract (docs/kb-authoring.md). Parsing is strict
about what breaks an article (no title, bad YAML) and records everything else the
linter needs (line numbers of links and steps) so one parse serves both.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.kb.collect_formats import FORMATS
from bot.kb.fix_graph import graph_problems
from bot.kb.fixes import FixProblem, GuidedFix, Step, build_step

CATEGORIES = ("installation", "troubleshooting", "howto", "faq")
AUDIENCES = ("user", "admin", "editor", "agent")
LIST_FIELDS = ("tags", "products", "versions", "related", "questions")
KNOWN_FIELDS = frozenset(
    {"title", "id", "category", "audience", "updated", "summary", *LIST_FIELDS}
)
GUIDED_FIX_HEADING = "guided fix"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
INLINE_CODE = re.compile(r"`[^`\n]*`")
EMPHASIS = re.compile(r"(?<![\w*])([*_]{1,3})(?=\S)(.+?)(?<=\S)\1(?![\w*])")
SUMMARY_LIMIT = 300
# libyaml's safe loader when PyYAML was built with it (the wheels are): front matter
# parses about ten times faster, which is most of the time of indexing a large KB.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ArticleError(ValueError):
    """An article that cannot be used; carries the file and line for `file:line: problem`."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Link:
    target_id: str
    line: int


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    body: str
    path: Path
    category: str | None = None
    tags: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    versions: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    # Sample user questions this article answers, in the words users type: each gets a
    # vector of its own (bot/kb/semantic.py), as a chatbot's training phrases do.
    questions: tuple[str, ...] = ()
    audience: str | None = None
    updated: date | None = None
    summary: str = ""
    headings: tuple[str, ...] = ()
    guided_fix: GuidedFix | None = None
    links: tuple[Link, ...] = ()
    unknown_fields: tuple[str, ...] = ()
    field_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)


def split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str, int]:
    """Return (front matter, body, line number where the body starts)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ArticleError(path, 1, "missing YAML front matter (the file must start with '---')")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise ArticleError(path, 1, "front matter is not closed by a '---' line") from None
    front = "\n".join(lines[1:end])
    try:
        meta = yaml.load(front, Loader=SAFE_LOADER) or {}
    except yaml.YAMLError as fast_error:
        error = fast_error
        try:  # the pure-Python parser names the line a person would point at
            yaml.load(front, Loader=yaml.SafeLoader)
        except yaml.YAMLError as python_error:
            error = python_error
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error)
        raise ArticleError(path, line, f"invalid YAML in front matter: {problem}") from None
    if not isinstance(meta, dict):
        raise ArticleError(path, 2, "front matter must be a mapping of field: value")
    return meta, "\n".join(lines[end + 1 :]), end + 2


def _field_lines(text: str) -> dict[str, int]:
    """Line number of each top-level front-matter key, for precise lint messages."""
    found: dict[str, int] = {}
    for number, line in enumerate(text.splitlines()[1:], start=2):
        if line.strip() == "---":
            break
        match = re.match(r"^([A-Za-z_][\w-]*)\s*:", line)
        if match:
            found.setdefault(match.group(1), number)
    return found


def _as_str_tuple(path: Path, line: int, name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise ArticleError(path, line, f"'{name}' must be a list of strings")
    return tuple(str(v).strip() for v in value if str(v).strip())


@dataclass(frozen=True)
class Line:
    """One body line: its number, heading text and level if it is a heading, code or not."""

    number: int
    raw: str
    heading: str | None = None
    level: int = 0
    in_code: bool = False


def _scan_body(body: str, first_line: int) -> list[Line]:
    """Classify body lines; headings inside fenced code blocks are not headings."""
    scanned = []
    in_code = False
    for offset, raw in enumerate(body.splitlines()):
        number = first_line + offset
        if FENCE.match(raw):
            in_code = not in_code
            scanned.append(Line(number, raw, in_code=True))
            continue
        match = None if in_code else HEADING.match(raw)
        if match:
            scanned.append(Line(number, raw, match.group(2).strip(), len(match.group(1))))
        else:
            scanned.append(Line(number, raw, in_code=in_code))
    return scanned


def _guided_fix(scanned: list[Line]) -> GuidedFix | None:
    start = next(
        (
            i
            for i, line in enumerate(scanned)
            if line.level == 2 and (line.heading or "").lower() == GUIDED_FIX_HEADING
        ),
        None,
    )
    if start is None:
        return None
    steps: list[Step] = []
    problems: list[FixProblem] = []
    current: Line | None = None
    body: list[Line] = []
    for line in [*scanned[start + 1 :], Line(0, "", "", 1)]:
        if line.level in (1, 2, 3):
            if current:
                step, found = build_step(current.heading or "", current.number, body, FORMATS)
                steps.append(step)
                problems += found
            if line.level < 3:
                break
            current, body = line, []
        elif current:
            body.append(line)
    # The graph checks only on steps that parsed cleanly: a broken target would
    # otherwise also report every step behind it as unreachable or looping.
    problems += graph_problems(steps) if steps and not problems else []
    return GuidedFix(tuple(steps), scanned[start].number, tuple(problems))


def _links(scanned: list[Line]) -> tuple[Link, ...]:
    """Internal links (`other.md`, `other.md#part`) outside code, with their line numbers."""
    links = []
    for line in scanned:
        if line.in_code:
            continue
        for target in LINK.findall(INLINE_CODE.sub("", line.raw)):
            internal = internal_target(target)
            if internal is not None:
                links.append(Link(internal[0], line.number))
    return tuple(links)


def internal_target(target: str) -> tuple[str, str] | None:
    """(article id, anchor) when a link target is another KB file (`other.md#part`)."""
    if "://" in target or target.startswith(("#", "mailto:", "/")):
        return None
    file_part, _, anchor = target.partition("#")
    if not file_part.endswith(".md"):
        return None
    return Path(file_part).stem, anchor


def link_articles(markdown: str, article_url: Callable[[str], str]) -> str:
    """Point links between KB files at the article pages: a chat has no `other.md`."""

    def rewrite(match: re.Match[str]) -> str:
        internal = internal_target(match.group(1))
        if internal is None:
            return match.group(0)
        article_id, anchor = internal
        return f"]({article_url(article_id)}{f'#{anchor}' if anchor else ''})"

    return LINK.sub(rewrite, markdown)


def _first_paragraph(scanned: list[Line]) -> str:
    paragraph: list[str] = []
    for line in scanned:
        if line.in_code or line.heading:
            if paragraph:
                break
            continue
        if line.raw.strip():
            paragraph.append(line.raw.strip())
        elif paragraph:
            break
    return plain_text(" ".join(paragraph))


def plain_text(markdown: str) -> str:
    """Markdown → plain text for chat extracts: strip markup, never characters in words.

    `TIER0_DATABASE_URL` and `kb_articles` must survive; `*emphasis*`, `` `code` ``,
    link syntax, heading and quote markers go.
    """
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = INLINE_CODE.sub(lambda match: match.group(0).strip("`"), text)
    text = EMPHASIS.sub(r"\2", text)
    text = re.sub(r"(?m)^\s{0,3}(?:#{1,6}\s+|>\s?)", "", text)
    return re.sub(r"\s+", " ", text).strip()


def shorten(text: str, limit: int = SUMMARY_LIMIT) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def parse_article(path: Path, text: str | None = None) -> Article:
    """Parse one article file. Raises `ArticleError` for anything that makes it unusable."""
    text = path.read_text(encoding="utf-8") if text is None else text
    meta, body, body_line = split_front_matter(path, text)
    lines = _field_lines(text)

    def line_of(name: str) -> int:
        return lines.get(name, 2)

    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ArticleError(path, line_of("title"), "missing 'title' in front matter")
    article_id = str(meta.get("id") or path.stem).strip()
    if not ID_PATTERN.match(article_id):
        raise ArticleError(
            path, line_of("id"), f"id {article_id!r} must be lowercase letters, digits, - or _"
        )
    category = meta.get("category")
    if category is not None and category not in CATEGORIES:
        raise ArticleError(
            path,
            line_of("category"),
            f"category {category!r} is not one of {', '.join(CATEGORIES)}",
        )
    audience = meta.get("audience")
    if audience is not None and audience not in AUDIENCES:
        raise ArticleError(
            path,
            line_of("audience"),
            f"audience {audience!r} is not one of {', '.join(AUDIENCES)}",
        )
    updated = meta.get("updated")
    if updated is not None and not isinstance(updated, date):
        raise ArticleError(path, line_of("updated"), "'updated' must be a date like 2026-11-28")
    summary = meta.get("summary")
    if summary is not None and not isinstance(summary, str):
        raise ArticleError(path, line_of("summary"), "'summary' must be text")
    lists = {name: _as_str_tuple(path, line_of(name), name, meta.get(name)) for name in LIST_FIELDS}
    scanned = _scan_body(body, body_line)
    return Article(
        id=article_id,
        title=title.strip(),
        body=body.strip(),
        path=path,
        category=category,
        audience=audience,
        updated=updated,
        summary=shorten(plain_text(summary)) if summary else shorten(_first_paragraph(scanned)),
        headings=tuple(line.heading for line in scanned if line.heading and line.level >= 2),
        guided_fix=_guided_fix(scanned),
        links=_links(scanned),
        unknown_fields=tuple(sorted(str(k) for k in meta if k not in KNOWN_FIELDS)),
        field_lines=lines,
        **lists,
    )


@dataclass(frozen=True)
class LoadResult:
    """Every article that parsed, and an `ArticleError` for every file that did not."""

    articles: tuple[Article, ...]
    errors: tuple[ArticleError, ...]


def article_entries(kb_dir: Path) -> Iterator[os.DirEntry[str]]:
    """The article files under `kb_dir` (`*.md`, not hidden), in no particular order.

    Walked with `os.scandir`, whose entries know whether they are files without a system
    call: the KB watcher stats each of them on every poll, and nothing more.
    """
    pending = [kb_dir]
    while pending:
        try:
            listing = list(os.scandir(pending.pop()))
        except OSError:  # removed while we walked
            continue
        for entry in listing:
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                elif _is_article_name(entry.name) and entry.is_file():
                    yield entry
            except OSError:
                continue


def _is_article_name(name: str) -> bool:
    return name.endswith(".md") and not name.startswith(".")


def article_files(kb_dir: Path) -> list[Path]:
    return sorted(Path(entry.path) for entry in article_entries(kb_dir))


class ArticleCache:
    """Parsed files by path, size and modification time, the `limit` most recently used:
    a reload of a large KB after one edit parses that one file, and serving articles
    one at a time never holds a whole large KB. Safe to share between threads."""

    def __init__(self, limit: int | None = None) -> None:
        self._parsed: OrderedDict[Path, tuple[tuple[int, int], Article | ArticleError]] = (
            OrderedDict()
        )
        self._limit = limit
        self._lock = threading.Lock()

    def parse(self, path: Path) -> Article | ArticleError:
        try:
            stat = path.stat()
        except OSError as error:
            return ArticleError(path, 1, f"cannot read file: {error}")
        key = (stat.st_size, stat.st_mtime_ns)
        with self._lock:
            known = self._parsed.get(path)
            if known is not None and known[0] == key:
                self._parsed.move_to_end(path)
                return known[1]
        result = _parse_or_error(path)
        with self._lock:
            self._parsed[path] = (key, result)
            self._parsed.move_to_end(path)
            if self._limit is not None and len(self._parsed) > self._limit:
                self._parsed.popitem(last=False)
        return result


def _parse_or_error(path: Path) -> Article | ArticleError:
    try:
        return parse_article(path)
    except ArticleError as error:
        return error
    except (OSError, UnicodeDecodeError) as error:
        return ArticleError(path, 1, f"cannot read file: {error}")


def load_articles(kb_dir: Path, cache: ArticleCache | None = None) -> LoadResult:
    """Load a KB directory. A bad file never stops the rest: it becomes an error entry.

    When two files claim the same id, the first (by path) wins and the second is an error.
    With a `cache`, files unchanged since its last load are not parsed again.
    """
    if not kb_dir.is_dir():
        raise FileNotFoundError(f"knowledge base directory {kb_dir} does not exist")
    articles: dict[str, Article] = {}
    errors: list[ArticleError] = []
    for path in article_files(kb_dir):
        article = cache.parse(path) if cache is not None else _parse_or_error(path)
        if isinstance(article, ArticleError):
            errors.append(article)
            continue
        if article.id in articles:
            first = articles[article.id].path
            errors.append(
                ArticleError(
                    path,
                    article.field_lines.get("id", 1),
                    f"duplicate id {article.id!r} (already used by {first})",
                )
            )
            continue
        articles[article.id] = article
    return LoadResult(tuple(articles.values()), tuple(errors))
