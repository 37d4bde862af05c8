"""The stock ledger: append-only movements and the running level per item and storage area.

Every change of stock is a `StockMovement`; `StockLevel` is their running total, updated in
the same transaction by an atomic upsert (items/services/ledger.py). The database refuses
to change or delete a movement (only its item may be re-pointed, by a merge and its undo).
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from items.models.catalog import Item
from venues.models import StorageArea, TenantModel


class StockMovement(TenantModel):
    class Kind(models.TextChoices):
        OPENING = "opening", "Opening balance"
        RECEIPT = "receipt", "Received (invoice)"
        COUNT = "count", "Count adjustment"
        TRANSFER_OUT = "transfer_out", "Transfer out"
        TRANSFER_IN = "transfer_in", "Transfer in"
        WRITE_OFF = "write_off", "Write-off"
        QUARANTINE = "quarantine", "Moved to quarantine"
        RELEASE = "release", "Released from quarantine"
        SALE = "sale", "Sale"
        RETURN = "return", "Customer return"
        CORRECTION = "correction", "Correction"

    # Kinds that take stock out of a storage area and so may not take more than is there.
    OUTGOING_KINDS = (Kind.TRANSFER_OUT, Kind.WRITE_OFF, Kind.QUARANTINE)

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="movements")
    storage_area = models.ForeignKey(StorageArea, on_delete=models.PROTECT, related_name="movements")
    quantity = models.DecimalField(max_digits=14, decimal_places=3, help_text="Units; negative takes stock out.")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    business_date = models.DateField(help_text="The day it happened (an invoice's date, a count's date).")
    reason = models.CharField(max_length=300, blank=True)
    # What caused it: ("invoice", 17), ("count", 4), ("transfer", uuid)… for links and idempotency.
    source_type = models.CharField(max_length=30, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-business_date", "-created_at", "-id"]
        indexes = [
            models.Index(fields=["item", "storage_area"], name="movement_item_area_idx"),
            models.Index(fields=["organization", "source_type", "source_id"], name="movement_source_idx"),
        ]
        triggers = [
            pgtrigger.ReadOnly(
                name="stock_movement_append_only",
                exclude=["item"],  # a merge re-points movements to the surviving item (and undo back)
            ),
            pgtrigger.Protect(name="stock_movement_no_delete", operation=pgtrigger.Delete),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.quantity:+} of item {self.item_id}"


class StockLevel(TenantModel):
    """Units of an item in a storage area: always the sum of its movements."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="stock_levels")
    storage_area = models.ForeignKey(StorageArea, on_delete=models.CASCADE, related_name="stock_levels")
    quantity = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "storage_area"], name="one_level_per_item_and_area")]
        indexes = [models.Index(fields=["storage_area", "item"], name="level_area_item_idx")]

    def __str__(self):
        return f"{self.quantity} of item {self.item_id} in area {self.storage_area_id}"


class StockCount(TenantModel):
    """A count of one storage area. Finishing it turns differences into count movements."""

    class Status(models.TextChoices):
        OPEN = "open", "In progress"
        FINISHED = "finished", "Finished"
        CANCELLED = "cancelled", "Cancelled"

    storage_area = models.ForeignKey(StorageArea, on_delete=models.PROTECT, related_name="counts")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    business_date = models.DateField()
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(default=now)
    finished_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    finished_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["storage_area"], condition=Q(status="open"), name="one_open_count_per_storage_area"
            ),
        ]

    def __str__(self):
        return f"Count of {self.storage_area} on {self.business_date}"


class StockCountLine(TenantModel):
    """What was counted of one item: full units plus tenths of an open bottle."""

    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="count_lines")
    full_units = models.PositiveIntegerField(default=0)
    tenths = models.PositiveSmallIntegerField(default=0, help_text="0–9 tenths of an open bottle")
    # Filled in when the count is finished: what the ledger said, and the adjustment made.
    expected_quantity = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    adjustment = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    counted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    counted_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["item__name"]
        constraints = [
            models.UniqueConstraint(fields=["count", "item"], name="one_line_per_item_per_count"),
            models.CheckConstraint(condition=Q(tenths__lte=9), name="count_tenths_0_to_9"),
        ]

    @property
    def quantity(self):
        from decimal import Decimal

        return Decimal(self.full_units) + Decimal(self.tenths) / 10
