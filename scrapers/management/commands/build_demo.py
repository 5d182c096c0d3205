"""python manage.py build_demo [--check] — writes the offline demo's saved responses of the
aggregator sources (open_er_api, exchangerate_api, floatrates, fawazahmed0) from one table.

scrapers/demo/rates.csv holds one row per active currency: `code,rate,per,origin`, meaning
1 `per` = `rate` `code` (the ECB's reference rates per EUR, official pegs, values read off real
captured responses; scrapers/demo/README.md says where each origin's numbers come from). Every
pair is a cross through EUR of that table, rounded the way each source publishes:

    open_er_api       {"result":"success",…,"base_code":"USD","rates":{"USD":1,"AED":3.6725,…}}
                      compact, base first, 6 significant digits
    exchangerate_api  {"result": "success", … "conversion_rates": {"EUR": 1, "AED": 4.1029, …}}
                      2-space indent, base first, 4 decimals
    floatrates        {"aed":{"code":"AED",…,"rate":3.6725,"date":"…","inverseRate":0.27…},…}
                      compact, lower-case keys, base absent, 14 significant digits
    fawazahmed0       {"date": "…", "usd": {"aed": 3.6725, …, "usd": 1, …}}
                      4-space indent, lower-case, base included, 9 significant digits

Dates are the serve_fixtures placeholders. The other sources' responses (central banks,
frankfurter, x_rates, single-pair sources) quote a fixed, short list and are kept as written.
The manifest entries of the sources written here are rewritten; the others are kept. --check
writes nothing and fails when a file differs from what would be written.
"""

import csv
import json
from decimal import Decimal, localcontext
from pathlib import Path

import pycountry
from babel.numbers import get_currency_name
from django.core.management.base import BaseCommand, CommandError

from rates.currency_data import PRIMARY_CODES

from .serve_fixtures import DEMO_DIR

JSON_TYPE = "application/json; charset=utf-8"
PRIMARY = sorted(PRIMARY_CODES)

# Which bases each source has saved responses for, and the codes its real responses lack (none
# of the real captures of open.er-api, v6 exchangerate-api or floatrates quotes these).
SOURCES = {
    "open_er_api": (PRIMARY, {"KPW", "XAD", "ZWG"}),
    "exchangerate_api": (["EUR", "USD"], {"KPW", "XAD", "ZWG"}),
    "floatrates": (["EUR", "GBP", "USD"], {"KPW", "SLE", "XAD", "ZWG"}),
    "fawazahmed0": (PRIMARY, set()),
}
OER_HEAD = (
    '{"result":"success","provider":"https://www.exchangerate-api.com",'
    '"documentation":"https://www.exchangerate-api.com/docs/free",'
    '"terms_of_use":"https://www.exchangerate-api.com/terms",'
    '"time_last_update_unix":{{unix}},'
    '"time_last_update_utc":"{{now:%a, %d %b %Y %H:%M:%S +0000}}",'
    '"time_next_update_unix":{{unix+1}},'
    '"time_next_update_utc":"{{now+1:%a, %d %b %Y %H:%M:%S +0000}}","time_eol_unix":0,'
)
ERAPI_HEAD = """{
  "result": "success",
  "documentation": "https://www.exchangerate-api.com/docs",
  "terms_of_use": "https://www.exchangerate-api.com/terms",
  "time_last_update_unix": {{unix}},
  "time_last_update_utc": "{{now:%a, %d %b %Y %H:%M:%S +0000}}",
  "time_next_update_unix": {{unix+1}},
  "time_next_update_utc": "{{now+1:%a, %d %b %Y %H:%M:%S +0000}}",
"""


def per_euro(table: Path = DEMO_DIR / "rates.csv") -> dict[str, Decimal]:
    """code -> units of it per 1 EUR, resolving each row's `per` currency (itself in the table)."""
    with table.open(encoding="utf-8", newline="") as file:
        rows = {row["code"]: (_rate(row), row["per"]) for row in csv.DictReader(file)}
    values: dict[str, Decimal] = {"EUR": Decimal(1)}

    def value(code: str, seen: tuple[str, ...] = ()) -> Decimal:
        if code not in values:
            if code in seen or code not in rows:
                chain = " -> ".join((*seen, code))
                raise ValueError(f"{table.name}: {chain}: no row leads to EUR")
            rate, per = rows[code]
            values[code] = rate * value(per, (*seen, code))
        return values[code]

    for code in rows:
        value(code)
    return values


def _rate(row: dict) -> Decimal:
    try:
        rate = Decimal(row["rate"])
    except (ArithmeticError, TypeError):
        rate = Decimal(0)
    if not (rate.is_finite() and rate > 0):
        raise ValueError(f"rates.csv: {row['code']}: rate {row['rate']!r} is not a positive number")
    return rate


def cross(values: dict[str, Decimal], base: str, target: str) -> Decimal:
    with localcontext(prec=40):
        return values[target] / values[base]


def significant(number: Decimal, digits: int) -> str:
    """`number` to `digits` significant digits, as a plain decimal without trailing zeros."""
    with localcontext(prec=digits):
        rounded = +number
    return format(rounded.normalize(), "f")


