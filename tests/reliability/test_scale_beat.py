"""Two beats, as on two hosts, against one Redis and one database: only the holder of the
beat lock (koel/beat_lock.py) schedules, so a one-off periodic task is sent once, not twice;
when the holder's host is killed, the standby takes over and schedules the next one."""

import json
import uuid

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tests.broker import broker_redis
from tests.scrapers.crawling import child_env

from .processes import beat, wait_for

LOCK_SECONDS = 6  # renewed every 2 s: room for a starved renewal on a loaded host


def _one_off(name: str, queue: str) -> None:
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
    PeriodicTask.objects.create(
        name=name,
        task="rates.tasks.heartbeat",
        interval=every_second,
        kwargs=json.dumps({}),
        queue=queue,  # no worker consumes it: the test counts the messages
        one_off=True,
    )


@pytest.mark.long  # waits out a beat lock
def test_two_beats_send_each_schedule_once_and_the_standby_takes_over(transactional_db, tmp_path):
    queue = f"koel-beat-{uuid.uuid4().hex[:8]}"
    env = child_env(KOEL_BEAT_LOCK_SECONDS=str(LOCK_SECONDS))
    _one_off("scale: first", queue)
    nodes = [beat(f"beat{n}", env, tmp_path) for n in (1, 2)]
    try:
        holder = wait_for(lambda: [n for n in nodes if "holding the lock" in n.output()], 60)
        assert holder, "\n".join(n.output()[-2000:] for n in nodes)
        sent = wait_for(lambda: _queued(queue) >= 1, timeout=30)
        # Long enough for a second, unlocked beat to have sent it too (it ticks every second).
        wait_for(lambda: _queued(queue) >= 2, timeout=6)
        first_count = _queued(queue)
        (active,) = holder
        (standby,) = [n for n in nodes if n is not active]
        active.kill()
        took_over = wait_for(lambda: "holding the lock" in standby.output(), LOCK_SECONDS * 10)
        _one_off("scale: second", queue)
        wait_for(lambda: _queued(queue) >= 2, timeout=30)
        wait_for(lambda: _queued(queue) >= 3, timeout=6)
        second_count = _queued(queue)
    finally:
        for node in nodes:
            node.stop()
        with broker_redis() as client:
            client.delete(queue)
    logs = "\n".join(n.output()[-3000:] for n in nodes)
    assert sent, logs
    assert first_count == 1, logs
    assert took_over, logs
    assert second_count == 2, logs


def _queued(queue: str) -> int:
    with broker_redis() as client:
        return client.llen(queue)
