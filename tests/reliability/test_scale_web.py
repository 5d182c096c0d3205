"""Two web processes (as on two hosts behind a load balancer) on one PostgreSQL and one Redis:
both cache an answer, new rates land, and neither serves the cached answer after the write has
committed (the versions the answers are keyed by live in Redis, not in either process)."""

import json
import os
import signal
import subprocess
import urllib.request

import pytest
from django.conf import settings
from django.urls import reverse

from koel.stack import processes
from tests.scrapers.crawling import child_env

from .processes import wait_for
from .streaming import free_port

RATES = reverse("api:rates")


def _serve(port: int, tmp_path) -> subprocess.Popen:
    folder = tmp_path / f"prometheus-{port}"
    folder.mkdir()
    env = child_env(
        KOEL_PORT=str(port),
        WEB_WORKERS="1",
        KOEL_ANON_RATE="10000/minute",
        PROMETHEUS_MULTIPROC_DIR=str(folder),
    )
    log = (tmp_path / f"web-{port}.log").open("w")
    return subprocess.Popen(
        processes(env)["web"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _rate(port: int) -> str | None:
    url = f"http://127.0.0.1:{port}{RATES}?base=EUR&target=USD"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)["rates"][0]["rate"]
    except OSError:
        return None


@pytest.mark.long  # two production web servers
def test_two_web_processes_never_serve_an_answer_cached_before_a_write(
    transactional_db, store, tmp_path
):
    store("ecb", ("EUR", "USD", "1.1000", "2026-12-01T16:00"))
    ports = [free_port(), free_port()]
    webs = [_serve(port, tmp_path) for port in ports]
    try:
        up = wait_for(lambda: all(_rate(port) for port in ports), timeout=60, interval=0.5)
        assert up, [(tmp_path / f"web-{p}.log").read_text()[-2000:] for p in ports]
        before = [_rate(port) for port in ports]  # now cached by both
        store("ecb", ("EUR", "USD", "1.2000", "2026-12-02T16:00"))
        after = [_rate(port) for port in ports]
    finally:
        for web in webs:
            os.killpg(web.pid, signal.SIGTERM)
            web.wait(timeout=20)
    assert before == ["1.1000", "1.1000"]
    assert after == ["1.2000", "1.2000"]
