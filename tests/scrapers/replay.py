"""A local HTTP server that replays saved responses: the only "internet" tests have.

A route maps a URL path to a response: a `(status, body, content type)` tuple or a `Reply`
(which can also carry headers and a delay before answering), or to a list of them, served in
order, the last one again once the list is used up (e.g. a 429, then the page).
"""

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = "text/plain"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering, e.g. to outlast DOWNLOAD_TIMEOUT


Route = tuple[int, bytes, str] | Reply | Sequence[tuple[int, bytes, str] | Reply]
NOT_FOUND = Reply(404, b"not found")


@dataclass(frozen=True)
class Hit:
    path: str
    headers: dict[str, str]
    at: float  # time.monotonic() when the request arrived


class ReplayServer:
    """Serves `routes` (URL path -> Route) on 127.0.0.1, recording every request it gets."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.requests: list[tuple[str, dict]] = []  # (path with query, headers)
        self.hits: list[Hit] = []
        self._served: dict[str, int] = {}  # path -> replies served so far
        self._lock = threading.Lock()
        self._closing = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                reply = server._next_reply(self.path, dict(self.headers))
                if reply.delay and server._closing.wait(reply.delay):
                    return  # shutting down: answer nobody
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(reply.body)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _next_reply(self, raw_path: str, headers: dict) -> Reply:
        path = urlsplit(raw_path).path
        with self._lock:
            self.requests.append((raw_path, headers))
            self.hits.append(Hit(path, headers, time.monotonic()))
            route = self.routes.get(path, NOT_FOUND)
            if isinstance(route, Reply) or (route and isinstance(route[0], int)):
                return as_reply(route)
            served = self._served.get(path, 0)
            self._served[path] = served + 1
            return as_reply(route[min(served, len(route) - 1)])

    def times(self, path: str) -> list[float]:
        """When the requests for `path` arrived (time.monotonic()), in order."""
        return [hit.at for hit in self.hits if hit.path == path]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> "ReplayServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def as_reply(response: tuple[int, bytes, str] | Reply) -> Reply:
    return response if isinstance(response, Reply) else Reply(*response)


def file_route(path: Path, content_type: str) -> tuple[int, bytes, str]:
    return 200, path.read_bytes(), content_type
