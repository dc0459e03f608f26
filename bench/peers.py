"""The peers a user would pick to pull Jira into a store, run against the sandbox's Jira Cloud site:
Singer's tap-jira and Airbyte's source-jira, each from its own venv under ``.bench-peers/``
(installed by the bench when missing, pinned versions).

Both speak https only, so they reach the sandbox through :class:`bench.tls_relay.TlsRelay`. Both
send through requests' ``Session.send``, which never reads ``REQUESTS_CA_BUNDLE``, so for the run
the relay's throwaway certificate is appended to the certifi bundle of the peer's own venv (and cut
off again after; a marker line finds it even after a crash).

tap-jira 2.6.0 runs as it ships (basic-auth "hosted" mode, only its ``issues`` stream selected).
Airbyte's source-jira 4.0.0 still pages issues on ``/rest/api/3/search``, which Jira Cloud has
removed (410 Gone); it runs with that one stream brought up to ``/search/jql`` and ``nextPageToken``
paging, given as the ``manifest.yaml`` its CDK reads from the working directory before its packaged
one. Its code is not changed.

Each run is timed as a whole process, start-up included, and the sandbox counts its requests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CACHE = Path(__file__).resolve().parents[1] / ".bench-peers"
START = "2000-01-01T00:00:00Z"  # before anything in a synthetic world: every issue
USER = "sandbox@example.com"
_MARKER = b"\n# poalign bench: TLS relay certificate below\n"


@dataclass(frozen=True)
class PeerRun:
    wall_s: float
    requests: int
    records: int


@dataclass(frozen=True)
class Peer:
    name: str  # in the figure names: sync.peer.<name>.wall_s
    requirement: str

    @property
    def venv(self) -> Path:
        return CACHE / self.requirement.split("==")[0]

    def bin(self, tool: str) -> Path:
        return self.venv / "bin" / tool

    def ensure(self) -> None:
        """Install into its own venv unless that venv already holds this requirement."""
        stamp = self.venv / ".bench-installed"
        if stamp.is_file() and stamp.read_text() == self.requirement:
            return
        shutil.rmtree(self.venv, ignore_errors=True)
        print(f"bench: installing {self.requirement} into {self.venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True)
        pip = [str(self.bin("python")), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        result = subprocess.run([*pip, self.requirement], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"installing {self.requirement} failed:\n{result.stderr[-3000:]}")
        stamp.write_text(self.requirement)

    def ask(self, code: str) -> str:
        """What a line of Python prints in the peer's venv."""
        return subprocess.run(
            [str(self.bin("python")), "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()

    @contextmanager
    def trusting(self, cert: Path) -> Iterator[None]:
        bundle = Path(self.ask("import certifi; print(certifi.where())"))
        original = bundle.read_bytes().split(_MARKER)[0]
        bundle.write_bytes(original + _MARKER + cert.read_bytes())
        try:
            yield
        finally:
            bundle.write_bytes(original)


TAP_JIRA = Peer("tap_jira", "tap-jira==2.6.0")
AIRBYTE_JIRA = Peer("airbyte_source_jira", "airbyte-source-jira==4.0.0")


def run_tap_jira(sandbox: Any, site_url: str, workdir: Path) -> PeerRun:
    """``site_url``: the https URL of the site behind the relay."""
    peer = TAP_JIRA
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "config.json"
    config.write_text(
        json.dumps(
            {
                "start_date": START,
                "username": USER,
                "password": sandbox.token,
                "base_url": site_url,
                "user_agent": "poalign-bench",
            }
        )
    )
    # Discovery is what a user runs once when setting the tap up: not timed, not counted.
    discovered = subprocess.run(
        [str(peer.bin("tap-jira")), "--config", str(config), "--discover"],
        capture_output=True,
        text=True,
        check=False,
    )
    if discovered.returncode != 0:
        raise RuntimeError(f"tap-jira --discover failed:\n{discovered.stderr[-3000:]}")
    catalog = json.loads(discovered.stdout)
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = stream["tap_stream_id"] == "issues"
    properties = workdir / "properties.json"
    properties.write_text(json.dumps(catalog))
    # tap-jira 2.6.0 reads the catalog from --properties only
    command = [str(peer.bin("tap-jira")), "--config", str(config), "--properties", str(properties)]
    return _timed(sandbox, command, workdir)


def run_airbyte_jira(sandbox: Any, domain: str, workdir: Path) -> PeerRun:
    """``domain``: host, port and site path behind the relay, as its config wants it (no scheme)."""
    peer = AIRBYTE_JIRA
    workdir.mkdir(parents=True, exist_ok=True)
    package = Path(
        peer.ask(
            "import importlib.util as u; print(u.find_spec('source_jira').submodule_search_locations[0])"
        )
    )
    manifest = yaml.safe_load((package / "manifest.yaml").read_text())
    _issues_on_search_jql(manifest["definitions"]["issues_stream"])
    (workdir / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    (workdir / "config.json").write_text(
        json.dumps({"api_token": sandbox.token, "domain": domain, "email": USER, "start_date": START})
    )
    stream = {"name": "issues", "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]}
    catalog = {
        "streams": [{"stream": stream, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]
    }
    (workdir / "catalog.json").write_text(json.dumps(catalog))
    command = [str(peer.bin("source-jira")), "read", "--config", "config.json", "--catalog", "catalog.json"]
    return _timed(sandbox, command, workdir)


def _issues_on_search_jql(issues_stream: dict[str, Any]) -> None:
    """The issues stream as Jira Cloud serves it now: /search/jql, paged by nextPageToken."""
    if issues_stream["$parameters"]["path"] != "search":
        raise RuntimeError("source-jira's issues stream no longer reads /search: look again at this override")
    issues_stream["$parameters"]["path"] = "search/jql"
    issues_stream["retriever"]["paginator"] = {
        "type": "DefaultPaginator",
        "page_size_option": {
            "type": "RequestOption",
            "inject_into": "request_parameter",
            "field_name": "maxResults",
        },
        "page_token_option": {
            "type": "RequestOption",
            "inject_into": "request_parameter",
            "field_name": "nextPageToken",
        },
        "pagination_strategy": {
            "type": "CursorPagination",
            "cursor_value": "{{ response.get('nextPageToken') }}",
            "stop_condition": "{{ response.get('isLast') or not response.get('nextPageToken') }}",
            "page_size": 50,  # what the packaged paginator asks for
        },
    }


def _timed(sandbox: Any, command: list[str], workdir: Path) -> PeerRun:
    sandbox.requests.clear()
    out = workdir / "messages.jsonl"  # a file: the cheapest consumer a tap can have
    with out.open("wb") as sink:
        started = time.perf_counter()
        result = subprocess.run(
            command, cwd=workdir, stdout=sink, stderr=subprocess.PIPE, timeout=1800, check=False
        )
        wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(
            f"{Path(command[0]).name} failed:\n{result.stderr.decode(errors='replace')[-3000:]}"
        )
    return PeerRun(wall, sandbox.requests.count(emulator="jira"), _issue_records(out))


def _issue_records(path: Path) -> int:
    """Records of the issues stream, in Singer's shape or Airbyte's."""
    count = 0
    with path.open("rb") as lines:
        for line in lines:
            if b'"RECORD"' not in line[:40]:
                continue
            message = json.loads(line)
            stream = message.get("stream") or (message.get("record") or {}).get("stream")
            count += stream == "issues"
    return count
