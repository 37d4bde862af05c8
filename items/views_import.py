"""The Import Wizard: upload a catalog, map its columns, preview every row, commit, see the result.

Managers and admins only (staff get 403). Each step is a page that works without
JavaScript; with htmx the preview's row table filters and pages in place, and a large
import's progress bar polls every second until the worker is done. Another organization's
import is a 404 (selectors scope by organization), and its file is only served through
`download_file` here.
"""

from __future__ import annotations

import csv
import io
import re

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRefresh

from inventory_site.errors import BackstockError
from inventory_site.permissions import manager_required
from items.importing import selectors
from items.importing.fields import FIELDS_BY_KEY, auto_map
from items.importing.forms import FIELD_CHOICES, UploadForm
from items.importing.planning import ACTIONS
from items.importing.reading import MAX_IMPORT_BYTES, MAX_IMPORT_MB
from items.models import ImportJob
from items.services import imports as services
from venues.selectors import accessible_venues

ROWS_PER_PAGE = 50
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACTION_LABELS = {"created": "New", "updated": "Update", "unchanged": "Unchanged", "rejected": "Rejected"}
DONE_LABELS = {"created": "Created", "updated": "Updated", "unchanged": "Unchanged", "rejected": "Rejected"}
CARD_LABELS = {"created": "new items to create", "updated": "items to update", "unchanged": "unchanged",
               "rejected": "rejected rows (skipped)"}  # fmt: skip
CARD_DONE_LABELS = {"created": "items created", "updated": "items updated", "unchanged": "unchanged",
                    "rejected": "rejected rows (skipped)"}  # fmt: skip


def _upload_form(request, data=None, files=None) -> UploadForm:
    return UploadForm(data, files, organization=request.organization,
                      venues=accessible_venues(membership=request.membership), initial_venue=request.venue)  # fmt: skip


def _job(request, pk) -> ImportJob:
    return selectors.get_import_job(organization=request.organization, pk=pk)


# --- upload and the list of imports ---------------------------------------------------------


