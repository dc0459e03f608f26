"""Everything a running poalign process shares: config, store, resolved secrets, metrics."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service import logs
from service.config.loader import LoadedConfig, env
from service.config.schema import Config, SourceConfig
from service.ingest import IngestContext
from service.metrics import Metrics
from service.store.session import make_engine, make_sessionmaker


@dataclass
class Runtime:
    loaded: LoadedConfig
    engine: Engine
    factory: sessionmaker[Session]
    context: IngestContext
    metrics: Metrics = field(default_factory=Metrics)

    @classmethod
    def open(cls, loaded: LoadedConfig, *, process: str = "serve", url: str | None = None) -> Runtime:
        engine = (
            make_engine(url or loaded.database_url(), process=process, pool_size=20, max_overflow=20)
            if not (url or loaded.database_url()).startswith("sqlite")
            else make_engine(url or loaded.database_url())
        )
        factory = make_sessionmaker(engine)
        logs.register_secrets(env(name, loaded.base_dir) for name in loaded.secret_env_names())
        return cls(loaded, engine, factory, IngestContext.prepare(factory, loaded))

    @property
    def config(self) -> Config:
        return self.loaded.config

    def secret(self, env_name: str | None) -> str | None:
        return self.loaded.secret(env_name)

    def source(self, name: str, kind: str) -> SourceConfig | None:
        for source in self.loaded.config.sources:
            if source.name == name and source.kind == kind:
                return source
        return None

    def close(self) -> None:
        self.engine.dispose()
