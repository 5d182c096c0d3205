"""Celery workers and beats as separate process groups, as they would run on separate hosts:
each in a session of its own, so that killing one with SIGKILL takes its pool processes and
crawls with it, like a host that is lost."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings


class Node:
    """One `celery -A koel ARGS…` process group; its output goes to a log file."""

    def __init__(self, name: str, args: list[str], env: dict, logs: Path) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "koel", *args],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def descendants(self, pattern: str) -> list[int]:
        """Pids in this node's session whose command line contains `pattern`."""
        found = subprocess.run(
            ["/usr/bin/pgrep", "-s", str(self.pid), "-f", pattern], capture_output=True, text=True
        )
        return [int(pid) for pid in found.stdout.split()]

    def kill(self) -> None:
        """SIGKILL the whole group: the host is gone, nothing gets to clean up."""
        os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def worker(name: str, queue: str, env: dict, logs: Path) -> Node:
    """A prefork worker of one pool process on `queue`, named NAME@koel-test."""
    args = ["worker", "-l", "info", "-Q", queue, "-n", f"{name}@koel-test", "--concurrency", "1"]
    return Node(name, [*args, "--without-mingle", "--without-gossip"], env, logs)


def beat(name: str, env: dict, logs: Path) -> Node:
    return Node(name, ["beat", "-l", "info", "--pidfile=", "-s", str(logs / name)], env, logs)


def wait_for(check, timeout: float, interval: float = 0.25):
    """Poll `check()` until it returns something truthy; None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(interval)
    return None
