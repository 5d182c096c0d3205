"""The launcher (koel/stack.py, koel/stack_guard.py) beside another one on the same ./var: it
joins the embedded servers or refuses, never takes them over; `run` refuses a port that is
taken; `exec` passes SIGTERM on to its command and then stops the servers it started; ./var is
private. Each test uses its own ./var (KOEL_VAR_DIR) with its own embedded servers."""

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from reliability.servers import free_port

LAUNCHER = [sys.executable, "-m", "koel.stack"]
# The command the owning launcher runs: it says it is ready, and records the SIGTERM it gets.
CHILD = """
import pathlib, signal, sys, time
def stop(*_):
    pathlib.Path(sys.argv[1]).write_text("SIGTERM")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print("ready", flush=True)
time.sleep(300)
"""


def embedded_env(var: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return {**env, "KOEL_VAR_DIR": str(var), **extra}


def launch(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*LAUNCHER, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def wait_for_line(process: subprocess.Popen, wanted: str, seconds: float) -> list[str]:
    seen, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if line.strip() == wanted:
            return seen
    raise AssertionError(f"no {wanted!r} from the launcher: {''.join(seen)[-2000:]}")


@pytest.mark.long  # a whole-stack run of 10 s or more; `make reliability` runs it
def test_a_second_launcher_joins_or_refuses_and_sigterm_stops_the_first(tmp_path):
    var, marker, child = tmp_path / "var", tmp_path / "signalled", tmp_path / "child.py"
    child.write_text(CHILD)
    parent_mode = stat.S_IMODE(tmp_path.stat().st_mode)
    env = embedded_env(var)
    owner = subprocess.Popen(
        [*LAUNCHER, "exec", sys.executable, str(child), str(marker)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_line(owner, "ready", seconds=150)
        urls = json.loads((var / "stack.json").read_text())["urls"]
        redis_socket = Path(urls["REDIS_URL"].removeprefix("unix://"))

        show = "import os; print(os.environ['REDIS_URL'], os.environ['DATABASE_URL'])"
        joined = launch(env, "exec", sys.executable, "-c", show)
        refused = launch({**env, "KOEL_PORT": str(free_port())}, "run")

        assert joined.returncode == 0, joined.stdout + joined.stderr
        assert "joining the embedded servers of `koel.stack exec`" in joined.stdout
        assert joined.stdout.splitlines()[-1] == f"{urls['REDIS_URL']} {urls['DATABASE_URL']}"
        assert redis_socket.exists()  # not taken over: before, the joiner deleted it
        assert refused.returncode == 1
        assert f"(pid {owner.pid}) runs the embedded servers in {var}" in refused.stdout
        assert all(private(path) for path in (var, var / "postgres", var / "redis"))
        assert stat.S_IMODE(tmp_path.stat().st_mode) & 0o044 == parent_mode & 0o044

        owner.send_signal(signal.SIGTERM)
        assert owner.wait(60) == 0  # the command's own exit status
    finally:
        if owner.poll() is None:  # a failed assertion: SIGTERM, so it stops its servers too
            owner.terminate()
            try:
                owner.wait(60)
            except subprocess.TimeoutExpired:
                owner.kill()
    assert marker.read_text() == "SIGTERM"
    assert not redis_socket.exists()
    assert not (var / "postgres" / "postmaster.pid").exists()  # PostgreSQL stopped
    assert not (var / "stack.json").exists()
    assert private(var / "redis" / "redis.db")
    assert all(private(path) for path in (var / "redis").iterdir())


def test_run_refuses_a_port_that_is_taken(tmp_path):
    with socket.socket() as holder:
        # As granian binds it: with SO_REUSEPORT, which a second granian would share silently.
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = launch(embedded_env(tmp_path / "var", KOEL_PORT=str(port)), "run", timeout=60)

    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is taken" in result.stdout
    assert not (tmp_path / "var").exists()  # refused before anything started


def test_run_refuses_a_stream_port_that_is_taken(tmp_path):
    with socket.socket() as holder, socket.socket() as free:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        free.bind(("127.0.0.1", 0))
        web, stream = free.getsockname()[1], holder.getsockname()[1]
        free.close()  # the web port is free, the stream port is not
        env = embedded_env(tmp_path / "var", KOEL_PORT=str(web), KOEL_STREAM_PORT=str(stream))
        result = launch(env, "run", timeout=60)

    assert result.returncode == 1
    assert f"port {stream} on 127.0.0.1 is taken" in result.stdout
    assert "KOEL_STREAM_PORT" in result.stdout
