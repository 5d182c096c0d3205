"""Crash consistency of the ECB history import (`manage.py import_ecb_history`, which `bootstrap`
runs on first start): SIGKILLed with its first chunk COPYed and uncommitted, it leaves nothing; run
again it imports every rate of the file once, and a third run changes nothing."""

from pathlib import Path

import pytest

from rates.ingest.ecb_history import BUNDLED_FILE, observed_at, parse_history, read_text
from rates.ingest.loading import currencies_load, sources_load
from rates.ingest.partitions import partitions_ensure
from rates.models import Currency
from rates.table import months_between

from ..scrapers.crawling import child_env
from .crash import backend_gone, duplicates, gate, manage, sigkill, stored

DAYS = 600  # three of the import's 250-day chunks


def _history_file(folder: Path) -> tuple[Path, int]:
    """The newest DAYS days of the bundled file as a CSV, and how many rates Koel knows of it."""
    lines = read_text(BUNDLED_FILE).splitlines()
    path = folder / "eurofxref-hist.csv"
    path.write_text("\n".join(lines[: DAYS + 1]) + "\n")
    known = set(Currency.objects.values_list("code", flat=True))
    days = list(parse_history(path.read_text()))
    # As bootstrap does before it imports: the import then takes no lock that blocks readers.
    partitions_ensure(months_between(observed_at(days[-1].day), observed_at(days[0].day)))
    return path, sum(len(day.rates.keys() & known) for day in days)


def _import(path: Path):
    return manage("import_ecb_history", "--file", str(path), "--no-progress", env=child_env())


@pytest.mark.long  # imports 600 days twice
def test_an_ecb_import_killed_mid_import_leaves_nothing_and_a_rerun_imports_it_once(
    transactional_db, tmp_path
):
    currencies_load()
    sources_load()
    path, expected = _history_file(tmp_path)
    before = stored()
    with gate() as held:
        importing = _import(path)
        backend = held.blocked(importing, timeout=90)  # 250 days COPYed, uncommitted
        assert stored() == before
        output = sigkill(importing)
        held.open()
        backend_gone(backend)
    assert stored() == before, output

    rerun = _import(path)
    output, _ = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, output
    after = stored()
    assert after.rows == expected  # every rate of the file, once
    assert duplicates() == 0

    again = _import(path)
    output, _ = again.communicate(timeout=120)
    assert again.returncode == 0, output
    assert stored() == after  # a re-import rewrites nothing: same rows, same checksum
