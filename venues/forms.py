from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm

from venues.models import US_TIMEZONES, Membership, Venue


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}))

    error_messages = {
        "invalid_login": "That email and password do not match an account. Check both and try again.",
        "inactive": "This account is disabled. Ask your organization's admin.",
    }


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

        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            try:
                validate_password(p1)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class VenueForm(forms.ModelForm):
    timezone = forms.ChoiceField(choices=[(tz, tz.replace("_", " ")) for tz in US_TIMEZONES], required=True)

    class Meta:
        model = Venue
        fields = ["name", "address_line1", "address_line2", "city", "state", "postal_code", "country", "timezone",
                  "product_connect_enabled"]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from venues.models import TIMEZONES

        current = self.initial.get("timezone") or getattr(self.instance, "timezone", "")
        choices = list(self.fields["timezone"].choices)
        if current and current not in US_TIMEZONES:
            choices.append((current, current.replace("_", " ")))
        choices.append(("", "──────────"))
        choices += [(tz, tz.replace("_", " ")) for tz in TIMEZONES if tz not in US_TIMEZONES]
        self.fields["timezone"].choices = choices
        self.fields["state"].required = False

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


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.STAFF)
