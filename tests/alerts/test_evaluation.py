from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from alerts.evaluation import rules_evaluate
from alerts.models import AlertFiring
from rates.reads import active_codes


def fired(rule) -> list[str]:
    return [
        format(f.rate.normalize(), "f")
        for f in AlertFiring.objects.filter(rule=rule).order_by("id")
    ]


def test_above_fires_when_the_rate_crosses_the_threshold(land, rule):
    watch = rule("EUR", "USD", "above", "1.2")
    land("ecb", ("EUR", "USD", "1.19", "2026-01-05T16:00"))
    land("ecb", ("EUR", "USD", "1.21", "2026-01-06T16:00"))
    assert fired(watch) == ["1.21"]
    firing = watch.firings.get()
    assert firing.source == "ecb"
    assert firing.observed_at == datetime(2026, 1, 6, 16, tzinfo=UTC)


def test_below_fires_when_the_rate_drops_under_the_threshold(land, rule):
    watch = rule("EUR", "USD", "below", "1.1")
    land("ecb", ("EUR", "USD", "1.12", "2026-01-05T16:00"))
    land("ecb", ("EUR", "USD", "1.09", "2026-01-06T16:00"))
    assert fired(watch) == ["1.09"]


def test_rule_on_a_cross_pair_fires_from_its_legs(land, rule):
    # GBP/JPY is quoted by no source: Koel crosses EUR/GBP and EUR/JPY through the EUR pivot.
    watch = rule("GBP", "JPY", "above", "190")
    land(
        "ecb", ("EUR", "GBP", "0.85", "2026-01-05T16:00"), ("EUR", "JPY", "160", "2026-01-05T16:00")
    )
    assert fired(watch) == []
    land(
        "ecb", ("EUR", "GBP", "0.8", "2026-01-06T16:00"), ("EUR", "JPY", "160", "2026-01-06T16:00")
    )
    assert fired(watch) == ["200"]


def test_fires_once_while_the_condition_holds_and_rearms_past_the_hysteresis(land, rule):
    watch = rule("EUR", "USD", "above", "1.2", hysteresis="0.02")
    steps = ["1.21", "1.22", "1.19", "1.23", "1.17", "1.24"]
    # 1.21 fires; 1.22 still holds; 1.19 is back under 1.2 but inside the band (> 1.18): not
    # re-armed, so 1.23 is silent; 1.17 re-arms; 1.24 fires again.
    for day, rate in enumerate(steps, start=5):
        land("ecb", ("EUR", "USD", rate, f"2026-01-{day:02}T16:00"))
    assert fired(watch) == ["1.21", "1.24"]
    watch.refresh_from_db()
    assert not watch.armed


def test_below_rearms_above_the_band(land, rule):
    watch = rule("EUR", "USD", "below", "1.1", hysteresis="0.01")
    for day, rate in enumerate(["1.09", "1.105", "1.08", "1.12", "1.07"], start=5):
        land("ecb", ("EUR", "USD", rate, f"2026-01-{day:02}T16:00"))
    assert fired(watch) == ["1.09", "1.07"]


def test_never_fires_twice_within_the_cooldown(land, rule):
    watch = rule("EUR", "USD", "above", "1.2", cooldown=timedelta(hours=6))
    land("ecb", ("EUR", "USD", "1.21", "2026-01-06T16:00"))
    land("ecb", ("EUR", "USD", "1.19", "2026-01-06T16:30"))  # re-arms
    fired_before(watch, hours=1)
    land("ecb", ("EUR", "USD", "1.22", "2026-01-06T17:00"))  # holds again: cooling down
    assert fired(watch) == ["1.21"]
    fired_before(watch, hours=7)
    land("ecb", ("EUR", "USD", "1.23", "2026-01-06T18:00"))  # cooldown over, still armed
    assert fired(watch) == ["1.21", "1.23"]


def fired_before(rule, *, hours):
    """Move the rule's last firing `hours` into the past (the cooldown counts from it)."""
    moment = timezone.now() - timedelta(hours=hours)
    type(rule).objects.filter(id=rule.id).update(last_fired_at=moment)


