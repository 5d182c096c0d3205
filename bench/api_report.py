"""bench/api.py's tables and verdicts: every row against the bare Django view of the same run.

The goals are issue 9's item 7 (and session 3's, kept for comparison), each a ratio of the bare
view's requests/s, some with a p99; an uncached row only counts when its requests were misses
(it stored about one answer per request and asked no question twice, see bench/api_vary.py).
"""

from dataclasses import dataclass

NAME = 40  # width of the row names
MISSES = 0.95  # answers stored per request for an uncached row to count as all misses
GOAL_P99_MS = 10.0


@dataclass(frozen=True)
class Goal:
    text: str
    rows: tuple[str, ...]  # row names; () for every cached row
    ratio: float  # of the bare view's req/s, at least
    p99_ms: float | None = None  # at most
    misses: bool = False  # the rows must have been misses


GOALS = [
    Goal(
        "uncached latest-for-pair >= 25% of the bare view",
        ("latest-for-pair (uncached)",),
        0.25,
        misses=True,
    ),
    Goal(
        "uncached latest-for-base (all targets) >= 10%",
        ("latest-for-base (uncached)",),
        0.10,
        misses=True,
    ),
    Goal(
        "uncached one-year daily history >= 10%",
        ("history 1y daily (uncached)",),
        0.10,
        misses=True,
    ),
    Goal(
        "distinct amounts at the cached rate >= 100%",
        ("pair, distinct amounts (cached rate)", "convert, distinct amounts (cached rate)"),
        1.0,
    ),
    Goal("/api/v1/currencies/ cached >= 100%", ("currencies, first page (cached)",), 1.0),
    Goal(f"cached rows keep >= 100%, p99 <= {GOAL_P99_MS:g} ms", (), 1.0, GOAL_P99_MS),
    Goal(
        f"(session 3) latest-for-pair (cached) >= 60%, p99 <= {GOAL_P99_MS:g} ms",
        ("latest-for-pair (cached)",),
        0.60,
        GOAL_P99_MS,
    ),
]


def report(runs: list, bare, nginx, rounds: int) -> None:
    """The medians of every row, then where the CPU went."""
    print()
    print(
        f"{'endpoint':<{NAME}}{'req/s':>9}{'vs bare':>8}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}"
        f"{'CPU ms/req':>11}{'+db+redis':>10}{'stored/req':>11}{'vs nginx':>9}{'requests':>10}"
        f"{'errors':>7}{'B/resp':>8}" + (f"   (median of {rounds} rounds)" if rounds > 1 else "")
    )
    for t in runs:
        if not t.runs:
            print(f"{t.name:<{NAME}}  skipped: {t.note}")
            continue
        requests = sum(r["requests"] for r in t.runs)
        errors = sum(r["errors"] for r in t.runs)
        size = sum(r["bytes"] for r in t.runs) / max(requests, 1)
        whole = t.median("cpu_server_ms") + t.median("cpu_postgres_ms") + t.median("cpu_redis_ms")
        print(
            f"{t.name:<{NAME}}{t.rps:>9,.0f}{t.rps / bare.rps:>8.0%}"
            f"{t.median('p50_us') / 1e3:>8.2f}{t.median('p99_us') / 1e3:>8.2f}"
            f"{max(r['max_us'] for r in t.runs) / 1e3:>8.1f}{t.median('cpu_server_ms'):>11.3f}"
            f"{whole:>10.3f}{t.median('stored_per_request'):>11.2f}{t.rps / nginx.rps:>9.1%}"
            f"{requests:>10,}{errors:>7,}{size:>8,.0f}" + (f"   {t.note}" if t.note else "")
        )
    print(
        "(CPU ms/req: granian's processes; +db+redis: with all PostgreSQL and redis-server "
        "processes; stored/req: answers the run stored in the cache per request, ~1 when every "
        "request was a miss)"
    )
    print()
    print(
        f"{'CPU per request (ms), machine':<{NAME}}{'server':>9}{'nginx':>9}{'redis':>9}"
        f"{'postgres':>9}{'wrk':>9}{'busy':>9}{'others':>9}"
    )
    for t in runs:
        if t.runs:
            print(
                f"{t.name:<{NAME}}"
                + "".join(
                    f"{t.median(f'cpu_{k}_ms'):>9.3f}"
                    for k in ("server", "nginx", "redis", "postgres", "wrk")
                )
                + f"{t.median('busy_pct'):>8.0f}%{t.median('other_pct'):>8.0f}%"
            )
    print(
        "(server: granian's processes; postgres and redis: all their processes, whoever asked;"
        " busy: all CPUs; others: busy minus all the columns)"
    )


def verdicts(runs: list, bare) -> None:
    """One line per goal (met / NOT met / not run), then one per row it covers."""
    print()
    print(f"goals (issue 9, item 7), against the bare Django view's {bare.rps:,.0f} req/s:")
    cached = tuple(t.name for t in runs if t.koel and "(cached)" in t.name)
    by_name = {t.name: t for t in runs}
    for goal in GOALS:
        rows = [(name, _verdict(goal, by_name[name], bare)) for name in goal.rows or cached]
        outcomes = {outcome for _, (outcome, _) in rows}
        # One row short of its goal fails it; else a row not run or not a miss leaves it open.
        overall = next(o for o in ("NOT met", "not measured", "not run", "met") if o in outcomes)
        print(f"  {overall:<13} {goal.text}")
        for name, (outcome, detail) in rows:
            print(f"      {outcome:<13} {name}: {detail}")


def _verdict(goal: Goal, target, bare) -> tuple[str, str]:
    if not target.runs:
        return "not run", target.note or "not run"
    ratio, p99 = target.rps / bare.rps, target.median("p99_us") / 1e3
    stored = target.median("stored_per_request")
    detail = (
        f"{ratio:.0%} ({target.rps:,.0f} req/s), p99 {p99:.2f} ms, "
        f"{target.median('cpu_server_ms'):.3f} CPU ms/req"
    )
    if target.space is not None:
        detail += f", {stored:.2f} answers stored/request"
    if target.name.startswith("currencies"):
        detail += f"; its first request stored {target.warm_stored} answer(s)"
    repeated = any(run.get("repeated") for run in target.runs)
    if goal.misses and (stored < MISSES or repeated):
        return "not measured", detail + " (not every request was a miss)"
    met = ratio >= goal.ratio and (goal.p99_ms is None or p99 <= goal.p99_ms)
    return ("met" if met else "NOT met"), detail
