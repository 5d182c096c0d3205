"""Production serves the pages' CSS and JS under hashed names (collectstatic's manifest,
whitenoise), so they can be cached for a year; a template naming a missing file would fail."""

import re

from django.core.management import call_command

# settings.py's production storage is whitenoise's CompressedManifestStaticFilesStorage: this
# manifest (the hashing it extends) without the compression, which would take 13 s here.
MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"


def test_converter_links_hashed_static_files_in_production(client, currencies, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST}}
    call_command("collectstatic", "--noinput", verbosity=0)

    text = client.get("/").text

    for name in ("koel/layout", "pages/converter"):
        assert re.search(rf'href="/static/{name}\.[0-9a-f]{{12}}\.css"', text), name
    for name in ("pages/combobox", "pages/converter"):
        assert re.search(rf'src="/static/{name}\.[0-9a-f]{{12}}\.js"', text), name
