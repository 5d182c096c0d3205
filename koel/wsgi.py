"""WSGI entry point (granian or gunicorn: `koel.wsgi:application`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koel.settings")

application = get_wsgi_application()
