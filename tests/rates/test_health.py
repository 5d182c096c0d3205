from datetime import timedelta

from django.utils import timezone

from rates.models import Source
from rates.runs.health import Circuit, circuit_state, source_attempt_record, source_availability


def alpha() -> Source:
    return Source.objects.get(code="alpha")


def test_failures_below_the_threshold_keep_the_circuit_closed(sources, settings):
    settings.KOEL_BREAKER_FAILURES = 3
    source_attempt_record("alpha", ok=False, seconds=1.5, error="HTTP 500")
    source_attempt_record("alpha", ok=False, seconds=0.5, error="timeout")

    source = alpha()
    assert circuit_state(source) is Circuit.CLOSED
    assert source_availability(source).usable
    assert (source.consecutive_failures, source.attempts, source.last_error) == (2, 2, "timeout")
    assert (source.success_rate, source.mean_latency) == (0.0, 1.0)


def test_nth_failure_opens_the_circuit_for_the_cooldown(sources, settings):
    settings.KOEL_BREAKER_FAILURES, settings.KOEL_BREAKER_COOLDOWN_MINUTES = 2, 30
    for _ in range(2):
        source_attempt_record("alpha", ok=False, seconds=1, error="HTTP 503")

    source = alpha()
    assert circuit_state(source) is Circuit.OPEN
    availability = source_availability(source)
    assert not availability.usable
    assert availability.reason.startswith("circuit open until ")
    remaining = source.circuit_open_until - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)


def test_after_the_cooldown_the_circuit_is_half_open_and_a_success_closes_it(sources, settings):
    settings.KOEL_BREAKER_FAILURES = 2
    for _ in range(2):
        source_attempt_record("alpha", ok=False, seconds=1)
    later = alpha().circuit_open_until + timedelta(seconds=1)

    assert circuit_state(alpha(), later) is Circuit.HALF_OPEN
    assert source_availability(alpha(), later).usable

    source_attempt_record("alpha", ok=True, seconds=0.2)
    source = alpha()
    assert circuit_state(source) is Circuit.CLOSED
    assert (source.consecutive_failures, source.circuit_open_until) == (0, None)
    assert (source.attempts, source.successes) == (3, 1)


def test_a_failed_trial_reopens_the_circuit(sources, settings):
    settings.KOEL_BREAKER_FAILURES = 2
    for _ in range(2):
        source_attempt_record("alpha", ok=False, seconds=1)
    Source.objects.filter(code="alpha").update(
        circuit_open_until=timezone.now() - timedelta(seconds=1)
    )
    assert circuit_state(alpha()) is Circuit.HALF_OPEN

    source_attempt_record("alpha", ok=False, seconds=1)

    assert circuit_state(alpha()) is Circuit.OPEN


def test_disabled_and_keyless_sources_are_not_usable(sources, settings):
    Source.objects.filter(code="alpha").update(enabled=False)
    Source.objects.filter(code="beta").update(api_key_setting="KOEL_FRED_API_KEY")
    settings.KOEL_FRED_API_KEY = ""

    assert source_availability(alpha()).reason == "disabled"
    beta = Source.objects.get(code="beta")
    assert source_availability(beta).reason == "no API key (KOEL_FRED_API_KEY is empty)"
    settings.KOEL_FRED_API_KEY = "k"
    assert source_availability(beta).usable
