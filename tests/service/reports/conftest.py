"""Fixtures: the planted three-team store (planted_store.py), plain or with hostile tracker text, and an app over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from service.api.app import create_app
from service.runtime import Runtime
from tests.service.reports.planted_store import World, load

TOKEN_ENV = "POALIGN_TEST_API_TOKEN"
TOKEN = "report-api-token-4242"


@pytest.fixture
def planted(session_factory: sessionmaker[Session], tmp_path: Path) -> World:
    world = World(session_factory, load(tmp_path)).fill()
    world.evaluate()
    return world


@pytest.fixture
def hostile(session_factory: sessionmaker[Session], tmp_path: Path) -> World:
    world = World(session_factory, load(tmp_path, hostile=True), hostile=True).fill()
    world.evaluate()
    return world


@pytest.fixture
def runtime(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    runtime = Runtime.open(load(tmp_path), url=store_url, process="test")
    yield runtime
    runtime.close()


@pytest.fixture
def app_world(runtime: Runtime) -> World:
    world = World(runtime.factory, runtime.loaded).fill()
    world.evaluate()
    return world


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), raise_server_exceptions=False) as test_client:
        yield test_client
