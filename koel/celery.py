"""Celery application: configuration comes from Django settings prefixed CELERY_."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koel.settings")

app = Celery("koel")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Scale-out: a single beat across hosts (docs/deploy.md "Running on several hosts").
from koel import beat_lock  # noqa: E402, F401  (connects beat_init)
