"""A pytest plugin for reliability/run_hostile.py: counts the requests schemathesis made per test
module and the operations that failed, and appends them to KOEL_HOSTILE_REPORT as rows."""

import json
import os
from collections import Counter

import schemathesis

calls: Counter = Counter()
failed: Counter = Counter()


def _module() -> str:
    return os.environ.get("PYTEST_CURRENT_TEST", "?").split("::")[0]


def pytest_configure(config) -> None:
    original = schemathesis.Case.call_and_validate

    def counted(self, *args, **kwargs):
        calls[_module()] += 1
        return original(self, *args, **kwargs)

    schemathesis.Case.call_and_validate = counted


def pytest_runtest_logreport(report) -> None:
    if report.when == "call" and report.failed:
        failed[report.nodeid.split("::")[0]] += 1


def pytest_sessionfinish(session) -> None:
    with open(os.environ["KOEL_HOSTILE_REPORT"], "a") as out:
        for module, cases in sorted(calls.items()):
            row = {
                "row": f"schemathesis: {module}",
                "cases": cases,
                "server_errors": failed[module],
            }
            out.write(json.dumps(row) + "\n")
