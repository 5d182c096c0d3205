# The real WSGI stack (ReplayApp in front of Django) and a stored EUR/USD rate, as the replay's
# own tests use them; the cache on a throwaway Redis, stopped and started at will.
from tests.api.test_replay import app, eur_usd, get  # noqa: F401 - fixtures
from tests.reliability.test_dependencies import redis_server  # noqa: F401 - a fixture
