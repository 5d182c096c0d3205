"""The crawl's outcome (scrapers/outcome.py): what the crawl process reports to the manager."""

import json

import pytest

from scrapers.outcome import CrawlOutcome

STORED = CrawlOutcome(
    source="ecb", received=4, rejected=1, written=3, bases={"EUR": ["GBP", "JPY", "USD"]}
)


def test_the_report_reads_back_as_the_same_outcome():
    finished = STORED.finished(
        {"log_count/ERROR": 0, "finish_reason": "finished", "downloader/request_count": 2}, 1.23456
    )

    assert CrawlOutcome.from_json(finished.to_json()) == finished
    assert json.loads(finished.to_json())["written"] == 3  # what bench/scrape.py reads
    assert (finished.requests, finished.seconds, finished.finish_reason) == (2, 1.235, "finished")


@pytest.mark.parametrize(
    ("outcome", "ok"),
    [
        (STORED, True),
        (CrawlOutcome(source="ecb"), False),  # read nothing
        (CrawlOutcome(source="ecb", received=2, rejected=2), False),  # nothing valid
        (CrawlOutcome(source="ecb", received=2, errors=1), False),  # logged an error
        (CrawlOutcome(source="ecb", received=2, error="killed after 300 s"), False),
    ],
)
def test_a_crawl_is_ok_when_it_read_a_valid_rate_and_nothing_went_wrong(outcome, ok):
    assert outcome.ok is ok


def test_the_summary_says_what_was_rejected():
    summary = STORED.finished({"finish_reason": "finished"}, 1).summary()

    assert (
        summary
        == "ecb: 4 rates read, 1 rejected, 3 new or changed, 0 quarantined, finish: finished"
    )


@pytest.mark.parametrize(
    ("stats", "error"),
    [
        (
            {"httperror/response_ignored_status_count/404": 3, "response_received_count": 4},
            "no rate read: the site answered HTTP 404 ×3",
        ),
        ({"robotstxt/forbidden": 2}, "no rate read: robots.txt disallows the 2 page(s) asked"),
        (
            {"response_received_count": 2},
            "no rate read: 2 page(s) fetched, none quoting a rate asked",
        ),
    ],
)
def test_a_crawl_that_read_nothing_without_an_error_says_why(stats, error):
    finished = CrawlOutcome(source="wise").finished({"finish_reason": "finished", **stats}, 1)

    assert finished.error == error
    assert not finished.ok


def test_a_crawl_that_read_rates_or_logged_an_error_gets_no_such_reason():
    assert STORED.finished({"httperror/response_ignored_status_count/404": 1}, 1).error == ""
    failed = CrawlOutcome(source="wise").finished({"log_count/ERROR": 1}, 1)
    assert failed.error == ""
