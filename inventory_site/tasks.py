"""Celery plumbing shared by every app: the tenant-aware task base and the worker heartbeat."""

from __future__ import annotations

import time

from celery import Task, shared_task
from django.core.cache import cache

from inventory_site.tenancy import rls_bypass, tenant_context

HEARTBEAT_KEY = "backstock:worker-heartbeat"


class TenantTask(Task):
    """Runs the task body with row-level security set to the task's organization.

    Tasks take `organization_id` as their first argument (or keyword). A system task that
    spans tenants (the feed scheduler) sets `system_task = True` and gets an explicit,
    named bypass instead.

        @shared_task(base=TenantTask)
        def sync_invoice_task(organization_id: int, invoice_id: int) -> None: ...

    The previous tenant setting of the connection is restored when the body ends, so a task
    called in-process (`.apply()`, or directly inside a request) leaves its caller's scope
    as it found it. Opening and closing the worker's database connection around each task
    is Celery's Django fixup's job (it closes them before and after every task), not ours:
    closing here would also close a caller's connection in the middle of its transaction.
    """

    abstract = True
    system_task = False

    def __call__(self, *args, **kwargs):
        if self.system_task:
            with rls_bypass(f"system task {self.name}"):
                return super().__call__(*args, **kwargs)
        organization_id = kwargs["organization_id"] if "organization_id" in kwargs else (args[0] if args else None)
        if organization_id is None:
            raise TypeError(f"{self.name} needs organization_id as its first argument")
        with tenant_context(organization_id=int(organization_id)):
            return super().__call__(*args, **kwargs)


@shared_task(name="inventory_site.tasks.heartbeat_task")
def heartbeat_task() -> float:
    """Beat schedules this every 30 s; the worker stamps the time and /healthz reads it.

    The result is kept (for CELERY_RESULT_EXPIRES) so an operator or a test can run it
    through a worker and wait: `heartbeat_task.delay().get(timeout=30)`.
    """
    now = time.time()
    cache.set(HEARTBEAT_KEY, now, timeout=None)
    return now


@shared_task(name="inventory_site.tasks.ping_task")
def ping_task() -> str:
    """Answered by any live worker on the queue: `ping_task.delay().get(timeout=5)` from a shell."""
    return "pong"
