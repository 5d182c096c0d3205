"""Evaluate the active rules a write of rates may have changed, in a constant number of queries
whatever the number of rules, bases and windows: a lock, the rules in one query (as plain rows:
building 10,000 model instances cost more than the rest of the evaluation), the latest rates of
every rule's pair (rates_for_bases: the pairs, plus their pivot legs when one needs a cross), the
rates in force at every change_pct window's start (rates_for_bases_at, all window lengths at once,
the same way), then the firings in one insert and the rules' state in two updates."""

import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from alerts.delivery import deliveries_create
from alerts.models import AlertFiring, AlertRule, Condition, channels_wanted
from alerts.signals import announce_firings_on_commit
from rates.db import fast_cursor
from rates.exceptions import KoelError
from rates.reads import known_codes, rates_for_bases, rates_for_bases_at
from rates.types import RateAnswer

logger = logging.getLogger(__name__)

# One evaluation at a time (two sources landing at once): both must not fire the same rule.
# A transaction-level advisory lock rather than locking every rule row (FOR UPDATE writes each).
EVALUATION_LOCK = 0x6B6F656C_616C7274  # "koelalrt"

# The active rules on pairs naming any of the codes, as plain rows: building 10,000 model
# instances (and parsing their intervals, URLs, secrets) cost more than the rest of the evaluation.
_RULES_SQL = """
SELECT id, base, target, condition, threshold, window_hours, hysteresis, cooldown, armed,
       last_fired_at, notify_email, webhook_url <> '', slack_url <> ''
FROM alerts_alertrule
WHERE active AND (base = ANY(%(codes)s::text[]) OR target = ANY(%(codes)s::text[]))
ORDER BY id
"""


@dataclass(slots=True)
class RuleState:
    """What judging a rule and delivering its firing need, from its row."""

    id: int
    base: str
    target: str
    condition: str
    threshold: Decimal
    window_hours: int
    hysteresis: Decimal
    cooldown: timedelta
    armed: bool
    last_fired_at: datetime | None
    email: bool
    webhook: bool
    slack: bool

    def channels(self) -> list[str]:
        return channels_wanted(email=self.email, webhook=self.webhook, slack=self.slack)


@dataclass(frozen=True)
class Verdict:
    holds: bool  # the condition holds now
    rearms: bool  # the rate is back past the threshold by the hysteresis margin


def change_pct(rate: Decimal, reference: Decimal) -> Decimal:
    return (rate - reference) / reference * 100


def judge(rule: AlertRule | RuleState, rate: Decimal, reference: Decimal | None) -> Verdict | None:
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


def step(rule: AlertRule | RuleState, verdict: Verdict, now: datetime) -> bool:
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


def affected_rules(codes: Iterable[str]) -> list[RuleState]:
    """The active rules on a pair touching any of `codes`: a changed quote changes the direct,
    inverse and cross rates of exactly the pairs that name one of its currencies. Call inside
    the evaluation's transaction: it takes the evaluation lock first."""
    with fast_cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [EVALUATION_LOCK])
        cursor.execute(_RULES_SQL, {"codes": sorted(set(codes))})
        return [RuleState(*row) for row in cursor.fetchall()]


def judgeable(rules: list[RuleState]) -> list[RuleState]:
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


def wanted_targets(rules: Iterable[RuleState]) -> dict[str, list[str]]:
    """{base: its rules' targets, sorted}."""
    targets: dict[str, set[str]] = defaultdict(set)
    for rule in rules:
        targets[rule.base].add(rule.target)
    return {base: sorted(wanted) for base, wanted in targets.items()}


def current_rates(rules: list[RuleState]) -> dict[tuple[str, str], RateAnswer]:
    """The latest rate of each rule's pair: one read for every base."""
    found = guarded(rates_for_bases, wanted_targets(rules))
    return {
        (base, target): answer
        for base, answers in found.items()
        for target, answer in answers.items()
    }


