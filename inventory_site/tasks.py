"""Celery plumbing shared by every app: the tenant-aware task base and the worker heartbeat."""

from __future__ import annotations

import time

from celery import Task, shared_task
from django.core.cache import cache
from django.db import close_old_connections

from inventory_site.tenancy import clear_tenant_context, rls_bypass, tenant_context

HEARTBEAT_KEY = "backstock:worker-heartbeat"


class TenantTask(Task):
    """Runs the task body with row-level security set to the task's organization.

    Tasks take `organization_id` as their first argument (or keyword). A system task that
    spans tenants (the feed scheduler) sets `system_task = True` and gets an explicit,
    named bypass instead.
    """

    abstract = True
    system_task = False

    def __call__(self, *args, **kwargs):
        close_old_connections()
        try:
            if self.system_task:
                with rls_bypass(f"system task {self.name}"):
                    return super().__call__(*args, **kwargs)
            organization_id = kwargs.get("organization_id", args[0] if args else None)
            if organization_id is None:
                raise TypeError(f"{self.name} needs organization_id as its first argument")
            with tenant_context(organization_id=int(organization_id)):
                return super().__call__(*args, **kwargs)
        finally:
            clear_tenant_context()
            close_old_connections()


@shared_task(name="inventory_site.tasks.heartbeat_task", ignore_result=True)
def heartbeat_task() -> float:
    """Beat schedules this; the worker stamps the time, and /healthz reads it."""
    now = time.time()
    cache.set(HEARTBEAT_KEY, now, timeout=None)
    return now


@shared_task(name="inventory_site.tasks.ping_task")
def ping_task() -> str:
    """Answered by any live worker; /healthz waits briefly for it."""
    return "pong"
