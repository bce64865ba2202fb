"""The TCP proxy tests cut to fake an outage: forward, refuse, black-hole, restore."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest
from subgraph_kit_testing.tcp_proxy import TcpProxy


def echo(connection: socket.socket) -> None:
    with connection, contextlib.suppress(OSError):
        while data := connection.recv(1024):
            connection.sendall(data)


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    """A proxy in front of an echo server."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                threading.Thread(target=echo, args=(server.accept()[0],), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    proxy = TcpProxy(server.getsockname())
    yield proxy
    proxy.close()
    server.shutdown(socket.SHUT_RDWR)
    server.close()


def connect(port: int, timeout: float = 1) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def ping(sock: socket.socket) -> bytes:
    sock.sendall(b"ping")
    return sock.recv(1024)


def test_the_proxy_forwards_to_its_target(proxy):
    with connect(proxy.port) as sock:
        assert ping(sock) == b"ping"


def test_a_refusing_cut_refuses_new_connections(proxy):
    proxy.cut("refuse")
    with pytest.raises(ConnectionRefusedError):
        connect(proxy.port)


@pytest.mark.parametrize("mode", ["refuse", "blackhole"])
def test_a_cut_resets_the_open_connections(proxy, mode):
    with connect(proxy.port) as sock:
        assert ping(sock) == b"ping"
        proxy.cut(mode)
        # The reset shows as ECONNRESET, or as EPIPE when it arrived before the send.
        with pytest.raises((ConnectionResetError, BrokenPipeError)):
            ping(sock)


def test_a_black_holed_proxy_accepts_connections_but_never_answers(proxy):
    proxy.cut("blackhole")
    with connect(proxy.port, timeout=0.3) as sock, pytest.raises(TimeoutError):
        ping(sock)


@pytest.mark.parametrize("mode", ["refuse", "blackhole"])
def test_a_restored_proxy_forwards_again_on_the_same_port(proxy, mode):
    port = proxy.port
    proxy.cut(mode)
    proxy.restore()
    with connect(port) as sock:
        assert ping(sock) == b"ping"


# The dropping cut: silent both ways, nothing reset, everything delivered on restore.


def test_a_dropping_cut_silences_open_connections_without_resetting_them(proxy):
    with connect(proxy.port, timeout=0.3) as sock:
        sock.sendall(b"before")
        assert sock.recv(1024) == b"before"
        proxy.cut("drop")
        sock.sendall(b"during")
        with pytest.raises(TimeoutError):
            sock.recv(1024)


def test_a_dropping_cut_accepts_new_connections_and_never_answers(proxy):
    proxy.cut("drop")
    with connect(proxy.port, timeout=0.3) as sock:
        sock.sendall(b"ping")
        with pytest.raises(TimeoutError):
            sock.recv(1024)


def test_a_restore_after_a_drop_delivers_what_was_held_back_on_old_and_new_connections(proxy):
    with connect(proxy.port) as old:
        old.sendall(b"x")
        assert old.recv(1024) == b"x"
        proxy.cut("drop")
        old.sendall(b"held")
        with connect(proxy.port) as new:
            new.sendall(b"queued")
            proxy.restore()
            assert new.recv(1024) == b"queued"
        assert old.recv(1024) == b"held"
        old.sendall(b"again")
        assert old.recv(1024) == b"again"


def test_an_unknown_outage_is_refused(proxy):
    with pytest.raises(ValueError, match="unknown outage"):
        proxy.cut("flaky")
