"""/healthz: is this instance able to serve? For load balancers and operators."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from inventory_site.tasks import HEARTBEAT_KEY

# Beat stamps a heartbeat every 30 s through the worker; older than this, the worker is down.
WORKER_STALE_AFTER = 120


def _check_database() -> dict:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down", reported as text
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def _check_redis() -> dict:
    started = time.monotonic()
    try:
        client = cache._cache.get_client(write=True)  # the configured Redis connection
        client.ping()
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def _check_worker() -> dict:
    try:
        stamp = cache.get(HEARTBEAT_KEY)
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": f"cannot read heartbeat: {type(exc).__name__}"}
    if stamp is None:
        return {"ok": False, "error": "no worker heartbeat yet (is the worker running, and beat?)"}
    try:
        age = round(time.time() - float(stamp), 1)
    except (TypeError, ValueError):
        return {"ok": False, "error": f"unreadable worker heartbeat {stamp!r}"[:300]}
    if age >= WORKER_STALE_AFTER:
        return {
            "ok": False,
            "last_heartbeat_seconds_ago": age,
            "error": f"last worker heartbeat is {age:.0f} s old (stale after {WORKER_STALE_AFTER} s); "
            "is the worker running, and beat?",
        }
    return {"ok": True, "last_heartbeat_seconds_ago": age}


@never_cache
def healthz(request):
    checks = {"database": _check_database(), "redis": _check_redis(), "worker": _check_worker()}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)
