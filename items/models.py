"""Items: what a venue stocks. The catalog grows in the items issue (identifiers, ledger, import)."""

from django.db import models
from django.utils import timezone

from venues.models import TenantModel


class Item(TenantModel):
    class Category(models.TextChoices):
        BEER = "beer", "Beer"
        WINE = "wine", "Wine"
        SPIRITS = "spirits", "Spirits"
        NON_ALCOHOLIC = "non_alcoholic", "Non-alcoholic"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    producer = models.CharField(max_length=200, blank=True)
    size_label = models.CharField("size", max_length=40, blank=True, help_text="As written, e.g. 750ML")
    size_ml = models.DecimalField("size (ml)", max_digits=10, decimal_places=2, null=True, blank=True)
    units_per_case = models.PositiveIntegerField(default=1)
    upc = models.CharField("unit UPC", max_length=20, blank=True, db_index=True)
    cost_per_unit = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["organization", "name"], name="item_org_name_idx")]

    def __str__(self):
        return f"{self.name} {self.size_label}".strip()