@pytest.mark.parametrize(
    ("rate", "fires"),
    [("1.122", True), ("1.078", True), ("1.11", False), ("1.09", False)],
)
def test_change_pct_compares_with_the_rate_at_the_windows_start(land, rule, rate, fires):
    watch = rule("EUR", "USD", "change_pct", "2", window_hours=24)
    land("ecb", ("EUR", "USD", "1.1", "2026-01-05T16:00"))
    land("ecb", ("EUR", "USD", rate, "2026-01-06T16:00"))
    assert fired(watch) == ([rate] if fires else [])
    if fires:
        assert str(watch.firings.get().reference_rate.normalize()) == "1.1"


def test_change_pct_over_a_gap_uses_the_rate_in_force_before_it(land, rule):
    watch = rule("EUR", "USD", "change_pct", "2", window_hours=24)
    land("ecb", ("EUR", "USD", "1.00", "2026-01-01T16:00"))
    # Nothing from the 2nd to the 4th: at the window's start (the 4th, 16:00) the 1st's rate
    # is still in force.
    land("ecb", ("EUR", "USD", "1.03", "2026-01-05T16:00"))
    assert fired(watch) == ["1.03"]
    assert watch.firings.get().reference_rate == 1


def test_change_pct_without_a_rate_at_the_windows_start_stays_silent(land, rule):
    watch = rule("EUR", "USD", "change_pct", "2", window_hours=24)
    land("ecb", ("EUR", "USD", "1.5", "2026-01-05T16:00"))
    assert fired(watch) == []
    watch.refresh_from_db()
    assert watch.armed


def test_rearms_change_pct_when_the_move_shrinks_past_the_band(land, rule):
    watch = rule("EUR", "USD", "change_pct", "2", window_hours=1, hysteresis="0.5")
    spec = [("1.000", "10:00"), ("1.030", "11:00"), ("1.045", "12:00"), ("1.050", "13:00")]
    # The window is an hour: 10→11 is +3% and fires; 11→12 is +1.46%, under the threshold by
    # more than the 0.5-point band, and re-arms; 12→13 is +0.48%: nothing holds.
    for rate, hour in spec:
        land("ecb", ("EUR", "USD", rate, f"2026-01-05T{hour}"))
    assert fired(watch) == ["1.03"]
    watch.refresh_from_db()
    assert watch.armed


def test_evaluates_only_after_the_commit(store, rule, django_capture_on_commit_callbacks):
    watch = rule("EUR", "USD", "above", "1.2")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        store("ecb", ("EUR", "USD", "1.25", "2026-01-06T16:00"))
        # Written, not committed: nothing evaluated yet.
        assert not AlertFiring.objects.exists()
    assert callbacks
    assert fired(watch) == ["1.25"]


def test_rolled_back_write_is_never_evaluated(store, rule, django_capture_on_commit_callbacks):
    watch = rule("EUR", "USD", "above", "1.2")
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                store("ecb", ("EUR", "USD", "1.25", "2026-01-06T16:00"))
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert fired(watch) == []


def test_an_unchanged_rate_is_not_evaluated_again(land, rule):
    watch = rule("EUR", "USD", "above", "1.2", hysteresis="0")
    land("ecb", ("EUR", "USD", "1.25", "2026-01-06T16:00"))
    watch.firings.all().delete()
    type(watch).objects.filter(id=watch.id).update(armed=True)
    # Re-sent at the same rate: no pair changed, no evaluation, no firing.
    land("ecb", ("EUR", "USD", "1.25", "2026-01-07T16:00"))
    assert fired(watch) == []


def test_rules_on_pairs_the_write_did_not_touch_are_not_loaded(land, rule):
    other = rule("GBP", "CHF", "above", "0.0001")
    land("ecb", ("EUR", "USD", "1.25", "2026-01-06T16:00"))
    assert fired(other) == []


def test_inactive_rules_never_fire(land, rule):
    watch = rule("EUR", "USD", "above", "1.2", active=False)
    land("ecb", ("EUR", "USD", "1.25", "2026-01-06T16:00"))
    assert fired(watch) == []


