"""The Dockerfile, read as Docker reads it: two stages on one base pinned by digest, wheels built from the
lock and installed with nothing fetched, only production code in the context, a non-root user, the store
in /data, a health check, and `poalign serve --upgrade` as the command. (No container engine runs here:
tests/packaging/test_image_steps.py replays the install steps in bare venvs.)"""

from __future__ import annotations

import re

import pytest

from tests.packaging.image_recipe import PINNED_BASE, ROOT, admitted, dockerignore_patterns, stages

PRODUCTION = ("service", "connectors", "rules", "migrations")
NOT_IN_THE_IMAGE = (
    ".venv",
    ".git",
    "tests",
    "testkit",
    "sandbox",
    "bench",
    "demo-out",
    "docs",
    ".bench-peers",
    "build",
    "dist",
    "poalign.db",
    ".env",
    "service/__pycache__/x.pyc",
    "service/store/x.db",
    "service/.env",
)


def test_two_stages_on_one_base_pinned_by_digest_whose_source_is_cited() -> None:
    recipe = stages()
    assert list(recipe) == ["builder", "runtime"]
    bases = {stage.base for stage in recipe.values()}
    assert len(bases) == 1, bases
    (base,) = bases
    assert PINNED_BASE.match(base), base
    text = (ROOT / "Dockerfile").read_text()
    digest = base.partition("@")[2]
    comments = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    assert "github.com/" in comments and "Renovate" in comments, "say where the digest was read"
    assert digest not in comments  # the FROM lines are the one place to change it


def test_the_builder_makes_wheels_from_the_hash_checked_lock_then_poalign_from_production_code() -> None:
    builder = stages()["builder"]
    runs = builder.values("RUN")
    assert any(
        re.search(r"\bpip wheel\b.*--require-hashes.*-r requirements\.lock", command) for command in runs
    ), runs
    assert any(re.search(r"\bpip wheel\b.*--no-deps.*\s\.$", command) for command in runs), runs
    copied = [source for sources, _ in builder.copies() for source in sources]
    assert copied[0] == "requirements.lock"  # the dependency layer is cached until the lock changes
    assert set(copied) == {"requirements.lock", "pyproject.toml", "README.md", *PRODUCTION}


def test_the_runtime_installs_only_the_builders_wheels_and_copies_no_source() -> None:
    runtime = stages()["runtime"]
    assert runtime.copies() == []
    installs = [command for command in runtime.values("RUN") if "pip install" in command]
    assert len(installs) == 1
    (install,) = installs
    assert "--mount=type=bind,from=builder,source=/wheels,target=/wheels" in install
    assert "--no-index" in install and "--no-deps" in install and "/wheels/*.whl" in install
    assert "pip check" in install


def test_no_sandbox_or_test_code_can_reach_the_image() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert not re.search(r"^COPY\s+(\.|sandbox|tests|testkit|bench)\b", text, re.M)
    patterns = dockerignore_patterns()
    assert patterns[0] == "*", "an allow-list: a new folder stays out until it is named"
    for path in NOT_IN_THE_IMAGE:
        assert not admitted(path, patterns), path
    for path in (*PRODUCTION, "service/store/migrate.py", "requirements.lock", "pyproject.toml"):
        assert admitted(path, patterns), path


def test_non_root_with_the_store_in_data_and_a_health_check() -> None:
    runtime = stages()["runtime"]
    user = runtime.values("USER")[-1]
    assert user.split(":")[0] not in ("root", "0") and user.split(":")[0].isdigit()  # numeric: runAsNonRoot
    env = runtime.env()
    assert env["POALIGN_DATA_DIR"] == "/data"
    assert env["POALIGN_CONFIG"].startswith("/config/")
    assert "/data" in runtime.values("VOLUME")[-1]
    assert any("chown" in command and "/data" in command for command in runtime.values("RUN"))
    (healthcheck,) = runtime.values("HEALTHCHECK")
    assert "/healthz" in healthcheck and "127.0.0.1:8000" in healthcheck


def test_the_command_migrates_under_the_lock_then_serves_on_the_exposed_port() -> None:
    runtime = stages()["runtime"]
    assert runtime.values("ENTRYPOINT") == []  # compose and Kubernetes may replace the command whole
    command = runtime.exec_form("CMD")
    assert command[:3] == ["poalign", "serve", "--upgrade"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--port") + 1] == runtime.values("EXPOSE")[-1] == "8000"


@pytest.mark.parametrize(
    ("path", "kept"),
    [("service/api/app.py", True), ("sandbox/app.py", False), ("service/x/__pycache__/m.pyc", False)],
)
def test_the_dockerignore_reader_follows_dockers_last_match_rule(path: str, kept: bool) -> None:
    assert admitted(path, ["*", "!service", "**/__pycache__"]) is kept