@require_http_methods(["GET", "POST"])
@manager_required
def index(request):
    """GET: the upload form and past imports. POST: store the file and go on to the mapping."""
    form = _upload_form(request, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            form.add_error("file", f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is {MAX_IMPORT_MB} MB.")
        else:
            try:
                job = services.upload_import(
                    actor=request.user, organization=request.organization, venue=form.cleaned_data["venue"],
                    distributor=form.cleaned_data["distributor"], file_name=upload.name, data=upload.read(),
                )  # fmt: skip
            except BackstockError as exc:
                form.add_error("file", str(exc))
            else:
                return redirect("items:imports:mapping", pk=job.pk)
    jobs = Paginator(selectors.list_import_jobs(organization=request.organization), 25).get_page(request.GET.get("page"))
    status = 400 if request.method == "POST" else 200
    return render(request, "items/import/index.html", {"form": form, "jobs": jobs}, status=status)


# --- mapping --------------------------------------------------------------------------------


def _mapping_context(request, job: ImportJob, *, mapping: dict[str, str], error: str = "") -> dict:
    try:
        table = services.load_table(job)
    except BackstockError as exc:
        return {"job": job, "columns": [], "file_error": str(exc), "error": error, "choices": FIELD_CHOICES}
    samples = {header: table.samples(i, limit=3) for i, header in enumerate(table.headers)}
    auto = auto_map(table.headers, {header: table.samples(i, limit=8) for i, header in enumerate(table.headers)})
    columns = []
    for i, header in enumerate(table.headers):
        key = mapping.get(header, "")
        columns.append({"index": i, "header": header, "samples": samples[header], "field": key,
                        "auto": auto.mapping.get(header, "") == key and bool(key),
                        "help": FIELDS_BY_KEY[key].help if key in FIELDS_BY_KEY else ""})  # fmt: skip
    return {"job": job, "columns": columns, "choices": FIELD_CHOICES, "error": error,
            "auto_notes": auto.notes, "rows_total": job.rows_total}  # fmt: skip


@require_http_methods(["GET", "POST"])
@manager_required
def mapping(request, pk):
    """GET: each column of the file with a field to fill (auto-mapped ones chosen). POST: preview."""
    job = _job(request, pk)
    if not job.is_open:
        return redirect("items:imports:detail", pk=job.pk)
    if request.method == "POST":
        chosen = {}
        for i, header in enumerate(job.headers):
            key = request.POST.get(f"column-{i}", "")
            if key:
                chosen[header] = key
        try:
            services.preview_import(actor=request.user, organization=request.organization, job=job, mapping=chosen)
        except BackstockError as exc:
            context = _mapping_context(request, job, mapping=chosen, error=str(exc))
            return render(request, "items/import/mapping.html", context, status=400)
        return redirect("items:imports:detail", pk=job.pk)
    return render(request, "items/import/mapping.html", _mapping_context(request, job, mapping=job.column_mapping))


# --- preview, progress and result -----------------------------------------------------------


def _rows_context(request, job: ImportJob) -> dict:
    action = request.GET.get("action", "")
    if action not in ACTIONS:
        action = ""
    rows = selectors.report_rows(job, action=action)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    done = job.status == ImportJob.Status.COMMITTED
    labels = DONE_LABELS if done else ACTION_LABELS
    page.object_list = [{**row, "label": labels[row["action"]]} for row in page.object_list]
    counts = {"created": job.created_count, "updated": job.updated_count, "unchanged": job.unchanged_count,
              "rejected": job.rejected_count}  # fmt: skip
    tabs = [("", "All rows", job.rows_total)] + [(a, labels[a], counts[a]) for a in ACTIONS]
    card_labels = CARD_DONE_LABELS if done else CARD_LABELS
    cards = [(a, card_labels[a], counts[a]) for a in ACTIONS]
    return {"job": job, "page": page, "action": action, "tabs": tabs, "cards": cards}


@require_GET
@manager_required
def detail(request, pk):
    """The preview (before the commit), the progress bar (during it) or the result (after it)."""
    job = _job(request, pk)
    if job.status == ImportJob.Status.UPLOADED:
        return redirect("items:imports:mapping", pk=job.pk)
    context = _rows_context(request, job)
    if job.status == ImportJob.Status.COMMITTING:
        context["progress"] = services.read_progress(job)
    if request.htmx and request.GET.get("region") == "rows":
        return render(request, "items/import/detail.html#rows", context)
    return render(request, "items/import/detail.html", context)


@require_GET
@manager_required
def progress(request, pk):
    """The progress bar of a running commit (htmx polls it); when done, the page reloads."""
    job = _job(request, pk)
    if job.status != ImportJob.Status.COMMITTING:
        if request.htmx:
            return HttpResponseClientRefresh()
        return redirect("items:imports:detail", pk=job.pk)
    return render(request, "items/import/detail.html#progress", {"job": job, "progress": services.read_progress(job)})


@require_http_methods(["GET", "POST"])
@manager_required
def commit(request, pk):
    """GET: what the import will do, to confirm. POST: import (or queue it, for a large file)."""
    job = _job(request, pk)
    if job.status == ImportJob.Status.UPLOADED:
        return redirect("items:imports:mapping", pk=job.pk)
    if job.status in (ImportJob.Status.COMMITTED, ImportJob.Status.COMMITTING):
        return redirect("items:imports:detail", pk=job.pk)
    if request.method == "POST":
        try:
            queued = services.start_commit(actor=request.user, organization=request.organization, job=job)
        except BackstockError as exc:
            messages.error(request, f"Nothing was imported: {exc}")
            return redirect("items:imports:detail", pk=job.pk)
        if not queued:
            job.refresh_from_db()
            messages.success(request, f"Imported {job.original_name}: {job.created_count} created, "
                                      f"{job.updated_count} updated, {job.unchanged_count} unchanged, "
                                      f"{job.rejected_count} rejected.")  # fmt: skip
        return redirect("items:imports:detail", pk=job.pk)
    return render(request, "items/import/commit.html", {"job": job, "async": job.rows_total >= services.ASYNC_ROWS})


# --- downloads ------------------------------------------------------------------------------


_FORMULA = re.compile(r"^[=+@\t\r]|^-(?!\d+(?:\.\d+)?$)")


def _cell(value) -> str:
    # A cell a spreadsheet would run as a formula is written as text (CSV injection).
    text = "" if value is None else str(value)
    return "'" + text if _FORMULA.match(text) else text


@require_GET
@manager_required
def rejected_csv(request, pk):
    """The rejected rows as CSV: row number, the row's original values, and the error."""
    job = _job(request, pk)
    if job.status == ImportJob.Status.UPLOADED:
        raise Http404("This import has no preview yet.")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Row", *job.headers, "Error"])
    for row in selectors.report_rows(job, action="rejected"):
        values = (list(row.get("values") or []) + [""] * len(job.headers))[: len(job.headers)]
        writer.writerow([row["row"], *(_cell(v) for v in values), _cell(row.get("error", ""))])
    stem = re.sub(r"[^\w.-]+", "-", job.original_name.rsplit(".", 1)[0]).strip("-") or "import"
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}-rejected-rows.csv"'
    return response


@require_GET
@manager_required
def download_file(request, pk):
    """The uploaded file itself, for members of its organization only."""
    job = _job(request, pk)
    try:
        handle = job.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404("The file is no longer stored.") from None
    # The type the content was checked to be, whatever the name says; always a download.
    content_type = XLSX_TYPE if job.file_format == "xlsx" else "text/csv"
    return FileResponse(handle, as_attachment=True, filename=job.original_name, content_type=content_type)

