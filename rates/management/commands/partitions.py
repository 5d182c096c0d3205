"""python manage.py partitions [--list]"""

from django.core.management.base import BaseCommand

from rates.ingest.partitions import partitions_maintain
from rates.table import existing_partitions


class Command(BaseCommand):
    help = (
        "Create the exchange-rate table's monthly partitions from last month to "
        "KOEL_PARTITIONS_AHEAD months ahead, and drop months older than "
        "KOEL_RATE_RETENTION_MONTHS when a retention is set. The daily Celery task runs the same."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--list", action="store_true", help="List partitions and their bounds.")

    def handle(self, *args, list: bool, **options) -> None:
        created, dropped = partitions_maintain()
        for name in created:
            self.stdout.write(f"created {name}")
        for name in dropped:
            self.stdout.write(f"dropped {name}")
        partitions = existing_partitions()
        if list:
            for name, bound in sorted(partitions.items()):
                self.stdout.write(f"{name}  {bound}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(partitions)} partitions; {len(created)} created, {len(dropped)} dropped."
            )
        )
