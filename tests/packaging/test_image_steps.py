"""The image's install steps, replayed in bare venvs (no container engine runs on this machine): the
builder's `pip wheel` steps from the lock, the runtime's `pip install` of those wheels alone, then the
image's CMD, which migrates a new store in the data folder and answers /healthz."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import httpx
import pytest

from testkit.net import free_port, wait_until
from tests.packaging.image_recipe import ROOT, Replayed, venv_env

pytestmark = pytest.mark.slow


def locked_versions() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, _, version = line.partition("==")
            pins[name.strip().lower().replace("_", "-")] = version.split()[0]
    return pins


def test_the_runtime_holds_the_locked_versions_and_poalign_and_nothing_of_the_sandbox(
    image: Replayed,
) -> None:
    freeze = subprocess.run(
        [str(image.runtime_venv / "bin" / "pip"), "list", "--format=freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed = {
        name.lower().replace("_", "-"): version
        for name, _, version in (line.partition("==") for line in freeze.splitlines())
    }
    for came_with_python in ("pip", "setuptools", "wheel"):  # as in the base image
        installed.pop(came_with_python, None)
    assert installed.pop("poalign") == "0.1.0"
    assert installed == locked_versions()
    wheel = next(image.wheels.glob("poalign-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.split("/")[0] in ("sandbox", "tests", "testkit", "bench")]
    site = next((image.runtime_venv / "lib").glob("python3*/site-packages"))
    assert not (site / "sandbox").exists() and not (site / "tests").exists()
    assert (site / "poalign_migrations" / "env.py").is_file()
    assert [step.split()[0] for step in image.skipped] == ["useradd"]  # the rest was run


def test_the_images_command_migrates_a_new_store_in_data_and_answers_healthz(
    image: Replayed, tmp_path: Path
) -> None:
    env = image.runtime.env()
    config_dir, data_dir = tmp_path / "config", tmp_path / "data"
    config_dir.mkdir()
    data_dir.mkdir()
    config = config_dir / Path(env["POALIGN_CONFIG"]).name
    config.write_text('database: {url: "sqlite:///poalign.db"}\n')  # relative: in POALIGN_DATA_DIR
    env |= {"POALIGN_CONFIG": str(config), "POALIGN_DATA_DIR": str(data_dir)}
    port = free_port()
    command = [
        {"0.0.0.0": "127.0.0.1", "8000": str(port)}.get(word, word) for word in image.runtime.exec_form("CMD")
    ]
    command[0] = str(image.runtime_venv / "bin" / command[0])
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        serve = subprocess.Popen(
            command, cwd=data_dir, env=venv_env(image.runtime_venv, env), stdout=out, stderr=subprocess.STDOUT
        )
    try:

        def healthy() -> bool:
            assert serve.poll() is None, log.read_text()
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_until(healthy, timeout=60, step=0.2), log.read_text()
    finally:
        serve.terminate()
        serve.wait(20)
    assert "migrated from (empty)" in log.read_text()
    assert (data_dir / "poalign.db").is_file()
    assert not (config_dir / "poalign.db").exists()
