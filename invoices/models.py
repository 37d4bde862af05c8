"""Supplier-side documents: feeds, the raw documents they deliver, partial invoices and lines.

Flow (DESIGN.md flow 1): a SupplierFeed is pulled -> each raw FeedDocument is stored once
(checksum) -> parsed (invoices/feeds) -> routed to a venue by distributor + account number ->
upserted as a PartialInvoice (unique per distributor + invoice number) with its InvoiceLines
matched to items (invoices/matching.py) -> reviewed and approved by staff.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from venues.models import TenantModel, Venue


class SupplierFeed(TenantModel):
    """A distributor's data connection for this organization, and its schedule."""

    class Format(models.TextChoices):
        AUTO = "auto", "Detect"
        CSV = "csv", "CSV"
        JSON = "json", "JSON over HTTP"
        EDI810 = "edi810", "EDI X12 810"

    class Transport(models.TextChoices):
        HTTP = "http", "HTTP(S) URL with a token"
        DROP_FOLDER = "folder", "Drop folder"
        UPLOAD = "upload", "Uploaded by hand"

    distributor = models.ForeignKey("distributors.Distributor", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    format = models.CharField(max_length=8, choices=Format.choices, default=Format.AUTO)
    transport = models.CharField(max_length=8, choices=Transport.choices, default=Transport.UPLOAD)
    url = models.URLField("base URL", blank=True)
    token = models.CharField(max_length=500, blank=True, help_text="Sent as 'Authorization: Bearer …'.")
    folder = models.CharField("drop folder", max_length=500, blank=True)
    # 30 s: with beat looking for due feeds every few seconds, a document that appears in a feed
    # reaches the inbox in well under a minute.
    schedule_seconds = models.PositiveIntegerField(default=30, help_text="How often it is pulled, in seconds.")
    enabled = models.BooleanField(default=True)
    cursor = models.CharField(max_length=500, blank=True, help_text="JSON feeds: the next `since` value.")
    last_pulled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_pull_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class FeedDocument(TenantModel):
    """One raw document exactly as received, stored before it is parsed."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    feed = models.ForeignKey(SupplierFeed, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents")
    # Null when the document names its distributor itself (EDI N1*VN, a CSV distributor column).
    distributor = models.ForeignKey(
        "distributors.Distributor", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # `ingest_invoices --venue`: every invoice of the document goes to this venue. Kept on the
    # row so a retry after a crash routes the same way.
    route_to_venue = models.ForeignKey(Venue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the content: a document is stored once.")
    filename = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=8, blank=True)
    content = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    notes = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField(default=now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "checksum"], name="feed_document_stored_once"),
        ]

    def __str__(self):
        return self.filename or f"document {self.pk}"


class PartialInvoice(TenantModel):
    """A supplier invoice waiting for review; approving it receives the stock."""

    class Status(models.TextChoices):
        PENDING_REVIEW = "pending_review", "Pending review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    distributor = models.ForeignKey("distributors.Distributor", on_delete=models.PROTECT, related_name="+")
    # Empty while unrouted: the account number matched no venue; an admin assigns one.
    venue = models.ForeignKey(Venue, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    account_number = models.CharField(max_length=60, blank=True)
    invoice_number = models.CharField(max_length=80)
    invoice_date = models.DateField()
    delivery_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING_REVIEW)
    is_credit_memo = models.BooleanField(default=False)
    stated_total = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    # Allowances (negative) and charges (positive) on the whole invoice, e.g. EDI SAC after the
    # lines: [{"code": "...", "description": "...", "amount": "-12.00"}]. Part of the total.
    charges = models.JSONField(default=list, blank=True)
    document = models.ForeignKey(FeedDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices")
    notes = models.JSONField(default=list, blank=True, help_text="What happened to it: re-sent, ignored re-send…")
    # SHA-256 of the invoice as the feed sent it: a re-send with the same content changes nothing.
    content_hash = models.CharField(max_length=64, blank=True)
    # Set once the venue's users were told about it; a retried document tells only the rest.
    notified_at = models.DateTimeField(null=True, blank=True)
    attachment = models.FileField(upload_to="invoices/", blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-invoice_date", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "distributor", "invoice_number"], name="invoice_unique_per_distributor"
            ),
        ]
        indexes = [models.Index(fields=["organization", "status", "venue"], name="invoice_inbox_idx")]

    def __str__(self):
        return f"Invoice {self.invoice_number}"


class InvoiceLine(TenantModel):
    """One line of a partial invoice, with the item it was matched to and why."""

    class Match(models.TextChoices):
        SKU = "sku", "Distributor SKU"
        UPC = "upc", "UPC, size and name"
        NAME = "name", "Name, size and pack"
        NEW = "new", "New item"
        MANUAL = "manual", "Chosen by a reviewer"
        NONE = "none", "Not matched"

    invoice = models.ForeignKey(PartialInvoice, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    distributor_sku = models.CharField(max_length=64, blank=True)
    upc = models.CharField(max_length=20, blank=True)
    description = models.CharField(max_length=300, blank=True)
    brand = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=120, blank=True, help_text="As the distributor wrote it.")
    size = models.CharField(max_length=40, blank=True)
    units_per_case = models.PositiveIntegerField(null=True, blank=True)
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    uom = models.CharField(max_length=2, default="EA")  # CS or EA
    unit_price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    extended_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    charges = models.JSONField(default=list, blank=True)
    # Non-beverage lines (glassware, deposits, fees) stay on the invoice but never touch stock.
    is_inventory = models.BooleanField(default=True)
    item = models.ForeignKey("items.Item", null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines")
    match = models.CharField(max_length=8, choices=Match.choices, default=Match.NONE)
    match_score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    match_reason = models.CharField(max_length=300, blank=True)
    created_item = models.BooleanField(default=False)
    added_by_reviewer = models.BooleanField(default=False)
    # Who chose the item (a manual match, an item created from the line, an added line): a
    # re-sent invoice keeps the choice.
    matched_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A reviewer corrected quantity, price, unit or "not stock": a re-sent invoice keeps those too.
    edited_by_reviewer = models.BooleanField(default=False)

    class Meta:
        ordering = ["line_number"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "line_number"], name="invoice_line_number_unique"),
            models.CheckConstraint(condition=Q(uom__in=["CS", "EA"]), name="invoice_line_uom_cs_or_ea"),
        ]

    def __str__(self):
        return f"Line {self.line_number} of {self.invoice_id}"
