"""Fault injection: real crawls (see test_crawl) against a replay server that misbehaves."""

from itertools import pairwise

import pytest

from rates.models import ExchangeRate

from .replay import ReplayServer, Reply
from .test_crawl import ECB_DAILY, ECB_PATH, committed_reference_data, crawl  # noqa: F401

pytestmark = pytest.mark.usefixtures("committed_reference_data")

FEED = Reply(200, ECB_DAILY.read_bytes(), "text/xml")
# AutoThrottle's start delay (1.2 s ± 50 %) would hide whether a retry waited for Retry-After
# or the backoff, and slow every crawl down: off here, the waits under test stay.
QUICK = ("--set", "AUTOTHROTTLE_START_DELAY=0")


def crawl_ecb(server: ReplayServer, *settings: str):
    return crawl("ecb", "--base-url", server.url, *QUICK, *settings)


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in pairwise(times)]


def stored() -> int:
    return ExchangeRate.objects.filter(source_id="ecb").count()


def test_429_with_retry_after_is_retried_after_the_wait():
    slow_down = Reply(429, b"slow down", headers={"Retry-After": "1"})
    with ReplayServer({ECB_PATH: [slow_down, FEED]}) as server:
        result = crawl_ecb(server)

    assert result.returncode == 0, result.stderr[-2000:]
    assert stored() == 3
    (waited,) = gaps(server.times(ECB_PATH))
    assert waited >= 1.0
    assert "in 1.0 s (Retry-After)" in result.stderr


def test_retry_after_over_the_cap_gives_up_at_once():
    slow_down = Reply(429, b"come back later", headers={"Retry-After": "30"})
    with ReplayServer({ECB_PATH: [slow_down, FEED]}) as server:
        result = crawl_ecb(server, "--set", "RETRY_AFTER_MAX=1")

    assert result.returncode != 0
    assert stored() == 0
    assert len(server.times(ECB_PATH)) == 1  # not retried
    assert "retry after 30 s, more than RETRY_AFTER_MAX (1 s)" in result.stderr


def test_500_is_retried_with_backoff_then_fails():
    with ReplayServer({ECB_PATH: Reply(500, b"oops")}) as server:
        result = crawl_ecb(server, "--set", "RETRY_TIMES=2", "--set", "RETRY_BACKOFF_BASE=0.1")

    assert result.returncode != 0
    assert stored() == 0
    first, second = gaps(server.times(ECB_PATH))  # the request and 2 retries
    assert first >= 0.05  # 0.05–0.1 s, then 0.1–0.2 s
    assert second >= 0.1
    assert "Gave up retrying" in result.stderr
    assert "500 Internal Server Error" in result.stderr


def test_timeout_is_retried_then_fails():
    with ReplayServer({ECB_PATH: Reply(200, FEED.body, "text/xml", delay=5)}) as server:
        result = crawl_ecb(
            server,
            *("--set", "DOWNLOAD_TIMEOUT=1"),
            *("--set", "RETRY_TIMES=1"),
            *("--set", "RETRY_BACKOFF_BASE=0.1"),
        )

    assert result.returncode != 0
    assert stored() == 0
    assert len(server.times(ECB_PATH)) == 2
    assert "Gave up retrying" in result.stderr
    assert "TimeoutError" in result.stderr


GARBLED = bytes(range(128, 256)) * 4  # not UTF-8, not XML


def test_garbled_body_fails_with_one_clear_error():
    with ReplayServer({ECB_PATH: Reply(200, GARBLED, "text/xml")}) as server:
        result = crawl_ecb(server)

    assert result.returncode != 0
    assert stored() == 0
    assert "Spider error processing" in result.stderr
    assert "ecb: not well-formed XML" in result.stderr
    assert result.stderr.count("Traceback") == 1


def test_xml_cut_among_the_rates_stores_nothing():
    cut = FEED.body[: FEED.body.index(b"<Cube currency='GBP'")]
    with ReplayServer({ECB_PATH: Reply(200, cut, "text/xml")}) as server:
        result = crawl_ecb(server)

    assert result.returncode != 0
    assert stored() == 0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<?xml version='1.0'?><rates><rate ccy='USD'>1.09</rate></rates>", "text/xml"),
        (b"<html><body><h1>Service unavailable</h1></body></html>", "text/html"),
    ],
    ids=["other-xml", "html-error-page"],
)
def test_changed_layout_parses_no_rates(body, content_type):
    with ReplayServer({ECB_PATH: Reply(200, body, content_type)}) as server:
        result = crawl_ecb(server)

    assert result.returncode != 0
    assert stored() == 0
    assert "parsed no rates" in result.stderr
