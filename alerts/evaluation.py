"""Evaluate the active rules a write of rates may have changed, in a constant number of queries
whatever the number of rules, bases and windows: the rules in one query, the latest rates of
every rule's pair in one read (rates_for_bases), the rates in force at every change_pct window's
start in one more (rates_for_bases_at, all window lengths at once), then the firings in one bulk
insert and the rules' state in two updates."""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alerts.delivery import deliveries_create
from alerts.models import AlertFiring, AlertRule, Condition
from alerts.signals import announce_firings_on_commit
from rates.exceptions import KoelError
from rates.reads import known_codes, rates_for_bases, rates_for_bases_at
from rates.types import RateAnswer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    holds: bool  # the condition holds now
    rearms: bool  # the rate is back past the threshold by the hysteresis margin


def change_pct(rate: Decimal, reference: Decimal) -> Decimal:
    return (rate - reference) / reference * 100


def judge(rule: AlertRule, rate: Decimal, reference: Decimal | None) -> Verdict | None:
    """What `rate` (and, for change_pct, the window-start `reference`) says about `rule`;
    None when it cannot say (no rate in force at the window's start)."""
    threshold, margin = rule.threshold, rule.hysteresis
    if rule.condition == Condition.ABOVE:
        return Verdict(rate > threshold, rate <= threshold - margin)
    if rule.condition == Condition.BELOW:
        return Verdict(rate < threshold, rate >= threshold + margin)
    if reference is None:
        return None
    moved = abs(change_pct(rate, reference))
    return Verdict(moved >= threshold, moved <= threshold - margin)


def step(rule: AlertRule, verdict: Verdict, now: datetime) -> bool:
    """Apply a verdict to the rule's state; True when the rule fires now.

    A rule fires when armed, its condition holds and its cooldown has passed since it last
    fired; it then stays disarmed until a verdict re-arms it. A rule whose condition holds
    during its cooldown stays armed and fires at the first evaluation after it."""
    if not rule.armed:
        if verdict.rearms:
            rule.armed = True
        return False
    cooling = rule.last_fired_at is not None and now - rule.last_fired_at < rule.cooldown
    if not verdict.holds or cooling:
        return False
    rule.armed, rule.last_fired_at = False, now
    return True


def affected_rules(codes: Iterable[str]) -> list[AlertRule]:
    """The active rules on a pair touching any of `codes`: a changed quote changes the direct,
    inverse and cross rates of exactly the pairs that name one of its currencies."""
    codes = sorted(set(codes))
    wanted = Q(base__in=codes) | Q(target__in=codes)
    # Locked: two evaluations running at once (two sources landing) must not both fire a rule.
    rules = AlertRule.objects.filter(wanted, active=True).order_by("id")
    return list(rules.select_for_update())


def judgeable(rules: list[AlertRule]) -> list[AlertRule]:
    """The rules whose two currencies Koel still knows (the catalog is held in memory): a rule on
    a currency removed since must not make its base's read fail for every other rule."""
    known = known_codes({code for rule in rules for code in (rule.base, rule.target)})
    return [rule for rule in rules if rule.base in known and rule.target in known]


def guarded(read, *args):
    """A batch read, or nothing when it refuses (a currency gone from the catalog between
    `judgeable` and the read): the evaluation must not fail the ingest that triggered it."""
    try:
        return read(*args)
    except KoelError as exc:
        logger.warning("alerts: rules not evaluated: %s", exc)
        return {}


def wanted_targets(rules: Iterable[AlertRule]) -> dict[str, list[str]]:
    """{base: its rules' targets, sorted}."""
    targets: dict[str, set[str]] = defaultdict(set)
    for rule in rules:
        targets[rule.base].add(rule.target)
    return {base: sorted(wanted) for base, wanted in targets.items()}


def current_rates(rules: list[AlertRule]) -> dict[tuple[str, str], RateAnswer]:
    """The latest rate of each rule's pair: one read for every base."""
    found = guarded(rates_for_bases, wanted_targets(rules))
    return {
        (base, target): answer
        for base, answers in found.items()
        for target, answer in answers.items()
    }


def reference_rates(
    rules: list[AlertRule], current: dict[tuple[str, str], RateAnswer]
) -> dict[int, Decimal]:
    """{rule id: the rate in force at its window's start} of the change_pct rules, the window
    ending at the newest observation of the write (one read for every base and window)."""
    pending = [
        r for r in rules if r.condition == Condition.CHANGE_PCT and (r.base, r.target) in current
    ]
    if not pending:
        return {}
    end = max(answer.observed_at for answer in current.values())
    by_window: dict[datetime, list[AlertRule]] = defaultdict(list)
    for rule in pending:
        by_window[end - timedelta(hours=rule.window_hours)].append(rule)
    instants = {at: wanted_targets(group) for at, group in by_window.items()}
    answers = guarded(rates_for_bases_at, instants)
    found = {}
    for at, group in by_window.items():
        held = answers.get(at, {})
        for rule in group:
            answer = held.get(rule.base, {}).get(rule.target)
            if answer is not None:
                found[rule.id] = answer.rate
    return found


@transaction.atomic
def rules_evaluate(*, codes: Iterable[str]) -> list[AlertFiring]:
    """Evaluate the active rules touching `codes`; store and return the firings, whose
    deliveries are queued once this commits."""
    rules = judgeable(affected_rules(codes))
    if not rules:
        return []
    current = current_rates(rules)
    references = reference_rates(rules, current)
    now = timezone.now()
    firings, rearmed = [], []
    for rule in rules:
        answer = current.get((rule.base, rule.target))
        verdict = answer and judge(rule, answer.rate, references.get(rule.id))
        if not verdict:
            continue
        was_armed = rule.armed
        if step(rule, verdict, now):
            firings.append(firing_for(rule, answer, references.get(rule.id), now))
        elif rule.armed and not was_armed:
            rearmed.append(rule.id)
    # Two UPDATEs rather than bulk_update: its CASE per row costs seconds for thousands of rules.
    AlertRule.objects.filter(id__in=rearmed).update(armed=True)
    fired = [firing.rule_id for firing in firings]
    AlertRule.objects.filter(id__in=fired).update(armed=False, last_fired_at=now)
    firings = AlertFiring.objects.bulk_create(firings)
    deliveries_create(firings=firings)
    announce_firings_on_commit(firings)
    return firings


def firing_for(
    rule: AlertRule, answer: RateAnswer, reference: Decimal | None, now: datetime, *, test=False
) -> AlertFiring:
    return AlertFiring(
        rule=rule,
        rate=answer.rate,
        reference_rate=reference,
        observed_at=answer.observed_at,
        source=",".join(answer.sources)[:200],
        fired_at=now,
        is_test=test,
    )
