"""The KB editor's workflow: drafts, review, publishing, version history and revert.

The files in the KB directory stay the truth the search index is built from: a
published article is a file. Drafts and reviews live in the store
(`article_revisions`), one row per saved version, so nothing an editor typed is
lost and every published version can be compared and brought back. An article
moves draft → in review → published; publishing writes its file atomically and
updates the index at once (`on_publish`), so the next question finds the new text.

A file changed outside the editor (a `git pull`, a text editor) is recorded as a
published version the next time the article is edited, so the history stays true.
The article list is bot/kb/article_list.py, the text handling bot/kb/article_text.py.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.kb.article_list import ArticleList, Listed
from bot.kb.article_text import (
    decompose,
    normalise,
    stamp_updated,
)
from bot.kb.articles import (
    ID_PATTERN,
    ArticleError,
    parse_article,
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
        """The editor's article list (bot/kb/article_list.py)."""
        return ArticleList(self._store, self._kb).listing(
            query, state=state, category=category, offset=offset, limit=limit
        )

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


_RENAME = "the id of a published article cannot change (create a new article instead)"


def _state_message(row: ArticleRevisionRow | None, source: str, target: str) -> str:
    now = row.state.replace("_", " ") if row is not None else "not saved as a draft"
    return f"only an article {source.replace('_', ' ')} can become {target}; this one is {now}"


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-")[:80]
