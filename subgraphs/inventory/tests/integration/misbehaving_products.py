"""A products subgraph that misbehaves on demand (a local http.server), and the catalog
client pointed at it."""

from __future__ import annotations

import http.server
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from app.infrastructure.products_client import GqlProductCatalog
from app.settings import Settings

PRODUCTS_KEY = "products-test-key"
ABSENT = b'{"data":{"product":null}}'
REFUSED = b'{"errors":[{"message":"no"}]}'


class Misbehaving(http.server.BaseHTTPRequestHandler):
    """Answers every POST with the status, body (and delay) set on the server."""

    def do_POST(self) -> None:
        self.server.hits += 1  # type: ignore[attr-defined]
        if self.server.resets > 0:  # type: ignore[attr-defined]
            self.server.resets -= 1  # type: ignore[attr-defined]
            # Close with a reset, as a server closing a kept-alive connection can race us.
            linger = struct.pack("ii", 1, 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.connection.close()
            return
        time.sleep(self.server.delay)  # type: ignore[attr-defined]
        body = self.server.body  # type: ignore[attr-defined]
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def misbehaving_products() -> Iterator[http.server.ThreadingHTTPServer]:
    """Serve `Misbehaving` on a free port; it starts answering 500 with GraphQL errors."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Misbehaving)
    server.daemon_threads = True
    server.hits, server.delay, server.status = 0, 0.0, 500  # type: ignore[attr-defined]
    server.body = REFUSED  # type: ignore[attr-defined]
    server.resets = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def url_of(server: http.server.ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/graphql"


async def catalog_for(url: str, key: str = PRODUCTS_KEY, **settings: float) -> GqlProductCatalog:
    """A connected catalog client of `url`; close it when done."""
    catalog = GqlProductCatalog(Settings(products_url=url, products_api_key=key, **settings))
    await catalog.connect()
    return catalog
