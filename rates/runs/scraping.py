"""The one place in `rates` that knows the scraping tasks.

They live in the scrapers app, which depends on this one, so they are queued by name, never
imported. tests/test_architecture.py checks that every name here is a task the Celery app has.
"""

import enum

from celery import current_app
from celery.result import AsyncResult


class Scope(enum.StrEnum):
    """What a scrape covers: a currency group, one base, or one source."""

    GROUP = "group"
    BASE = "base"
    SOURCE = "source"


TASKS = {scope: f"scrapers.tasks.scrape_{scope}" for scope in Scope}


def scrape_lock_name(scope: str, target: str) -> str:
    """The cache lock a scrape task holds for its whole run: one run per scope at a time."""
    return f"koel:scrape:{scope}:{target}"


def scrape_enqueue(
    *, scope: Scope | str, target: str, trigger: str, task_id: str | None = None
) -> AsyncResult:
    """Queue a scrape of `target` (a group, a base or a source code, per `scope`); `task_id`
    names the task (a queued ScrapeRun waits under it, rates.runs.services.run_queue)."""
    return current_app.send_task(TASKS[Scope(scope)], args=[target, trigger], task_id=task_id)
