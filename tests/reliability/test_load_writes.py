"""A short run of reliability/run_load.py (docs/reliability.md, "4. Load with writes"): a few
seconds of API load per phase with ingests every 2 s and the stale-read checker, then 50 stream
subscribers across a restart of the run's own Redis. The run's servers (granian WSGI and ASGI, as
in production) use the test database; its Redis is its own."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from rates.ingest.loading import currencies_load, sources_load

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def committed_catalog(transactional_db):
    currencies_load()
    sources_load()


def database_url() -> str:
    db = connection.settings_dict
    host = db["HOST"].replace("/", "%2F") or "127.0.0.1"
    return f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.long  # a minute and a half of load, ingests and a Redis restart
@pytest.mark.usefixtures("committed_catalog")
def test_load_with_writes_and_a_redis_restart_meets_every_goal():
    command = [sys.executable, "reliability/run_load.py", "--seconds", "3", "--interval", "2"]
    command += ["--subscribers", "50", "--currencies", "12", "--checked", "6"]
    env = {**os.environ, "DATABASE_URL": database_url()}
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    goals = [line for line in run.stdout.splitlines() if line.startswith("goal: ")]

    assert len(goals) == 7, run.stdout + run.stderr
    missed = [g for g in goals if g.endswith("NOT met")]
    assert not missed, run.stdout
