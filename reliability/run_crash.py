"""Crash consistency (docs/reliability.md, section 3), with repeats.

Runs the crash tests of tests/reliability/ (an ingest SIGKILLed or its backend terminated
mid-write, the ECB import SIGKILLed mid-import, a Celery worker SIGKILLed mid-crawl, the sweep of
interrupted runs) KOEL_CRASH_REPEATS times (default 5), against the servers `make reliability`
gives it, and prints one row per test: cases run and how many held. Exits non-zero when any
case failed.
"""

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# pytest expands no globs: the files are listed here.
TESTS = sorted(
    str(path.relative_to(ROOT)) for path in ROOT.glob("tests/reliability/test_crash_*.py")
)
# The worker and ECB-import kills are marked `long`; pyproject's `-m 'not long'` would leave
# them out silently (deselected tests are not reported).
MARKS = ["-m", "long or not long"]
REPEATS = int(os.environ.get("KOEL_CRASH_REPEATS", "5"))


def main() -> int:
    held, failed = Counter(), Counter()
    for _ in range(REPEATS):
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", *MARKS, *TESTS],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        for line in result.stdout.splitlines():
            outcome, _, test = line.partition(" ")
            # -rA also prints each passed test's captured log, whose ERROR records start a line
            # as a failed test's summary does; only summary lines name a test file.
            if not test.startswith("tests/"):
                continue
            if outcome == "PASSED":
                held[test] += 1
            elif outcome in ("FAILED", "ERROR"):
                failed[test.split(" - ")[0]] += 1
        if result.returncode not in (0, 1):
            print(result.stdout[-3000:], result.stderr[-3000:])
    print("| case | runs | held |")
    print("|---|---|---|")
    for test in sorted(held.keys() | failed.keys()):
        print(f"| {test} | {held[test] + failed[test]} | {held[test]} |")
    return 1 if failed or not held else 0


if __name__ == "__main__":
    sys.exit(main())
