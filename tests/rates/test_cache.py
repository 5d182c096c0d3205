import pytest

from rates.cache import versions_of
from rates.exceptions import InvalidRateBatch


def test_a_write_bumps_the_versions_of_the_bases_it_touched(
    store, django_capture_on_commit_callbacks
):
    before = versions_of(["EUR", "USD", "JPY"])

    with django_capture_on_commit_callbacks(execute=True):
        store(
            "ecb", ("EUR", "USD", "1.1", "2024-01-02T16:00"), ("JPY", "USD", "0.0067", "2024-01-02")
        )

    after = versions_of(["EUR", "USD", "JPY"])
    assert after != before
    changed = {a[:3] for a, b in zip(after.split("."), before.split("."), strict=True) if a != b}
    assert changed == {"EUR", "JPY"}  # USD was only a target: its own rows did not change


def test_a_rejected_batch_bumps_nothing(store, django_capture_on_commit_callbacks):
    before = versions_of(["EUR"])

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidRateBatch):
        store("ecb", ("EUR", "USD", "-1", "2024-01-02T16:00"))

    assert versions_of(["EUR"]) == before
