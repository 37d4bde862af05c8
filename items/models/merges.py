"""Merges of duplicate items (undoable) and duplicate suggestions a user dismissed."""

from django.conf import settings
from django.db import models
from django.utils.timezone import now

from items.models.catalog import Item
from venues.models import TenantModel


class ItemMerge(TenantModel):
    """One merge of `merged` into `survivor`, with everything needed to undo it.

    `moved` records, per registered reference (see items/services/merge.py), the ids of the
    rows that were re-pointed and the survivor fields that were filled in, so an undo puts
    exactly those back.
    """

    survivor = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="merges_received")
    merged = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="merges_given")
    moved = models.JSONField(default=dict)
    performed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    performed_at = models.DateTimeField(default=now)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-performed_at"]

    def __str__(self):
        return f"Merge of item {self.merged_id} into {self.survivor_id}"

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None


class DismissedDuplicate(TenantModel):
    """A pair of items a user said are not duplicates; never suggested again."""

    item_low = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    item_high = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    dismissed_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item_low", "item_high"], name="dismissed_pair_unique"),
            models.CheckConstraint(condition=models.Q(item_low__lt=models.F("item_high")), name="dismissed_pair_ordered"),
        ]
