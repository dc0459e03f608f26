"""`poalign mcp`: the Model Context Protocol server (tools check, explain_item, whatif, suggest)."""

from __future__ import annotations

from typing import Annotated

import typer

from service.cli.common import ConfigOption, database_url_or_exit, fail, load_or_exit
from service.cli.store_access import require_current_store
from service.runtime import Runtime


def mcp(
    config: ConfigOption = None,
    http: Annotated[
        bool, typer.Option("--http", help="Serve streamable HTTP at /mcp instead of stdio.")
    ] = False,
    host: Annotated[str, typer.Option(help="--http: the address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="--http: the port.")] = 8766,
) -> None:
    """Serve poalign to an assistant over the Model Context Protocol: stdio by default (the assistant
    starts this command), or streamable HTTP at /mcp with --http, where every request needs the API
    token (`Authorization: Bearer ...`). The tools read the store and write nothing."""
    loaded = load_or_exit(config)
    require_current_store(database_url_or_exit(loaded))
    runtime = Runtime.open(loaded, process="mcp")
    # the MCP SDK is imported only by this command: every other command starts without it
    from service.mcp_server import build_server, http_app

    try:
        if http:
            if not runtime.secret(runtime.config.api.token_env):
                fail(f"--http needs the API token: set the variable {runtime.config.api.token_env}")
            import uvicorn

            uvicorn.run(http_app(runtime, host), host=host, port=port, log_level="warning")
        else:
            build_server(runtime).run("stdio")
    finally:
        runtime.close()
