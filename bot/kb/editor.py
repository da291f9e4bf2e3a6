"""The KB editor's workflow: drafts, review, publishing, version history and revert.

The files in the KB directory stay the truth the search index is built from: a
published article is a file. Drafts and reviews live in the store
(`article_revisions`), one row per saved version, so nothing an editor typed is
lost and every published version can be compared and brought back. An article
moves draft → in review → published; publishing writes its file atomically and
updates the index at once (`on_publish`), so the next question finds the new text.

A file changed outside the editor (a `git pull`, a text editor) is recorded as a
published version the next time the article is edited, so the history stays true.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.kb.articles import (
    CATEGORIES,
    ID_PATTERN,
    Article,
    ArticleError,
    parse_article,
    split_front_matter,
)
from bot.kb.base import KnowledgeBase
from bot.kb.lint import Problem, article_problems
from bot.kb.update import safe_path
from bot.store import Store
from bot.store.models import ArticleRevisionRow, utcnow

STATES = ("draft", "in_review", "published", "archived")
# An older draft or review that a newer save replaced: in the history only.
SUPERSEDED = "superseded"
# draft → in_review, back to draft, → published; a published article → archived
# (its file removed, so the bot stops answering with it; restoring a version brings it back).
WORKFLOW_STEPS = ("submit", "return", "publish", "archive")
TEMPLATE_BODY = "Write the answer here."  # a new article's body until the author writes one
MAX_ARTICLE_BYTES = 200_000
FILE_AUTHOR = "kb-files"  # the author of a version that came from the file on disk
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


class EditorError(ValueError):
    """A request the workflow refuses; `code` is stable for API clients."""

    code = "invalid_article"

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


class ArticleNotFound(EditorError):
    code = "not_found"


class WrongState(EditorError):
    code = "wrong_state"


class EditConflict(EditorError):
    """Someone saved a newer version since this editor opened the article."""

    code = "conflict"


@dataclass(frozen=True)
class Revision:
    article_id: str
    version: int
    path: str
    state: str
    text: str
    author: str
    note: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Listed:
    """One line of the editor's article list."""

    article_id: str
    title: str
    category: str | None
    state: str  # draft | in_review | published
    published: bool  # whether a version is live (a draft may sit over a published one)
    updated_at: datetime | None
    author: str | None
    guided_fix: bool


