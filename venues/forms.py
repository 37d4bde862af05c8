from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm

from venues.models import US_TIMEZONES, Membership, Venue


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}))

    error_messages = {
        "invalid_login": "That email and password do not match an account. Check both and try again.",
        "inactive": "This account is disabled. Ask your organization's admin.",
    }

    def clean_username(self):
        # Emails are stored lowercased. django-axes counts failures per username as passed to
        # authenticate(), so the same address in other letter cases must count as one
        # account, or the lockout could be sidestepped by retyping Owner@Bar.com.
        return self.cleaned_data["username"].lower()


class StyledPasswordResetForm(PasswordResetForm):
    email = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))


class StyledSetPasswordForm(SetPasswordForm):
    pass


class AcceptInvitationForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    password1 = forms.CharField(label="Choose a password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label="Repeat the password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        from django.contrib.auth.password_validation import validate_password

        from venues.models import User

        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            # An unsaved user lets the similarity validator compare the password with the
            # address and name the account will have.
            future_user = User(email=self.email, first_name=cleaned.get("first_name", ""),
                               last_name=cleaned.get("last_name", ""))  # fmt: skip
            try:
                validate_password(p1, user=future_user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class VenueForm(forms.ModelForm):
    """A venue's details and its Product Connect switch (Manage Organization).

    Validation here only gives friendly field errors; the service enforces the rules.
    """

    timezone = forms.ChoiceField(choices=[(tz, tz.replace("_", " ")) for tz in US_TIMEZONES], required=True)

    class Meta:
        model = Venue
        fields = ["name", "address_line1", "address_line2", "city", "state", "postal_code", "country", "timezone",
                  "product_connect_enabled"]  # fmt: skip
        labels = {"product_connect_enabled": "Enable Product Connect"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from venues.models import TIMEZONES

        current = self.initial.get("timezone") or getattr(self.instance, "timezone", "")
        others = [tz for tz in TIMEZONES if tz not in US_TIMEZONES]
        if current and current not in US_TIMEZONES and current not in others:
            others.insert(0, current)
        self.fields["timezone"].choices = [
            ("United States", [(tz, tz.replace("_", " ")) for tz in US_TIMEZONES]),
            ("Elsewhere", [(tz, tz.replace("_", " ")) for tz in others]),
        ]
        # A new venue (no instance values in `initial`) starts in the model's default timezone.
        self.fields["timezone"].initial = Venue._meta.get_field("timezone").default
        self.fields["state"].required = False
        toggle = self.fields.get("product_connect_enabled")
        if toggle is not None:
            toggle.widget.attrs["role"] = "switch"
            reason = self.instance.product_connect_unavailable_reason if self.instance.pk else ""
            if reason:
                # Drawn disabled with the reason next to it. Not `field.disabled`: a forged "on"
                # must come back as an error next to the switch, not be dropped silently.
                toggle.widget.attrs["disabled"] = True
                toggle.help_text = reason

    def clean(self):
        cleaned = super().clean()
        country, state = cleaned.get("country"), cleaned.get("state") or ""
        if country == "US" and not state:
            self.add_error("state", "Choose the venue's state.")
        if country and country != "US":
            if state:
                self.add_error("state", "Leave the US state blank for a venue outside the United States.")
            if cleaned.get("product_connect_enabled"):
                self.add_error("product_connect_enabled", "Product Connect is only available for venues in the United States.")
        return cleaned

    def _post_clean(self):
        # Keep model-level validation (CheckConstraints) from running before the service;
        # the service is the one place the rules are enforced.
        pass


class VenueCreateForm(VenueForm):
    """A new venue; Product Connect starts off and is turned on from the venue's row."""

    class Meta(VenueForm.Meta):
        fields = ["name", "address_line1", "address_line2", "city", "state", "postal_code", "country", "timezone"]


class StorageAreaForm(forms.Form):
    name = forms.CharField(label="Storage area name", max_length=100)


class InviteForm(forms.Form):
    """`venues` is the organization's venues to choose from; none ticked means every venue."""

    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.STAFF)
    venues = forms.ModelMultipleChoiceField(
        queryset=Venue.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Limit to venues", help_text="Leave all unticked for every venue.",
    )  # fmt: skip

    def __init__(self, *args, venues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venues"].queryset = venues


class MemberRoleForm(forms.Form):
    """`venues` is the organization's venues to choose from; none ticked means every venue."""

    role = forms.ChoiceField(choices=Membership.Role.choices)
    venues = forms.ModelMultipleChoiceField(queryset=Venue.objects.none(), required=False)

    def __init__(self, *args, venues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venues"].queryset = venues
