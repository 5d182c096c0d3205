"""Issue 13, item 4: the API under load for 60 s with full ingests and cache invalidations, then
with 500 stream subscribers across a Redis restart (reliability/load.py says what is measured).
Prints a table; exits non-zero if a goal is missed. Run through `make reliability`, or:

    DATABASE_URL=... .venv/bin/python reliability/run_load.py [--seconds 60 --subscribers 500]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reliability.load import main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60, help="per phase (default 60)")
    parser.add_argument("--interval", type=float, default=5, help="between ingests (default 5)")
    parser.add_argument("--subscribers", type=int, default=500, help="stream clients (default 500)")
    parser.add_argument("--currencies", type=int, default=1000, help="active ones (default all)")
    parser.add_argument("--checked", type=int, default=20, help="pairs read after each ingest")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c (default 16)")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(1 if main(**vars(parse_args())) else 0)
