"""Scale-out (docs/reliability.md, "5. Scale-out"): the tests of tests/reliability/test_scale_*.py
(three workers and a host killed mid-crawl, two beats and a takeover, the read replica's router
against a real streaming replica), run ROUNDS times each (KOEL_SCALE_ROUNDS, default 3) to catch
what passes only by luck of timing. Prints one row per test: rounds passed out of rounds run;
exits non-zero unless every round passed.

    python -m koel.stack exec .venv/bin/python reliability/run_scale.py
"""

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Most scale tests are marked `long`; pyproject's `-m 'not long'` would leave them out silently
# (a deselected test is not in the JUnit report, so it would not even count as missing).
MARKS = ["-m", "long or not long"]
ROUNDS = int(os.environ.get("KOEL_SCALE_ROUNDS", "3"))
TESTS = sorted(
    str(path.relative_to(ROOT)) for path in ROOT.glob("tests/reliability/test_scale_*.py")
)


def one_round(report: Path) -> Counter:
    """Run every scale test once; (test name, outcome) counts from pytest's JUnit report."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *MARKS, *TESTS]
    subprocess.run([*command, f"--junitxml={report}"], cwd=ROOT, check=False)
    outcomes = Counter()
    # Our own pytest's report, written to our own temporary folder.
    for case in ET.parse(report).getroot().iter("testcase"):  # noqa: S314
        failed = case.find("failure") is not None or case.find("error") is not None
        skipped = case.find("skipped") is not None
        outcome = "failed" if failed else "skipped" if skipped else "passed"
        outcomes[(case.get("name"), outcome)] += 1
    return outcomes


def main() -> int:
    totals = Counter()
    with tempfile.TemporaryDirectory() as folder:
        for number in range(ROUNDS):
            totals += one_round(Path(folder) / f"round{number}.xml")
    names = sorted({name for name, _ in totals})
    print("| test | rounds passed | failed | skipped |")
    print("|---|---|---|---|")
    for name in names:
        row = [totals[(name, outcome)] for outcome in ("passed", "failed", "skipped")]
        print(f"| `{name}` | {row[0]}/{ROUNDS} | {row[1]} | {row[2]} |")
    return 0 if all(totals[(name, "passed")] == ROUNDS for name in names) else 1


if __name__ == "__main__":
    sys.exit(main())
