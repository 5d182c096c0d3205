"""Settings for bench/api.py's server: Koel's own, with the bench-only URLconf (bench.api_urls).

Everything else (middleware, cache, database, DEBUG from the environment) is production's.
"""

from koel.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
