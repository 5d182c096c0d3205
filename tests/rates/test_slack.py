"""Errors and failed scrape runs posted to a Slack-compatible webhook: one message per window,
never blocking whoever logged (against a local receiver)."""

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rates.runs.services import run_finish, run_start
from rates.slack import SlackHandler


class Receiver:
    """An incoming-webhook stand-in on a free local port: `messages` holds each posted text."""

    def __init__(self, status: int = 200, delay: float = 0) -> None:
        self.messages: list[str] = []
        receiver = self

        class Handle(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                time.sleep(delay)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.messages.append(json.loads(body)["text"])
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def hooked():
    """Attach a handler to a logger for the test: hooked(logger_name, url) -> handler."""
    attached = []

    def attach(name: str, url: str, **options) -> SlackHandler:
        handler = SlackHandler(url, **options)
        logging.getLogger(name).addHandler(handler)
        attached.append((name, handler))
        return handler

    yield attach
    for name, handler in attached:
        logging.getLogger(name).removeHandler(handler)


def test_an_error_is_posted_with_its_logger_and_message(receiver, hooked):
    handler = hooked("koel.test", receiver.url)

    logging.getLogger("koel.test").error("database gone: %s", "timeout")
    handler.flush()

    assert receiver.messages == ["Koel ERROR in koel.test: database gone: timeout"]


def test_warnings_are_not_posted(receiver, hooked):
    handler = hooked("koel.test", receiver.url)

    logging.getLogger("koel.test").warning("slow source")
    handler.flush()

    assert receiver.messages == []


def test_a_storm_sends_one_message_per_window_and_says_how_many_were_left_out(receiver, hooked):
    handler = hooked("koel.test", receiver.url, window=60)
    now = [6000.0]  # window 100
    handler.clock = lambda: now[0]
    log = logging.getLogger("koel.test")

    for n in range(50):
        log.error("failure %s", n)
    handler.flush()
    assert receiver.messages == ["Koel ERROR in koel.test: failure 0"]

    now[0] += 60  # the next window
    log.error("again")
    handler.flush()
    assert receiver.messages[1:] == [
        "Koel ERROR in koel.test: again\n(49 more in the previous 60 s were not sent.)"
    ]


def test_a_slow_webhook_never_blocks_the_caller(hooked):
    slow = Receiver(delay=2)
    try:
        handler = hooked("koel.test", slow.url)
        started = time.perf_counter()
        logging.getLogger("koel.test").error("boom")
        assert time.perf_counter() - started < 0.5  # posted in the background
        handler.flush()
        assert slow.messages == ["Koel ERROR in koel.test: boom"]
    finally:
        slow.close()


def test_a_failing_or_unreachable_webhook_raises_nothing(hooked, caplog):
    failing = Receiver(status=500)
    try:
        handler = hooked("koel.test", failing.url)
        logging.getLogger("koel.test").error("first")
        handler.flush()
        # A window of its own: in the same one, this record would be left out of the storm.
        dead = hooked("koel.other", "http://127.0.0.1:1/hook", window=7)
        logging.getLogger("koel.other").error("second")
        dead.flush()
    finally:
        failing.close()
    assert failing.messages == ["Koel ERROR in koel.test: first"]
    # Each failed post is logged as a warning of the handler's own, which it does not post.
    assert [r.levelname for r in caplog.records if r.name == "rates.slack"] == ["WARNING"] * 2


def test_a_failed_scrape_run_is_posted(receiver, hooked, db):
    handler = hooked("koel", receiver.url)
    run = run_start(scope="group", target="primary", trigger="beat", bases_total=15)

    run_finish(run, any_read=False, derived=0, errors=["ecb: HTTP 503", "fed: timeout"])
    handler.flush()

    assert len(receiver.messages) == 1
    assert receiver.messages[0].startswith("Koel ERROR in koel.runs: scrape run")
    assert "failed" in receiver.messages[0]


def test_a_successful_scrape_run_is_not_posted(receiver, hooked, db):
    handler = hooked("koel", receiver.url)
    run = run_start(scope="group", target="primary", trigger="beat", bases_total=15)

    run_finish(run, any_read=True, derived=0, errors=[])
    handler.flush()

    assert receiver.messages == []


def test_with_redis_down_each_process_still_limits_and_reports(receiver, hooked, settings):
    saved = settings.CACHES
    settings.CACHES = {"default": {**saved["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    try:
        handler = hooked("koel.test", receiver.url)
        for _ in range(5):
            logging.getLogger("koel.test").error("redis down")
        handler.flush()
    finally:
        settings.CACHES = saved  # before the cache is cleared at teardown

    assert receiver.messages == ["Koel ERROR in koel.test: redis down"]  # counted locally
