"""The shape of the code stays as docs/architecture.md draws it.

The import rules are import-linter contracts in pyproject.toml; each one is a test here, so
`make test` fails when an arrow breaks, and each is shown to refuse one import it forbids (on a
copy of the code). The scraping tasks are queued by name (rates may not import scrapers), so the
names are checked against what the Celery app really registers.
"""

import inspect
import shutil
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


def lint_imports(cwd: Path, contract: str) -> subprocess.CompletedProcess:
    # --no-cache: nothing is written into the work tree; building the graph takes a second.
    command = [str(LINT_IMPORTS), "--no-cache", "--no-logo", "--contract", contract]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("contract", [c["id"] for c in CONTRACTS["contracts"]])
def test_import_contract_kept(contract):
    result = lint_imports(ROOT, contract)
    if result.returncode:
        pytest.fail(result.stdout + result.stderr, pytrace=False)


# One import per contract that it must refuse, added to a copy of the code.
BREACHES = {
    "rates-not-scrapers": ("rates/cache.py", "import scrapers.manager"),
    "reads-not-ingest": ("rates/reads/__init__.py", "import rates.ingest.services"),
    "compat-not-models": ("rates/compat/__init__.py", "import rates.models"),
    "core-not-web": ("rates/ingest/__init__.py", "import rates.api.views"),
    "spiders-parse-only": ("scrapers/spiders/__init__.py", "import scrapers.pipelines"),
    "rates-layers": ("rates/table.py", "import rates.reads"),
    "rates-not-pages": ("rates/cache.py", "import pages.views"),
    "pages-read-only": ("pages/views.py", "import rates.ingest.services"),
    "rates-not-alerts": ("rates/cache.py", "import alerts.tasks"),
    "alerts-reads-only": ("alerts/evaluation.py", "import rates.models"),
    "rates-not-monitor": ("rates/cache.py", "import monitor.models"),
    "scrapers-not-monitor": ("scrapers/live.py", "import monitor.ticks"),
    "alerts-not-monitor": ("alerts/signals.py", "import monitor.receivers"),
    "monitor-live-feed-layers": ("monitor/crosses.py", "import monitor.ticks"),
    "monitor-page-reads-only": ("monitor/series.py", "import rates.models"),
    "monitor-reads-only": ("monitor/analytics/selectors.py", "import rates.models"),
}


def test_every_contract_has_a_breach():
    # Every contract is proven able to fail; a contract list that lost entries fails here too.
    assert set(BREACHES) == {contract["id"] for contract in CONTRACTS["contracts"]}


@pytest.mark.parametrize("contract", sorted(BREACHES))
def test_import_contract_catches_a_breach(contract, tmp_path):
    # A contract that names a wrong module or allows too much would pass on any code.
    for package in ("koel", "rates", "scrapers", "pages", "alerts", "monitor"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    path, line = BREACHES[contract]
    with (tmp_path / path).open("a") as module:
        module.write(f"\n{line}  # noqa\n")
    result = lint_imports(tmp_path, contract)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout


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
