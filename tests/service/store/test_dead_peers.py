"""A replica whose host vanished must not keep its advisory locks (service.store.locks) for the two hours
of TCP silence an OS waits by default: every session poalign opens asks the server to probe its peer."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from service.store.session import SERVER_SIDE_KEEPALIVES, make_engine


@pytest.mark.postgres
def test_every_pooled_postgresql_session_has_the_server_probe_its_peer(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        for _ in range(2):  # a fresh connection, then the same one back from the pool (its SET lasted)
            with engine.connect() as connection:
                shown = {
                    name: connection.execute(text(f"SHOW {name}")).scalar() for name in SERVER_SIDE_KEEPALIVES
                }
                connection.rollback()
            # without the SET each shows 0, "the operating system's default"
            assert shown == {
                "tcp_keepalives_idle": "30",
                "tcp_keepalives_interval": "10",
                "tcp_keepalives_count": "3",
                "tcp_user_timeout": "60000",
            }
    finally:
        engine.dispose()
