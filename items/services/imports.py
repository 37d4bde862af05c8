"""The Import Wizard and `import_items`: upload a catalog, map its columns, preview, commit.

- `upload_import` stores the file (per organization) and maps its columns by header name;
- `preview_import` plans every row (create / update / unchanged / rejected, and why) and
  keeps the plan on the job; nothing else is written;
- `commit_import` plans again against the current catalog and writes the whole file in ONE
  transaction: all of it or, on any failure, none of it. Large files go through
  `start_commit`, which queues `commit_import_task`; its progress lives in the cache
  (the database transaction is invisible until it commits);
- `import_file` does all three at once for the command line and the demo data.

Re-importing the same file changes nothing: rows match the items they created (by SKU,
UPC or name + size), unchanged costs add no history and unchanged items keep `updated_at`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from dataclasses import dataclass

from django.core.cache import cache
from kombu.exceptions import OperationalError as KombuOperationalError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from inventory_site.errors import BackstockError
from items.errors import ItemsError
from items.importing.fields import FIELDS_BY_KEY, auto_map, mapping_problems
from items.importing.planning import CREATED, REJECTED, Plan, money, plan_import
from items.importing.reading import MAX_IMPORT_BYTES, MAX_IMPORT_MB, ImportFileError, Table, read_table
from items.importing.writing import write_plan
from items.models import ImportJob, Item
from venues.models import Membership, Organization
from venues.services import record_audit, require_role

MANAGERS = (Membership.Role.ADMIN, Membership.Role.MANAGER)
# Files with at least this many rows are committed by a Celery worker, with a progress bar.
ASYNC_ROWS = 500
PROGRESS_TIMEOUT = 6 * 3600

__all__ = ["ASYNC_ROWS", "ImportFileError", "ImportResult", "commit_import", "import_file", "load_table",
           "preview_import", "read_progress", "start_commit", "upload_import"]  # fmt: skip


# --- progress (in the cache: the commit's transaction is not visible until it ends) -----------


def _progress_key(job_id: int) -> str:
    return f"items:import:{job_id}:progress"


def _report_progress(job_id: int, phase: str, done: int, total: int) -> None:
    cache.set(_progress_key(job_id), {"phase": phase, "done": done, "total": total}, PROGRESS_TIMEOUT)


def read_progress(job: ImportJob) -> dict:
    """{"phase", "done", "total", "percent"} of a running commit. Reading the rows is the first
    half of the bar, saving the items the second."""
    found = cache.get(_progress_key(job.pk)) or {"phase": "queued", "done": 0, "total": job.rows_total}
    share = min(found["done"], max(found["total"], 1)) / max(found["total"], 1)
    start, width = {"reading": (0, 25), "matching": (25, 25), "saving": (50, 50)}.get(found["phase"], (0, 0))
    return {**found, "percent": int(start + width * share)}


# --- helpers --------------------------------------------------------------------------------


def _today(venue) -> dt.date:
    tz = zoneinfo.ZoneInfo(venue.timezone) if venue is not None and venue.timezone else None
    return timezone.localdate(timezone=tz) if tz else timezone.localdate()


def load_table(job: ImportJob) -> Table:
    """The job's stored file, read again (ImportFileError if it is gone or unreadable)."""
    try:
        with job.file.open("rb") as handle:
            data = handle.read(MAX_IMPORT_BYTES + 1)
    except (FileNotFoundError, OSError):
        raise ImportFileError(f"The uploaded file {job.original_name} is no longer stored; upload it again.") from None
    return read_table(data)


def _check_open(job: ImportJob) -> None:
    if not job.is_open:
        raise ItemsError(f"{job.original_name} was already imported; upload the file again to import it again.")


