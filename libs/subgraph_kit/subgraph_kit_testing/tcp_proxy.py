"""A TCP proxy a test can cut and restore, to fake a database (or any server) outage."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading


class TcpProxy:
    """A TCP proxy on 127.0.0.1 that a test can cut and restore, to fake a database outage.

    `cut("refuse")`: existing connections are reset and new ones refused (the server is down);
    `cut("blackhole")`: existing connections are reset, new ones accepted but never answered
    (the server is unreachable); `cut("drop")`: nothing is forwarded either way, on open and new
    connections alike, and nothing is reset (the network drops every packet). `restore()`
    forwards again on the same port; after a drop it first delivers what was held back, as TCP
    retransmits it once the network is back.

    Unlike a real network, the proxy's own kernel still acknowledges what it is sent during a
    drop, so the client's TCP keepalives and `TCP_USER_TIMEOUT` never fire through it.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.mode = "forward"
        self.flowing = threading.Event()  # cleared while packets are dropped
        self.flowing.set()
        self.closed = False
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.listener = self._listen(0)
        self.port = self.listener.getsockname()[1]
        self._serve()

    def _listen(self, port: int) -> socket.socket:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        return listener

    def _serve(self) -> None:
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed
            with self.lock:
                self.sockets.add(client)
            if self.mode in ("forward", "drop"):
                threading.Thread(target=self._forward, args=(client,), daemon=True).start()

    def _forward(self, client: socket.socket) -> None:
        self.flowing.wait()  # a connection made during a drop reaches the server after it
        if self.closed:
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        with self.lock:
            self.sockets.add(upstream)
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self.flowing.wait()  # held, not lost: TCP delivers it once the network is back
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def _reset_all(self) -> None:
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    # Linger 0: close with a reset, as a crashed server's host would.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    sock.close()
            self.sockets.clear()

    def _stop_listening(self) -> None:
        # close() alone leaves the socket listening while the accept thread is blocked in it:
        # the next client would be accepted (and hang) instead of refused, and `restore()`
        # could not bind the port again. shutdown() stops it listening and wakes that thread.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()

    def cut(self, mode: str = "refuse") -> None:
        """Fake an outage: "refuse", "blackhole" or "drop" (see the class)."""
        if mode not in ("refuse", "blackhole", "drop"):
            raise ValueError(f"unknown outage {mode!r}")
        self.mode = mode
        if mode == "drop":
            self.flowing.clear()
            return
        if mode == "refuse":
            self._stop_listening()
        self._reset_all()

    def restore(self) -> None:
        """Forward again, on the same port."""
        if self.mode == "refuse":
            self.listener = self._listen(self.port)
            self._serve()
        self.mode = "forward"
        self.flowing.set()

    def close(self) -> None:
        self.closed = True
        self._stop_listening()
        self._reset_all()
        self.flowing.set()  # wakes the threads a drop holds; their sockets are closed
