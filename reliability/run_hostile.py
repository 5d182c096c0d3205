"""Hostile input, errors and bounds (docs/reliability.md, 6a): thousands of generated cases.

Runs, against the same servers as `make test` (this runs under `python -m koel.stack exec`):
- tests/reliability/test_hostile_*.py with every hostile value (KOEL_HOSTILE_FULL=1) in every
  parameter and path segment of Koel's API, the Frankfurter, OXR and Fixer layers and the pages;
- schemathesis over Koel's /api/schema/ (signed in for the alert endpoints, writes included) and
  Frankfurter's published v1 and v2 specs (../shared/specs/), KOEL_SCHEMATHESIS_EXAMPLES cases
  per operation (default 100; `make test` runs 25-30).
Prints a row per part (cases, failures: a server error, a schema violation or a missed bound)
and exits non-zero when any case failed.

    python -m koel.stack exec .venv/bin/python reliability/run_hostile.py
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = [
    "tests/reliability/test_hostile_errors.py",
    "tests/reliability/test_hostile_bounds.py",
    "tests/reliability/test_hostile_values.py",
    "tests/reliability/test_hostile_pages.py",
    "tests/api/test_schema_conformance.py",
    "tests/compat/test_frankfurter_schemathesis.py",
    "tests/compat/test_oxr_fixer_schemathesis.py",
]


def main() -> int:
    examples = os.environ.get("KOEL_SCHEMATHESIS_EXAMPLES", "100")
    with tempfile.TemporaryDirectory(prefix="koel-hostile-") as workdir:
        report = Path(workdir) / "rows.jsonl"
        env = {
            **os.environ,
            "KOEL_HOSTILE_FULL": "1",
            "KOEL_HOSTILE_REPORT": str(report),
            "KOEL_SCHEMATHESIS_EXAMPLES": examples,
        }
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        command += ["-p", "reliability.hostile_plugin", "-p", "no:logging", *TESTS]
        started = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - started
        rows = (
            [json.loads(line) for line in report.read_text().splitlines()]
            if report.exists()
            else []
        )
    print(f"{'what was tried':<58} {'cases':>7} {'failures':>9}")
    for row in rows:
        print(f"{row['row']:<58} {row['cases']:>7} {row['server_errors']:>9}")
    total, failures = sum(r["cases"] for r in rows), sum(r["server_errors"] for r in rows)
    print(f"{'total':<58} {total:>7} {failures:>9}")
    print(f"pytest: {done.stdout.strip().splitlines()[-1] if done.stdout.strip() else '?'}")
    print(f"{seconds:.0f} s, {examples} schemathesis examples per operation")
    if done.returncode != 0:
        print(done.stdout[-4000:], done.stderr[-2000:], sep="\n")
    return 1 if done.returncode != 0 or failures else 0


if __name__ == "__main__":
    sys.exit(main())