def _revision(row: ArticleRevisionRow) -> Revision:
    return Revision(
        row.article_id,
        row.version,
        row.path,
        row.state,
        row.text,
        row.author,
        row.note,
        row.created_at,
        row.updated_at,
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


class KnownIds:
    """Article ids a link may point to: the published KB and every draft."""

    def __init__(self, kb: KnowledgeBase, session: Session) -> None:
        self._kb, self._session = kb, session

    def __contains__(self, article_id: object) -> bool:
        if not isinstance(article_id, str):
            return False
        if self._kb.get(article_id) is not None:
            return True
        found = select(ArticleRevisionRow.id).where(ArticleRevisionRow.article_id == article_id)
        return self._session.scalar(found.limit(1)) is not None


class ArticleEditor:
    """Every operation is one transaction; `on_publish` gets the written file's path
    (relative to the KB) after the transaction committed."""

    def __init__(
        self,
        store: Store,
        kb: KnowledgeBase,
        kb_dir: Path,
        on_publish: Callable[[list[str]], object],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store, self._kb, self._kb_dir = store, kb, kb_dir
        self._on_publish, self._clock = on_publish, clock

    # -- reading ----------------------------------------------------------------------

    def current(self, article_id: str) -> Revision:
        """The version an editor works on: the latest draft or review, else the file."""
        with self._store.transaction() as tx:
            latest = self._latest(tx.session, article_id)
            if latest is not None and latest.state != "published":
                return _revision(latest)
            disk = self._disk(article_id)
            if disk is None:
                if latest is None:
                    raise ArticleNotFound(f"no article with id {article_id!r}")
                return _revision(latest)
            path, text, changed = disk
            version = latest.version if latest is not None else 0
            state_time = latest.updated_at if latest is not None else changed
            return Revision(
                article_id,
                version,
                path,
                "published",
                text,
                latest.author if latest is not None else FILE_AUTHOR,
                "",
                state_time,
                state_time,
            )

    def history(self, article_id: str) -> list[Revision]:
        with self._store.transaction() as tx:
            rows = tx.session.scalars(
                select(ArticleRevisionRow)
                .where(ArticleRevisionRow.article_id == article_id)
                .order_by(ArticleRevisionRow.version.desc())
            ).all()
            if not rows and self._disk(article_id) is None:
                raise ArticleNotFound(f"no article with id {article_id!r}")
            return [_revision(row) for row in rows]

    def revision(self, article_id: str, version: int) -> Revision:
        with self._store.transaction() as tx:
            row = self._version(tx.session, article_id, version)
            return _revision(row)

    def diff(self, article_id: str, old: int, new: int) -> list[str]:
        """A unified diff between two versions, one string per line."""
        with self._store.transaction() as tx:
            before = self._version(tx.session, article_id, old).text
            after = self._version(tx.session, article_id, new).text
        return list(
            difflib.unified_diff(
                before.splitlines(),
                after.splitlines(),
                f"version {old}",
                f"version {new}",
                lineterm="",
            )
        )

    def problems(self, text: str, article_id: str | None = None) -> list[Problem]:
        """What the linter says about this text: errors block publishing."""
        with self._store.transaction() as tx:
            return self._problems(tx.session, text, article_id)

    def _problems(self, session: Session, text: str, article_id: str | None) -> list[Problem]:
        path = Path(f"{article_id or 'new-article'}.md")
        try:
            article = parse_article(path, normalise(text))
        except ArticleError as error:
            return [Problem(path, error.line, error.message)]
        found = article_problems(article, KnownIds(self._kb, session))
        if article.body.strip() in ("", TEMPLATE_BODY):
            line = article.field_lines.get("title", 2)
            found.append(Problem(path, line, "the body is empty or still the template text"))
        if article_id is not None and article.id != article_id:
            found.insert(0, Problem(path, article.field_lines.get("id", 2), _RENAME))
        return sorted(found, key=lambda p: (p.severity != "error", p.line))

    def listing(
        self,
        query: str = "",
        *,
        state: str | None = None,
        category: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> list[Listed]:
        """Articles for the editor's list: working copies first (newest first), then the
        published ones, by search rank when there is a query, else by category and title."""
        with self._store.transaction() as tx:
            working = self._working_copies(tx.session)
        rows = [w for w in working if state in (None, w.state)]
        if state in (None, "published"):
            shown = {w.article_id for w in working}
            rows += [self._listed(a) for a in self._published(query, category, offset + limit)]
            rows = [r for r in rows if r.state != "published" or r.article_id not in shown]
        if query:
            words = query.casefold().split()
            rows = [r for r in rows if r.state == "published" or _mentions(r, words)]
        if category:
            rows = [r for r in rows if r.category == category]
        return rows[offset : offset + limit]

    # -- writing ----------------------------------------------------------------------

    def save_draft(
        self,
        text: str,
        author: str,
        article_id: str | None = None,
        note: str = "",
        *,
        base_version: int | None = None,
    ) -> Revision:
        """A new draft version. A draft may have problems (nothing typed is lost); only
        an article that cannot even be identified is refused. `article_id` None: new."""
        text = normalise(text)
        if len(text.encode("utf-8", "surrogatepass")) > MAX_ARTICLE_BYTES:
            raise EditorError(f"an article must be at most {MAX_ARTICLE_BYTES} bytes")
        meta, _ = decompose(text)
        claimed = str(meta.get("id") or "").strip() or None
        with self._store.transaction() as tx:
            if article_id is None:
                article_id = self._new_id(tx.session, claimed, meta)
                path = f"{article_id}.md"
            else:
                if claimed is not None and claimed != article_id:
                    raise EditorError(_RENAME)
                self._check_base(tx.session, article_id, base_version)
                path = self._record_disk(tx.session, article_id, author)
                latest = self._latest(tx.session, article_id)
                if latest is not None and latest.state in ("draft", "in_review"):
                    latest.state = SUPERSEDED  # the history says it never went live
            now = self._clock()
            row = ArticleRevisionRow(
                article_id=article_id,
                version=self._next_version(tx.session, article_id),
                path=path,
                state="draft",
                text=text,
                author=author,
                note=note[:500],
                created_at=now,
                updated_at=now,
            )
            tx.session.add(row)
            tx.session.flush()
            return _revision(row)

    def step(self, name: str, article_id: str, author: str) -> Revision:
        """One of `WORKFLOW_STEPS` by name: how the web UI and the API both call them."""
        operations = {
            "submit": self.submit,
            "return": self.return_to_draft,
            "publish": self.publish,
            "archive": self.archive,
        }
        if name not in operations:
            raise EditorError(f"no workflow step {name!r}; the steps are {', '.join(operations)}")
        return operations[name](article_id, author)

    def submit(self, article_id: str, author: str) -> Revision:
        return self._move(article_id, "draft", "in_review")

    def return_to_draft(self, article_id: str, author: str) -> Revision:
        return self._move(article_id, "in_review", "draft")

    def publish(self, article_id: str, author: str) -> Revision:
        """Write the reviewed version to its file and update the index. Refused while
        the linter finds errors in it, with those errors."""
        with self._store.transaction() as tx:
            row = self._latest(tx.session, article_id)
            if row is None or row.state != "in_review":
                raise WrongState(_state_message(row, "in_review", "published"))
            problems = self._problems(tx.session, row.text, article_id)
            errors = [p for p in problems if p.severity == "error"]
            if errors:
                raise EditorError("the article has errors; fix them before publishing", errors)
            row.text = stamp_updated(row.text, self._clock().date())
            self._write(row.path, row.text)
            row.state, row.updated_at = "published", self._clock()
            row.note = row.note or f"published by {author}"
            published = _revision(row)
        self._on_publish([published.path])
        return published

    def archive(self, article_id: str, author: str) -> Revision:
        """Take a published article down: its file is removed (the index forgets it at
        once) and its last text kept as an archived version, to restore from."""
        with self._store.transaction() as tx:
            latest = self._latest(tx.session, article_id)
            if latest is not None and latest.state != "published":
                raise WrongState(_state_message(latest, "published", "archived"))
            path = self._record_disk(tx.session, article_id, author)
            disk = self._disk(article_id)
            if disk is None:
                raise WrongState("only a published article can be archived; this one is not live")
            now = self._clock()
            row = ArticleRevisionRow(
                article_id=article_id, version=self._next_version(tx.session, article_id),
                path=path, state="archived", text=disk[1], author=author,
                note=f"archived by {author}", created_at=now, updated_at=now,
            )  # fmt: skip
            tx.session.add(row)
            tx.session.flush()
            self._remove(path)
            archived = _revision(row)
        self._on_publish([archived.path])
        return archived

    def revert(self, article_id: str, version: int, author: str) -> Revision:
        """A new draft with the text of an earlier version, to review and publish."""
        old = self.revision(article_id, version)
        return self.save_draft(old.text, author, article_id, note=f"revert to version {version}")

    # -- helpers ----------------------------------------------------------------------

    def _check_base(self, session: Session, article_id: str, base: int | None) -> None:
        """Refuse to save over a version the editor has not seen (two editors at once):
        `base` is the version their form was opened on; None skips the check."""
        latest = self._latest(session, article_id)
        if base is None or latest is None or latest.version <= base:
            return
        when = latest.updated_at.strftime("%H:%M UTC")
        raise EditConflict(
            f"{latest.author} saved version {latest.version} at {when} while you were editing. "
            "Your text is still in the form: compare it with the history, then save again."
        )

    def _move(self, article_id: str, source: str, target: str) -> Revision:
        with self._store.transaction() as tx:
            row = self._latest(tx.session, article_id)
            if row is None or row.state != source:
                raise WrongState(_state_message(row, source, target))
            row.state, row.updated_at = target, self._clock()
            return _revision(row)

    @staticmethod
    def _latest(session: Session, article_id: str) -> ArticleRevisionRow | None:
        return session.scalar(
            select(ArticleRevisionRow)
            .where(ArticleRevisionRow.article_id == article_id)
            .order_by(ArticleRevisionRow.version.desc())
            .limit(1)
        )

    @staticmethod
    def _version(session: Session, article_id: str, version: int) -> ArticleRevisionRow:
        row = session.scalar(
            select(ArticleRevisionRow).where(
                ArticleRevisionRow.article_id == article_id, ArticleRevisionRow.version == version
            )
        )
        if row is None:
            raise ArticleNotFound(f"article {article_id!r} has no version {version}")
        return row

    @staticmethod
    def _next_version(session: Session, article_id: str) -> int:
        latest = session.scalar(
            select(func.max(ArticleRevisionRow.version)).where(
                ArticleRevisionRow.article_id == article_id
            )
        )
        return int(latest or 0) + 1

    def _disk(self, article_id: str) -> tuple[str, str, datetime] | None:
        """(relative path, text, modified) of the published article's file, if any."""
        article = self._kb.get(article_id)
        if article is None:
            return None
        try:
            text = normalise(article.path.read_text(encoding="utf-8"))
            modified = datetime.fromtimestamp(article.path.stat().st_mtime, utcnow().tzinfo)
        except (OSError, UnicodeDecodeError):
            return None
        return article.path.relative_to(self._kb_dir).as_posix(), text, modified

    def _record_disk(self, session: Session, article_id: str, author: str) -> str:
        """The article's file path; its text becomes a published version first when the
        history does not have it yet (a new article, or a file edited outside)."""
        disk = self._disk(article_id)
        latest = self._latest(session, article_id)
        if disk is None:
            if latest is None:
                raise ArticleNotFound(f"no article with id {article_id!r}")
            return latest.path
        path, text, modified = disk
        published = session.scalar(
            select(ArticleRevisionRow)
            .where(
                ArticleRevisionRow.article_id == article_id,
                ArticleRevisionRow.state == "published",
            )
            .order_by(ArticleRevisionRow.version.desc())
            .limit(1)
        )
        if published is None or published.text != text:
            session.add(
                ArticleRevisionRow(
                    article_id=article_id,
                    version=self._next_version(session, article_id),
                    path=path,
                    state="published",
                    text=text,
                    author=FILE_AUTHOR,
                    note="as found in the KB directory",
                    created_at=modified,
                    updated_at=modified,
                )
            )
            session.flush()
        return path

    def _new_id(self, session: Session, claimed: str | None, meta: dict[str, Any]) -> str:
        article_id = claimed or _slug(str(meta.get("title") or ""))
        if not article_id:
            raise EditorError("a new article needs a 'title' (or an 'id') in its front matter")
        if not ID_PATTERN.match(article_id) or len(article_id) > 120:
            raise EditorError(f"id {article_id!r} must be lowercase letters, digits, - or _")
        taken = self._kb.get(article_id) is not None or self._latest(session, article_id)
        if taken or (self._kb_dir / f"{article_id}.md").exists():
            raise EditorError(f"an article with id {article_id!r} exists already")
        return article_id

    def _write(self, relative: str, text: str) -> None:
        """Replace the file atomically: a searcher or watcher never reads half of it."""
        clean = safe_path(relative)
        if clean is None or not clean.endswith(".md"):
            raise EditorError(f"refusing to write outside the KB: {relative!r}")
        target = self._kb_dir / clean
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tier0-tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)

    def _remove(self, relative: str) -> None:
        clean = safe_path(relative)
        if clean is None or not clean.endswith(".md"):
            raise EditorError(f"refusing to remove a file outside the KB: {relative!r}")
        (self._kb_dir / clean).unlink(missing_ok=True)

    def _working_copies(self, session: Session) -> list[Listed]:
        latest = (
            select(ArticleRevisionRow.article_id, func.max(ArticleRevisionRow.version).label("v"))
            .group_by(ArticleRevisionRow.article_id)
            .subquery()
        )
        rows = session.scalars(
            select(ArticleRevisionRow)
            .join(
                latest,
                (ArticleRevisionRow.article_id == latest.c.article_id)
                & (ArticleRevisionRow.version == latest.c.v),
            )
            .where(ArticleRevisionRow.state != "published")
            .order_by(ArticleRevisionRow.updated_at.desc())
        ).all()
        listed = []
        for row in rows:
            meta, body = decompose(row.text)
            category = meta.get("category")
            listed.append(
                Listed(
                    row.article_id,
                    str(meta.get("title") or row.article_id),
                    category if category in CATEGORIES else None,
                    row.state,
                    self._kb.get(row.article_id) is not None,
                    row.updated_at,
                    row.author,
                    bool(re.search(r"^##\s+guided fix\s*$", body, re.I | re.M)),
                )
            )
        return listed

    def _published(self, query: str, category: str | None, limit: int) -> list[Article]:
        if query:
            from bot.kb.base import SearchFilters

            filters = SearchFilters(category=category) if category else None
            hits = self._kb.search(query, limit=min(limit, 100), filters=filters)
            return [a for hit in hits if (a := self._kb.get(hit.article_id)) is not None]
        browse = getattr(self._kb, "browse", None)
        return list(browse(0, limit, category)) if browse is not None else []

    @staticmethod
    def _listed(article: Article) -> Listed:
        return Listed(
            article.id,
            article.title,
            article.category,
            "published",
            True,
            None,
            None,
            article.guided_fix is not None,
        )


_RENAME = "the id of a published article cannot change (create a new article instead)"


def _state_message(row: ArticleRevisionRow | None, source: str, target: str) -> str:
    now = row.state.replace("_", " ") if row is not None else "not saved as a draft"
    return f"only an article {source.replace('_', ' ')} can become {target}; this one is {now}"


def _mentions(row: Listed, words: list[str]) -> bool:
    haystack = f"{row.article_id} {row.title}".casefold()
    return all(word in haystack for word in words)


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-")[:80]
