"""Diagnostic tasks for the test suite only. The test worker imports this module
(`celery worker --include tests.celery_tasks`, see conftest.py); production workers do not.

Each task reports which organizations' venues its database connection can see, with a
deliberately unscoped query, so the tests observe row-level security itself rather than
a `for_org` filter.
"""

from __future__ import annotations

from celery import shared_task

from inventory_site.tasks import TenantTask
from inventory_site.tenancy import current_organization_id


def _visible_venues() -> dict:
    from venues.models import Venue

    rows = Venue.objects.order_by("pk").values_list("organization_id", "name")  # unscoped on purpose
    return {
        "organization_ids": sorted({organization_id for organization_id, _ in rows}),
        "venue_names": [name for _, name in rows],
        "tenant_setting": current_organization_id(),
    }


@shared_task(base=TenantTask, name="tests.celery_tasks.visible_venues_task")
def visible_venues_task(organization_id: int) -> dict:
    """What a tenant task of `organization_id` can see."""
    return _visible_venues()


@shared_task(base=TenantTask, system_task=True, name="tests.celery_tasks.system_visible_venues_task")
def system_visible_venues_task() -> dict:
    """What a cross-tenant system task (like the feed scheduler) can see."""
    return _visible_venues()


@shared_task(name="tests.celery_tasks.plain_visible_venues_task")
def plain_visible_venues_task() -> dict:
    """What a task that forgot the TenantTask base can see: nothing of any tenant."""
    return _visible_venues()


# --- a slow worker, for the kill -9 test (tests/test_feed_worker.py) -------------------------------
# Only a worker started with BACKSTOCK_TEST_SLOW_INVOICE_SECONDS (the kill test starts its own)
# is slowed: each PartialInvoice it saves first appends its number to
# BACKSTOCK_TEST_PROGRESS_FILE, then waits, inside the invoice's transaction. The test reads the
# file to kill the worker in the middle of a document. Production code has no such hook.


def _slow_invoices_if_asked() -> None:
    import os
    import time

    seconds = float(os.environ.get("BACKSTOCK_TEST_SLOW_INVOICE_SECONDS") or 0)
    progress = os.environ.get("BACKSTOCK_TEST_PROGRESS_FILE", "")
    if not seconds:
        return
    from django.db.models.signals import post_save

    def slow_down(sender, instance, **kwargs):
        if progress:
            with open(progress, "a") as file:
                file.write(f"{instance.invoice_number}\n")
        time.sleep(seconds)

    post_save.connect(slow_down, sender="invoices.PartialInvoice", weak=False, dispatch_uid="tests-slow-invoices")


_slow_invoices_if_asked()
