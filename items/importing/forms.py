"""Forms of the Import Wizard."""

from __future__ import annotations

from django import forms

from distributors.models import Distributor
from items.importing.fields import FIELDS
from items.importing.reading import MAX_IMPORT_MB


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Catalog file", help_text=f"CSV (comma, semicolon or tab separated) or XLSX, up to {MAX_IMPORT_MB} MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    )  # fmt: skip
    venue = forms.ModelChoiceField(queryset=None, empty_label=None, label="Venue",
                                   help_text="Par levels in the file are set for this venue.")  # fmt: skip
    distributor = forms.ModelChoiceField(
        queryset=None, required=False, label="Distributor (optional)", empty_label="— none, or a column says —",
        help_text="Whose catalog this is: its SKUs and costs. A Distributor column in the file takes precedence.",
    )  # fmt: skip

    def __init__(self, *args, organization, venues, initial_venue=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = venues
        if initial_venue is not None:
            self.fields["venue"].initial = initial_venue.pk
        self.fields["distributor"].queryset = (
            Distributor.objects.for_org(organization).filter(is_active=True).order_by("name")
        )


FIELD_CHOICES = [("", "— leave out —")] + [(f.key, f.label) for f in FIELDS]
