"""Forms of the review pages. They only check shapes; the services check the rules."""

from __future__ import annotations

from django import forms

UOM_CHOICES = [("EA", "EA (bottles, cans, kegs)"), ("CS", "CS (cases)")]


class LineEditForm(forms.Form):
    """Quantity, unit price and unit of one line, as delivered."""

    quantity = forms.CharField(max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}))
    unit_price = forms.CharField(
        label="Unit price", max_length=20, required=False, help_text="Per unit of measure; blank if unknown.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}),
    )  # fmt: skip
    uom = forms.ChoiceField(label="Unit", choices=UOM_CHOICES)

    def __init__(self, *args, line=None, **kwargs):
        if line is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "quantity": format(line.quantity.normalize(), "f"),
                "unit_price": "" if line.unit_price is None else format(line.unit_price.normalize(), "f"),
                "uom": line.uom,
            }
        super().__init__(*args, **kwargs)
        prefix = f"line-{line.pk}-" if line is not None else ""
        for name, field in self.fields.items():
            field.widget.attrs["id"] = f"id_{prefix}{name}"


class NewItemForm(forms.Form):
    """A new item from a line: what the line says, corrected by the reviewer."""

    name = forms.CharField(max_length=200)
    size = forms.CharField(max_length=40, required=False, help_text="e.g. 750ML, 1.75L, 12OZ, 1/2 BBL")
    units_per_case = forms.IntegerField(label="Units per case", min_value=1, max_value=10_000, required=False)
    category = forms.ChoiceField(choices=())

    def __init__(self, *args, line=None, **kwargs):
        from items.importing.fields import category_from_item, category_from_text
        from items.models import Item

        if line is not None and "initial" not in kwargs:
            category = (category_from_text(line.category) if line.category else None) or category_from_item(
                line.description or ""
            )
            kwargs["initial"] = {"name": line.description, "size": line.size, "units_per_case": line.units_per_case,
                                 "category": category or Item.Category.OTHER}  # fmt: skip
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = Item.Category.choices
        prefix = f"line-{line.pk}-new-" if line is not None else "new-"
        for name, field in self.fields.items():
            field.widget.attrs["id"] = f"id_{prefix}{name}"


class AddLineForm(forms.Form):
    """A line the feed left out: the item (chosen with the typeahead), quantity, unit, price."""

    item = forms.IntegerField(widget=forms.HiddenInput, required=False)
    quantity = forms.CharField(max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    uom = forms.ChoiceField(label="Unit", choices=UOM_CHOICES)
    unit_price = forms.CharField(label="Unit price", max_length=20, required=False,
                                 widget=forms.TextInput(attrs={"inputmode": "decimal"}))  # fmt: skip
    description = forms.CharField(max_length=300, required=False, help_text="Optional; the item's name otherwise.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["id"] = f"id_add-{name}"


class RejectForm(forms.Form):
    reason = forms.CharField(
        max_length=300, widget=forms.Textarea(attrs={"rows": 2, "id": "id_reject-reason"}),
        help_text="The distributor or a colleague will ask: e.g. “not our delivery”, “sent twice”.",
    )  # fmt: skip


class AttachForm(forms.Form):
    """The file only; what it really is (by content) and its size are the service's to check."""

    copy = forms.FileField(label="Digital copy", help_text="A PDF, JPG or PNG of the paper invoice.")


class AssignVenueForm(forms.Form):
    """The venues with Product Connect on; anything else is refused with the reason."""

    venue = forms.CharField(required=False, widget=forms.Select)

    def __init__(self, *args, venues, invoice=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._venues = {str(v.pk): v for v in venues}
        self.fields["venue"].widget.choices = [("", "Choose a venue…"), *((k, v.name) for k, v in self._venues.items())]
        self.fields["venue"].widget.attrs["required"] = True
        if invoice is not None:
            self.fields["venue"].widget.attrs["id"] = f"id_venue-{invoice.pk}"

    def clean_venue(self):
        value = self.cleaned_data["venue"]
        if not value:
            raise forms.ValidationError("Choose the venue this invoice belongs to.")
        venue = self._venues.get(value)
        if venue is None:
            raise forms.ValidationError("Choose a venue with Product Connect on (turn it on in Manage Organization).")
        return venue
