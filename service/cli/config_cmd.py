"""`poalign config ...`: check a config file before anything uses it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from connectors.base import VocabularyCheck
from connectors.errors import TrackerError
from service.cli.common import ConfigOption, console, err_console, load_or_exit, require_credentials
from service.config.loader import ConfigError, LoadedConfig
from service.credential_expiry import expiry_warnings, stored_grant_ages
from service.link_aliases import alias_advice, missing_aliases
from service.logs import redact
from service.sources import make_connector, projects_of, settings_for
from service.store import migrate
from service.store.session import make_engine, make_sessionmaker

app = typer.Typer(help="Check configuration files.", no_args_is_help=True)


@app.command()
def validate(
    config: ConfigOption = None,
    online: Annotated[
        bool,
        typer.Option(
            "--online",
            help="Also ask each tracker for its own lists (types, statuses, resolutions, priorities) and say "
            "what poalign would not classify, with the config line that fixes it.",
        ),
    ] = False,
    warn_days: Annotated[
        int,
        typer.Option(
            "--warn-days",
            help="Warn this many days before a known credential expiry: a Jira token's auth.token_expires, an "
            "Entra client secret's auth.secret_expires, a stored OAuth grant's 90-day inactivity and "
            "365-day absolute expiry.",
            min=0,
        ),
    ] = 14,
) -> None:
    """Validate poalign.yaml: every problem is listed with its file, line and key, then exit 2.

    Also warns, with file, line and key, about environment variables the config names but which are
    not set (neither in the environment nor in a .env file beside the config): a machine that only
    validates needs none, but `sync` and `annotate` refuse to start without the trackers' credentials.
    Each auth scheme's keys are checked: a missing one or one the scheme does not take is named with
    its line, and the keys the scheme takes are listed. Warns --warn-days before a known expiry.
    With --online (which needs them) each source's tracker is asked for its vocabulary, no item is read;
    exit 1 when a tracker cannot be reached.

    When the config's store already holds synced items, links by a URL no source recognises but which
    names a synced item (https://old-host/browse/PAY-12 while PAY-12 is synced from another URL) are
    warned about once per host: "add alias https://old-host to source jira-main". The store is only read.
    """
    loaded = load_or_exit(config)
    cfg = loaded.config
    missing = loaded.unset_variables(loaded.variable_keys())
    console.print(
        f"{loaded.path}: valid ({len(cfg.sources)} source(s), {len(cfg.teams)} team(s))", markup=False
    )
    expiring = expiry_warnings(
        loaded, warn_days=warn_days, today=datetime.now(UTC).date(), grants=stored_grant_ages(loaded)
    )
    for problem in missing + expiring:
        err_console.print(f"warning: {problem}", markup=False)
    for advice in _alias_advice(loaded):
        err_console.print(f"warning: {advice}", markup=False)
    if online and not _online(loaded):
        raise typer.Exit(1)


def _alias_advice(loaded: LoadedConfig) -> list[str]:
    """Aliases the stored links show missing; nothing when there is no store yet (validate creates none)."""
    try:
        url = loaded.database_url()
    except ConfigError:
        return []
    path = migrate.sqlite_file(url)
    if (path is None and url.startswith("sqlite")) or (path is not None and not path.exists()):
        return []
    engine = make_engine(url)
    try:
        state = migrate.store_state(engine)
        if state.empty or not state.current:
            return []
        with make_sessionmaker(engine)() as session:
            bases = {source.name: [source.url, *source.aliases] for source in loaded.config.sources}
            found = missing_aliases(session, bases)
    except SQLAlchemyError as exc:
        err_console.print(f"note: the store was not read, so link URLs were not checked: {redact(str(exc))}")
        return []
    finally:
        engine.dispose()
    index = {source.name: position for position, source in enumerate(loaded.config.sources)}
    return alias_advice(found, index)


def _online(loaded: LoadedConfig) -> bool:
    """Each source's vocabulary notes; False when a tracker could not be asked."""
    require_credentials(loaded, [source.name for source in loaded.config.sources])
    reached = True
    for source in loaded.config.sources:
        connector = make_connector(settings_for(loaded, source))
        if not isinstance(connector, VocabularyCheck):
            continue
        try:
            notes = connector.vocabulary_notes(projects_of(loaded, source.name))
        except TrackerError as error:
            err_console.print(f"{source.name}: cannot ask the tracker: {redact(str(error))}", markup=False)
            reached = False
            continue
        if not notes:
            console.print(f"{source.name}: the tracker's types, statuses and resolutions are all classified")
        for note in notes:
            console.print(f"{source.name}: {note}", markup=False, highlight=False, soft_wrap=True)
    return reached
