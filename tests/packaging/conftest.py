"""One replay of the image's build per test session: the builder's wheels and the runtime's venv."""

from __future__ import annotations

import pytest

from tests.packaging.image_recipe import Replayed, replay


@pytest.fixture(scope="session")
def image(tmp_path_factory: pytest.TempPathFactory) -> Replayed:
    return replay(tmp_path_factory.mktemp("image"))
