"""Errors and failed scrape runs posted to a Slack-compatible incoming webhook.

A logging handler (installed by koel/settings.py when KOEL_SLACK_WEBHOOK_URL is set) on Koel's,
Django's and Celery's loggers, for records at ERROR and above. `emit` only queues the text: one
background thread per process posts it, so a slow or dead webhook never holds up the request or
task that logged. A storm sends one message per window (KOEL_SLACK_WINDOW_SECONDS): every
process counts the window's records in Redis (one INCR each), only the first is posted, and the
next window's first message says how many were left out. Should Redis itself be down, each
process counts on its own, so the outage is still reported, once per process and window.

Payload: `{"text": "..."}`, which Slack, Mattermost, Rocket.Chat and Discord's /slack endpoint
accept.
"""

import json
import logging
import os
import queue
import threading
import time
import urllib.request

logger = logging.getLogger(__name__)

MAX_TEXT = 3000  # Slack truncates long messages anyway; keep the head of a traceback
QUEUE_SIZE = 1000  # beyond this a storm's records are dropped before they are counted


class SlackHandler(logging.Handler):
    def __init__(self, url: str, window: int = 300, timeout: float = 5, level=logging.ERROR):
        super().__init__(level)
        self.url, self.window, self.timeout = url, max(1, int(window)), timeout
        self.clock = time.time  # tests move it
        self._local_counts: dict[int, int] = {}
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # Celery's prefork children

    def _reset(self) -> None:
        self._queue: queue.Queue[str] = queue.Queue(maxsize=QUEUE_SIZE)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(__name__):
            return  # its own delivery problems must not feed it
        try:
            text = f"Koel {record.levelname} in {record.name}: {self.format(record)}"
            self._queue.put_nowait(text[:MAX_TEXT])
            self._ensure_thread()
        except queue.Full:
            pass  # counted as part of the storm it is: nothing more to say
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        """Wait until every queued record is sent or left out (tests, shutdown)."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.join()

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="slack", daemon=True)
                self._thread.start()

    def _work(self) -> None:
        while True:
            text = self._queue.get()
            try:
                self._deliver(text)
            except Exception:
                logger.warning("Slack webhook post failed", exc_info=True)
            finally:
                self._queue.task_done()

    def _deliver(self, text: str) -> None:
        slot = int(self.clock() // self.window)
        if self._count(slot) > 1:
            return
        left_out = self._count(slot - 1, add=0) - 1
        if left_out > 0:
            text += f"\n({left_out} more in the previous {self.window} s were not sent.)"
        self._post(text)

    def _count(self, slot: int, add: int = 1) -> int:
        """Records counted in window `slot` (after adding `add`), across processes."""
        try:
            return _redis_count(f"slack:{self.window}:{slot}", add, self.window * 2)
        except Exception:
            logger.warning("Slack rate limit counted locally: Redis unreachable", exc_info=True)
            self._local_counts = {s: n for s, n in self._local_counts.items() if s >= slot - 1}
            self._local_counts[slot] = self._local_counts.get(slot, 0) + add
            return self._local_counts[slot]

    def _post(self, text: str) -> None:
        request = urllib.request.Request(  # noqa: S310 - the operator's configured URL
            self.url,
            data=json.dumps({"text": text}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            response.read()


def _redis_count(name: str, add: int, expire: int) -> int:
    # Imported here: the handler is built while logging is configured, before apps are ready.
    from django.core.cache import cache
    from django_redis import get_redis_connection

    key = cache.make_key(name)
    pipe = get_redis_connection("default").pipeline()
    pipe.incrby(key, add)
    pipe.expire(key, expire)
    return int(pipe.execute()[0])
