"""ASGI entry point, for servers that prefer it."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koel.settings")
os.environ.setdefault("KOEL_WEB_PROCESS", "1")  # statement_timeout, as in koel.wsgi

application = get_asgi_application()
