"""The shape of the code stays as docs/architecture.md draws it.

The import rules are import-linter contracts in pyproject.toml; each one is a test here, so
`make test` fails when an arrow breaks. The scraping tasks are queued by name (rates may not
import scrapers), so the names are checked against what the Celery app really registers.
"""

import inspect
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from koel.celery import app
from rates.runs.schedules import SCHEDULES
from rates.runs.scraping import TASKS, Scope

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_contracts_are_declared():
    # A config whose contract list lost its entries would make every test below vanish.
    ids = {contract["id"] for contract in CONTRACTS["contracts"]}
    assert {"rates-not-scrapers", "reads-not-ingest", "compat-not-models", "core-not-web"} <= ids


@pytest.mark.parametrize("contract", [c["id"] for c in CONTRACTS["contracts"]])
def test_import_contract_kept(contract):
    # --no-cache: nothing is written into the work tree; building the graph takes a second.
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", "--contract", contract],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        pytest.fail(result.stdout + result.stderr, pytrace=False)


def registered_tasks() -> dict:
    app.loader.import_default_modules()  # runs autodiscover_tasks, as a worker does on start
    return app.tasks


@pytest.mark.parametrize("scope", list(Scope))
def test_scraping_task_names_are_registered(scope):
    tasks = registered_tasks()
    assert TASKS[scope] in tasks, f"{TASKS[scope]} is queued by name but no task has that name"
    # scrape_enqueue sends (target, trigger) positionally: the task must take both.
    signature = inspect.signature(tasks[TASKS[scope]].run)
    signature.bind("primary", "manual")


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_beat_schedules_name_registered_tasks(name):
    task, _cron, args, _description = SCHEDULES[name]
    tasks = registered_tasks()
    assert task in tasks, f"schedule {name!r} names {task}, which no task registers"
    inspect.signature(tasks[task].run).bind(*args)
