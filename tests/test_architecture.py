"""The layer contracts in pyproject.toml hold, and would fail on a forbidden import."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def run_lint_imports(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(pythonpath), "COLUMNS": "250"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_contracts_hold_for_the_real_code() -> None:
    result = run_lint_imports(ROOT, ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.split("Contracts:")[-1].replace("0 broken", "")


def _contract_modules(config: dict[str, Any]) -> set[str]:
    """Every module of ours that a contract names: a layers contract needs each of its layers to exist."""
    roots = set(config["root_packages"])
    names: set[str] = set()
    for contract in config["contracts"]:
        containers = contract.get("containers", [""])
        for layer in contract.get("layers", []):
            for tail in re.split(r"[|:]", layer):
                names.update(f"{container}.{tail.strip()}".strip(".") for container in containers)
        for key in ("source_modules", "forbidden_modules", "modules"):
            names.update(module for module in contract.get(key, []) if module.split(".")[0] in roots)
    return names


def _module_file(tree: Path, dotted: str) -> Path:
    folder = tree / dotted.replace(".", "/")
    return folder / "__init__.py" if folder.is_dir() else folder.with_suffix(".py")


def _append(path: Path, statement: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as source:
        source.write(statement + "\n")


def _scratch_tree(tmp_path: Path, violation: tuple[str, str]) -> Path:
    """Packages named like ours with one forbidden import, checked against our real contracts.

    The imports a contract lets through (``ignore_imports``) are made too: import-linter refuses an
    ignore that matches nothing, and they prove the allowance covers no more than it says."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    for module in _contract_modules(config):
        parts = module.split(".")
        for depth in range(1, len(parts) + 1):
            package = tmp_path.joinpath(*parts[:depth])
            package.mkdir(exist_ok=True)
            (package / "__init__.py").touch()
    for contract in config["contracts"]:
        for ignored in contract.get("ignore_imports", []):
            importer, imported = (name.strip() for name in ignored.split("->"))
            _append(_module_file(tmp_path, imported), "")
            _append(_module_file(tmp_path, importer), f"import {imported}")
    module, statement = violation
    _append(_module_file(tmp_path, module.removesuffix(".py").replace("/", ".")), statement)
    lines = [
        "[importlinter]",
        f"root_packages =\n    {chr(10).join('    ' + p for p in config['root_packages']).strip()}",
        "include_external_packages = True",
    ]
    for index, contract in enumerate(config["contracts"]):
        lines.append(f"\n[importlinter:contract:{index}]")
        for key, value in contract.items():
            if isinstance(value, list):
                value = "\n" + "\n".join(f"    {item}" for item in value)
            lines.append(f"{key} = {value}")
    (tmp_path / ".importlinter").write_text("\n".join(lines) + "\n")
    return tmp_path


@pytest.mark.parametrize(
    ("violation", "contract"),
    [
        (("rules/bad.py", "import sqlalchemy"), "rules is pure"),
        (("rules/bad.py", "import yaml"), "rules is pure"),
        (("connectors/bad.py", "import fastapi"), "connectors know no SQL"),
        (("connectors/bad.py", "import rules"), "service sits above"),
        (("rules/bad.py", "import service"), "service sits above"),
        (("connectors/jira/bad.py", "import sandbox"), "connectors and rules never import the sandbox"),
        (("rules/bad.py", "import sandbox"), "connectors and rules never import the sandbox"),
        (("sandbox/bad.py", "import connectors"), "the sandbox is the other end of the wire"),
        (("sandbox/bad.py", "import service"), "the sandbox is the other end of the wire"),
        (("sandbox/bad.py", "import rules"), "the sandbox is the other end of the wire"),
        (("service/bad.py", "import sandbox"), "in service only the demo and sandbox commands"),
        (
            ("service/cli/bad.py", "import service.demo"),
            "in service only the demo command imports service.demo",
        ),
        (("service/cli/sandbox_cmd.py", "import sandbox.config_out"), "in service only the demo and sandbox"),
        (("service/store/bad.py", "import connectors"), "the store is the bottom"),
        (("service/runtime/bad.py", "import service.api"), "inside the service"),
        (("service/store/bad.py", "import service.ingest"), "inside the service"),
        (("service/inbox_drain/bad.py", "import service.annotate"), "inside the service"),
        (("bench/bad.py", "import tests"), "the bench never imports the tests"),
        (("testkit/bad.py", "import bench"), "the bench never imports the tests"),
        (("bench/bad.py", "import pytest"), "the bench and the test kit run without pytest"),
    ],
    ids=[
        "rules-sqlalchemy",
        "rules-yaml",
        "connectors-fastapi",
        "connectors-rules",
        "rules-service",
        "client-sandbox",
        "rules-sandbox",
        "sandbox-connectors",
        "sandbox-service",
        "sandbox-rules",
        "service-sandbox",
        "service-via-demo-sandbox",
        "sandbox-cmd-beyond-allowance",
        "store-connectors",
        "runtime-api",
        "store-ingest",
        "inbox-drain-annotate",
        "bench-tests",
        "testkit-bench",
        "bench-pytest",
    ],
)
def test_a_forbidden_import_breaks_a_contract(
    tmp_path: Path, violation: tuple[str, str], contract: str
) -> None:
    tree = _scratch_tree(tmp_path, violation)
    result = run_lint_imports(tree, tree)
    assert result.returncode != 0, result.stdout
    broken = [
        line
        for line in result.stdout.splitlines()
        if re.search(r" BROKEN( \(\d+ ignored imports?\))?$", line)
    ]
    assert any(line.startswith(contract) for line in broken), result.stdout


def test_the_allowed_sandbox_imports_keep_every_contract(tmp_path: Path) -> None:
    """The scratch tree with only the imports the contracts allow (the demo and sandbox commands) is clean."""
    tree = _scratch_tree(tmp_path, ("rules/fine.py", "import dataclasses"))
    result = run_lint_imports(tree, tree)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_sandbox_distribution_lists_every_sandbox_package() -> None:
    """sandbox/pyproject.toml maps its folder to `sandbox` and names the sub-packages one by one."""
    listed = tomllib.loads((ROOT / "sandbox" / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]
    found = sorted(
        ".".join(("sandbox", *init.parent.relative_to(ROOT / "sandbox").parts))
        for init in (ROOT / "sandbox").rglob("__init__.py")
    )
    assert sorted(listed) == found
