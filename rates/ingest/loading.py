"""Services that load reference data on set-up: currencies (CLDR/ISO) and sources (data file).

Both are idempotent and leave what an admin changed alone.
"""

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from django.db import transaction

from rates.cache import bump_catalog_on_commit
from rates.currency_data import currency_infos
from rates.models import Currency, Source

SOURCES_FILE = Path(__file__).resolve().parent.parent / "data" / "sources.json"


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    kept: int  # rows left alone because an admin edited them


@transaction.atomic
def currencies_load() -> LoadResult:
    """Create missing currencies and refresh CLDR metadata of rows no admin has edited."""
    existing = {c.code: c for c in Currency.objects.all()}
    created, updated, kept = [], [], 0
    for info in currency_infos():
        values = asdict(info)
        current = existing.get(info.code)
        if current is None:
            created.append(Currency(**values))
        elif current.admin_edited:
            kept += 1
        elif any(getattr(current, field) != value for field, value in values.items()):
            for field, value in values.items():
                setattr(current, field, value)
            updated.append(current)
    Currency.objects.bulk_create(created)
    fields = [f for f in values if f != "code"]
    Currency.objects.bulk_update(updated, fields)
    if created or updated:
        bump_catalog_on_commit()
    return LoadResult(created=len(created), updated=len(updated), kept=kept)


# Facts about a source's spider, not choices: refreshed on existing rows at every set-up.
SPIDER_FACTS = ("kind", "bases", "verified", "note", "api_key_setting")


@transaction.atomic
def sources_load(*, path: Path = SOURCES_FILE) -> LoadResult:
    """Create the sources listed in the data file that do not exist yet, and refresh the facts
    about the spiders of existing ones (SPIDER_FACTS).

    What an admin chooses (name, priority, enabled, base URL, currencies, politeness delay) is
    never overwritten: set-up runs on every start.
    """
    entries = json.loads(path.read_text())
    existing = {source.code: source for source in Source.objects.all()}
    missing = [Source(**entry) for entry in entries if entry["code"] not in existing]
    changed = []
    for entry in entries:
        current = existing.get(entry["code"])
        facts = {field: entry[field] for field in SPIDER_FACTS if field in entry}
        if current and any(getattr(current, f) != value for f, value in facts.items()):
            for field, value in facts.items():
                setattr(current, field, value)
            changed.append(current)
    Source.objects.bulk_create(missing)
    Source.objects.bulk_update(changed, SPIDER_FACTS)
    if missing or changed:
        bump_catalog_on_commit()
    return LoadResult(
        created=len(missing), updated=len(changed), kept=len(entries) - len(missing) - len(changed)
    )


@transaction.atomic
def currencies_set_active(*, codes: Iterable[str], active: bool) -> int:
    """Turn currencies on (scraped, offered everywhere) or off; returns how many changed.

    Marked as edited by an admin, so loading CLDR data on the next start keeps the choice (it
    would turn a precious metal, which CLDR lists as no one's tender, off again)."""
    changed = Currency.objects.filter(code__in=list(codes)).exclude(active=active)
    count = changed.update(active=active, admin_edited=True)
    if count:
        bump_catalog_on_commit()  # update() sends no post_save: the catalog is bumped here
    return count
