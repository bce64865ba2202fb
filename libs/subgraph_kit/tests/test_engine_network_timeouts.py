"""Postgres connections bound every wait on the network by the request timeout.

A socket whose packets are dropped fails after `tcp_user_timeout` (unacknowledged data) or
the keepalive probes (an idle connection), and the server rolls back a transaction its client
stopped driving. A TCP proxy cannot drop packets the way a network does (its own kernel
acknowledges them), so these tests check that the options reach the socket and the server.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from subgraph_kit.settings import ServiceSettings
from subgraph_kit.sql.engine import create_db_engine


@pytest.fixture
def engine(postgres_server: str, request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    timeout = getattr(request, "param", 4.0)
    engine = create_db_engine(
        ServiceSettings(database_url=postgres_server, request_timeout_seconds=timeout)
    )
    yield engine
    engine.dispose()


def tcp_option(connection: sa.Connection, level: int, option: int) -> int:
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None
    with socket.fromfd(dbapi_connection.fileno(), socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.getsockopt(level, option)


def test_an_unacknowledged_send_fails_the_socket_after_the_request_timeout(engine):
    with engine.connect() as connection:
        assert tcp_option(connection, socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 4000


def test_idle_connections_are_probed_and_given_up_when_silent(engine):
    with engine.connect() as connection:
        assert tcp_option(connection, socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert tcp_option(connection, socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 5
        assert tcp_option(connection, socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 2
        assert tcp_option(connection, socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 3


def test_the_server_ends_transactions_idle_for_a_request_timeout(engine):
    with engine.connect() as connection:
        shown = connection.execute(sa.text("SHOW idle_in_transaction_session_timeout"))
        assert shown.scalar() == "4s"


@pytest.mark.parametrize("engine", [1.0], indirect=True)
def test_an_abandoned_transaction_is_rolled_back_and_its_connection_not_reused(engine):
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))  # a transaction is open
        time.sleep(1.5)
        with pytest.raises(sa.exc.OperationalError):
            connection.execute(sa.text("SELECT 1"))
    with engine.connect() as connection:  # the pre-ping drops the dead one
        assert connection.execute(sa.text("SELECT 1")).scalar() == 1
