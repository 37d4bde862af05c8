"""/healthz tells a load balancer or an operator whether the database, Redis and a Celery
worker are alive. The worker part is checked against a real worker process."""

import time

import pytest
from django.core.cache import cache

from inventory_site.health import WORKER_STALE_AFTER
from inventory_site.tasks import HEARTBEAT_KEY, heartbeat_task

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def no_heartbeat():
    """Start and end without a heartbeat, so no test sees another test's stamp."""
    cache.delete(HEARTBEAT_KEY)
    yield
    cache.delete(HEARTBEAT_KEY)


def test_with_the_worker_running_and_a_heartbeat_every_check_is_ok(client, celery_worker_process, no_heartbeat):
    stamped_at = heartbeat_task.delay().get(timeout=30)

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    assert body["checks"]["worker"] == {"ok": True, "last_heartbeat_seconds_ago": pytest.approx(0, abs=30)}
    # The stamp /healthz read is the one the worker process wrote.
    assert cache.get(HEARTBEAT_KEY) == stamped_at


def test_without_a_heartbeat_the_worker_is_reported_down_with_503(client, celery_worker_process, no_heartbeat):
    heartbeat_task.delay().get(timeout=30)
    cache.delete(HEARTBEAT_KEY)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["worker"]["ok"] is False
    assert "no worker heartbeat" in body["checks"]["worker"]["error"]
    assert body["checks"]["database"]["ok"] is True and body["checks"]["redis"]["ok"] is True


def test_a_stale_heartbeat_reports_the_worker_down_with_503(client, no_heartbeat):
    cache.set(HEARTBEAT_KEY, time.time() - WORKER_STALE_AFTER - 5, timeout=None)

    response = client.get("/healthz")

    assert response.status_code == 503
    worker = response.json()["checks"]["worker"]
    assert worker["ok"] is False
    assert worker["last_heartbeat_seconds_ago"] >= WORKER_STALE_AFTER
    assert "stale" in worker["error"]


def test_healthz_is_never_cached_and_needs_no_sign_in(client, no_heartbeat):
    response = client.get("/healthz")

    assert response.status_code == 503  # no heartbeat, but an answer rather than a login redirect
    assert "no-cache" in response["Cache-Control"]
    assert set(response.json()["checks"]) == {"database", "redis", "worker"}
