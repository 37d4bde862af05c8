"""Forms of the feeds pages. They parse input; the rules live in invoices.services.feeds."""

from __future__ import annotations

from django import forms

from invoices import transport
from invoices.models import SupplierFeed


class FeedForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="How the feed is listed, e.g. “Breakthru Beverage EDI”.")
    distributor = forms.ModelChoiceField(queryset=None, empty_label="Choose a distributor…",
                                         help_text="Whose invoices the feed brings.")  # fmt: skip
    transport = forms.ChoiceField(
        label="How documents arrive", choices=SupplierFeed.Transport.choices,
        help_text="A web address Backstock pulls from, a folder on the server the distributor drops files into, "
                  "or files you upload by hand on the feed's page.",
    )  # fmt: skip
    format = forms.ChoiceField(choices=SupplierFeed.Format.choices,
                               help_text="Detect reads each document and decides (CSV, JSON or EDI X12 810).")  # fmt: skip
    url = forms.CharField(label="Feed address", required=False, max_length=200,
                          widget=forms.URLInput(attrs={"placeholder": "https://feeds.example.com/v1/acme"}),
                          help_text="Base address: Backstock requests …/invoices?since=… from it.")  # fmt: skip
    token = forms.CharField(
        required=False, max_length=500, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Sent as “Authorization: Bearer …”. Never shown again once saved.",
    )  # fmt: skip
    folder = forms.CharField(label="Drop folder", required=False, max_length=500)
    schedule_seconds = forms.IntegerField(label="Pull every (seconds)", initial=30, min_value=10, max_value=86400,
                                          help_text="30 seconds gets new invoices into the inbox within a minute.")  # fmt: skip
    enabled = forms.BooleanField(label="Enabled", required=False, initial=True,
                                 help_text="A disabled feed is not pulled; its documents stay.")  # fmt: skip

    def __init__(self, *args, distributors, organization, feed: SupplierFeed | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.feed = feed
        self.fields["distributor"].queryset = distributors
        root = transport.organization_drop_root(organization)
        self.fields["folder"].help_text = (
            f"A folder inside {root} (a name like “breakthru” is taken inside it). Files are stored, then moved "
            f"into its processed/ folder; names starting with a dot or ending in .tmp/.part are left until complete."
        )
        self.fields["folder"].widget.attrs["placeholder"] = "breakthru"
        if feed is not None:
            self.fields["clear_token"] = forms.BooleanField(label="Remove the stored token", required=False)
            self.fields["token"].help_text = (
                ("A token is stored. " if feed.token else "No token is stored. ")
                + "Leave empty to keep it; type a new one to replace it. Never shown again once saved."
            )


ACCEPT = ".csv,.txt,.json,.edi,.x12,.810,text/csv,application/json,text/plain"


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Invoice document",
        help_text=f"A CSV, a JSON invoice page or an EDI X12 810 file, up to "
                  f"{transport.MAX_DOCUMENT_BYTES // (1024 * 1024)} MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )  # fmt: skip
