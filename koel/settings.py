"""Koel settings: one module, configured from the environment (see .env.example).

Development defaults are safe to run locally; production (DEBUG=0) refuses to start without a
SECRET_KEY and turns on every HTTPS protection that `manage.py check --deploy` asks for.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; real environment variables win

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-koel-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "koel.apps.KoelAdminConfig",  # django.contrib.admin with Koel's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "psqlextra",
    "django_celery_beat",
    "corsheaders",
    "rest_framework",
    "rest_framework.authtoken",  # alerts' API: a user's token (Authorization: Token …)
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served from static, not a CDN
    "csp",
    "axes",  # last of the third-party apps, as its docs ask: login throttling (issue 13, 6b)
    "rates",
    "scrapers",
    "pages",
    "alerts",
    "monitor",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Issue 13, 6b: a Content-Security-Policy on every answer; the anonymous budget of the
    # compatible layers and the pages (after the session: a logged-in user is exempt); django-axes
    # last, as its docs ask.
    "csp.middleware.CSPMiddleware",
    "rates.compat.throttle.LayerThrottleMiddleware",
    "axes.middleware.AxesMiddleware",
    # A view's database error becomes a 503 (docs/reliability.md, section 2).
    "rates.api.unavailable.DatabaseUnavailableMiddleware",
    # Innermost (its process_exception runs first): a cancelled statement is a 503 in the
    # shape of the layer asked.
    "rates.http.timeouts.StatementTimeoutMiddleware",
]

ROOT_URLCONF = "koel.urls"
WSGI_APPLICATION = "koel.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# `make run` / `make test` export DATABASE_URL for the embedded server when none is given.
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/koel")}
# libpq URIs spell a Unix-socket directory as a percent-encoded host (postgres://u@%2Fpath/db).
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST", ""))
DATABASES["default"]["ENGINE"] = "psqlextra.backend"  # partitioned tables (django-postgres-extra)
# Persistent connections: a new connection per request costs more than the query itself.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL down or restarting: requests fail within seconds with a 503 (rates/api/unavailable.py)
DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
    "connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=3)
)
PSQLEXTRA_PARTITIONING_MANAGER = "rates.ingest.partitions.manager"
# Koel uses no hstore column, and the embedded PostgreSQL ships no contrib extensions.
POSTGRES_EXTRA_AUTO_EXTENSION_SET_UP = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Statement timeout for the web process only (issue 13, docs/reliability.md 6a) -----------
# koel.wsgi sets KOEL_WEB_PROCESS before settings load, so granian's workers get it and Celery's
# workers, ingests, imports and management commands never do. A cancelled statement answers 503
# (rates.http.timeouts). 0 turns it off.
KOEL_WEB_STATEMENT_TIMEOUT_MS = env.int("KOEL_WEB_STATEMENT_TIMEOUT_MS", default=5000)
if env.bool("KOEL_WEB_PROCESS", default=False) and KOEL_WEB_STATEMENT_TIMEOUT_MS > 0:
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _timeout = f"-c statement_timeout={KOEL_WEB_STATEMENT_TIMEOUT_MS}"
    _options["options"] = f"{_options.get('options', '')} {_timeout}".strip()

# --- Redis: cache and Celery broker -----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")


def _celery_broker_url(redis_url: str) -> str:
    # redis-py spells a Unix socket `unix:///path`; Celery's transport spells it `redis+socket://`.
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url.removeprefix("unix://")
    return redis_url


CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("KOEL_CACHE_PREFIX", default="koel"),
        "TIMEOUT": env.int("KOEL_CACHE_TIMEOUT", default=3600),
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            # Redis down: reads answer from the database, one log line per outage, and Redis is
            # asked again by itself (rates/redis_outage.py; docs/reliability.md, section 2).
            "CONNECTION_POOL_CLASS": "rates.redis_outage.GuardedConnectionPool",
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": env.float("KOEL_REDIS_CONNECT_TIMEOUT", default=1.0),
            "SOCKET_TIMEOUT": env.float("KOEL_REDIS_TIMEOUT", default=5.0),
        },
    }
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "koel.redis"  # filtered: rates.redis_outage.FirstFailureOnly
# Seconds a process waits, after Redis failed, before it asks Redis again.
KOEL_REDIS_RETRY_SECONDS = env.float("KOEL_REDIS_RETRY_SECONDS", default=5.0)

# Mail (alerts' email channel): EMAIL_URL as django-environ reads it, e.g.
# smtp+tls://user:password@smtp.example.com:587; the default prints mail to the console.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="koel@localhost")

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=_celery_broker_url(REDIS_URL))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=660)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
DJANGO_CELERY_BEAT_TZ_AWARE = True

# --- Scale-out (docs/deploy.md "Running on several hosts") -------------------------------------
# A streaming read replica for the rates' reads (rates/replica.py decides when it may be used).
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **DATABASES["default"],
        **env.db("DATABASE_REPLICA_URL"),
        "ENGINE": "psqlextra.backend",
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},  # tests read their own (uncommitted) rows
    }
    DATABASES["replica"]["HOST"] = unquote(DATABASES["replica"].get("HOST", ""))
    # A replica that does not answer must not hold a request up for long.
    DATABASES["replica"]["OPTIONS"] = {"connect_timeout": env.int("KOEL_REPLICA_TIMEOUT", 2)}
    DATABASE_ROUTERS = ["rates.replica.ReplicaRouter"]
# Seconds a replica found down (or not replaying) is left alone before it is asked again.
KOEL_REPLICA_RETRY_SECONDS = env.int("KOEL_REPLICA_RETRY_SECONDS", default=10)
# A worker that dies mid-task (killed, its host lost) must not lose the task: it is acknowledged
# only once it has finished, a pool process that dies rejects it back to the queue at once, and
# a message a dead worker had taken is handed to another worker once the broker's visibility
# timeout passes. That timeout must outlast the longest task's hard time limit (the scrape
# tasks': KOEL_SCRAPE_TIME_LIMIT + 60), or a task still running would be delivered again.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
KOEL_BROKER_VISIBILITY_TIMEOUT = env.int(
    "KOEL_BROKER_VISIBILITY_TIMEOUT",
    default=env.int("KOEL_SCRAPE_TIME_LIMIT", default=3600) + 60 + 300,
)
# Each worker looks for such messages every this many seconds (kombu's default scans every
# 10th 10-second tick; one indexed ZRANGE a minute per worker costs nothing).
KOEL_BROKER_RESTORE_SECONDS = env.int("KOEL_BROKER_RESTORE_SECONDS", default=60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": KOEL_BROKER_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": KOEL_BROKER_RESTORE_SECONDS,
    "unacked_restore_throttle": 1,
}
# One beat at a time across hosts (koel/beat_lock.py): a second one waits for the lock.
KOEL_BEAT_LOCK_SECONDS = env.int("KOEL_BEAT_LOCK_SECONDS", default=60)
for _name in (
    "KOEL_REPLICA_RETRY_SECONDS",
    "KOEL_BROKER_VISIBILITY_TIMEOUT",
    "KOEL_BROKER_RESTORE_SECONDS",
    "KOEL_BEAT_LOCK_SECONDS",
):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be a positive number of seconds.")

# --- Koel ------------------------------------------------------------------------------------
# Months of rate history kept in the partitioned table; 0 keeps everything.
KOEL_RATE_RETENTION_MONTHS = env.int("KOEL_RATE_RETENTION_MONTHS", default=0)
if KOEL_RATE_RETENTION_MONTHS < 0:
    raise ImproperlyConfigured("KOEL_RATE_RETENTION_MONTHS must be 0 (keep all) or positive.")
# Monthly partitions created ahead of the current month by the daily maintenance task.
KOEL_PARTITIONS_AHEAD = env.int("KOEL_PARTITIONS_AHEAD", default=3)
# Cross rates are computed through these pivots, in this order.
KOEL_PIVOT_CURRENCIES = env.list("KOEL_PIVOT_CURRENCIES", default=["USD", "EUR"])
# How far back "the rate in force at an instant" may look for the last observation.
KOEL_RATE_LOOKBACK_DAYS = env.int("KOEL_RATE_LOOKBACK_DAYS", default=14)

# --- API ------------------------------------------------------------------------------------
# How long an answer stays in the cache (it is invalidated by new rates anyway), and the
# max-age clients and proxies are told.
KOEL_API_CACHE_SECONDS = env.int("KOEL_API_CACHE_SECONDS", default=3600)
# How long a write's "in flight" mark on its bases' cache versions counts (rates/cache_marks.py):
# past it, a writer killed between its mark and its commit no longer keeps them uncached.
KOEL_CACHE_WRITE_SECONDS = env.float("KOEL_CACHE_WRITE_SECONDS", default=60.0)
KOEL_API_MAX_AGE = env.int("KOEL_API_MAX_AGE", default=60)
# Replay cached answers in front of Django, one Redis round trip each (rates/http/replay.py).
KOEL_REPLAY = env.bool("KOEL_REPLAY", default=True)
# Bytes of stored answers each server process keeps, so that Redis need not send them again.
KOEL_REPLAY_MEMO_BYTES = env.int("KOEL_REPLAY_MEMO_BYTES", default=32 * 1024 * 1024)
# Blending (rates/reads/blending.py): quotes within a pair's refresh window of the newest one count;
# with three or more, those further than the outlier percentage from their median are excluded.
KOEL_BLEND_WINDOW_HOURS = {
    "primary": env.int("KOEL_BLEND_WINDOW_PRIMARY_HOURS", default=6),
    "secondary": env.int("KOEL_BLEND_WINDOW_SECONDARY_HOURS", default=12),
}
KOEL_BLEND_OUTLIER_PERCENT = env.float("KOEL_BLEND_OUTLIER_PERCENT", default=1.0)
# Anonymous API clients are throttled to this rate (DRF syntax); a valid API key lifts it.
KOEL_ANON_RATE = env.str("KOEL_ANON_RATE", default="120/minute")
# Compatible APIs (Open Exchange Rates, Fixer): keys accepted besides those issued in the admin,
# and the texts of OXR's `disclaimer` and `license` fields.
KOEL_COMPAT_KEYS = env.list("KOEL_COMPAT_KEYS", default=[])
KOEL_COMPAT_DISCLAIMER = env.str(
    "KOEL_COMPAT_DISCLAIMER",
    default="Rates gathered by a self-hosted Koel from public sources; provided as is.",
)
KOEL_COMPAT_LICENSE = env.str("KOEL_COMPAT_LICENSE", default="See this Koel instance's operator.")
# Origins allowed to call the API from a browser (CORS); empty allows none, "*" allows all.
KOEL_CORS_ORIGINS = env.list("KOEL_CORS_ORIGINS", default=[])
CORS_ALLOW_ALL_ORIGINS = KOEL_CORS_ORIGINS == ["*"]
CORS_ALLOWED_ORIGINS = [] if CORS_ALLOW_ALL_ORIGINS else KOEL_CORS_ORIGINS
CORS_URLS_REGEX = r"^/(api|v1|v2|fixer)/.*$"  # the APIs, not the admin
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After"]

# --- Push stream (monitor/stream/, docs/monitor.md) ---------------------------------------------
# The stream's own (ASGI) server listens on KOEL_STREAM_PORT; pages and the WSGI server's
# redirect point at KOEL_STREAM_URL (scheme://host[:port]) when set, else this host on that port.
KOEL_STREAM_PORT = env.int("KOEL_STREAM_PORT", default=env.int("KOEL_PORT", default=8000) + 1)
KOEL_STREAM_URL = env.str("KOEL_STREAM_URL", default="")
# A comment line after this many quiet seconds keeps proxies from closing an idle stream.
KOEL_STREAM_HEARTBEAT_SECONDS = env.float("KOEL_STREAM_HEARTBEAT_SECONDS", default=15.0)
# The `retry:` sent to clients: how long an EventSource waits before reconnecting (ms).
KOEL_STREAM_RETRY_MS = env.int("KOEL_STREAM_RETRY_MS", default=3000)
# Events kept for clients reconnecting with Last-Event-ID, and events a slow client may fall
# behind before its stream is ended (it then reconnects and catches up from that log). A full
# scrape of every pair is 24,180 events: 100,000 keeps about four, ~19 MB of Redis (192 bytes an
# event, measured; docs/monitor.md, "Resuming").
KOEL_STREAM_REPLAY_LENGTH = env.int("KOEL_STREAM_REPLAY_LENGTH", default=100_000)
KOEL_STREAM_QUEUE = env.int("KOEL_STREAM_QUEUE", default=1000)

# --- Scraping --------------------------------------------------------------------------------
# API keys of the sources that need one (a source is skipped while its key is empty).
KOEL_FRED_API_KEY = env.str("KOEL_FRED_API_KEY", default="")
KOEL_EXCHANGERATE_API_KEY = env.str("KOEL_EXCHANGERATE_API_KEY", default="")
# A crawl process is killed after this many seconds; a whole scrape task after this many.
KOEL_CRAWL_TIME_LIMIT = env.int("KOEL_CRAWL_TIME_LIMIT", default=600)
KOEL_SCRAPE_TIME_LIMIT = env.int("KOEL_SCRAPE_TIME_LIMIT", default=3600)
# A scrape that stored nothing is retried this many times, after 5 min, 10 min, ... by default.
KOEL_SCRAPE_RETRIES = env.int("KOEL_SCRAPE_RETRIES", default=2)
KOEL_SCRAPE_RETRY_DELAY = env.int("KOEL_SCRAPE_RETRY_DELAY", default=300)
# Scrapy settings for every crawl the manager starts, e.g. "RETRY_TIMES=5,LOG_LEVEL=DEBUG".
KOEL_CRAWL_SETTINGS = env.dict("KOEL_CRAWL_SETTINGS", default={})
# A scraped rate further than this (percent) from the pair's last stored rate is quarantined.
KOEL_QUARANTINE_BAND = env.float("KOEL_QUARANTINE_BAND", default=20.0)
# A scraped rate dated more than this many days before the pair's newest stored rate is
# rejected as stale (a site still showing an old page; the weekly Fed H.10 lags ~10 days).
KOEL_STALE_QUOTE_DAYS = env.int("KOEL_STALE_QUOTE_DAYS", default=14)
# Circuit breaker: after this many consecutive failures a source is skipped for the cool-down.
KOEL_BREAKER_FAILURES = env.int("KOEL_BREAKER_FAILURES", default=3)
KOEL_BREAKER_COOLDOWN_MINUTES = env.int("KOEL_BREAKER_COOLDOWN_MINUTES", default=30)
# Single-pair requests one run may make to fill targets the multi-pair sources missed.
KOEL_SINGLE_PAIR_BUDGET = env.int("KOEL_SINGLE_PAIR_BUDGET", default=60)
# Offline demo: every source is pointed at `manage.py serve_fixtures` on this address.
KOEL_DEMO = env.bool("KOEL_DEMO", default=False)
KOEL_DEMO_URL = env.str("KOEL_DEMO_URL", default="http://127.0.0.1:8765")

# --- Live feed (monitor/, docs/monitor.md "Live feed") -----------------------------------------
# The sources the live tick asks, in failover order: single-pair sources publishing live
# mid-market prices. The daily sources never run on the live schedule.
KOEL_LIVE_SOURCES = env.list("KOEL_LIVE_SOURCES", default=["yahoo", "wise"])
# The live tick's interval when bootstrap creates its schedule (then edited in the admin).
KOEL_LIVE_INTERVAL_SECONDS = env.int("KOEL_LIVE_INTERVAL_SECONDS", default=30)
# Politeness: requests a minute one live source may get (one per live pair per tick).
KOEL_LIVE_BUDGET_PER_MINUTE = env.int("KOEL_LIVE_BUDGET_PER_MINUTE", default=50)
# Seconds to wait for one live request before failing over to the next source.
KOEL_LIVE_TIMEOUT = env.float("KOEL_LIVE_TIMEOUT", default=5.0)
# {source: base URL} overriding a live source's (tests, benchmarks; KOEL_DEMO points at the demo).
KOEL_LIVE_BASE_URLS = env.dict("KOEL_LIVE_BASE_URLS", default={})
# Sub-daily live ticks older than this many days are folded into hourly bars.
KOEL_LIVE_RETENTION_DAYS = env.int("KOEL_LIVE_RETENTION_DAYS", default=90)
if min(KOEL_LIVE_INTERVAL_SECONDS, KOEL_LIVE_BUDGET_PER_MINUTE, KOEL_LIVE_RETENTION_DAYS) < 1:
    raise ImproperlyConfigured(
        "KOEL_LIVE_INTERVAL_SECONDS, KOEL_LIVE_BUDGET_PER_MINUTE and KOEL_LIVE_RETENTION_DAYS "
        "must be positive."
    )

# --- Operators (rates/runs/health_checks.py, rates/metrics.py, rates/slack.py) ----------------
# /health/: seconds to wait for the database, Redis or the broker; the worker's heartbeat and
# beat's last tick count as down when older than these many seconds.
KOEL_HEALTH_TIMEOUT = env.int("KOEL_HEALTH_TIMEOUT", default=2)
KOEL_HEALTH_WORKER_MAX_AGE = env.int("KOEL_HEALTH_WORKER_MAX_AGE", default=180)
KOEL_HEALTH_BEAT_MAX_AGE = env.int("KOEL_HEALTH_BEAT_MAX_AGE", default=600)
# A currency group is stale once its newest rate is older than the longest gap between its
# scheduled scrapes plus this (the admin dashboard and /health/).
KOEL_FRESHNESS_GRACE_MINUTES = env.int("KOEL_FRESHNESS_GRACE_MINUTES", default=30)
# /metrics is off while this is empty; with it set, scrapers send `Authorization: Bearer <it>`.
KOEL_METRICS_TOKEN = env.str("KOEL_METRICS_TOKEN", default="")
# Errors and failed scrape runs are posted to this Slack-compatible incoming webhook
# (rates/slack.py), one message per window of this many seconds however many happen.
KOEL_SLACK_WEBHOOK_URL = env.str("KOEL_SLACK_WEBHOOK_URL", default="")
KOEL_SLACK_WINDOW_SECONDS = env.int("KOEL_SLACK_WINDOW_SECONDS", default=300)
for _name in (
    "KOEL_HEALTH_TIMEOUT",
    "KOEL_HEALTH_WORKER_MAX_AGE",
    "KOEL_HEALTH_BEAT_MAX_AGE",
    "KOEL_SLACK_WINDOW_SECONDS",
):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be a positive number of seconds.")
if KOEL_FRESHNESS_GRACE_MINUTES < 0:
    raise ImproperlyConfigured("KOEL_FRESHNESS_GRACE_MINUTES must be 0 or more.")

# --- Alerts (alerts/targets.py) -------------------------------------------------------------
# Webhook, Slack and data-webhook URLs naming or resolving to loopback, private, link-local or
# other non-public addresses are refused unless this is on (receivers on a self-hosted LAN).
KOEL_WEBHOOKS_ALLOW_PRIVATE = env.bool("KOEL_WEBHOOKS_ALLOW_PRIVATE", default=False)

# --- Auth, i18n, static ----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django.contrib.auth.urls under /accounts/ (koel/urls.py); a user who logs in manages alerts.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "alerts-page:index"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- HTTPS and cookies (production) ----------------------------------------------------------
# Behind a TLS-terminating proxy set KOEL_TRUST_X_FORWARDED_PROTO=1 so redirects see HTTPS.
if env.bool("KOEL_TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("KOEL_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("KOEL_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("KOEL_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("KOEL_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# Health checks probe plain HTTP from inside the network; everything else is redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^health/$", r"^metrics$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Hostile input: headers and logins (issue 13, 6b; docs/reliability.md) ---------------------
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Every page's scripts and styles are Koel's own static files (vendored uPlot included); the
# docs pages' inline bootstrap code carries the request's nonce (templates/drf_spectacular/).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],  # only on an answer whose template used it
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# django-axes: a username and address pair is locked out after this many wrong passwords (the
# admin's login and /accounts/login/, both through django.contrib.auth.authenticate), for the
# cool-off; a success resets the count. The address is the throttles' (KOEL_NUM_PROXIES).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("KOEL_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("KOEL_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "rates.compat.throttle.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# --- API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rates.api.pagination.BoundedLimitOffsetPagination",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rates.api.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_CLASSES": ["rates.api.auth.AnonymousThrottle"],  # KOEL_ANON_RATE
    # Proxies in front whose X-Forwarded-For is trusted to name the client (throttling); with 0
    # the header is ignored, so a client cannot pick its own identity.
    "NUM_PROXIES": env.int("KOEL_NUM_PROXIES", default=0),
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "rates.api.negotiation.CommonAcceptNegotiation",
    "EXCEPTION_HANDLER": "rates.api.errors.exception_handler",
    "URL_FORMAT_OVERRIDE": None,  # `format` is the history endpoint's own parameter (csv)
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Koel exchange-rate API",
    "DESCRIPTION": "Exchange rates for 155+ currencies gathered from public sources, with history.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from drf-spectacular-sidecar's pinned static files, on Koel's origin (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge fetched from the public validator.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Two choice sets share the field name `outcome`: named here, so that `check --deploy` (and
    # the schema) have no drf_spectacular.W001 collision to warn about.
    "ENUM_NAME_OVERRIDES": {
        "DeliveryOutcomeEnum": "alerts.models.Outcome",
        "AttemptOutcomeEnum": "alerts.models.AttemptOutcome",
    },
}

# --- Logging ---------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("KOEL_LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("KOEL_LOG_FORMAT must be plain or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        # One JSON object per line; `extra={...}` fields (run ids, counts) become keys.
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
if KOEL_SLACK_WEBHOOK_URL:
    # On the named loggers, not the root: a Celery worker replaces the root logger's handlers.
    LOGGING["handlers"]["slack"] = {
        "class": "rates.slack.SlackHandler",
        "level": "ERROR",
        "url": KOEL_SLACK_WEBHOOK_URL,
        "window": KOEL_SLACK_WINDOW_SECONDS,
    }
    LOGGING["loggers"] = {
        name: {"handlers": ["slack"]}
        for name in ("koel", "rates", "scrapers", "pages", "django", "celery")
    }

# --- Monitor page (/monitor/) -----------------------------------------------------------------
# How often the page polls /api/v1/monitor/live/ when it cannot hold the push stream open.
KOEL_MONITOR_POLL_SECONDS = env.int("KOEL_MONITOR_POLL_SECONDS", default=30)
if KOEL_MONITOR_POLL_SECONDS < 1:
    raise ImproperlyConfigured("KOEL_MONITOR_POLL_SECONDS must be 1 or more.")
# django-redis's ignored errors: the first of an outage, not its per-request repeats.
LOGGING["filters"] = {"redis_down": {"()": "rates.redis_outage.FirstFailureOnly"}}
LOGGING.setdefault("loggers", {}).setdefault(DJANGO_REDIS_LOGGER, {})["filters"] = ["redis_down"]
