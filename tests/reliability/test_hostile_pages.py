"""Issue 13, item 6: a hostile scraped page is refused within limits, not parsed forever, and the
crawl's outcome (which the run's attempt and the source's health record) says why. Real crawls
in a child process against the local replay server (docs/reliability.md, 6a)."""

import gzip
import json
import time

import pytest

from rates.models import ExchangeRate
from scrapers.outcome import CrawlOutcome
from tests.scrapers.crawling import crawl, load_reference_data
from tests.scrapers.replay import ReplayServer, Reply
from tests.scrapers.test_crawl import ECB_PATH

MB = 1024 * 1024
# Quick crawls: no AutoThrottle start delay, and one retry with a short backoff.
QUICK = ("--set", "AUTOTHROTTLE_START_DELAY=0", "--set", "RETRY_BACKOFF_BASE=0.1")


@pytest.fixture
def ecb(transactional_db):
    load_reference_data("ecb")


def crawl_ecb(reply: Reply, tmp_path) -> tuple[CrawlOutcome, str, float]:
    report = tmp_path / "report.json"
    started = time.monotonic()
    with ReplayServer({ECB_PATH: reply}) as server:
        result = crawl("ecb", "--base-url", server.url, "--report", str(report), *QUICK)
    seconds = time.monotonic() - started
    assert result.returncode != 0  # the crawl fails, and says so
    return CrawlOutcome.from_json(report.read_text()), result.stderr, seconds


def test_a_50_mb_body_is_refused(ecb, tmp_path):
    outcome, stderr, seconds = crawl_ecb(Reply(200, b"<x>" * (50 * MB // 3), "text/xml"), tmp_path)

    assert outcome.error.startswith("refused: ")
    assert "larger than download max size (16777216)" in outcome.error
    assert "response refused, over the crawl's size limits" in stderr
    assert not ExchangeRate.objects.exists()
    assert seconds < 60


def test_a_gzip_bomb_is_abandoned_while_it_inflates(ecb, tmp_path):
    bomb = gzip.compress(b"\0" * (200 * MB), compresslevel=9)  # ~200 KB on the wire
    reply = Reply(200, bomb, "text/xml", headers={"Content-Encoding": "gzip"})

    outcome, _, seconds = crawl_ecb(reply, tmp_path)

    assert len(bomb) < MB
    assert "exceeded DOWNLOAD_MAXSIZE (16777216 B) during decompression" in outcome.error
    assert seconds < 60


def test_deeply_nested_markup_is_parsed_in_bounded_time(ecb, tmp_path):
    depth = 1_000_000  # 14 MB of nesting, under DOWNLOAD_MAXSIZE: parsed, not refused
    nested = b"<Cube>" * depth + b"</Cube>" * depth
    reply = Reply(200, b'<?xml version="1.0"?><gesmes:Envelope>' + nested, "text/xml")

    outcome, _, seconds = crawl_ecb(reply, tmp_path)

    assert outcome.received == 0
    assert not outcome.error.startswith("refused")
    assert seconds < 60


def test_outcomes_read_back_the_refusal(tmp_path):
    outcome = CrawlOutcome("ecb").finished({"koel/refused": "refused: too big"}, 1.0)
    assert not outcome.ok
    assert json.loads(outcome.to_json())["error"] == "refused: too big"
