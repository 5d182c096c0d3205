"""A throwaway PostgreSQL primary and its streaming replica, from the machine's PostgreSQL
binaries (never the shared server): initdb with wal_level=replica, pg_basebackup -R, each on a
free port under a temporary folder. As root, the servers run as the `postgres` user (initdb
refuses root)."""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CANDIDATES = ["/usr/lib/postgresql/15/bin"]


def bin_dir() -> Path | None:
    """The folder of initdb, pg_ctl and pg_basebackup, or None when they are missing."""
    folders = list(CANDIDATES)
    config = shutil.which("pg_config")
    if config:
        found = subprocess.run([config, "--bindir"], capture_output=True, text=True)
        folders.insert(0, found.stdout.strip())
    for folder in map(Path, folders):
        if all((folder / tool).exists() for tool in ("initdb", "pg_ctl", "pg_basebackup")):
            return folder
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, cluster: "Pair", name: str) -> None:
        self.cluster, self.name = cluster, name
        self.data = cluster.root / name
        self.port = free_port()

    def login(self) -> list:
        return ["-h", "127.0.0.1", "-p", self.port, "-U", "postgres"]

    def url(self, database: str = "koel") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.cluster.root} -c listen_addresses=127.0.0.1 "
            "-c wal_level=replica -c max_wal_senders=4 -c fsync=off -c hot_standby=on"
        )
        log = self.cluster.root / f"{self.name}.log"
        self.cluster.run("pg_ctl", "-D", self.data, "-o", options, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self.cluster.run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop", check=False)


class Pair:
    def __init__(self, tools: Path, root: Path) -> None:
        self.tools, self.root = tools, root
        self.primary = Server(self, "primary")
        self.replica = Server(self, "replica")

    def run(self, tool: str, *args, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.tools / tool), *map(str, args)]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def sql(self, server: Server, statement: str, database: str = "postgres") -> str:
        return self.run("psql", *server.login(), "-d", database, "-Atc", statement).stdout.strip()


@contextmanager
def streaming_pair(tools: Path, database: str = "koel") -> Iterator[Pair]:
    """Start a primary (with `database` created) and a replica streaming from it."""
    root = Path(tempfile.mkdtemp(prefix="koel-replica-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
    pair = Pair(tools, root)
    try:
        pair.run(
            "initdb",
            "-D",
            pair.primary.data,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        pair.primary.start()
        pair.sql(pair.primary, f"CREATE DATABASE {database}")
        # -c fast: checkpoint now, not spread over checkpoint_timeout (minutes).
        backup = ["-D", pair.replica.data, "-R", "-X", "stream", "-c", "fast", "--no-sync"]
        pair.run("pg_basebackup", *pair.primary.login(), *backup)
        pair.replica.start()
        yield pair
    finally:
        pair.replica.stop("immediate")
        pair.primary.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
