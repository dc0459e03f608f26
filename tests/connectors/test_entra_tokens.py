"""The token cache of an Entra identity: one per source and secret, so a long-running `serve` that
reloads a rotated secret does not keep asking with the old one."""

from __future__ import annotations

from connectors.ado.entra import tokens_for
from connectors.settings import EntraSettings


def entra(secret: str) -> EntraSettings:
    return EntraSettings(tenant_id="t", client_id="c", client_secret=secret)


def test_one_cache_per_source_and_secret() -> None:
    assert tokens_for("ado-x", entra("one")) is tokens_for("ado-x", entra("one"))
    assert tokens_for("ado-x", entra("one")) is not tokens_for("ado-x", entra("rotated"))
    assert tokens_for("ado-x", entra("one")) is not tokens_for("ado-y", entra("one"))


def test_the_secret_never_shows_in_the_settings_repr() -> None:
    assert "s3cr3t" not in repr(entra("s3cr3t"))
