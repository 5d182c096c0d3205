"""Evaluate the active rules a write of rates may have changed, in a few queries whatever the
number of rules: the rules in one query, then per base one read of the latest rates and, for
change_pct rules, one read per (base, window) of the rates in force at the window's start, then
the firings in one bulk insert and the rules' state in one bulk update."""

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
from rates.exceptions import KoelError
from rates.reads import known_codes, rates_for_base
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


def read(base: str, targets: list[str], at: datetime | None) -> dict[str, RateAnswer]:
    """rates_for_base, or nothing when it refuses (a currency gone from the catalog since the
    rule was made): one broken base must not stop the evaluation of every other rule."""
    try:
        return rates_for_base(base, targets=targets, at=at)
    except KoelError as exc:
        logger.warning("alerts: rules on base %s not evaluated: %s", base, exc)
        return {}


def current_rates(rules: list[AlertRule]) -> dict[tuple[str, str], RateAnswer]:
    """The latest rate of each rule's pair: one read per distinct base."""
    targets: dict[str, set[str]] = defaultdict(set)
    for rule in rules:
        targets[rule.base].add(rule.target)
    found = {}
    for base, wanted in targets.items():
        for target, answer in read(base, sorted(wanted), None).items():
            found[(base, target)] = answer
    return found


def reference_rates(
    rules: list[AlertRule], current: dict[tuple[str, str], RateAnswer]
) -> dict[int, Decimal]:
    """{rule id: the rate in force at its window's start} of the change_pct rules, the window
    ending at the newest observation of the write (one read per distinct base and window)."""
    pending = [
        r for r in rules if r.condition == Condition.CHANGE_PCT and (r.base, r.target) in current
    ]
    if not pending:
        return {}
    end = max(answer.observed_at for answer in current.values())
    groups: dict[tuple[str, int], list[AlertRule]] = defaultdict(list)
    for rule in pending:
        groups[(rule.base, rule.window_hours)].append(rule)
    found = {}
    for (base, hours), group in groups.items():
        at = end - timedelta(hours=hours)
        answers = read(base, sorted({r.target for r in group}), at)
        found.update({r.id: answers[r.target].rate for r in group if r.target in answers})
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
