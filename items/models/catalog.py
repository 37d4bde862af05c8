"""The catalog: items, the codes that name them, their cost history and par levels."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper
from django.utils.timezone import now

from venues.models import TenantModel, Venue


class Item(TenantModel):
    """One product a venue stocks, in one size and pack (two sizes are two items)."""

    class Category(models.TextChoices):
        BEER = "beer", "Beer"
        WINE = "wine", "Wine"
        SPIRITS = "spirits", "Spirits"
        NON_ALCOHOLIC = "non_alcoholic", "Non-alcoholic"
        OTHER = "other", "Other"

    class SizeUnit(models.TextChoices):
        ML = "ml", "ml"
        CL = "cl", "cl"
        L = "l", "L"
        FL_OZ = "fl_oz", "fl oz"
        GAL = "gal", "gal"
        BBL = "bbl", "BBL (keg)"
        EACH = "each", "each"

    class CostSource(models.TextChoices):
        MANUAL = "manual", "Entered by hand"
        IMPORT = "import", "Import"
        INVOICE = "invoice", "Invoice"
        MERGE = "merge", "Merge"

    name = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    producer = models.CharField(max_length=200, blank=True)
    importer = models.CharField(max_length=200, blank=True)
    size_quantity = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    size_unit = models.CharField(max_length=8, choices=SizeUnit.choices, blank=True)
    size_ml = models.DecimalField(
        "size (ml)", max_digits=12, decimal_places=3, null=True, blank=True,
        help_text="The size normalized to millilitres, where it is a volume.",
    )  # fmt: skip
    size_label = models.CharField("size", max_length=40, blank=True, help_text="e.g. 750ML, 1.75L, 12OZ, 1/2 BBL")
    units_per_case = models.PositiveIntegerField(default=1)
    upc = models.CharField("unit UPC", max_length=14, blank=True, db_index=True)
    upc_warning = models.CharField(max_length=120, blank=True)
    case_gtin = models.CharField("case GTIN", max_length=14, blank=True)
    case_gtin_warning = models.CharField(max_length=120, blank=True)
    cost_per_unit = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    cost_per_case = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    cost_date = models.DateField(null=True, blank=True)
    cost_source = models.CharField(max_length=10, choices=CostSource.choices, blank=True)
    cost_source_ref = models.CharField(max_length=200, blank=True, help_text="e.g. the invoice number")
    preferred_distributor = models.ForeignKey(
        "distributors.Distributor", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    vintage = models.PositiveSmallIntegerField(null=True, blank=True)
    abv = models.DecimalField("ABV %", max_digits=5, decimal_places=2, null=True, blank=True)
    proof = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    archived = models.BooleanField(default=False)
    # Set when the item was merged into another one; the merge can be undone from its history.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Upper-case name with abbreviations expanded and punctuation dropped (items.normalize):
    # duplicate suggestions and invoice matching compare this.
    name_key = models.CharField(max_length=250, blank=True, db_index=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name", "size_ml"]
        indexes = [
            models.Index(fields=["organization", "name"], name="item_org_name_idx"),
            models.Index(fields=["organization", "archived", "category"], name="item_org_archived_cat_idx"),
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="item_name_trgm_idx"),
            GinIndex(OpClass("name_key", name="gin_trgm_ops"), name="item_name_key_trgm_idx"),
        ]

    def __str__(self):
        return f"{self.name} {self.size_label}".strip()

    @property
    def display_pack(self) -> str:
        return f"{self.units_per_case}/cs" if self.units_per_case > 1 else "single"


class ItemIdentifier(TenantModel):
    """A code that names an item: a distributor's SKU, a UPC, a case GTIN, a channel SKU.

    Identifiers are never deleted: when a distributor changes a SKU the old row stays with
    `is_current = False`, so older invoices still resolve and history shows the change.
    """

    class Kind(models.TextChoices):
        DISTRIBUTOR_SKU = "sku", "Distributor SKU"
        UPC = "upc", "UPC"
        CASE_GTIN = "case_gtin", "Case GTIN"
        CHANNEL_SKU = "channel_sku", "Channel SKU"

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    value = models.CharField(max_length=64)
    distributor = models.ForeignKey(
        "distributors.Distributor", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scope = models.CharField(max_length=80, blank=True, help_text="e.g. the sales channel a channel SKU belongs to")
    is_current = models.BooleanField(default=True)
    source = models.CharField(max_length=80, blank=True, help_text="Where it was seen: import, invoice 123, manual")
    first_seen = models.DateTimeField(default=now)
    last_seen = models.DateTimeField(default=now)

    class Meta:
        ordering = ["kind", "-is_current", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "distributor", "scope", "value", "item"],
                name="identifier_unique_per_item",
                nulls_distinct=False,
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "kind", "value"], name="identifier_lookup_idx"),
            GinIndex(OpClass(Upper("value"), name="gin_trgm_ops"), name="identifier_value_trgm_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.value}"


class ItemCost(TenantModel):
    """Cost history: every cost an item had, with its date and where it came from."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="costs")
    cost_per_unit = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    cost_per_case = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    effective_date = models.DateField()
    source = models.CharField(max_length=10, choices=Item.CostSource.choices)
    source_ref = models.CharField(max_length=200, blank=True)
    distributor = models.ForeignKey("distributors.Distributor", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-effective_date", "-recorded_at"]
        indexes = [models.Index(fields=["item", "-effective_date"], name="itemcost_item_date_idx")]

    def __str__(self):
        return f"{self.item_id} {self.cost_per_unit} on {self.effective_date}"


class ItemPar(TenantModel):
    """The par level of an item at a venue: the stock to keep on hand, in units."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="pars")
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="+")
    par = models.DecimalField(max_digits=12, decimal_places=3)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "venue"], name="one_par_per_item_and_venue")]

    def __str__(self):
        return f"par {self.par}"