def make_rules(rule, codes, count, windows):
    """`count` rules over pairs of `codes` (crosses via EUR, and EUR's own), above/below/change_pct
    in turn, the change_pct ones over `windows` distinct window lengths."""
    for i in range(count):
        base = codes[i % len(codes)]
        target = codes[(i + 1 + (i // len(codes)) % (len(codes) - 1)) % len(codes)]
        condition, threshold = [("above", "0.0001"), ("below", "100000"), ("change_pct", "1")][
            i % 3
        ]
        rule(base, target, condition, threshold, window_hours=1 + (i // 3) % windows)


def quote_days(store, codes):
    """EUR against each code on three days, the last moving each by a different share (3%, 6%,
    ...), so every pair of them, direct or crossed, moved more than 1% on the last day."""
    for day in (4, 5, 6):
        rates = []
        for n, code in enumerate(codes):
            before = Decimal(1) + Decimal(n) / 10
            rate = before * (1 + Decimal("0.03") * (n + 1)) if day == 6 else before
            rates.append(("EUR", code, format(rate.quantize(Decimal("0.0001")), "f")))
        store("ecb", *[(*r, f"2026-01-0{day}T16:00") for r in rates])


@pytest.mark.parametrize(("count", "bases", "windows"), [(10, 2, 1), (300, 30, 40)])
def test_evaluation_queries_do_not_grow_with_the_rules_bases_or_windows(
    store, rule, count, bases, windows, django_assert_max_num_queries
):
    codes = ["EUR", *[c for c in active_codes() if c not in ("EUR", "USD")][: bases - 1]]
    quote_days(store, codes[1:])
    make_rules(rule, codes, count, windows)
    # The lock, the rules, the latest rates (pairs, then the legs of crosses), the rates at the
    # windows' starts (the same two), the two state updates, the firings, their deliveries.
    with django_assert_max_num_queries(10):
        firings = rules_evaluate(codes=codes)
    # Every rule fires: above/below thresholds are far out, every pair moved more than 1%.
    assert len(firings) == count
    assert len({(f.rule.base, f.rule.window_hours) for f in firings}) >= min(bases, windows)


def test_scraped_rates_fire_when_published_not_while_quarantined(
    land, rule, rate_row, django_capture_on_commit_callbacks
):
    from rates.ingest.acceptance import quarantine_approve, rates_accept
    from rates.models import QuarantinedRate

    land("ecb", ("EUR", "USD", "1.10", "2026-01-05T16:00"))
    watch = rule("EUR", "USD", "above", "5")
    with django_capture_on_commit_callbacks(execute=True):
        held = rates_accept(source="alpha", rows=[rate_row("EUR", "USD", "11", "2026-01-06T16:00")])
    assert held.quarantined == 1
    assert fired(watch) == []  # held back: never published, never evaluated
    with django_capture_on_commit_callbacks(execute=True):
        quarantine_approve(ids=list(QuarantinedRate.objects.values_list("id", flat=True)), by="t")
    assert len(fired(watch)) == 1  # published by the approval: evaluated after its commit


def test_a_rule_on_a_currency_koel_no_longer_knows_does_not_stop_the_others(land, rule):
    gone = rule("EUR", "USD", "above", "1.2")
    type(gone).objects.filter(id=gone.id).update(target="QQQ")  # as if its currency was removed
    watch = rule("EUR", "USD", "above", "1.2")
    land("ecb", ("EUR", "USD", "1.25", "2026-01-06T16:00"))
    assert fired(watch) == ["1.25"]
    assert fired(gone) == []


def test_two_evaluations_at_once_fire_a_rule_once(transactional_db, store, rule):
    """Two sources landing together start two evaluations: the advisory lock runs them one
    after the other, so the second sees the rule already fired (disarmed)."""
    import threading
    import time

    from django.db import connection

    from alerts.evaluation import EVALUATION_LOCK

    store("ecb", ("EUR", "USD", "1.25", "2026-01-06T16:00"))  # evaluated before the rule exists
    watch = rule("EUR", "USD", "above", "1.2")
    fired_counts = []

    def evaluate():
        try:
            fired_counts.append(len(rules_evaluate(codes=["EUR", "USD"])))
        finally:
            connection.close()

    def waiting() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            )
            return cursor.fetchone()[0]

    threads = [threading.Thread(target=evaluate) for _ in range(2)]
    with transaction.atomic():  # holds the lock until both evaluations wait for it
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [EVALUATION_LOCK])
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while waiting() < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert waiting() == 2
    for thread in threads:
        thread.join(30)
    assert sorted(fired_counts) == [0, 1]
    assert fired(watch) == ["1.25"]
