"""Forms of the Items page: the search filters and adding or editing an item by hand.

Field errors are the messages people see next to the fields, so they say what to type.
Saving goes through items.services.catalog; a wrong UPC check digit is no error here
(the service keeps it and returns a warning), because real catalogs carry such codes.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms

from items.errors import ItemsError
from items.models import Item
from items.selectors import SORTS, Archived, ItemFilters
from items.services.catalog import apply_size

ANY = [("", "All")]


class ItemFilterForm(forms.Form):
    """The GET parameters of the Items page. Invalid values are ignored, never an error page."""

    q = forms.CharField(required=False, label="Search", max_length=200)
    category = forms.ChoiceField(required=False, choices=[("", "All categories"), *Item.Category.choices])
    distributor = forms.ChoiceField(required=False, choices=())
    venue = forms.ChoiceField(required=False, choices=())
    low = forms.BooleanField(required=False, label="Below par")
    archived = forms.ChoiceField(required=False, choices=Archived.CHOICES, label="Show")
    sort = forms.ChoiceField(required=False, choices=[(key, label) for key, (label, _) in SORTS.items()])

    def __init__(self, data=None, *, distributors, venues, **kwargs):
        super().__init__(data, **kwargs)
        self._distributors = {str(d.pk): d for d in distributors}
        self._venues = {str(v.pk): v for v in venues}
        self.fields["distributor"].choices = [("", "All distributors"), *((k, d.name) for k, d in self._distributors.items())]
        self.fields["venue"].choices = [("", "All venues"), *((k, v.name) for k, v in self._venues.items())]

    def value(self, name: str) -> str:
        """The cleaned value, or empty when the form was not valid for that field."""
        if not self.is_bound:
            return ""
        cleaned = getattr(self, "cleaned_data", {})
        return cleaned.get(name) or ""

    def to_filters(self) -> ItemFilters:
        self.is_valid()  # errors in one parameter drop only that parameter
        return ItemFilters(
            category=self.value("category"),
            distributor=self._distributors.get(self.value("distributor")),
            venue=self._venues.get(self.value("venue")),
            low_stock=bool(self.value("low")),
            archived=self.value("archived"),
        )

    @property
    def query(self) -> str:
        self.is_valid()
        return (self.value("q") or "").strip()


_CODE_CHARACTERS = re.compile(r"^[\d\s\-.]*$")


def _clean_code(value: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if not _CODE_CHARACTERS.match(value):
        raise forms.ValidationError(f"A {label} has only digits (spaces and dashes are fine).")
    digits = re.sub(r"\D", "", value.removesuffix(".0"))
    if len(digits) > 14:
        raise forms.ValidationError(f"A {label} has at most 14 digits; this one has {len(digits)}.")
    return value


class ItemForm(forms.Form):
    """Add or edit an item. Size is text ("750ML", "1/2 BBL"), read by items.sizes."""

    name = forms.CharField(max_length=200, help_text="As it appears on the bottle or invoice, without the size.")
    category = forms.ChoiceField(choices=Item.Category.choices, initial=Item.Category.SPIRITS)
    size = forms.CharField(
        max_length=40, required=False, help_text="e.g. 750ML, 1.75L, 12OZ, 1/2 BBL. Leave empty for no size."
    )
    units_per_case = forms.IntegerField(label="Units per case", min_value=1, max_value=10000, initial=1)
    producer = forms.CharField(max_length=200, required=False)
    importer = forms.CharField(max_length=200, required=False)
    upc = forms.CharField(label="Unit UPC", max_length=24, required=False,
                          help_text="The barcode on the bottle or can. A wrong check digit is saved with a warning.")  # fmt: skip
    case_gtin = forms.CharField(label="Case GTIN", max_length=24, required=False, help_text="The barcode on the case.")
    cost_per_unit = forms.DecimalField(
        label="Cost per unit ($)", required=False, min_value=Decimal(0), max_digits=12, decimal_places=4,
        help_text="What one unit costs you now. Changing it adds to the cost history.",
    )  # fmt: skip
    preferred_distributor = forms.ChoiceField(label="Preferred distributor", required=False, choices=())
    vintage = forms.IntegerField(required=False, min_value=1800, max_value=2100)
    abv = forms.DecimalField(label="ABV %", required=False, min_value=Decimal(0), max_value=Decimal(100), max_digits=5, decimal_places=2)  # fmt: skip
    proof = forms.DecimalField(required=False, min_value=Decimal(0), max_value=Decimal(200), max_digits=5, decimal_places=1)  # fmt: skip

    def __init__(self, data=None, *, distributors, item: Item | None = None, **kwargs):
        if item is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_for(item)
        super().__init__(data, **kwargs)
        self.item = item
        self._distributors = {str(d.pk): d for d in distributors}
        self.fields["preferred_distributor"].choices = [("", "None"), *((k, d.name) for k, d in self._distributors.items())]
        self.fields["name"].widget.attrs.update(autocomplete="off")
        self.fields["size"].widget.attrs.update(autocomplete="off", placeholder="750ML")
        for code in ("upc", "case_gtin"):
            self.fields[code].widget.attrs.update(inputmode="numeric", autocomplete="off")

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the item a name.")
        return name

    def clean_size(self):
        text = self.cleaned_data["size"].strip()
        try:
            apply_size(Item(), text)  # the parser used everywhere, with its own message
        except ItemsError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text

    def clean_upc(self):
        return _clean_code(self.cleaned_data["upc"], "UPC")

    def clean_case_gtin(self):
        return _clean_code(self.cleaned_data["case_gtin"], "case GTIN")

    def clean_preferred_distributor(self):
        value = self.cleaned_data["preferred_distributor"]
        return self._distributors.get(value) if value else None

    def clean(self):
        cleaned = super().clean()
        abv, proof = cleaned.get("abv"), cleaned.get("proof")
        if abv is not None and proof is not None and abs(abv * 2 - proof) > 1:
            self.add_error("proof", f"Proof is twice the ABV: {abv}% ABV is {abv * 2:g} proof, not {proof:g}.")
        return cleaned

    def service_fields(self) -> dict:
        """Keyword arguments for create_item / update_item."""
        data = dict(self.cleaned_data)
        cost = data.pop("cost_per_unit", None)
        return {"cost_per_unit": cost, **data}


def _plain_money(value: Decimal | None) -> Decimal | None:
    """12.5000 -> 12.50, 0.3333 -> 0.3333: what the field shows (an equal Decimal, so unchanged)."""
    if value is None:
        return None
    cents = value.quantize(Decimal("0.01"))
    return cents if cents == value else value.normalize()


def initial_for(item: Item) -> dict:
    return {
        "name": item.name,
        "category": item.category,
        "size": item.size_label,
        "units_per_case": item.units_per_case,
        "producer": item.producer,
        "importer": item.importer,
        "upc": item.upc,
        "case_gtin": item.case_gtin,
        "cost_per_unit": _plain_money(item.cost_per_unit),
        "preferred_distributor": str(item.preferred_distributor_id or ""),
        "vintage": item.vintage,
        "abv": item.abv,
        "proof": item.proof,
    }


class ParForm(forms.Form):
    venue = forms.ChoiceField(choices=())
    par = forms.DecimalField(required=False, min_value=Decimal(0), max_digits=12, decimal_places=3,
                             help_text="Units to keep on hand; empty clears it.")  # fmt: skip

    def __init__(self, data=None, *, venues, **kwargs):
        super().__init__(data, **kwargs)
        self._venues = {str(v.pk): v for v in venues}
        self.fields["venue"].choices = [(k, v.name) for k, v in self._venues.items()]

    def clean_venue(self):
        return self._venues[self.cleaned_data["venue"]]