def reference_rates(
    rules: list[RuleState], current: dict[tuple[str, str], RateAnswer]
) -> dict[int, Decimal]:
    """{rule id: the rate in force at its window's start} of the change_pct rules, the window
    ending at the newest observation of the write (one read for every base and window)."""
    pending = [
        r for r in rules if r.condition == Condition.CHANGE_PCT and (r.base, r.target) in current
    ]
    if not pending:
        return {}
    end = max(answer.observed_at for answer in current.values())
    by_window: dict[datetime, list[RuleState]] = defaultdict(list)
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
    """Evaluate the active rules touching `codes`; store and return the firings (their `rule`
    is loaded when read), whose deliveries are queued once this commits."""
    rules = judgeable(affected_rules(codes))
    if not rules:
        return []
    current = current_rates(rules)
    references = reference_rates(rules, current)
    now = timezone.now()
    fired, channels, rearmed = [], {}, []
    for rule in rules:
        answer = current.get((rule.base, rule.target))
        verdict = answer and judge(rule, answer.rate, references.get(rule.id))
        if not verdict:
            continue
        was_armed = rule.armed
        if step(rule, verdict, now):
            fired.append(firing_row(rule.id, answer, references.get(rule.id)))
            channels[rule.id] = rule.channels()
        elif rule.armed and not was_armed:
            rearmed.append(rule.id)
    rules_update(rearmed=rearmed, fired=list(channels), now=now)
    firings = firings_insert(fired, now)
    deliveries_create(firings=firings, channels=channels)
    announce_firings_on_commit(firings)
    return firings


def rules_update(*, rearmed: list[int], fired: list[int], now: datetime) -> None:
    """The rules' new state: two UPDATEs on id arrays (bulk_update's CASE per row, or an IN
    list of thousands of parameters, cost tens of milliseconds)."""
    with connection.cursor() as cursor:
        if rearmed:
            cursor.execute(
                "UPDATE alerts_alertrule SET armed = true WHERE id = ANY(%s::bigint[])",
                [_id_array(rearmed)],
            )
        if fired:
            cursor.execute(
                "UPDATE alerts_alertrule SET armed = false, last_fired_at = %s "
                "WHERE id = ANY(%s::bigint[])",
                [now, _id_array(fired)],
            )


# One INSERT of the firings from one JSON document: bulk_create's SQL compiler (psqlextra's)
# took a tenth of a millisecond per row, and psycopg dumps a list parameter element by element.
_FIRINGS_SQL = """
INSERT INTO alerts_alertfiring
    (rule_id, rate, reference_rate, observed_at, source, fired_at, is_test)
SELECT rule_id, rate, reference_rate, observed_at, source, %s, false
FROM json_to_recordset(%s::json) AS f(rule_id bigint, rate numeric, reference_rate numeric,
                                      observed_at timestamptz, source text)
RETURNING id, rule_id, rate, reference_rate, observed_at, source, fired_at, is_test
"""


def firings_insert(fired: list[dict], now: datetime) -> list[AlertFiring]:
    """Store the firings (rows of firing_row) fired at `now`; the stored AlertFirings.

    They are built from the row the INSERT returns, positionally (in the model's field order):
    Model(**kwargs) costs several times more per instance."""
    if not fired:
        return []
    with fast_cursor() as cursor:
        cursor.execute(_FIRINGS_SQL, [now, json.dumps(fired)])
        rows = cursor.fetchall()
    return [AlertFiring.from_db(connection.alias, None, row) for row in rows]


def firing_row(rule_id: int, answer: RateAnswer, reference: Decimal | None) -> dict:
    """A firing as firings_insert stores it (Decimals as text: no digit lost)."""
    return {
        "rule_id": rule_id,
        "rate": str(answer.rate),
        "reference_rate": None if reference is None else str(reference),
        "observed_at": answer.observed_at.isoformat(),
        "source": firing_source(answer),
    }


def firing_source(answer: RateAnswer) -> str:
    return ",".join(answer.sources)[:200]


def _id_array(ids: list[int]) -> str:
    return "{" + ",".join(map(str, ids)) + "}"


def firing_for(
    rule: AlertRule, answer: RateAnswer, reference: Decimal | None, now: datetime, *, test=False
) -> AlertFiring:
    return AlertFiring(
        rule=rule,
        rate=answer.rate,
        reference_rate=reference,
        observed_at=answer.observed_at,
        source=firing_source(answer),
        fired_at=now,
        is_test=test,
    )
