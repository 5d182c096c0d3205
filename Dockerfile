# syntax=docker/dockerfile:1
# Koel image: one image for every role (web, Celery worker, Celery beat, one-shot migrate).
#   docker build -t koel .
#   docker run ... koel            -> granian WSGI server on :8000 (see docker/entrypoint.sh)
#   docker run ... koel migrate    -> migrate + bootstrap, then exit
#   docker run ... koel celery -A koel worker -l INFO
# Deployment with PostgreSQL and Redis: docker-compose.yml and docs/deploy.md.

# --- Dependencies, in a virtualenv copied whole into the runtime stage ------------------------
FROM python:3.11-slim AS deps

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv
COPY requirements/ /tmp/requirements/
RUN /opt/venv/bin/pip install -r /tmp/requirements/base.txt

# --- Runtime ----------------------------------------------------------------------------------
FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=koel.settings

RUN groupadd --system --gid 10001 koel \
    && useradd --system --uid 10001 --gid koel --create-home --home-dir /home/koel \
       --shell /usr/sbin/nologin koel

COPY --from=deps /opt/venv /opt/venv

WORKDIR /app
COPY . /app

# Static files are collected into the image (served by WhiteNoise with the manifest storage that
# DEBUG=0 selects). The SECRET_KEY here exists for this step only: it is not kept in the image's
# environment, and settings refuse to start without a real one at run time.
RUN chmod 0755 docker/entrypoint.sh \
    && DEBUG=0 SECRET_KEY=collectstatic-build-only-not-a-secret \
       python manage.py collectstatic --noinput --verbosity 0 \
    && python -m compileall -q .

# The code stays owned by root: the app user (koel, numeric so that runAsNonRoot can check it)
# can read it, not change it.
USER 10001:10001

EXPOSE 8000 8001
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
