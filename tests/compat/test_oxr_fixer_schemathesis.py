"""Schemathesis runs of the Open Exchange Rates and Fixer layers against Koel's own OpenAPI
descriptions of them, docs/compat/openexchangerates.yaml and docs/compat/fixer.yaml (neither
API publishes one).

Each operation is run twice: with the generated key values (absent, or a random string: the
documented 401 in the layer's error shape, and the open currencies.json), and with a valid key
put in place of the generated one, so that every parameter reaches the views. The app is Koel's
Django WSGI application, called in-process, over a few real ECB days and two more sources.
"""

import os
from pathlib import Path

import pytest
import schemathesis
import yaml

from .schemathesis_app import config, in_process_app, read_only_fixtures, store_days

DOCS = Path(__file__).resolve().parents[2] / "docs" / "compat"
EXAMPLES = int(os.environ.get("KOEL_SCHEMATHESIS_EXAMPLES", "10"))  # per operation and key
KEY = "schemathesis-key"

# A few real ECB days (1 EUR in each); the specs' examples ask for these days.
ECB_DAYS = {
    "2026-10-28": {"USD": "1.1133", "GBP": "0.83785", "JPY": "175.86"},
    "2026-10-29": {"USD": "1.113", "GBP": "0.83578", "JPY": "175.92"},
    "2026-10-30": {"USD": "1.1172", "GBP": "0.8338", "JPY": "175.68"},
}
MARKET = {"alpha": "0.747", "beta": "0.7463"}  # USD → GBP on 2026-10-30

# Statuses a schema-valid request may get besides 2xx: both layers answer a well-formed value
# they cannot serve (a code Koel does not know, a day without rates, an amount too large) with
# a documented 400 or 404, and a generated key with 401.
POSITIVE_STATUSES = ["2xx", "3xx", "400", "401", "403", "404", "429", "5xx"]


def _load(name: str):
    spec = yaml.safe_load((DOCS / name).read_text())
    return schemathesis.openapi.from_dict(
        spec, config=config(examples=EXAMPLES, expected_statuses=POSITIVE_STATUSES)
    )


oxr = _load("openexchangerates.yaml")
fixer = _load("fixer.yaml")


@pytest.fixture
def app(store, settings):
    settings.KOEL_COMPAT_KEYS = [KEY]
    # Generated traffic is not a client to throttle (the layers count it since issue 13, 6b).
    settings.KOEL_ANON_RATE = "1000000/minute"
    # The stored days are weeks old: latest.json and /fixer/latest still answer from them.
    settings.KOEL_RATE_LOOKBACK_DAYS = 36500
    store_days(store, ecb_days=ECB_DAYS, market=MARKET)
    return in_process_app()


def _call(case, app, key_parameter: str | None) -> None:
    """The case as generated, or with the valid key in the query parameter the layer reads
    first (it wins over the others)."""
    if key_parameter is not None:
        case.query = {**(case.query or {}), key_parameter: KEY}
    case.call_and_validate(app=app)


@oxr.parametrize()
@read_only_fixtures
@pytest.mark.parametrize("key_parameter", [None, "app_id"], ids=["generated-key", "valid-key"])
def test_oxr_conforms_to_its_spec(case, app, key_parameter):
    _call(case, app, key_parameter)


@fixer.parametrize()
@read_only_fixtures
@pytest.mark.parametrize("key_parameter", [None, "access_key"], ids=["generated-key", "valid-key"])
def test_fixer_conforms_to_its_spec(case, app, key_parameter):
    _call(case, app, key_parameter)
