"""Source faults, the few-minute part (reliability/run_sources.py runs the whole matrix): real
full scrapes of the primary currencies against the demo's saved responses with faults injected,
on top of yesterday's rates; every pair of active currencies read back, and the API's EUR."""

import pytest

from reliability.fault_site import FaultSite
from reliability.source_faults import (
    API_KEYS,
    multi_pair_sources,
    reference_data_load,
    run_case,
    seed_quick,
    settings_for,
    single_pair_sources,
)

# Each kind once, one per source, in the order the manager asks them (fawazahmed0, the one
# source quoting every active currency, keeps working).
ABSURD = {
    "ecb": "x100",
    "bank_of_canada": "div100",
    "norges_bank": "zero",
    "frankfurter": "negative",
    "open_er_api": "nan",
    "floatrates": "stale",
}
BROKEN = {
    "ecb": "down",
    "bank_of_canada": "throttled",
    "norges_bank": "timeout",
    "frankfurter": "garbled",
    "open_er_api": "layout",
    "floatrates": "down",
}


@pytest.fixture(scope="module")
def site():
    with FaultSite(hang=4) as site:
        yield site


@pytest.fixture
def baseline(transactional_db, site, settings, monkeypatch):
    for name, value in settings_for(site).items():
        setattr(settings, name, value)
    for name, value in API_KEYS.items():
        monkeypatch.setenv(name, value)
    reference_data_load()
    return seed_quick()


def assert_goals(result, *, fresh: float) -> None:
    assert result.coverage == 100
    assert result.fresh_coverage == fresh
    assert result.absurd == []
    assert result.underived == []
    assert result.unsaid == []


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param(ABSURD, id="absurd-values", marks=pytest.mark.long),
        # Timeouts wait out the crawl's download timeout: make reliability runs it.
        pytest.param(BROKEN, id="broken-sites", marks=pytest.mark.long),
    ],
)
def test_one_full_source_left_covers_every_pair_and_nothing_absurd_is_published(
    site, baseline, faults
):
    result = run_case(site, baseline, faults)
    print(result)
    assert result.asked == sorted(faults)  # every fault was met
    assert_goals(result, fresh=100)


@pytest.mark.long  # a full failover through every source
def test_every_source_down_keeps_yesterdays_rates_and_says_so(site, baseline):
    down = {code: "down" for code in multi_pair_sources() + single_pair_sources()}
    result = run_case(site, baseline, down)
    print(result)
    assert result.status == "failed"
    assert_goals(result, fresh=0)
