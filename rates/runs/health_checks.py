"""Readiness (`/health/`): is every part Koel needs up, and is the data fresh?

Each check is a plain function returning a Check; none raises. Bounds come from settings:
KOEL_HEALTH_TIMEOUT (seconds to wait for the database, Redis or the broker),
KOEL_HEALTH_WORKER_MAX_AGE and KOEL_HEALTH_BEAT_MAX_AGE (seconds).

How the Celery checks work: beat sends `rates.tasks.heartbeat` every minute (rates.runs.schedules)
and a worker running it writes the time to Redis (`worker_heartbeat_record`). The worker is up
while that time is recent. Beat's last tick is the newest `last_run_at` of django-celery-beat's
enabled periodic tasks; its DatabaseScheduler saves it every three minutes, hence a larger bound.
With beat down, both checks go stale: the beat check names the cause.
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import Max
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from kombu import Connection

from rates.runs.overview import Freshness, group_freshness

WORKER_HEARTBEAT_KEY = "health:worker-heartbeat"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: not checked, as what it needs is down (it is not named failing)
    detail: str


def checks_run(*, now: datetime | None = None) -> list[Check]:
    """Every readiness check, in a fixed order."""
    now = now or timezone.now()
    database, cache_server = database_check(), redis_check()
    found = [database, cache_server, broker_check()]
    # Without the server a check reads from it would wait out its own timeouts to say the same.
    found.append(worker_check(now=now) if cache_server.ok else _unchecked("worker", "redis"))
    if not database.ok:
        return [*found, _unchecked("beat", "database"), _unchecked("freshness", "database")]
    return [*found, beat_check(now=now), *freshness_checks(now=now)]


def _unchecked(name: str, needs: str) -> Check:
    return Check(name, None, f"not checked: {needs} is down")


def checks_report(checks: list[Check]) -> dict:
    """The JSON body of /health/: overall status, what failed, each check."""
    failing = [check.name for check in checks if check.ok is False]
    unchecked = any(check.ok is None for check in checks)
    return {
        "status": "fail" if failing or unchecked else "ok",
        "failing": failing,
        "checks": [asdict(check) for check in checks],
    }


def database_check() -> Check:
    # A new connection, not the request's persistent one: it proves new connections are
    # accepted too (the server up, its connection limit not reached), within the timeout.
    params = {**connections["default"].settings_dict}
    params["OPTIONS"] = {**params.get("OPTIONS", {}), "connect_timeout": _timeout()}
    wrapper = type(connections["default"])(params, alias="health")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Check("database", True, "answers")
    except Exception as exc:  # any failure is the answer, not an error of the check
        return Check("database", False, _reason(exc))
    finally:
        wrapper.close()


def redis_check() -> Check:
    client = _redis()
    try:
        client.ping()
        return Check("redis", True, "answers")
    except Exception as exc:
        return Check("redis", False, _reason(exc))
    finally:
        client.close()


def broker_check() -> Check:
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=_timeout()) as broker:
            broker.connect()  # one attempt, no retry loop
        return Check("broker", True, "accepts connections")
    except Exception as exc:
        return Check("broker", False, _reason(exc))


def worker_heartbeat_record(*, now: datetime | None = None) -> None:
    """Called by the heartbeat task on a worker."""
    with _redis() as client:
        client.set(_heartbeat_key(), (now or timezone.now()).isoformat())


def worker_check(*, now: datetime) -> Check:
    try:
        with _redis() as client:
            beat = client.get(_heartbeat_key())
    except Exception as exc:
        return Check("worker", False, f"heartbeat unreadable: {_reason(exc)}")
    if beat is None:
        return Check("worker", False, "no heartbeat yet (is a worker running? beat?)")
    age = now - datetime.fromisoformat(beat.decode())
    return _age_check("worker", age, "heartbeat", _worker_bound())


def _heartbeat_key() -> str:
    return cache.make_key(WORKER_HEARTBEAT_KEY)  # under the cache's prefix and version


def _redis() -> redis.Redis:
    # A client of its own with the health timeouts: the cache's has none, and would wait.
    return redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=_timeout(), socket_connect_timeout=_timeout()
    )


def beat_check(*, now: datetime) -> Check:
    try:
        last = PeriodicTask.objects.filter(enabled=True).aggregate(last=Max("last_run_at"))["last"]
    except Exception as exc:
        return Check("beat", False, f"schedule unreadable: {_reason(exc)}")
    if last is None:
        return Check("beat", False, "no periodic task has run yet")
    return _age_check("beat", now - last, "last tick", _beat_bound())


def freshness_checks(*, now: datetime) -> list[Check]:
    """One check per currency group with an enabled schedule (others have nothing to be
    measured against): stale past its longest scheduled gap plus the grace, or with no rates."""
    try:
        groups = group_freshness(now=now)
    except Exception as exc:
        return [Check("freshness", False, f"unreadable: {_reason(exc)}")]
    return [_group_check(group) for group in groups if group.gap is not None]


def _group_check(group) -> Check:
    name = f"freshness:{group.rates.group}"
    if group.state is Freshness.NO_RATES:
        return Check(name, False, "no rates yet")
    detail = f"newest rate {_seconds(group.age)} s old, stale after {_seconds(group.stale_after)} s"
    return Check(name, group.state is Freshness.FRESH, detail)


def _age_check(name: str, age: timedelta, what: str, bound: timedelta) -> Check:
    detail = f"{what} {_seconds(age)} s ago (bound {_seconds(bound)} s)"
    return Check(name, age <= bound, detail)


def _timeout() -> int:
    return settings.KOEL_HEALTH_TIMEOUT


def _worker_bound() -> timedelta:
    return timedelta(seconds=settings.KOEL_HEALTH_WORKER_MAX_AGE)


def _beat_bound() -> timedelta:
    return timedelta(seconds=settings.KOEL_HEALTH_BEAT_MAX_AGE)


def _seconds(delta: timedelta) -> int:
    return int(delta.total_seconds())


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip().rstrip(":")