def _report(plan: Plan, *, committed: bool) -> list[dict]:
    """The per-row outcome kept on the job (and shown by the preview and result pages)."""
    rows = []
    for row in plan.rows:
        v = row.values
        item = row.target.item if row.target is not None else None
        entry = {
            "row": v.number,
            "action": row.action,
            "item_id": item.pk if item is not None and (committed or not row.target.is_new) else None,
            "name": v.name or "",
            "size": v.size.label if v.size is not None else "",
            "sku": v.sku or "",
            "matched_by": row.matched_by,
            "changes": [list(change) for change in row.changes],
            "warnings": v.warnings,
        }
        if row.note:
            entry["note"] = row.note
        if row.action == CREATED:
            entry["summary"] = _summary(item)
        if row.action == REJECTED:
            entry["error"] = row.error
            entry["values"] = v.raw
        rows.append(entry)
    return rows


def _summary(item: Item) -> str:
    """What a new item will be, in a few words: "Spirits · 12 per case · 16.50 / unit · Proximo"."""
    parts = [item.get_category_display(), f"{item.units_per_case} per case"]
    if item.cost_per_unit is not None:
        parts.append(f"{money(item.cost_per_unit)} / unit")
    if item.producer:
        parts.append(item.producer)
    return " · ".join(parts)


def _notes(plan: Plan | None, table: Table, mapping: dict[str, str], *, checksum: str, job: ImportJob) -> dict:
    messages = list(table.notes)
    earlier = (
        ImportJob.objects.for_org(job.organization).filter(checksum=checksum, status=ImportJob.Status.COMMITTED)
        .exclude(pk=job.pk).order_by("-finished_at").first()
    )  # fmt: skip
    if earlier is not None:
        messages.append(f"This file was imported before, on {timezone.localtime(earlier.finished_at):%b %-d, %Y}; "
                        f"rows that still match change nothing.")  # fmt: skip
    notes = {
        "messages": messages,
        "ignored_columns": [h for h in table.headers if h not in mapping],
        "new_distributors": sorted(plan.new_distributors.values()) if plan else [],
        "categories": [],
    }
    if plan is not None:
        labels = dict(Item.Category.choices)
        notes["categories"] = [
            [text, {labels[c]: n for c, n in counted.most_common()}]
            for text, counted in sorted(plan.categories.items(), key=lambda kv: -sum(kv[1].values()))
        ]
    return notes


def _apply_plan_to_job(job: ImportJob, plan: Plan, *, committed: bool) -> None:
    counts = plan.counts()
    job.created_count, job.updated_count = counts[CREATED], counts["updated"]
    job.unchanged_count, job.rejected_count = counts["unchanged"], counts[REJECTED]
    job.rows_total = len(plan.rows)
    job.report = _report(plan, committed=committed)


# --- the steps ------------------------------------------------------------------------------


