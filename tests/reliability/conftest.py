# The real WSGI stack (ReplayApp in front of Django) and a stored EUR/USD rate, as the replay's
# own tests use them.
from tests.api.test_replay import app, eur_usd, get  # noqa: F401 - fixtures
