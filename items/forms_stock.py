"""Forms of the stock pages: transfer, write-off, quarantine, release, start a count.

The item is chosen before the form is shown (`?item=`), so each form gets it fixed; storage
area choices are the organization's areas the member may use, labelled with what the item
has there ("Back bar · 12 on hand", grouped by venue).
"""

from __future__ import annotations

from decimal import Decimal

from django import forms

from venues.models import StorageArea

QUANTITY_ERRORS = {
    "required": "Enter how many units.",
    "invalid": "Enter a number of units, e.g. 2 or 0.5.",
    "min_value": "Enter a quantity greater than zero.",
    "max_decimal_places": "Use at most 3 decimal places.",
    "max_digits": "That is more units than a storage area can hold.",
}


class AreaChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, levels: dict | None = None, **kwargs):
        self.levels = levels or {}
        super().__init__(*args, **kwargs)

    def label_from_instance(self, area: StorageArea) -> str:
        on_hand = self.levels.get(area.pk, Decimal(0))
        return f"{area.name} · {on_hand.normalize():f} on hand"

    def group_by_venue(self) -> None:
        """Choices grouped under their venue's name (short labels fit a phone's select)."""
        groups: dict[str, list] = {}
        for area in self.queryset:
            groups.setdefault(area.venue.name, []).append((area.pk, self.label_from_instance(area)))
        self.choices = [("", self.empty_label), *groups.items()]


def _quantity_field(label: str = "Quantity (units)") -> forms.DecimalField:
    return forms.DecimalField(
        label=label, max_digits=14, decimal_places=3, min_value=Decimal("0.001"), error_messages=QUANTITY_ERRORS,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text="Units of the item; tenths of a bottle as a decimal, e.g. 0.5.",
    )  # fmt: skip


def _reason_field(*, required: bool, help_text: str) -> forms.CharField:
    return forms.CharField(
        label="Reason", max_length=300, required=required, help_text=help_text,
        error_messages={"required": "Say why; it goes into the stock history."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )  # fmt: skip


class _StockForm(forms.Form):
    """Area fields get their querysets and on-hand labels from the view."""

    def __init__(self, *args, areas=None, quarantine_areas=None, destinations=None, levels=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name, queryset in (("storage_area", areas), ("from_area", areas), ("to_area", destinations),
                               ("quarantine_area", quarantine_areas)):  # fmt: skip
            if name in self.fields:
                self.fields[name].queryset = queryset if queryset is not None else StorageArea.objects.none()
                self.fields[name].levels = levels or {}
                self.fields[name].group_by_venue()

    @staticmethod
    def area_field(label: str, *, help_text: str = "") -> AreaChoiceField:
        return AreaChoiceField(
            queryset=StorageArea.objects.none(), label=label, empty_label="Choose a storage area", help_text=help_text,
            error_messages={"required": "Choose a storage area.",
                            "invalid_choice": "That storage area is not available; choose another."},
        )  # fmt: skip


class TransferForm(_StockForm):
    from_area = _StockForm.area_field("From")
    to_area = _StockForm.area_field("To", help_text="Any storage area of any of your organization's venues.")
    quantity = _quantity_field()
    reason = _reason_field(required=False, help_text="Optional, e.g. restocking the bar.")

    def clean(self):
        data = super().clean()
        if data.get("from_area") and data.get("to_area") and data["from_area"].pk == data["to_area"].pk:
            self.add_error("to_area", "Choose a storage area other than the one the stock comes from.")
        return data


class WriteOffForm(_StockForm):
    storage_area = _StockForm.area_field("From")
    quantity = _quantity_field()
    reason = _reason_field(required=True, help_text="Required, e.g. broken bottle, spoiled keg, comped.")


class QuarantineForm(_StockForm):
    storage_area = _StockForm.area_field("From", help_text="The units go to the venue's Quarantine area.")
    quantity = _quantity_field()
    reason = _reason_field(required=True, help_text="Required, e.g. recall notice, damaged case, awaiting credit.")


class ReleaseForm(_StockForm):
    quarantine_area = _StockForm.area_field("From quarantine")
    to_area = _StockForm.area_field("Back to")
    quantity = _quantity_field()
    reason = _reason_field(required=False, help_text="Optional, e.g. credit refused, recall lifted.")


class CountLineForm(forms.Form):
    """What the count sheet posts for one line; the service checks the ranges and says why."""

    full_units = forms.CharField(required=False, max_length=12)
    tenths = forms.CharField(required=False, max_length=4)

    @property
    def is_blank(self) -> bool:
        return not (self.cleaned_data.get("full_units", "").strip() or self.cleaned_data.get("tenths", "").strip())
