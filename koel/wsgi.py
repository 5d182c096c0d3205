"""WSGI entry point (granian or gunicorn: `koel.wsgi:application`).

Django's handler sits behind rates.http.replay.ReplayApp, which answers repeated cached reads from
Redis before Django parses them, amounts applied to a cached rate included, and keeps the
entries it served last in the process (KOEL_REPLAY_MEMO_BYTES) so that Redis need not send them
again (KOEL_REPLAY=0 turns it off). Around both, rates.metrics.RequestMetricsApp counts requests.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koel.settings")
# Only the web process's connections get statement_timeout (koel/settings.py).
os.environ.setdefault("KOEL_WEB_PROCESS", "1")

application = get_wsgi_application()

from rates.http.replay import ReplayApp  # noqa: E402  (needs the app registry set up above)
from rates.metrics import RequestMetricsApp  # noqa: E402

# Outermost: /metrics counts every request, replayed ones included.
application = RequestMetricsApp(ReplayApp(application))
