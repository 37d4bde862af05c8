"""Celery tasks of the items app: thin wrappers around items.services."""

from __future__ import annotations

from celery import shared_task

from inventory_site.tasks import TenantTask
from items.errors import ItemsError


@shared_task(base=TenantTask, acks_late=True, name="items.tasks.commit_import_task")
def commit_import_task(organization_id: int, job_id: int, actor_id: int | None = None) -> dict:
    """Commit an Import Wizard job in a worker (large files). Safe to run twice: a job
    already imported is left as it is, and a failed attempt wrote nothing."""
    from items.models import ImportJob
    from items.services.imports import commit_import
    from venues.models import Organization, User

    organization = Organization.objects.get(pk=organization_id)
    job = ImportJob.objects.for_org(organization).get(pk=job_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    try:
        job = commit_import(actor=actor, organization=organization, job=job)
    except ItemsError as exc:
        return {"status": ImportJob.Status.FAILED, "error": str(exc)}
    return {"status": job.status, "created": job.created_count, "updated": job.updated_count,
            "rejected": job.rejected_count}  # fmt: skip
