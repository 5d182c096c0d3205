"""Project-level checks: migrations match the models, settings are deployable."""

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_migrations_match_models():
    out = io.StringIO()
    # --check exits non-zero (SystemExit) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
