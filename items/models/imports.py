"""Import Wizard jobs: an uploaded catalog file, its column mapping, preview and outcome."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.timezone import now

from venues.models import TenantModel, Venue


def import_upload_path(instance, filename):
    # Stored per organization, under a random folder; served only through an authorized view.
    return f"org-{instance.organization_id}/imports/{now():%Y/%m}/{secrets.token_hex(8)}/{filename}"


class ImportJob(TenantModel):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        PREVIEWED = "previewed", "Previewed"
        COMMITTING = "committing", "Importing"
        COMMITTED = "committed", "Imported"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        WIZARD = "wizard", "Import Wizard"
        COMMAND = "command", "import_items command"
        DEMO = "demo", "Demo data"

    venue = models.ForeignKey(Venue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    distributor = models.ForeignKey(
        "distributors.Distributor", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Whose SKUs the file's SKU column holds.",
    )  # fmt: skip
    file = models.FileField(upload_to=import_upload_path)
    original_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=8)  # csv / xlsx
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UPLOADED)
    headers = models.JSONField(default=list)
    column_mapping = models.JSONField(default=dict, help_text="file header -> field name")
    rows_total = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    # Per-row outcome of the last preview or commit: [{"row": 1, "action": "created", ...}]
    report = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    # File-level notes of the last preview or commit: {"messages": [...], "ignored_columns": [...],
    # "categories": [[text, {category: rows}]], "new_distributors": [...]}
    notes = models.JSONField(default=dict, blank=True)
    checksum = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the file")
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.WIZARD)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    committed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Import of {self.original_name}"

    @property
    def is_open(self) -> bool:
        """Still being set up: the mapping can change and the preview be redone."""
        return self.status in (self.Status.UPLOADED, self.Status.PREVIEWED)

    @property
    def is_done(self) -> bool:
        return self.status in (self.Status.COMMITTED, self.Status.FAILED)
