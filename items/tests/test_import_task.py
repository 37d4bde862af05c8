"""A large import is committed by a real Celery worker, in the organization's tenant scope."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from inventory_site.tasks import ping_task
from items.models import ImportJob, Item, ItemIdentifier
from items.services import imports
from items.services.imports import preview_import, upload_import
from venues.models import AuditLogEntry

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "Item Number,Category Name,Item Description,Bottle Volume (ml),Pack,UPC,State Bottle Cost\n"


def big_catalog(rows: int) -> bytes:
    lines = [f"{50000 + n},AMERICAN VODKAS,HOUSE VODKA NO {n},750,12,,{9 + n % 7}.99\n" for n in range(rows)]
    lines.append("59999,AMERICAN VODKAS,,750,12,,9.99\n")  # no name: rejected
    return (HEADER + "".join(lines)).encode()


def wait_for_the_worker():
    # The test worker runs one task at a time and prefetches one: a ping sent after the
    # import is answered only once the import is done.
    assert ping_task.delay().get(timeout=120) == "pong"


def test_a_large_import_runs_in_the_worker_and_the_page_then_shows_the_result(
    celery_worker_process, tenant, other_tenant, client_for
):
    rows = imports.ASYNC_ROWS + 100
    job = upload_import(actor=tenant.manager, organization=tenant.organization, venue=tenant.venue,
                        file_name="house-catalog.csv", data=big_catalog(rows))  # fmt: skip
    preview_import(actor=tenant.manager, organization=tenant.organization, job=job)
    client = client_for(tenant.manager)

    response = client.post(reverse("items:imports:commit", args=[job.pk]))
    wait_for_the_worker()

    assert response["Location"] == reverse("items:imports:detail", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.created_count, job.rejected_count, job.committed_by) == (
        ImportJob.Status.COMMITTED, rows, 1, tenant.manager)  # fmt: skip
    assert Item.objects.filter(organization=tenant.organization).count() == rows
    assert not Item.objects.filter(organization=other_tenant.organization).exists()
    assert ItemIdentifier.objects.filter(organization=tenant.organization, kind="sku").count() == rows
    assert AuditLogEntry.objects.get(action="items.imported").actor == tenant.manager
    assert cache.get(f"items:import:{job.pk}:progress") is None
    progress = client.get(reverse("items:imports:progress", args=[job.pk]), headers={"HX-Request": "true"})
    assert progress["HX-Refresh"] == "true"
    page = client.get(response["Location"]).content.decode()
    assert f'data-testid="count-created"><div class="stat">{rows}</div>' in page


def test_a_worker_import_that_fails_is_marked_failed_and_leaves_nothing(celery_worker_process, tenant, client_for):
    rows = imports.ASYNC_ROWS
    job = upload_import(actor=tenant.manager, organization=tenant.organization, venue=tenant.venue,
                        file_name="house-catalog.csv", data=big_catalog(rows))  # fmt: skip
    preview_import(actor=tenant.manager, organization=tenant.organization, job=job)
    job.file.storage.delete(job.file.name)  # the stored file is gone before the worker reads it
    client = client_for(tenant.manager)

    client.post(reverse("items:imports:commit", args=[job.pk]))
    wait_for_the_worker()

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error == "The uploaded file house-catalog.csv is no longer stored; upload it again."
    assert not Item.objects.exists()
    page = client.get(reverse("items:imports:detail", args=[job.pk])).content.decode()
    assert "The import failed and nothing was saved." in page
