"""Forms for the distributor pages. They give friendly field errors; the services enforce the rules."""

from django import forms

from distributors.models import Distributor, DistributorAccount, SalesRep


class DistributorForm(forms.ModelForm):
    website = forms.URLField(required=False, assume_scheme="https", max_length=200,
                             widget=forms.URLInput(attrs={"autocomplete": "off", "placeholder": "https://"}))  # fmt: skip

    class Meta:
        model = Distributor
        fields = ["name", "code", "website", "phone", "email"]
        labels = {"code": "Code", "website": "Website"}
        help_texts = {"code": "Optional: the distributor's id in invoice feeds (e.g. its DUNS)."}
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
        }

    def _post_clean(self):
        # No model validation here: the service is the one place the rules are enforced.
        pass


class DistributorEditForm(DistributorForm):
    class Meta(DistributorForm.Meta):
        fields = [*DistributorForm.Meta.fields, "is_active"]
        labels = {**DistributorForm.Meta.labels, "is_active": "Active"}
        help_texts = {**DistributorForm.Meta.help_texts,
                      "is_active": "Untick to retire it: it stays on past invoices and items but takes no new accounts."}  # fmt: skip


class AccountForm(forms.ModelForm):
    """`venues` are the venues to choose from (those the member works in)."""

    class Meta:
        model = DistributorAccount
        fields = ["venue", "account_number", "notes"]
        labels = {"account_number": "Account number"}
        widgets = {
            "account_number": forms.TextInput(attrs={"autocomplete": "off"}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, venues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = venues
        self.fields["venue"].empty_label = None if venues.count() == 1 else "Choose a venue"

    def _post_clean(self):
        pass


class NewAccountForm(AccountForm):
    """A new account, optionally with its sales rep."""

    rep_name = forms.CharField(label="Sales rep's name", max_length=200, required=False)
    rep_email = forms.EmailField(label="Sales rep's email", required=False,
                                 widget=forms.EmailInput(attrs={"autocomplete": "off"}))  # fmt: skip
    rep_phone = forms.CharField(label="Sales rep's phone", max_length=40, required=False,
                                widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("rep_email") or cleaned.get("rep_phone")) and not cleaned.get("rep_name"):
            self.add_error("rep_name", "Enter the sales rep's name, or leave the rep's fields empty.")
        return cleaned

    def sales_rep(self) -> dict:
        data = self.cleaned_data
        return {"name": data.get("rep_name", ""), "email": data.get("rep_email", ""), "phone": data.get("rep_phone", "")}


class SalesRepForm(forms.ModelForm):
    class Meta:
        model = SalesRep
        fields = ["name", "email", "phone"]
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "off"}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }

    def _post_clean(self):
        pass
