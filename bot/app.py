"""Composition in one place: build the engine and its parts from `Settings`.

Both `create_app` (HTTP) and the CLI call `build_assistant`; nothing else constructs
an `Engine`. Preparing (migrating the database, building the index, training the
model) happens here, only when something is missing or stale.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.engine import Engine
from bot.handlers import default_handlers
from bot.helpdesk import TicketSystem
from bot.kb.index import IndexReport, TantivyKnowledgeBase, build_index
from bot.kb.update import embed_missing
from bot.kb.watch import KbWatcher
from bot.locks import file_lock
from bot.outbox import HelpdeskSync, SyncThread
from bot.settings import Settings, SettingsError
from bot.sla.scheduler import SlaScheduler
from bot.store import Store
from bot.tickets import EmbeddedTicketSystem
from nlu import model as nlu_model
from nlu.encoder import shared_encoder

log = logging.getLogger(__name__)


@dataclass
class Assistant:
    settings: Settings
    store: Store
    kb: TantivyKnowledgeBase
    engine: Engine
    watcher: KbWatcher | None = None
    embedder: threading.Thread | None = None
    sla_scheduler: SlaScheduler | None = None
    helpdesk: HelpdeskSync | None = None  # None: the embedded helpdesk only
    helpdesk_thread: SyncThread | None = None
    stopping: threading.Event = field(default_factory=threading.Event)

    def close(self) -> None:
        self.stopping.set()
        if self.watcher is not None:
            self.watcher.stop()
        if self.sla_scheduler is not None:
            self.sla_scheduler.stop()
        if self.helpdesk_thread is not None:
            self.helpdesk_thread.stop()
        if self.embedder is not None:
            self.embedder.join(timeout=10)
        self.store.close()


def nlu_data_paths(settings: Settings) -> list[Path]:
    return [settings.nlu_data or nlu_model.default_data_dir()]


def check_paths(settings: Settings) -> None:
    if not settings.kb_dir.is_dir():
        raise SettingsError(
            f"TIER0_KB_DIR: knowledge base directory {settings.kb_dir} does not exist"
        )
    for path in nlu_data_paths(settings):
        if not path.exists():
            raise SettingsError(f"TIER0_NLU_DATA: training data {path} does not exist")
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SettingsError(f"TIER0_DATA_DIR: cannot create {settings.data_dir}: {error}") from None


def ensure_index(
    settings: Settings,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
    embed: bool = True,
    paths: list[str] | None = None,
) -> IndexReport:
    """Bring the index up to date (see `bot.kb.sync.build_index`); `paths` from the
    watcher limit the check to them; `embed=False` leaves new vectors to the background."""
    report = build_index(
        settings.kb_dir,
        settings.index_dir,
        force=force,
        encoder=shared_encoder(),
        progress=progress,
        embed=embed,
        paths=paths,
    )
    if report.full:
        log.info("indexed %d articles in %.2fs", report.articles, report.seconds)
    elif report.rebuilt:
        log.info("updated %d KB files in %.3fs", report.changed, report.seconds)
    for problem in report.errors if report.rebuilt else ():
        log.warning("article skipped: %s", problem)
    return report


def embed_in_background(settings: Settings, stop: threading.Event) -> threading.Thread | None:
    """Embed the articles a build left without a vector, in a thread; None if none."""
    encoder = shared_encoder()
    if encoder is None:
        return None

    def run() -> None:
        started = time.perf_counter()
        try:
            done = embed_missing(settings.kb_dir, settings.index_dir, encoder, stop)
        except Exception:  # searches keep working on BM25; the next start tries again
            log.exception("embedding the KB's articles failed")
            return
        if done:
            log.info("embedded %d articles in %.1fs", done, time.perf_counter() - started)

    thread = threading.Thread(target=run, name="tier0-kb-embed", daemon=True)
    thread.start()
    return thread


def ensure_model(settings: Settings, *, force: bool = False) -> nlu_model.TrainReport | None:
    paths = nlu_data_paths(settings)
    with file_lock(settings.data_dir / "train.lock"):
        if not force and not nlu_model.needs_training(paths, settings.model_dir):
            return None
        report = nlu_model.train(paths, settings.model_dir)
    log.info("trained the NLU model in %.2fs", report.seconds)
    return report


def build_assistant(
    settings: Settings,
    *,
    prepare: bool = True,
    watch: bool = False,
    ticket_system: TicketSystem | None = None,
) -> Assistant:
    """Everything a connector needs. With `prepare`, builds what is missing first; with
    `watch` (a server), rebuilds the index whenever an article file changes and runs
    the background work (SLA checks, the helpdesk outbox). `ticket_system` is the
    external helpdesk tickets are delivered to (`connectors.helpdesks`), if any."""
    check_paths(settings)
    # The sentence encoder takes a moment to load: do it while the database migrates.
    warm_up = threading.Thread(target=shared_encoder, name="tier0-encoder-load", daemon=True)
    warm_up.start()
    store = Store.from_url(settings.effective_database_url, upgrade=prepare)
    warm_up.join()
    missing_vectors = 0
    if prepare:
        # A server answers at once and embeds a new KB's articles in the background.
        missing_vectors = ensure_index(settings, embed=not watch).missing_vectors
        ensure_model(settings)
    kb = TantivyKnowledgeBase(settings.kb_dir, settings.index_dir, shared_encoder())
    classifier = nlu_model.load(settings.model_dir, threshold=settings.nlu_threshold)
    public_url = settings.effective_public_url
    engine = Engine(
        store,
        classifier,
        kb,
        default_handlers(),
        article_url=lambda article_id: f"{public_url}/kb/{article_id}",
        max_message_chars=settings.max_message_chars,
        sla=settings.sla,
        routing=settings.tickets,
        ticket_system=lambda tx: EmbeddedTicketSystem(
            tx, ticket_system.name if ticket_system is not None else None
        ),
    )
    assistant = Assistant(settings, store, kb, engine)
    if ticket_system is not None:
        assistant.helpdesk = HelpdeskSync(store, ticket_system)
        if watch and settings.helpdesk_deliver_interval > 0:
            assistant.helpdesk_thread = SyncThread(
                assistant.helpdesk,
                settings.helpdesk_deliver_interval,
                settings.helpdesk_poll_interval,
            ).start()
    if watch and missing_vectors:
        assistant.embedder = embed_in_background(settings, assistant.stopping)
    if watch and settings.sla_check_interval > 0:
        assistant.sla_scheduler = SlaScheduler(
            store, settings.sla, settings.sla_check_interval
        ).start()
    if watch and settings.kb_watch_interval > 0:

        def update(paths: list[str] | None) -> object:
            return ensure_index(settings, embed=False, paths=paths)

        assistant.watcher = KbWatcher(
            settings.kb_dir, update, settings.kb_watch_interval, polling=settings.kb_watch_poll
        ).start()
    return assistant
