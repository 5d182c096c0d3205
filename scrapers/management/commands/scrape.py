"""python manage.py scrape group primary | base USD | source ecb [--sync] [--trigger manual]"""

from django.core.management.base import BaseCommand, CommandError

from rates.models import RunStatus
from scrapers.manager import Scope, scrape
from scrapers.tasks import scrape_base, scrape_group, scrape_source

TASKS = {Scope.GROUP: scrape_group, Scope.BASE: scrape_base, Scope.SOURCE: scrape_source}


class Command(BaseCommand):
    help = (
        "Scrape a currency group, one base or one source now, with the scheduled runs' failover. "
        "Queues the Celery task (a worker runs it); --sync runs it in this process instead and "
        "prints the run's summary, exiting non-zero when the run stored nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("scope", choices=[Scope.GROUP, Scope.BASE, Scope.SOURCE])
        parser.add_argument("target", help="primary or secondary; a currency code; a source code")
        parser.add_argument("--sync", action="store_true", help="Run here, not in a worker.")
        parser.add_argument("--trigger", default="manual", help="Recorded on the run.")

    def handle(self, *args, scope: str, target: str, sync: bool, trigger: str, **options):
        target = target.upper() if scope == Scope.BASE else target
        if not sync:
            result = TASKS[scope].delay(target, trigger=trigger)
            self.stdout.write(f"queued scrape of {scope} {target}: task {result.id}")
            return
        try:
            run = scrape(scope=scope, target=target, trigger=trigger)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for attempt in run.attempts:
            detail = attempt.get("error") or attempt.get("reason") or ""
            self.stdout.write(
                f"  {attempt['source']:<18} {attempt['outcome']:<8} "
                f"{attempt.get('written', 0):>5} written  {', '.join(attempt['bases'])[:60]}"
                + (f"  {detail}" if detail else "")
            )
        for error in run.errors:
            self.stdout.write(f"  {error}")
        summary = (
            f"run {run.id} {run.status}: {run.rates_stored} stored, {run.rates_derived} derived, "
            f"{run.rates_quarantined} quarantined in {run.duration:.1f} s"
        )
        if run.status == RunStatus.FAILED:
            raise CommandError(summary)
        style = self.style.SUCCESS if run.status == RunStatus.SUCCEEDED else self.style.WARNING
        self.stdout.write(style(summary))
