"""Read queries of the Import Wizard, scoped to one organization."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from items.models import ImportJob


def list_import_jobs(*, organization) -> QuerySet[ImportJob]:
    """Past and open imports, newest first (without their per-row reports)."""
    return (
        ImportJob.objects.for_org(organization)
        .select_related("venue", "distributor", "uploaded_by")
        .defer("report", "headers", "column_mapping", "notes")
        .order_by("-created_at", "-id")
    )


def get_import_job(*, organization, pk: int) -> ImportJob:
    """One import of the organization; 404 for another organization's."""
    return get_object_or_404(
        ImportJob.objects.for_org(organization).select_related("venue", "distributor", "uploaded_by"), pk=pk
    )


def report_rows(job: ImportJob, *, action: str = "") -> list[dict]:
    """The job's per-row report, optionally only one action."""
    rows = job.report or []
    return [row for row in rows if row.get("action") == action] if action else list(rows)
