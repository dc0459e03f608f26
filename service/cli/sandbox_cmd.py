"""`poalign sandbox ...`: Jira and Azure DevOps emulators on loopback, and turning vendor samples into a world."""

from __future__ import annotations

import importlib.util
import secrets
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import httpx
import typer

from service.cli.common import ConfigOption, console, err_console, fail, load_or_exit
from service.config.loader import LoadedConfig

app = typer.Typer(
    help=(
        "Sandbox trackers: a Jira emulator (Cloud or Data Center) and an Azure DevOps emulator on loopback that "
        "the official clients accept, serving a *world* folder of vendor-format JSON."
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

SANDBOX_INSTALL = "pip install -e ./sandbox  (from a poalign checkout; `make install` does it)"


def require_sandbox() -> None:
    """Exit 2 with the install command when the sandbox distribution is absent (the production image)."""
    if importlib.util.find_spec("sandbox") is None:
        fail(f"the sandbox trackers are not installed; install them with: {SANDBOX_INSTALL}")


WEBHOOK_HELP = (
    "Send the trackers' webhooks to URL (repeatable). The URL may contain `{kind}` (jira or azure-devops), "
    "`{source}` (the source name the --config-out file gives the site/org, e.g. jira-acme) and `{tenant}` "
    "(the bare site/org name). A URL without `{kind}`/`{source}` gets the events of both trackers. "
    "For poalign serve: `http://127.0.0.1:8000/webhooks/{kind}/{source}`."
)


@app.command()
def serve(
    world: Annotated[
        Path,
        typer.Option(
            "--world",
            "-w",
            help="World folder (`jira/SITE/…`, `ado/ORG/PROJECT/…`).",
            exists=True,
            file_okay=False,
        ),
    ],
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    jira_port: Annotated[int, typer.Option(help="Jira emulator port (0: a free one).")] = 0,
    ado_port: Annotated[int, typer.Option(help="Azure DevOps emulator port (0: a free one).")] = 0,
    jira_mode: Annotated[
        str | None,
        typer.Option(
            help="cloud or datacenter for every site (default: each site.json's deploymentType, else cloud)."
        ),
    ] = None,
    config_out: Annotated[
        Path | None,
        typer.Option(
            help="Write a poalign config for this sandbox here, and its secrets to .env beside it.",
            dir_okay=False,
        ),
    ] = None,
    webhook_url: Annotated[list[str] | None, typer.Option(help=WEBHOOK_HELP)] = None,
    jira_webhook_url: Annotated[
        str | None,
        typer.Option(help="Send Jira webhooks (signed X-Hub-Signature) here; may contain {source}/{tenant}."),
    ] = None,
    ado_webhook_url: Annotated[
        str | None,
        typer.Option(help="Send ADO service hooks (basic auth) here; may contain {source}/{tenant}."),
    ] = None,
    webhook_secret: Annotated[
        str | None,
        typer.Option(
            help="Secret for Jira signatures and ADO basic auth (default: random, written to the .env)."
        ),
    ] = None,
    latency_ms: Annotated[float, typer.Option(help="Latency added to every API request, in ms.")] = 0.0,
    fault_rate: Annotated[
        float,
        typer.Option(help="Share of API requests that fail (429, 500, 503, reset, slow, truncated), 0..1."),
    ] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed for the fault decisions (same seed, same faults).")] = 0,
    token: Annotated[
        str, typer.Option(help="The API token/PAT the sandbox accepts for any user.")
    ] = "sandbox-token",  # noqa: S107 - the sandbox's documented default, not a secret
    auth: Annotated[
        str,
        typer.Option(
            help="classic: the token/PAT above is accepted; modern: Azure DevOps accepts only Microsoft "
            "Entra ID-style tokens from the sandbox's own token endpoint (https on loopback), and "
            "--config-out writes `auth.scheme: entra` for it."
        ),
    ] = "classic",
    token_lifetime: Annotated[
        int,
        typer.Option(help="With --auth modern: seconds a token lives (short, to watch refreshes).", min=1),
    ] = 3600,
    jira_auth: Annotated[
        str,
        typer.Option(
            help="With --auth modern, what --config-out writes for Jira Cloud sites: scoped-token (a scoped "
            "API token through the api.atlassian.com-style gateway) or oauth (the sandbox's OAuth 2.0 3LO app "
            "with rotating refresh tokens: the first refresh token goes in the .env as <SOURCE>_REFRESH_TOKEN "
            "for `poalign auth jira-oauth --from-env` to store)."
        ),
    ] = "scoped-token",
) -> None:
    """Serve a world until Ctrl-C.

    Prints the base URLs when ready: each Jira site at `http://HOST:PORT/SITE` (the `server=` URL for the
    jira client), each ADO organization at `http://HOST:PORT/ORG` (the `base_url` for azure-devops),
    and the admin endpoint `/_sandbox` on either port (scripted changes, faults, request log).
    """
    require_sandbox()
    from sandbox import SandboxServer, World, WorldError

    if jira_mode is not None and jira_mode.lower() not in ("cloud", "datacenter"):
        fail("--jira-mode is cloud or datacenter")
    if not 0.0 <= fault_rate <= 1.0:
        fail("--fault-rate is between 0 and 1")
    if auth not in ("classic", "modern"):
        fail("--auth is classic or modern")
    if jira_auth not in ("scoped-token", "oauth"):
        fail("--jira-auth is scoped-token or oauth")
    try:
        loaded = World.load(world)
    except (WorldError, ValueError) as exc:
        fail(str(exc))
    secret = webhook_secret or secrets.token_urlsafe(24)
    try:
        sb = SandboxServer(
            loaded,
            jira_mode=jira_mode,
            latency_ms=latency_ms,
            fault_rate=fault_rate,
            seed=seed,
            webhook_urls=webhook_url or (),
            jira_webhook_url=jira_webhook_url,
            ado_webhook_url=ado_webhook_url,
            token=token,
            host=host,
            jira_port=jira_port,
            ado_port=ado_port,
            webhook_secret=secret,
            auth=auth,
            token_lifetime_s=token_lifetime,
            jira_auth=jira_auth,
        )
        sb.start()
    except (OSError, RuntimeError, ValueError) as exc:
        fail(str(exc))
    try:
        for name, url in sb.jira_urls.items():
            console.print(
                f"jira  {name:<24} {url}  ({sb.jira_mode(name)}, source {sb.source_name('jira', name)})",
                markup=False,
            )
        for name, url in sb.ado_urls.items():
            console.print(f"ado   {name:<24} {url}  (source {sb.source_name('ado', name)})", markup=False)
        console.print(f"admin {sb.jira_root}/_sandbox  {sb.ado_root}/_sandbox", markup=False)
        if sb.identity_server is not None:
            console.print(
                f"entra {sb.identity_server.authority_host}  (tokens live {token_lifetime} s; "
                f"CA {sb.identity_server.ca_file})",
                markup=False,
            )
            console.print(
                f"oauth {sb.jira_root}/oauth/token  (Atlassian-style 3LO, rotating refresh tokens)",
                markup=False,
            )
        if config_out is not None:
            cfg, env_path = sb.write_config(config_out)
            console.print(f"wrote {cfg} and {env_path}", markup=False)
        console.print("ready; Ctrl-C to stop", markup=False)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        sb.stop()
        err_console.print("sandbox stopped")


@app.command(name="import")
def import_(
    from_: Annotated[
        Path,
        typer.Option(
            "--from",
            help="Vendor samples folder (e.g. ../shared/vendor-samples).",
            exists=True,
            file_okay=False,
        ),
    ],
    to: Annotated[
        Path,
        typer.Option("--to", help="World folder to create (must not exist or be empty).", file_okay=False),
    ],
) -> None:
    """Lay out vendor samples as a world: the Jira archive as site `tidev` (Data Center), go-jira as
    `go-jira` (Cloud), each ADO demo template under the organization its links point at, the REST
    examples under `fabrikam`. Files are copied as they are; a SOURCES.md lists where each came from."""
    require_sandbox()
    from sandbox import World, WorldError, import_vendor_samples

    try:
        rep = import_vendor_samples(from_, to)
        world = World.load(to)
    except (FileNotFoundError, FileExistsError, WorldError, ValueError) as exc:
        fail(str(exc))
    counts = world.counts()
    for name, c in counts["jira"].items():
        console.print(
            f"jira {name}: {c['issues']} issues, {c['links']} links, {c['projects']} projects", markup=False
        )
    for name, c in counts["ado"].items():
        console.print(
            f"ado  {name}: {c['work_items']} work items, {c['relations']} relations, "
            f"projects {', '.join(c['projects'])}",
            markup=False,
        )
    for s, why in rep.skipped:
        console.print(f"skipped {s}: {why}", markup=False)
    console.print(f"wrote {to} ({len(rep.copied)} files)", markup=False)


act_app = typer.Typer(
    help=(
        "Act as a person on a running sandbox: write a comment or move an item, as the trackers would show "
        "it (the person's account is made on first use) and with the webhooks they would send. The sandbox "
        "is the one the --config's sources point at (`sandbox serve --config-out`)."
    ),
    no_args_is_help=True,
)
app.add_typer(act_app, name="act")


@dataclass
class _Acting:
    loaded: LoadedConfig
    person: str


@act_app.callback()
def act(
    ctx: typer.Context,
    person: Annotated[str, typer.Option("--as", help='Who acts: a display name or e-mail ("Tom Becker").')],
    config: ConfigOption = None,
) -> None:
    ctx.obj = _Acting(load_or_exit(config), person)


@act_app.command("comment")
def act_comment(
    ctx: typer.Context,
    item: Annotated[
        str, typer.Argument(help="A Jira key (CHK-23) or ADO id (5118), optionally SOURCE:ITEM.")
    ],
    text: Annotated[str, typer.Argument(help='The comment, e.g. "/poalign commit CHK Sprint 21".')],
) -> None:
    """Write a comment on ITEM as the person."""
    _act(ctx.obj, "comment", item, text)


@act_app.command("move")
def act_move(
    ctx: typer.Context,
    item: Annotated[
        str, typer.Argument(help="A Jira key (CHK-23) or ADO id (5118), optionally SOURCE:ITEM.")
    ],
    target: Annotated[
        str, typer.Argument(help="A sprint/iteration name of the item's project, or `backlog`.")
    ],
) -> None:
    """Move ITEM to a sprint or iteration (or to the backlog) as the person."""
    _act(ctx.obj, "move", item, target)


def _act(acting: _Acting, action: str, item: str, value: str) -> None:
    sources = acting.loaded.config.sources
    if not sources:
        fail(
            "the config has no sources: point it at a running sandbox (`poalign sandbox serve --config-out F`)"
        )
    source_name, _, key = item.rpartition(":")
    chosen = [s for s in sources if s.name == source_name] if source_name else list(sources)
    if source_name and not chosen:
        fail(f"unknown source {source_name!r} in {item!r}; configured: {', '.join(s.name for s in sources)}")
    url = urlsplit(chosen[0].url)
    root = f"{url.scheme}://{url.netloc}"
    tenant = (url.path.strip("/").split("/")[0] or None) if source_name else None
    body = {"as": acting.person, "action": action, "item": key, "value": value, "tenant": tenant}
    try:
        with httpx.Client(timeout=30.0) as client:
            answer = client.post(f"{root}/_sandbox/act", json=body)
            if answer.status_code == 404 and "error" not in _json(answer):
                fail(f"{root} (source {chosen[0].name}) is not a poalign sandbox: it has no /_sandbox/act")
            if answer.status_code != 200:
                fail(f"the sandbox at {root} refused: {_json(answer).get('error') or answer.status_code}")
            # the webhooks the change caused are on their way: wait, so the next command sees them handled
            client.post(f"{root}/_sandbox/webhooks/wait", json={"timeout": 10})
    except httpx.HTTPError as error:
        fail(f"cannot reach the sandbox at {root} (source {chosen[0].name}): {type(error).__name__}")
    done = _json(answer)
    who = done.get("as") or {}
    console.print(
        f"{done.get('tracker')} {done.get('tenant')} {done.get('item')}: {action} as "
        f"{who.get('displayName') or acting.person}",
        markup=False,
    )


def _json(response: httpx.Response) -> dict:
    try:
        found = response.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