def floating(number: Decimal, digits: int) -> str:
    """As JavaScript-built feeds print a double: exponent notation below 1e-4."""
    return f"{float(number):.{digits}g}"


def open_er_api(values: dict, base: str, codes: list[str]) -> str:
    rates = {base: "1"} | {c: significant(cross(values, base, c), 6) for c in codes if c != base}
    body = ",".join(f'"{code}":{rate}' for code, rate in rates.items())
    return f'{OER_HEAD}"base_code":"{base}","rates":{{{body}}}}}\n'


def exchangerate_api(values: dict, base: str, codes: list[str]) -> str:
    rates = [f'    "{base}": 1'] + [
        f'    "{c}": {cross(values, base, c):.4f}' for c in codes if c != base
    ]
    lines = ",\n".join(rates)
    return f'{ERAPI_HEAD}  "base_code": "{base}",\n  "conversion_rates": {{\n{lines}\n  }}\n}}\n'


def floatrates(values: dict, base: str, codes: list[str]) -> str:
    entries = [
        f'"{code.lower()}":{{"code":"{code}","alphaCode":"{code}",'
        f'"numericCode":"{_numeric(code)}","name":{json.dumps(_name(code))},'
        f'"rate":{floating(cross(values, base, code), 14)},"date":"{{{{rfc1123}}}}",'
        f'"inverseRate":{floating(cross(values, code, base), 14)}}}'
        for code in codes
        if code != base
    ]
    return "{" + ",".join(entries) + "}\n"


def _numeric(code: str) -> str:
    currency = pycountry.currencies.get(alpha_3=code)
    return currency.numeric if currency else ""


def _name(code: str) -> str:
    """CLDR's English name, as floatrates prints them; ISO's where CLDR has none yet."""
    name = get_currency_name(code, locale="en")
    currency = pycountry.currencies.get(alpha_3=code)
    return currency.name if name == code and currency else name


def fawazahmed0(values: dict, base: str, codes: list[str]) -> str:
    rates = [
        f'        "{c.lower()}": {"1" if c == base else floating(cross(values, base, c), 9)}'
        for c in codes
    ]
    lines = ",\n".join(rates)
    return f'{{\n    "date": "{{{{date}}}}",\n    "{base.lower()}": {{\n{lines}\n    }}\n}}\n'


WRITERS = {
    "open_er_api": (open_er_api, "/v6/latest/{BASE}", "latest-{BASE}.json"),
    "exchangerate_api": (exchangerate_api, "/v6/*/latest/{BASE}", "latest-{BASE}.json"),
    "floatrates": (floatrates, "/daily/{base}.json", "daily-{base}.json"),
    "fawazahmed0": (fawazahmed0, "/v1/currencies/{base}.json", "currencies-{base}.json"),
}


def responses(values: dict[str, Decimal]) -> dict[str, dict[str, tuple[str, str]]]:
    """source -> {file (relative to the demo directory): (request path, body)}."""
    built: dict[str, dict[str, tuple[str, str]]] = {}
    for source, (bases, lacking) in SOURCES.items():
        write, path, name = WRITERS[source]
        codes = sorted(set(values) - lacking)
        built[source] = {
            f"{source}/{name.format(BASE=base, base=base.lower())}": (
                path.format(BASE=base, base=base.lower()),
                write(values, base, codes),
            )
            for base in bases
        }
    return built


def manifest_with(manifest: dict, built: dict) -> dict:
    """The manifest with the entries of `built`'s sources: existing ones kept in their order
    (those still written), new ones appended."""
    updated = dict(manifest)
    for source, files in built.items():
        kept = [entry for entry in manifest.get(source, []) if entry["file"] in files]
        known = {entry["file"] for entry in kept}
        added = [
            {"path": path, "file": file, "content_type": JSON_TYPE}
            for file, (path, _) in files.items()
            if file not in known
        ]
        updated[source] = kept + added
    return updated


class Command(BaseCommand):
    help = (
        "Write the demo's saved responses of open_er_api, exchangerate_api, floatrates and "
        "fawazahmed0 from scrapers/demo/rates.csv (and their manifest entries). --check only "
        "compares."
    )
    requires_system_checks = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="Compare, write nothing.")

    def handle(self, *args, check: bool, **options) -> None:
        built = responses(per_euro())
        manifest_file = DEMO_DIR / "manifest.json"
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        wanted = {file: body for files in built.values() for file, (_, body) in files.items()}
        wanted["manifest.json"] = json.dumps(manifest_with(manifest, built), indent=2) + "\n"
        stale = [file for file, body in wanted.items() if _read(DEMO_DIR / file) != body]
        if check:
            if stale:
                raise CommandError(f"out of date (run build_demo): {', '.join(stale)}")
            self.stdout.write(f"{len(wanted)} files up to date")
            return
        for file in stale:
            (DEMO_DIR / file).write_text(wanted[file], encoding="utf-8")
        self.stdout.write(f"wrote {len(stale)} of {len(wanted)} files in {DEMO_DIR}")


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None
