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


def test_editing_a_currency_or_a_source_invalidates_every_answer(
    store, django_capture_on_commit_callbacks
):
    from rates.models import Currency, Source

    before = versions_of(["EUR", "USD"])
    with django_capture_on_commit_callbacks(execute=True):
        Currency.objects.filter(code="JPY").first().save()
    after_currency = versions_of(["EUR", "USD"])
    with django_capture_on_commit_callbacks(execute=True):
        Source.objects.get(code="alpha").delete()

    assert before != after_currency != versions_of(["EUR", "USD"])


def test_health_counters_invalidate_nothing(store, django_capture_on_commit_callbacks):
    from rates.runs.health import source_attempt_record

    before = versions_of(["EUR"])
    with django_capture_on_commit_callbacks(execute=True):
        source_attempt_record("alpha", ok=False, seconds=1.5, error="timed out")

    assert versions_of(["EUR"]) == before


def test_an_edited_currency_changes_the_cached_answers_at_once(
    client, store, django_capture_on_commit_callbacks
):
    from rates.models import Currency

    store("ecb", ("EUR", "USD", "1.1", "2024-01-02T16:00"))
    wanted = {"base": "EUR", "target": "USD", "amount": "100"}
    before = client.get("/api/v1/rates/", wanted).json()["rates"][0]["converted"]

    usd = Currency.objects.get(code="USD")
    usd.decimal_digits = 0
    with django_capture_on_commit_callbacks(execute=True):
        usd.save()  # as the admin's form does
    after = client.get("/api/v1/rates/", wanted).json()["rates"][0]["converted"]

    assert (before, after) == ("110.00", "110")
