"""bench/api.py's uncached rows (bench/api_vary.py): every question different, and really a miss."""

import time
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, urlsplit

from django.core.cache import cache

from bench.api_report import GOALS, _verdict
from bench.api_vary import (
    FIRST_DAY,
    YEAR,
    Bumper,
    Space,
    bump_interval,
    ecb_currencies,
    stored_answers,
    weekdays_until,
)
from rates.cache import snapshot


def _query(path: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}


def test_every_question_at_an_instant_is_another_pair_or_weekday_within_the_history():
    last = date(1999, 3, 31)
    codes = ("EUR", "JPY", "USD")
    space = Space(
        "/r?base={base}&target={target}&at={day}", codes, codes, days=weekdays_until(last)
    )

    paths = list(space.paths())

    assert len(paths) == space.size == 6 * 63  # 6 ordered pairs, 63 weekdays in Q1 1999
    assert len(set(paths)) == len(paths)
    days = {date.fromisoformat(_query(p)["at"]) for p in paths}
    assert len(days) == 63
    assert min(days) == FIRST_DAY
    assert max(days) == last
    assert all(day.weekday() < 5 for day in days)
    assert all(_query(p)["base"] != _query(p)["target"] for p in paths)


def test_consecutive_questions_are_days_apart_and_an_offset_starts_further_on():
    space = Space("/h?target={target}&start={start}&end={end}", ("EUR",), ("USD",), days=500)

    first, second = (_query(p) for p in list(space.paths())[:2])
    assert date.fromisoformat(first["end"]) - date.fromisoformat(first["start"]) == YEAR
    assert abs((date.fromisoformat(second["start"]) - date.fromisoformat(first["start"])).days) > 31
    assert next(space.paths(offset=7)) == list(space.paths())[7]


def test_a_cycling_row_writes_every_question_and_a_distinct_one_no_more_than_asked(tmp_path):
    cycling = Space(
        "/r?base={base}&target={target}", ("EUR", "USD", "JPY"), ("EUR", "USD", "JPY"), cycle=True
    )
    distinct = Space("/r?base={base}&at={day}", ("EUR", "USD"), days=1000)

    assert cycling.write(tmp_path / "c.txt", limit=2) == 6
    assert distinct.write(tmp_path / "d.txt", limit=50) == 50
    lines = (tmp_path / "d.txt").read_text().split()
    assert len(lines) == len(set(lines)) == 50


def test_bumps_come_often_enough_that_a_thread_asks_at_most_half_its_share_in_between():
    pairs = Space("/r?base={base}&target={target}", ("A", "B", "C"), ("A", "B", "C"), cycle=True)
    many = Space("/r?base={base}", tuple(f"C{i:02}" for i in range(100)), cycle=True)

    assert bump_interval(many, fastest_rps=1_000) == 100 / 2_000
    assert (
        bump_interval(pairs, fastest_rps=10_000) == 0.020
    )  # floor: a bump costs a round of misses
    assert bump_interval(many, fastest_rps=1) == 1.0


def test_stored_answers_counts_answers_not_throttle_counters_replays_or_versions():
    cache.set("answer:abc:EUR1.c0", b"x")
    cache.set("answer:def:EUR1.c0", b"y")
    cache.set("throttle:10.0.0.1:1700000000", 1)
    cache.set("replay:0123", b"z")
    cache.set("rates:generation", "g")

    assert stored_answers("koel-test") == 2  # tests' own prefix (tests/conftest.py)


def test_the_bumper_makes_every_answer_about_its_currencies_stale_as_a_write_does(db):
    before = snapshot(["EUR", "USD"])

    with Bumper(("EUR", "USD"), interval=0.02) as bumper:
        time.sleep(0.1)

    after = snapshot(["EUR", "USD"])
    assert bumper.bumps >= 2
    assert after.versions != before.versions
    assert after.generation != before.generation
    assert snapshot(["JPY"]).versions == "JPY0.c0"  # only its currencies


def test_latest_questions_are_about_currencies_quoted_on_the_newest_day_and_instants_on_every_day(
    store,
):
    store(
        "ecb",
        ("EUR", "USD", "1.17", "1999-01-04T15:00"),
        ("EUR", "GBP", "0.71", "1999-01-04T15:00"),
        ("EUR", "CYP", "0.58", "1999-01-04T15:00"),  # no longer quoted
        ("EUR", "USD", "1.16", "1999-01-05T15:00"),
        ("EUR", "GBP", "0.70", "1999-01-05T15:00"),
        ("EUR", "JPY", "133.7", "1999-01-05T15:00"),  # quoted since the second day
    )

    current, always = ecb_currencies(date(1999, 1, 5))

    assert current == ("EUR", "GBP", "JPY", "USD")
    assert always == ("EUR", "GBP", "USD")


@dataclass
class _Row:
    """What bench/api_report.py reads of bench/api.py's Target (importing bench/api.py would set
    up its server's environment in this process)."""

    name: str
    rps: float
    runs: list[dict]
    space: Space | None = None
    note: str = ""
    warm_stored: int = 0

    def median(self, key: str) -> float:
        return self.runs[0][key]


def _row(name: str, rps: float, p99_ms: float = 5.0, stored: float = 0.0, space=None) -> _Row:
    run = {"rps": rps, "p99_us": p99_ms * 1e3, "cpu_server_ms": 1.0, "stored_per_request": stored}
    return _Row(name, rps, [run], space)


def test_an_uncached_row_meets_its_goal_only_when_its_requests_were_misses():
    goal = next(g for g in GOALS if g.rows == ("latest-for-pair (uncached)",))
    bare, space = _row("bare", 1000), Space("/r?base={base}", ("EUR",), cycle=True)

    assert _verdict(goal, _row("p", 300, stored=1.0, space=space), bare)[0] == "met"
    assert _verdict(goal, _row("p", 200, stored=1.0, space=space), bare)[0] == "NOT met"
    assert _verdict(goal, _row("p", 300, stored=0.5, space=space), bare)[0] == "not measured"


def test_a_cached_row_needs_the_bare_view_s_rate_and_a_p99_of_10_ms():
    goal = next(g for g in GOALS if g.rows == ())
    bare = _row("bare", 1000)

    assert _verdict(goal, _row("c", 1000, p99_ms=9.9), bare)[0] == "met"
    assert _verdict(goal, _row("c", 1000, p99_ms=10.1), bare)[0] == "NOT met"
    assert _verdict(goal, _row("c", 990, p99_ms=5), bare)[0] == "NOT met"
