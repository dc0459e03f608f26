"""From config to connectors: resolved credentials, per-source settings, team scopes."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.base import TrackerReader
from connectors.registry import tracker
from connectors.retry import CallStats, RetryPolicy
from connectors.settings import Credentials, SourceSettings, Vocabulary
from connectors.vocabulary import plain_name
from service.config.loader import LoadedConfig
from service.config.schema import SourceConfig


class MissingSecretError(Exception):
    """A credential the config names is not set in the environment nor in the .env beside the config."""


def projects_of(loaded: LoadedConfig, source_name: str) -> tuple[str, ...]:
    return tuple(sorted({team.scope.project for team in loaded.config.teams if team.source == source_name}))


def settings_for(loaded: LoadedConfig, source: SourceConfig) -> SourceSettings:
    token = loaded.secret(source.auth.token_env)
    if not token:
        raise MissingSecretError(
            f"source {source.name}: environment variable {source.auth.token_env} (auth.token_env) is not set; "
            f"export it or add it to {loaded.base_dir / '.env'}"
        )
    user = loaded.secret(source.auth.user_env) if source.auth.user_env else None
    needs_user = tracker(source.kind).basic_auth_without_user
    if needs_user and source.auth.scheme == "basic" and not user:
        raise MissingSecretError(
            f"source {source.name}: " + needs_user.format(user_env=source.auth.user_env or "not configured")
        )
    return SourceSettings(
        name=source.name,
        kind=source.kind,
        url=source.url.rstrip("/"),
        credentials=Credentials(token=token, user=user, scheme=source.auth.scheme),
        deployment=source.deployment,
        timeout_seconds=source.timeout_seconds,
        concurrency=source.concurrency,
        page_size=source.page_size,
        lookback_minutes=source.lookback_minutes,
        retry=RetryPolicy(max_retries=source.max_retries),
        fields=dict(source.fields),
        projects=projects_of(loaded, source.name),
        remote_links=source.remote_links,
        vocabulary=vocabulary_of(source),
    )


def vocabulary_of(source: SourceConfig) -> Vocabulary:
    """The source's `types`, `resolutions` and `status_categories`, as connectors read them."""
    return Vocabulary(
        types=dict(source.types),
        delivered=frozenset(plain_name(str(value)) for value in source.resolutions.delivered),
        not_delivered=frozenset(plain_name(str(value)) for value in source.resolutions.not_delivered),
        status_categories=dict(source.status_categories),
    )


def make_connector(settings: SourceSettings, stats: CallStats | None = None) -> TrackerReader:
    return tracker(settings.kind).reader(settings, stats)


@dataclass(frozen=True)
class SourceRef:
    """Where a URL points: a known source's item, recognised by the source's URL or one of its aliases."""

    source: str
    key: str
