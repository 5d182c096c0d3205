"""bench/api.py --profile S: every endpoint called in this process, without HTTP.

Wall and CPU ms per request through koel.wsgi's stack (the replay in front of Django) and through
Django's WSGI handler alone (what a miss costs, or a request the replay leaves to Django), timers
around the stages of Django's request, and cProfile's own CPU time by package. Needs Django set
up with bench/api.py's settings first (bench/api.py imports this module after django.setup()).
"""

import cProfile
import io
import os
import pstats
import sys
import time
from collections import defaultdict
from functools import wraps
from pathlib import Path

from bench.api_vary import Space
from rates.cache import bump_on_commit

ROOT = Path(__file__).resolve().parent.parent


class Stages:
    """Inclusive time and call counts of a few functions, per request (perf_counter wrappers)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._undo: list = []

    def wrap(self, owner, attribute: str, label: str) -> None:
        original = getattr(owner, attribute, None)
        if original is None:
            return

        @wraps(original)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - start
                self.calls[label] += 1

        setattr(owner, attribute, timed)
        self._undo.append((owner, attribute, original))

    def restore(self) -> None:
        for owner, attribute, original in reversed(self._undo):
            setattr(owner, attribute, original)
        self._undo.clear()


def instrument() -> Stages:
    import redis.client
    from django.core.handlers.wsgi import WSGIHandler
    from django.db.backends.utils import CursorWrapper
    from rest_framework.views import APIView

    import rates.api.answers
    import rates.api.views
    import rates.http.caching

    stages = Stages()
    cached_answer = rates.http.caching.cached_answer
    for module in [m for name, m in sys.modules.items() if name.startswith("rates.")]:
        if getattr(module, "cached_answer", None) is cached_answer:
            stages.wrap(module, "cached_answer", "cached_answer")
    stages.wrap(WSGIHandler, "__call__", "request")
    stages.wrap(APIView, "dispatch", "DRF dispatch")
    stages.wrap(APIView, "initial", "DRF initial")
    stages.wrap(APIView, "check_throttles", "throttle")
    stages.wrap(rates.api.views, "_params", "params")
    stages.wrap(rates.http.caching, "_key", "key")
    stages.wrap(rates.http.caching, "json_bytes", "encode")
    stages.wrap(rates.http.caching, "_response", "response")
    for name in ("rates_answer", "history_answer"):
        stages.wrap(rates.api.answers, name, "build")
    stages.wrap(redis.client.Redis, "execute_command", "redis")
    stages.wrap(redis.client.Pipeline, "execute", "redis")
    stages.wrap(CursorWrapper, "_execute_with_wrappers", "sql")
    return stages


STAGE_ROWS = [  # label, what, indent
    ("request", "whole request (WSGI handler)", 0),
    ("outside", "outside DRF: middleware, URLs, signals, plain views", 1),
    ("DRF dispatch", "DRF dispatch (the view)", 1),
    ("DRF initial", "auth, negotiation, throttle", 2),
    ("throttle", "throttle: Redis INCR of the client's window", 3),
    ("params", "parameter validation (serializer)", 2),
    ("cached_answer", "cached_answer", 2),
    ("key", "cache key: versions MGET", 3),
    ("build", "build the answer (miss)", 3),
    ("encode", "JSON encoding (miss)", 3),
    ("response", "HttpResponse, ETag", 3),
    ("redis", "Redis: ms (commands) in all the above", 1),
    ("sql", "SQL: ms (statements) in all the above", 1),
]


def profile(endpoints: list, seconds: float) -> None:
    """Each endpoint in this process: ms per request through koel.wsgi's stack (replay in
    front of Django) and through Django's WSGI handler alone, then Django's again with timers
    around the stages of a request (see STAGE_ROWS)."""
    from django.core.handlers.wsgi import WSGIHandler

    from rates.http.replay import ReplayApp

    app = WSGIHandler()
    replayed = ReplayApp(app)
    replays: list[tuple[float, float]] = []
    counter = [10**9]  # amounts never seen by the HTTP runs
    questions = {id(t): InProcessQuestions(t.space) for t in endpoints if t.space}

    def call(target, handler=app) -> str:
        counter[0] += 1
        n = counter[0]
        url = target.url + questions[id(target)].next() if target.space else target.url
        path, _, query = ("/" + url.split("://", 1)[1].split("/", 1)[1]).partition("?")
        if target.vary == "amount":
            query += f"&amount={n}"
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_X_FORWARDED_PROTO": "https",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if target.clients:
            c = n % target.clients
            environ["HTTP_X_FORWARDED_FOR"] = f"10.{c // 65536 % 256}.{c // 256 % 256}.{c % 256}"
        status = []
        b"".join(handler(environ, lambda s, h, e=None: status.append(s)))
        return status[0]

    def loop(target, budget: float, handler=app) -> tuple[int, float, float]:
        done, started, cpu = 0, time.perf_counter(), time.process_time()
        while time.perf_counter() - started < budget:
            status = call(target, handler)
            if not status.startswith("200"):
                sys.exit(f"{target.name}: {status} in-process")
            done += 1
        return done, time.perf_counter() - started, time.process_time() - cpu

    measured: list[tuple[float, float, Stages, int]] = []
    shares: list[dict[str, float]] = []
    for target in endpoints:
        loop(target, min(1.0, seconds / 4))  # warm: connections, the cached answer
        loop(target, min(0.5, seconds / 8), replayed)  # warm: the stored response
        r, replay_elapsed, replay_cpu = loop(target, seconds / 4, replayed)
        replays.append((replay_elapsed / r * 1e3, replay_cpu / r * 1e3))
        n, elapsed, cpu = loop(target, seconds / 2)
        stages = instrument()
        try:
            m, _, _ = loop(target, seconds / 2)
        finally:
            stages.restore()
        measured.append((elapsed / n * 1e3, cpu / n * 1e3, stages, m))
        profiler = cProfile.Profile(time.process_time)  # CPU time, not wall: waits excluded
        profiler.enable()
        try:
            loop(target, seconds / 4)
        finally:
            profiler.disable()
        shares.append(cpu_shares(profiler))
        if dump := os.environ.get("KOEL_BENCH_PSTATS"):  # a directory: one file per endpoint
            profiler.dump_stats(Path(dump) / f"{target.short.replace(' ', '-')}.pstats")

    width = 11
    print()
    print(
        f"in-process (no HTTP): koel.wsgi's stack, then Django's handler alone, "
        f"~{seconds:g} s per endpoint:"
    )
    print(f"{'ms per request':<52}" + "".join(f"{t.short:>{width}}" for t in endpoints))
    print(
        f"{'koel.wsgi (replay in front: hits skip Django)':<52}"
        + "".join(f"{p:>{width}.3f}" for p, _ in replays)
    )
    print(
        f"{'  of which CPU (this process)':<52}" + "".join(f"{c:>{width}.3f}" for _, c in replays)
    )
    print(
        f"{'Django alone (a miss, or what replay cannot serve)':<52}"
        + "".join(f"{p:>{width}.3f}" for p, _, _, _ in measured)
    )
    print(
        f"{'  of which CPU (this process)':<52}"
        + "".join(f"{c:>{width}.3f}" for _, c, _, _ in measured)
    )
    for label, what, indent in STAGE_ROWS:
        cells = []
        for _, _, stages, m in measured:
            seconds_ = stages.seconds
            if label == "outside":
                value = seconds_["request"] - seconds_.get("DRF dispatch", 0.0)
            elif label not in seconds_:
                cells.append(f"{'-':>{width}}")
                continue
            else:
                value = seconds_[label]
            ms = value / m * 1e3
            if label in ("redis", "sql"):
                cells.append(f"{ms:>{width - 5}.3f} ({stages.calls[label] / m:>2.0f})")
            else:
                cells.append(f"{ms:>{width}.3f}")
        print(f"{'  ' * indent + what:<52}" + "".join(cells))
    print("(rows after the first: with perf_counter timers around each stage, inclusive)")
    print()
    print(
        f"{'share of the CPU time (cProfile, own time)':<52}"
        + "".join(f"{t.short:>{width}}" for t in endpoints)
    )
    groups = sorted(
        {g for share in shares for g in share},
        key=lambda g: -max(share.get(g, 0.0) for share in shares),
    )
    for group in groups:
        if max(share.get(group, 0.0) for share in shares) >= 0.02:
            print(
                f"{group:<52}" + "".join(f"{share.get(group, 0.0):>{width}.0%}" for share in shares)
            )
    print("(groups under 2% everywhere left out)")


class InProcessQuestions:
    """An uncached row's questions for the in-process profile, from the middle of its questions
    on (the HTTP runs' answers were cleared from the cache); a cycling row comes round again
    only after the versions of its currencies were bumped (once per cycle: each one a miss)."""

    def __init__(self, space: Space) -> None:
        self.space, self.asked = space, 0
        self.paths = iter(())

    def next(self) -> str:
        if self.asked % self.space.size == 0:
            if self.space.cycle:
                bump_on_commit((*self.space.bases, *self.space.targets))
            self.paths = self.space.paths(offset=self.space.size // 2)
        self.asked += 1
        return next(self.paths)


def cpu_shares(profiler: cProfile.Profile) -> dict[str, float]:
    """Own CPU time per package (site-packages/<name>, Koel's apps, the standard library, C
    built-ins: socket calls apart), as shares of the total."""
    stats = pstats.Stats(profiler).stats  # {(file, line, name): (cc, nc, tottime, cumtime, …)}
    stdlib = str(Path(os.__file__).parent)
    totals: dict[str, float] = defaultdict(float)
    for (filename, _, name), (_, _, own, _, _) in stats.items():
        if "site-packages/" in filename:
            group = filename.split("site-packages/", 1)[1].split("/", 1)[0]
        elif filename.startswith(str(ROOT)):
            group = "koel: " + filename.removeprefix(str(ROOT) + "/").split("/", 1)[0]
        elif filename.startswith(stdlib) or filename.startswith("<frozen"):
            group = "Python standard library"
        elif filename == "~" and "socket" in name:
            group = "socket calls (C)"
        elif filename == "~":
            group = "other C built-ins (getattr, isinstance, …)"
        else:
            group = filename
        totals[group] += own
    whole = sum(totals.values()) or 1.0
    return {group: own / whole for group, own in totals.items()}
