"""python manage.py bootstrap — everything `make run` does after `migrate`, idempotently."""

import os

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from rates.ingest.loading import currencies_load, sources_load
from rates.ingest.partitions import partitions_maintain
from rates.models import LatestRates
from rates.runs.schedules import schedules_load


class Command(BaseCommand):
    help = (
        "Load currencies (ISO 4217 + CLDR), sources and periodic schedules; make sure partitions "
        "exist; import the ECB history when no ECB rate is stored yet; create the admin user from "
        "KOEL_ADMIN_USER / KOEL_ADMIN_PASSWORD when both are set and it does not exist yet. "
        "Keeps admin edits."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--skip-history", action="store_true", help="Do not import ECB history."
        )

    def handle(self, *args, skip_history: bool, **options) -> None:
        currencies = currencies_load()
        self.stdout.write(
            f"currencies: {currencies.created} created, {currencies.updated} updated, "
            f"{currencies.kept} kept as edited in admin"
        )
        sources = sources_load()
        self.stdout.write(
            f"sources: {sources.created} created, {sources.updated} refreshed, "
            f"{sources.kept} unchanged"
        )
        self.stdout.write(f"schedules: {schedules_load()} created")
        created, _ = partitions_maintain()
        self.stdout.write(f"partitions: {len(created)} created")
        if not skip_history and not LatestRates.objects.filter(source_id="ecb").exists():
            self.stdout.write("No ECB rates yet: importing the ECB history (first start only).")
            call_command("import_ecb_history", stdout=self.stdout, stderr=self.stderr)
        self._ensure_admin()

    def _ensure_admin(self) -> None:
        username = os.environ.get("KOEL_ADMIN_USER")
        password = os.environ.get("KOEL_ADMIN_PASSWORD")
        if not (username and password):
            return
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            # A password changed in the admin must survive restarts.
            self.stdout.write(f"admin user {username!r} exists; left as it is")
            return
        User.objects.create_superuser(
            username=username, email=os.environ.get("KOEL_ADMIN_EMAIL", ""), password=password
        )
        self.stdout.write(f"admin user {username!r} created")
