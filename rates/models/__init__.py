"""Koel's data: currencies, rate sources, the partitioned history of exchange rates, scrape runs
and the quarantine, API keys. One module per subject; every model is named here, so
`from rates.models import X` is the one way to import one."""

from .bars import HourlyBar
from .catalog import Currency, CurrencyGroup, Source, SourceKind
from .keys import ApiKey
from .observations import ExchangeRate, ExchangeRateRecord, LatestRates
from .runs import QuarantinedRate, QuarantineStatus, RunStatus, ScrapeRun

__all__ = [
    "ApiKey",
    "Currency",
    "CurrencyGroup",
    "ExchangeRate",
    "ExchangeRateRecord",
    "HourlyBar",
    "LatestRates",
    "QuarantineStatus",
    "QuarantinedRate",
    "RunStatus",
    "ScrapeRun",
    "Source",
    "SourceKind",
]
