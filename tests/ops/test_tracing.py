"""OpenTelemetry traces on the real wire: `poalign sync` and `poalign serve` against the sandbox export
OTLP/HTTP to a loopback receiver; without OTEL_* variables nothing of the SDK is even imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dotenv import dotenv_values

from sandbox.testing import running_sandbox, small_world
from testkit.net import free_port, wait_until
from testkit.wiring import wire
from tests.ops.otlp_receiver import OtlpReceiver, ReceivedSpan
from tests.service.annotate_support import ado_sprints, enable_writeback
from tests.service.test_service_e2e import _healthy

POALIGN = str(Path(sys.executable).parent / "poalign")
SDK_MODULES = ("opentelemetry.sdk", "opentelemetry.exporter", "opentelemetry.proto", "google.protobuf")


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    started = OtlpReceiver().start()
    yield started
    started.stop()


def _env(**otel: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    return {**env, **otel}


def _traced_env(receiver: OtlpReceiver) -> dict[str, str]:
    return _env(
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
        OTEL_SERVICE_NAME="poalign-under-test",
        OTEL_BSP_SCHEDULE_DELAY="100",  # milliseconds: the serve test waits for spans, not for the exit
    )


def _no_secret_in(spans: list[ReceivedSpan], env_file: Path) -> None:
    secrets = [v for k, v in dotenv_values(env_file).items() if v and len(v) >= 6 and not k.endswith("_USER")]
    assert secrets
    for span in spans:
        for value in [*span.attributes.values(), *span.resource.values()]:
            assert not any(secret in str(value) for secret in secrets), (span.name, value)


@pytest.mark.slow
def test_sync_exports_a_span_per_source_under_the_sync(
    tmp_path: Path, store_url: str, receiver: OtlpReceiver
) -> None:
    with running_sandbox(small_world()) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        result = subprocess.run(
            [POALIGN, "sync", "--config", str(wired.config_path), "--json"],
            capture_output=True,
            text=True,
            env=_traced_env(receiver),
            timeout=180,
            check=False,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    synced = {s["name"]: s for s in json.loads(result.stdout)["sources"]}
    assert receiver.paths and set(receiver.paths) == {"/v1/traces"}  # flushed before the process ended
    assert receiver.content_types == {"application/x-protobuf"}

    (root,) = receiver.named("sync")
    assert root.parent_id == "" and root.attributes["poalign.sources"] == len(synced) == 3
    assert root.resource["service.name"] == "poalign-under-test"
    per_source = receiver.named("sync.source")
    assert sorted(s.span_id for s in per_source) == sorted(s.span_id for s in receiver.children(root))
    by_source = {s.attributes["poalign.source"]: s for s in per_source}
    assert set(by_source) == set(synced)
    kinds = {s.name: s.kind for s in wired.loaded.config.sources}
    for name, span in by_source.items():
        assert span.attributes["poalign.kind"] == kinds[name]
        assert span.attributes["poalign.mode"] == "full" and span.attributes["poalign.status"] == "ok"
        assert span.attributes["poalign.items"] == synced[name]["items"] > 0
        assert span.attributes["poalign.requests"] == synced[name]["requests"] > 0
        assert span.status_code != 2
    _no_secret_in(receiver.spans, tmp_path / ".env")


@pytest.mark.slow
def test_a_webhook_is_traced_at_intake_and_in_the_drain(
    tmp_path: Path, store_url: str, receiver: OtlpReceiver
) -> None:
    port = free_port()
    hook = f"http://127.0.0.1:{port}/webhooks/{{kind}}/{{source}}"
    with running_sandbox(small_world(), webhook_urls=[hook]) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        enable_writeback(wired.config_path)
        synced = subprocess.run(
            [POALIGN, "sync", "--config", str(wired.config_path)],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=180,
            check=False,
        )
        assert synced.returncode == 0, synced.stdout + synced.stderr
        process = subprocess.Popen(
            [POALIGN, "serve", "--config", str(wired.config_path), "--port", str(port), "--no-scheduler"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=_traced_env(receiver),
        )
        try:
            assert wait_until(lambda: _healthy(port), timeout=60), "poalign serve did not come up"
            org = sandbox.world.ado["contoso"]
            item_id, item = next(iter(sorted(org.items.items())))
            sandbox.ado("contoso").update(
                item_id, iteration=ado_sprints(sandbox, "contoso", item.project)[-1]
            )

            def drained() -> list[ReceivedSpan]:
                return [
                    d
                    for d in receiver.named("inbox.drain")
                    if any(c.name == "inbox.refetch" for c in receiver.children(d))
                ]

            assert wait_until(lambda: receiver.named("webhook.intake") and drained(), timeout=30), [
                s.name for s in receiver.spans
            ]
        finally:
            process.terminate()
            process.wait(timeout=30)

    intake = [s for s in receiver.named("webhook.intake") if s.attributes["poalign.source"] == "ado-contoso"]
    assert intake, [s.attributes for s in receiver.named("webhook.intake")]
    first = intake[0]
    assert first.parent_id == "" and first.attributes["poalign.kind"] == "azure-devops"
    assert first.attributes["http.response.status_code"] == 202
    assert first.attributes["poalign.delivery_id"] and first.attributes["poalign.duplicate"] is False

    drain = drained()[0]
    assert drain.parent_id == "" and drain.trace_id != first.trace_id  # the inbox decouples the two
    assert drain.attributes["poalign.events"] >= 1 and drain.attributes["poalign.changed"] is True
    children = {c.name: c for c in receiver.children(drain)}
    assert {"inbox.refetch", "evaluate.incremental", "annotate.plan", "annotate.deliver"} <= set(children)
    # one re-read per source and drain round: a round may also claim the echo of an earlier write
    refetches = [c for c in receiver.children(drain) if c.name == "inbox.refetch"]
    assert {r.attributes["poalign.source"] for r in refetches} == {"ado-contoso"}
    assert any(r.attributes["poalign.items"] >= 1 for r in refetches), [r.attributes for r in refetches]
    assert "poalign.findings" in children["evaluate.incremental"].attributes
    assert "poalign.delivered" in children["annotate.deliver"].attributes
    _no_secret_in(receiver.spans, tmp_path / ".env")


_PROBE = """
import json, sys
from service.cli.main import app
try:
    app(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
loaded = sorted({m.split(".")[0] + "." + m.split(".")[1] for m in sys.modules if m.startswith(PREFIXES)})
print(json.dumps({"code": code, "loaded": loaded}))
""".replace("PREFIXES", repr(SDK_MODULES))


@pytest.mark.parametrize("tracing", [False, True], ids=["without-OTEL", "with-OTEL"])
def test_the_sdk_is_imported_only_when_tracing_is_asked_for(
    tmp_path: Path, store_url: str, receiver: OtlpReceiver, tracing: bool
) -> None:
    both = {"OTEL_TRACES_EXPORTER": "otlp,console", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}
    env = _env(**both) if tracing else _env()
    with running_sandbox(small_world()) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        result = subprocess.run(
            [sys.executable, "-c", _PROBE, "sync", "--config", str(wired.config_path), "--json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=180,
            check=False,
        )
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["code"] in (0, None), result.stdout + result.stderr
    if tracing:
        assert set(probe["loaded"]) == set(SDK_MODULES)  # the probe sees what it looks for
        assert '"name": "sync.source"' in result.stderr  # the console exporter writes to stderr
        assert receiver.named("sync.source")
    else:
        assert probe["loaded"] == []


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"OTEL_TRACES_EXPORTER": "jaeger"},
            "OTEL_TRACES_EXPORTER='jaeger': poalign exports traces with otlp",
        ),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "OTEL_EXPORTER_OTLP_PROTOCOL='grpc': poalign sends OTLP over HTTP only",
        ),
    ],
)
def test_what_cannot_be_exported_is_a_usage_error(
    tmp_path: Path, variables: dict[str, str], message: str
) -> None:
    result = subprocess.run(
        [POALIGN, "config", "validate", "--config", str(tmp_path / "none.yaml")],
        capture_output=True,
        text=True,
        env=_env(**variables),
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and message in result.stderr, result.stderr
