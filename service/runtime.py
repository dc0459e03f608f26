"""Everything a running poalign process shares: config, store, resolved secrets, metrics."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from connectors.base import TrackerReader
from service import logs
from service.config.loader import LoadedConfig, env
from service.config.schema import Config, SourceConfig
from service.evaluate import Evaluator
from service.ingest import IngestContext
from service.logs import get_logger
from service.metrics import Metrics
from service.planning_cache import PlanningCache
from service.sources import make_connector, settings_for
from service.store.inbox_writer import IntakeWriter
from service.store.session import checkpoint, make_engine, make_sessionmaker
from service.webhook_limits import WebhookLimiter

log = get_logger(__name__)


@dataclass
class Runtime:
    loaded: LoadedConfig
    engine: Engine
    factory: sessionmaker[Session]
    context: IngestContext
    metrics: Metrics = field(default_factory=Metrics)
    _connectors: dict[str, TrackerReader] = field(default_factory=dict, repr=False)
    _evaluator: Evaluator | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Called after a webhook event is stored; the serve command points it at the drain worker.
    on_event: Callable[[], None] = field(default=lambda: None, repr=False)
    _intake: IntakeWriter | None = field(default=None, repr=False)
    webhook_limits: WebhookLimiter = field(default_factory=WebhookLimiter, repr=False)
    _checkpointer: _Checkpointer | None = field(default=None, repr=False)
    # whatif and suggestions over the API and the dashboard: the store loaded once, until it changes
    planning: PlanningCache = field(default_factory=PlanningCache, repr=False)

    @classmethod
    def open(cls, loaded: LoadedConfig, *, process: str = "serve", url: str | None = None) -> Runtime:
        engine = (
            make_engine(url or loaded.database_url(), process=process, pool_size=20, max_overflow=20)
            if not (url or loaded.database_url()).startswith("sqlite")
            else make_engine(url or loaded.database_url())
        )
        factory = make_sessionmaker(engine)
        logs.register_secrets(env(name, loaded.base_dir) for name in loaded.secret_env_names())
        runtime = cls(loaded, engine, factory, IngestContext.prepare(factory, loaded))
        if engine.dialect.name == "sqlite":
            runtime._checkpointer = _Checkpointer(engine)
        return runtime

    @property
    def config(self) -> Config:
        return self.loaded.config

    def secret(self, env_name: str | None) -> str | None:
        return self.loaded.secret(env_name)

    def source(self, name: str, kind: str) -> SourceConfig | None:
        """The source a webhook URL names (`/webhooks/<kind>/<name>`), or None when no such source."""
        return {(source.name, source.kind): source for source in self.config.sources}.get((name, kind))

    def connector(self, source: str) -> TrackerReader:
        """One connector per source per process (its clients are per thread inside)."""
        with self._lock:
            if source not in self._connectors:
                self._connectors[source] = make_connector(
                    settings_for(self.loaded, self.loaded.config.source(source))
                )
                self.context.priorities.use_site_order(source, self._connectors[source])
            return self._connectors[source]

    @property
    def evaluator(self) -> Evaluator:
        """One cached snapshot per process, fed the store's changes (see service.evaluate)."""
        with self._lock:
            if self._evaluator is None:
                self._evaluator = Evaluator(self.factory, self.config)
            return self._evaluator

    @property
    def intake(self) -> IntakeWriter:
        """The group-commit writer of the webhook inbox (one per process)."""
        with self._lock:
            if self._intake is None:
                self._intake = IntakeWriter(self.factory)
            return self._intake

    def close(self) -> None:
        if self._intake is not None:
            self._intake.close()
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.engine.dispose()


class _Checkpointer(threading.Thread):
    """SQLite: folds the WAL into the database file every second, so no request's commit pays for it."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(name="poalign-checkpoint", daemon=True)
        self.engine = engine
        self._stopping = threading.Event()
        self.start()

    def run(self) -> None:
        while not self._stopping.wait(1.0):
            try:
                checkpoint(self.engine)
            except Exception as error:  # a busy or closing database: the next round tries again
                log.debug("checkpoint.skipped", error=type(error).__name__)

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=5)
