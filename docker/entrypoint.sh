#!/bin/sh
# Koel container entrypoint.
#
#   web      (default) granian WSGI server on 0.0.0.0:8000; with KOEL_MIGRATE_ON_START=1 it first
#            runs `migrate` + `bootstrap` (single-container use: docker compose runs a one-shot
#            `migrate` service instead, so that web, worker and beat never migrate concurrently)
#   stream   the push stream's ASGI server (granian --interface asgi) on 0.0.0.0:8001
#   migrate  `manage.py migrate --noinput` then `manage.py bootstrap`, then exit
#   anything else is run as given, e.g. `celery -A koel worker -l INFO` or `python manage.py shell`
set -eu

cd "$(dirname "$0")/.."

migrate() {
    python manage.py migrate --noinput
    python manage.py bootstrap
}

case "${1:-web}" in
    web)
        case "${KOEL_MIGRATE_ON_START:-0}" in
            1 | true | yes) migrate ;;
            *) ;;
        esac
        # prometheus-client's multiprocess mode: the workers' request counts, summed by /metrics.
        export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/koel-prometheus}"
        rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
        exec granian --interface wsgi --host 0.0.0.0 --port 8000 \
            --workers "${WEB_WORKERS:-2}" --backpressure "${WEB_BACKPRESSURE:-16}" \
            --blocking-threads "${WEB_THREADS:-2}" \
            koel.wsgi:application
        ;;
    stream)
        # One worker holds one Redis subscription for all its streams; each open stream is a
        # request in flight, hence the bounds far above the web server's.
        exec granian --interface asgi --host 0.0.0.0 --port 8001 \
            --workers "${STREAM_WORKERS:-1}" --backpressure "${STREAM_CONNECTIONS:-4096}" \
            --backlog "${STREAM_CONNECTIONS:-4096}" \
            koel.asgi:application
        ;;
    migrate)
        migrate
        ;;
    *)
        exec "$@"
        ;;
esac