@transaction.atomic
def upload_import(*, actor, organization: Organization, venue, file_name: str, data: bytes, distributor=None,
                  source: str = ImportJob.Source.WIZARD, mapping: dict[str, str] | None = None,
                  unattended: bool = False) -> ImportJob:  # fmt: skip
    """Store an uploaded catalog and map its columns by header name (or by `mapping`).

    Raises ImportFileError (a subclass of ItemsError) when the file is too large, not a
    CSV/XLSX catalog by its content, or has no header or data rows; ItemsError for an
    explicit `mapping` that can't work. `unattended` (no person will check the mapping
    page: the command line, the demo data) also refuses headers that leave the mapping
    ambiguous (two columns that both look like the name), naming them.
    """
    require_role(actor=actor, organization=organization, roles=MANAGERS)
    if venue is None:
        raise ItemsError("Choose the venue the import is for.")
    if venue.organization_id != organization.pk:
        raise ItemsError("That venue belongs to another organization.")
    if distributor is not None and distributor.organization_id not in (None, organization.pk):
        raise ItemsError("That distributor belongs to another organization.")
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFileError(f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is {MAX_IMPORT_MB} MB.")
    table = read_table(data)
    samples = {header: table.samples(i, limit=8) for i, header in enumerate(table.headers)}
    auto = auto_map(table.headers, samples)
    if mapping is not None:
        problems = mapping_problems(mapping, table.headers)
        if problems:
            raise ItemsError(" ".join(problems))
    elif unattended and auto.ambiguous:
        # A person would choose on the mapping page; without one, say which columns clash.
        clashes = "; ".join(f"{', '.join(headers)} all look like {FIELDS_BY_KEY[key].label.lower()}"
                            for key, headers in auto.ambiguous.items())  # fmt: skip
        raise ItemsError(f"{clashes}. Rename the columns that should not be imported.")
    name = (file_name or "catalog").replace("\\", "/").rsplit("/", 1)[-1][:200] or "catalog"
    job = ImportJob(
        organization=organization, venue=venue, distributor=distributor, original_name=name,
        file_format=table.file_format, headers=table.headers, column_mapping=mapping or auto.mapping,
        rows_total=sum(1 for row in table.rows if any(row)), uploaded_by=actor if getattr(actor, "pk", None) else None,
        checksum=hashlib.sha256(data).hexdigest(), source=source,
        notes={"messages": table.notes + auto.notes, "ignored_columns": auto.unmapped, "categories": [],
               "new_distributors": [], "ambiguous": auto.ambiguous},
    )  # fmt: skip
    job.file.save(name, ContentFile(data), save=False)
    job.save()
    return job


@transaction.atomic
def preview_import(*, actor, organization: Organization, job: ImportJob, mapping: dict[str, str] | None = None) -> ImportJob:
    """Plan every row under `mapping` (default: the job's) and keep the plan on the job.

    Raises ItemsError for a mapping that can't work (no name column, one field twice) or a
    job that was already imported.
    """
    require_role(actor=actor, organization=organization, roles=MANAGERS)
    job = ImportJob.objects.for_org(organization).select_for_update().get(pk=job.pk)
    _check_open(job)
    mapping = {h: k for h, k in (job.column_mapping if mapping is None else mapping).items() if k}
    problems = mapping_problems(mapping, job.headers)
    if problems:
        raise ItemsError(" ".join(problems))
    table = load_table(job)
    plan = plan_import(organization=organization, table=table, mapping=mapping, venue=job.venue,
                       distributor=job.distributor, today=_today(job.venue), source_ref=job.original_name)  # fmt: skip
    job.column_mapping = mapping
    _apply_plan_to_job(job, plan, committed=False)
    job.notes = _notes(plan, table, mapping, checksum=job.checksum, job=job)
    job.status = ImportJob.Status.PREVIEWED
    job.error = ""
    job.save()
    return job


def commit_import(*, actor, organization: Organization, job: ImportJob) -> ImportJob:
    """Import the whole file in one transaction; on any failure nothing is written.

    Plans again against the catalog as it is now (the preview may be old), writes, and
    records the outcome and an audit entry. A job already imported is returned as it is
    (a redelivered task does nothing twice). On failure the job is marked failed with the
    reason, and the error is raised again.
    """
    require_role(actor=actor, organization=organization, roles=MANAGERS)
    job_id = job.pk
    try:
        with transaction.atomic():
            job = ImportJob.objects.for_org(organization).select_for_update(of=("self",)).select_related("venue", "distributor").get(pk=job_id)
            if job.status == ImportJob.Status.COMMITTED:
                return job
            if job.status == ImportJob.Status.UPLOADED:
                raise ItemsError("Check the preview before importing.")
            _commit(actor=actor, organization=organization, job=job)
    except Exception as exc:
        message = str(exc) if isinstance(exc, BackstockError) else f"Unexpected error ({type(exc).__name__}); nothing was imported."
        ImportJob.objects.for_org(organization).filter(pk=job_id).exclude(status=ImportJob.Status.COMMITTED).update(
            status=ImportJob.Status.FAILED, error=message[:2000], finished_at=timezone.now()
        )  # fmt: skip
        raise
    finally:
        cache.delete(_progress_key(job_id))
    return job


def _commit(*, actor, organization: Organization, job: ImportJob) -> None:
    def progress(phase, done, total):
        _report_progress(job.pk, phase, done, total)

    table = load_table(job)
    mapping = job.column_mapping
    problems = mapping_problems(mapping, job.headers)
    if problems:
        raise ItemsError(" ".join(problems))
    plan = plan_import(organization=organization, table=table, mapping=mapping, venue=job.venue,
                       distributor=job.distributor, today=_today(job.venue), source_ref=job.original_name,
                       lock=True, progress=progress)  # fmt: skip
    written = write_plan(plan=plan, organization=organization, actor=actor, source=f"import {job.original_name}",
                         progress=progress)  # fmt: skip
    _apply_plan_to_job(job, plan, committed=True)
    job.notes = _notes(plan, table, mapping, checksum=job.checksum, job=job)
    job.status = ImportJob.Status.COMMITTED
    job.error = ""
    job.finished_at = timezone.now()
    job.committed_by = actor if getattr(actor, "pk", None) else None
    job.save()
    counts = plan.counts()
    summary = (f"Imported {job.original_name}: {counts[CREATED]} created, {counts['updated']} updated, "
               f"{counts['unchanged']} unchanged, {counts[REJECTED]} rejected")  # fmt: skip
    record_audit(organization=organization, actor=actor, action="items.imported", obj=job, summary=summary,
                 changes={**counts, "venue": job.venue.name if job.venue else "",
                          "distributors_created": written["distributors_created"]})  # fmt: skip


def start_commit(*, actor, organization: Organization, job: ImportJob) -> bool:
    """Commit now (a small file) or queue the commit for a worker (returns True when queued)."""
    require_role(actor=actor, organization=organization, roles=MANAGERS)
    if job.rows_total < ASYNC_ROWS:
        commit_import(actor=actor, organization=organization, job=job)
        return False
    from items.tasks import commit_import_task

    with transaction.atomic():
        claimed = ImportJob.objects.for_org(organization).filter(
            pk=job.pk, status__in=[ImportJob.Status.PREVIEWED, ImportJob.Status.FAILED]
        ).update(status=ImportJob.Status.COMMITTING, error="", finished_at=None)  # fmt: skip
        if claimed != 1:
            raise ItemsError(f"{job.original_name} is already being imported, or was imported.")
        _report_progress(job.pk, "queued", 0, job.rows_total)
        actor_id = actor.pk if getattr(actor, "pk", None) else None

        def enqueue():
            try:
                commit_import_task.delay(organization.pk, job.pk, actor_id)
            except KombuOperationalError:
                # The broker is unreachable: say so on the job instead of leaving it "importing".
                ImportJob.objects.for_org(organization).filter(pk=job.pk, status=ImportJob.Status.COMMITTING).update(
                    status=ImportJob.Status.FAILED, finished_at=timezone.now(),
                    error="The import could not be started (the task queue is unreachable); nothing was imported. Try again.",
                )  # fmt: skip

        transaction.on_commit(enqueue)
    return True


# --- all at once (command line, demo data) --------------------------------------------------


@dataclass
class ImportResult:
    job: ImportJob

    def as_json(self) -> dict:
        """The command's --json shape."""
        rows = []
        for entry in self.job.report:
            out = {"row": entry["row"], "item_id": entry["item_id"], "action": entry["action"]}
            if entry["action"] == REJECTED:
                out["item_id"] = None
                out["error"] = entry["error"]
            rows.append(out)
        return {"created": self.job.created_count, "updated": self.job.updated_count,
                "rejected": self.job.rejected_count, "rows": rows}  # fmt: skip


def import_file(*, actor, organization: Organization, venue, file_name: str, data: bytes, distributor=None,
                mapping: dict[str, str] | None = None, source: str = ImportJob.Source.COMMAND) -> ImportResult:  # fmt: skip
    """Upload, map (by header names unless `mapping` is given), preview and commit in one go.

    Raises ItemsError when the columns can't be mapped without a person (e.g. two columns
    that both look like the name), naming them.
    """
    job = upload_import(actor=actor, organization=organization, venue=venue, file_name=file_name, data=data,
                        distributor=distributor, source=source, mapping=mapping, unattended=True)  # fmt: skip
    # No separate preview: the commit plans the rows itself (and keeps that plan as the report).
    job.status = ImportJob.Status.PREVIEWED
    job.save(update_fields=["status"])
    job = commit_import(actor=actor, organization=organization, job=job)
    return ImportResult(job=job)

