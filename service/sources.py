"""From config to connectors: resolved credentials, per-source settings, team scopes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from connectors.base import TrackerReader
from connectors.registry import tracker
from connectors.retry import CallStats, RetryPolicy
from connectors.settings import Credentials, EntraSettings, OAuthSettings, SourceSettings, Vocabulary
from connectors.vocabulary import plain_name
from service.config.loader import LoadedConfig
from service.config.schema import SourceConfig
from service.grants import StoreGrants, factory_for, fernet


class MissingSecretError(Exception):
    """A credential the config names is not set in the environment nor in the .env beside the config."""


def projects_of(loaded: LoadedConfig, source_name: str) -> tuple[str, ...]:
    return tuple(sorted({team.scope.project for team in loaded.config.teams if team.source == source_name}))


def _secret(loaded: LoadedConfig, source: SourceConfig, key: str) -> str:
    name = getattr(source.auth, key)
    value = loaded.secret(name) if name else None
    if not value:
        raise MissingSecretError(
            f"source {source.name}: environment variable {name} (auth.{key}) is not set; "
            f"export it or add it to {loaded.base_dir / '.env'}"
        )
    return value


def _entra(loaded: LoadedConfig, source: SourceConfig) -> EntraSettings:
    auth = source.auth
    certificate = auth.certificate_path
    if certificate and not Path(certificate).is_absolute():
        certificate = str(loaded.base_dir / certificate)
    return EntraSettings(
        credential=auth.credential,
        tenant_id=auth.tenant_id,
        client_id=auth.client_id,
        client_secret=_secret(loaded, source, "client_secret_env")
        if auth.credential == "client-secret"
        else None,
        certificate_path=certificate,
        authority_host=auth.authority_host.rstrip("/"),
        ca_bundle=auth.ca_bundle,
    )


def grant_store(loaded: LoadedConfig, source: SourceConfig) -> StoreGrants:
    """The source's OAuth grant in the store, encrypted under the key in auth.token_key_env."""
    variable = source.auth.token_key_env
    database = loaded.database_url()
    cipher = fernet(loaded.secret(variable), variable)
    return StoreGrants(factory_for(database), source.name, cipher, key_variable=variable, identity=database)


def _oauth(loaded: LoadedConfig, source: SourceConfig) -> OAuthSettings:
    return OAuthSettings(
        client_id=str(source.auth.client_id),
        client_secret=_secret(loaded, source, "client_secret_env"),
        token_url=source.auth.token_url,
        grants=grant_store(loaded, source),
    )


def _credentials(loaded: LoadedConfig, source: SourceConfig) -> Credentials:
    if source.auth.scheme == "entra":  # the config allows it only for kinds that speak it
        return Credentials(token="", scheme="entra", entra=_entra(loaded, source))
    if source.auth.scheme == "oauth":
        gateway_url = source.auth.gateway_url.rstrip("/")
        return Credentials(token="", scheme="oauth", gateway_url=gateway_url, oauth=_oauth(loaded, source))
    token = _secret(loaded, source, "token_env")
    user = loaded.secret(source.auth.user_env) if source.auth.user_env else None
    needs_user = tracker(source.kind).basic_auth_without_user
    if needs_user and source.auth.scheme in ("basic", "scoped-token") and not user:
        raise MissingSecretError(
            f"source {source.name}: " + needs_user.format(user_env=source.auth.user_env or "not configured")
        )
    gateway = source.auth.gateway_url.rstrip("/") if source.auth.scheme == "scoped-token" else None
    return Credentials(token=token, user=user, scheme=source.auth.scheme, gateway_url=gateway)


def settings_for(loaded: LoadedConfig, source: SourceConfig) -> SourceSettings:
    return SourceSettings(
        name=source.name,
        kind=source.kind,
        url=source.url.rstrip("/"),
        credentials=_credentials(loaded, source),
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
        history_days=loaded.config.schedule.retention_days,
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
