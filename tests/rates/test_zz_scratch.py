import time
from datetime import UTC, datetime
from django.core.management import call_command
from rates.models import ExchangeRate, LatestRate
from rates.ecb_history import import_history

def test_scratch(currencies, sources, db):
    t = time.monotonic()
    s = import_history()
    print(time.monotonic() - t, s.days, s.rows, s.written, s.missing, s.first, s.last, len(s.currencies), s.unknown)
    print(ExchangeRate.objects.count(), LatestRate.objects.count())
    t = time.monotonic()
    s = import_history()
    print(time.monotonic() - t, s.written)
