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
    (the server is unreachable). `restore()` forwards again on the same port.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.mode = "forward"
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
            if self.mode == "forward":
                threading.Thread(target=self._forward, args=(client,), daemon=True).start()

    def _forward(self, client: socket.socket) -> None:
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
        self.mode = mode
        if mode == "refuse":
            self._stop_listening()
        self._reset_all()

    def restore(self) -> None:
        if self.mode == "refuse":
            self.listener = self._listen(self.port)
            self._serve()
        self.mode = "forward"

    def close(self) -> None:
        self._stop_listening()
        self._reset_all()
