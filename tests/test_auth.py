"""Signing in and out, lockout, password reset by email, invitations, switching organization,
and CSRF with htmx — through the Django test client, as a browser would do it."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from venues.models import Membership, User
from venues.services import invite_user, revoke_invitation
from venues.tests.factories import DEFAULT_PASSWORD, UserFactory, VenueFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-cellar-key-42"


def sign_in(client, email, password=DEFAULT_PASSWORD, **extra):
    return client.post(reverse("login"), {"username": email, "password": password}, **extra)


def signed_in_user_id(client):
    return client.session.get(SESSION_KEY)


def link_in(message) -> str:
    """The one http(s) link of an email, as a path the test client can open."""
    links = re.findall(r"https?://testserver(/\S+)", message.body)
    assert len(links) == 1, f"expected one link in the email, found {links}: {message.body}"
    return links[0]


def invite(admin, organization, email, role=Membership.Role.MANAGER, venues=(), capture=None):
    """Invite through the service, as the Manage Organization page does, and send the email."""
    with capture(execute=True):
        invitation, token = invite_user(
            actor=admin,
            organization=organization,
            email=email,
            role=role,
            venues=venues,
            accept_url_builder=lambda token: "http://testserver" + reverse("accept_invitation", args=[token]),
        )
    return invitation, token


# --- signing in and out ---------------------------------------------------------------------


def test_signing_in_with_the_right_password_reaches_the_dashboard(client, tenant):
    response = sign_in(client, tenant.manager.email, follow=True)

    assert response.redirect_chain == [(reverse("dashboard"), 302)]
    assert signed_in_user_id(client) == str(tenant.manager.pk)
    assert b"<h1>Copper Tap Group" in response.content
    assert b'data-testid="active-organization">Copper Tap Group<' in response.content


def test_the_email_is_matched_whatever_its_letter_case(client, tenant):
    response = sign_in(client, tenant.manager.email.upper())

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(tenant.manager.pk)


def test_a_wrong_password_shows_a_clear_error_and_signs_nobody_in(client, tenant):
    response = sign_in(client, tenant.manager.email, "not-the-password")

    assert response.status_code == 200
    assert b'data-testid="login-error"' in response.content
    assert b"That email and password do not match an account." in response.content
    assert signed_in_user_id(client) is None


def test_repeated_wrong_passwords_lock_the_account_out_and_the_page_says_so(client, tenant):
    for attempt in range(4):
        response = sign_in(client, tenant.manager.email, f"wrong-{attempt}")
        assert response.status_code == 200, f"attempt {attempt + 1} should still show the sign-in form"
        assert b"do not match" in response.content

    fifth = sign_in(client, tenant.manager.email, "wrong-5")

    assert fifth.status_code == 429
    assert b'data-testid="locked-out"' in fifth.content
    assert b"paused for 15 minutes" in fifth.content


def test_while_locked_out_even_the_right_password_is_refused(client, tenant):
    for attempt in range(5):
        sign_in(client, tenant.manager.email, f"wrong-{attempt}")

    response = sign_in(client, tenant.manager.email, DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content
    assert signed_in_user_id(client) is None


def test_retyping_the_address_in_other_letter_cases_does_not_escape_the_lockout(client, tenant):
    email = tenant.manager.email
    for variant in [email, email.upper(), email.title(), email.swapcase(), email.capitalize()]:
        sign_in(client, variant, "wrong")

    response = sign_in(client, email.upper(), DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert signed_in_user_id(client) is None


def test_the_lockout_is_per_account_and_address(client, tenant):
    for attempt in range(5):
        sign_in(client, tenant.manager.email, f"wrong-{attempt}")

    teammate = sign_in(Client(), tenant.staff.email)
    same_account_elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    from_elsewhere = sign_in(same_account_elsewhere, tenant.manager.email)

    assert teammate.status_code == 302
    assert from_elsewhere.status_code == 302
    assert signed_in_user_id(same_account_elsewhere) == str(tenant.manager.pk)


def test_signing_out_takes_a_post_and_ends_the_session(client, tenant):
    sign_in(client, tenant.manager.email)

    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))

    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert signed_in_user_id(client) is None
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("login"))


def test_pages_need_a_signed_in_user(client, tenant):
    response = client.get(reverse("items:index"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('items:index')}"


# --- password reset by email ----------------------------------------------------------------


def test_a_password_reset_by_email_sets_a_new_password_to_sign_in_with(client, tenant):
    response = client.post(reverse("password_reset"), {"email": tenant.manager.email.upper()})
    assert response["Location"] == reverse("password_reset_done")

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [tenant.manager.email]
    assert email.subject == "Reset your Backstock password"
    link = link_in(email)

    form_page = client.get(link, follow=True)
    assert b"Choose a new password" in form_page.content and b"new_password1" in form_page.content
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("password_reset_complete")

    assert sign_in(Client(), tenant.manager.email, DEFAULT_PASSWORD).status_code == 200  # the old one is gone
    fresh = Client()
    assert sign_in(fresh, tenant.manager.email, NEW_PASSWORD)["Location"] == reverse("dashboard")
    assert signed_in_user_id(fresh) == str(tenant.manager.pk)


def test_a_password_reset_link_works_only_once(client, tenant):
    client.post(reverse("password_reset"), {"email": tenant.manager.email})
    link = link_in(mail.outbox[0])
    set_password_url = client.get(link)["Location"]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = Client().get(link, follow=True)

    assert b"This reset link is invalid or was already used." in again.content
    assert b"new_password1" not in again.content


def test_a_password_reset_for_an_unknown_address_sends_nothing_and_looks_the_same(client, tenant):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.test"}, follow=True)

    assert mail.outbox == []
    assert b"Check your email" in response.content  # no hint whether an account exists


def test_a_new_password_from_the_emailed_link_lifts_a_lockout(client, tenant):
    for attempt in range(5):
        sign_in(client, tenant.manager.email, f"wrong-{attempt}")
    assert sign_in(client, tenant.manager.email, DEFAULT_PASSWORD).status_code == 429

    client.post(reverse("password_reset"), {"email": tenant.manager.email})
    set_password_url = client.get(link_in(mail.outbox[0]))["Location"]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert sign_in(client, tenant.manager.email, NEW_PASSWORD)["Location"] == reverse("dashboard")


# --- invitations ----------------------------------------------------------------------------


def test_an_invited_newcomer_creates_an_account_joins_with_the_role_and_is_signed_in(
    client, tenant, django_capture_on_commit_callbacks
):
    invite(tenant.admin, tenant.organization, "New.Buyer@Example.test", capture=django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["new.buyer@example.test"]
    assert "Copper Tap Group" in email.subject and "as Manager" in email.body
    link = link_in(email)
    page = client.get(link)
    assert b"Create my account and join" in page.content

    response = client.post(
        link,
        {"first_name": "Nia", "last_name": "Buyer", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    )

    user = User.objects.get(email="new.buyer@example.test")
    assert user.check_password(NEW_PASSWORD) and user.get_full_name() == "Nia Buyer"
    membership = Membership.objects.get(user=user)
    assert (membership.organization, membership.role) == (tenant.organization, Membership.Role.MANAGER)
    assert response.redirect_chain == [(reverse("dashboard"), 302)]
    assert signed_in_user_id(client) == str(user.pk)
    assert b"Welcome to Copper Tap Group." in response.content
    assert b'data-testid="active-organization">Copper Tap Group<' in response.content


def test_an_admin_invites_from_manage_organization_and_the_emailed_link_lets_the_invitee_join(
    client_for, tenant, django_capture_on_commit_callbacks
):
    admin = client_for(tenant.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(reverse("manage:invite"), {"email": "barback@example.test", "role": "staff"})
    assert response.status_code == 302
    admin.post(reverse("logout"))

    (email,) = mail.outbox
    assert email.to == ["barback@example.test"]
    joined = Client().post(link_in(email), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}, follow=True)

    assert Membership.objects.get(user__email="barback@example.test").role == Membership.Role.STAFF
    assert b'data-testid="active-organization">Copper Tap Group<' in joined.content


def test_a_newcomer_who_mistypes_the_password_gets_the_form_back_and_no_account(
    client, tenant, django_capture_on_commit_callbacks
):
    invite(tenant.admin, tenant.organization, "typo@example.test", capture=django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])

    response = client.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"})

    assert response.status_code == 200
    assert b"The two passwords differ." in response.content
    assert not User.objects.filter(email="typo@example.test").exists()


def test_an_invitation_limited_to_one_venue_gives_a_membership_that_sees_only_that_venue(
    client, tenant, django_capture_on_commit_callbacks
):
    patio = VenueFactory(organization=tenant.organization, name="Copper Tap Patio")
    invite(tenant.admin, tenant.organization, "patio@example.test", role=Membership.Role.STAFF, venues=[patio],
           capture=django_capture_on_commit_callbacks)  # fmt: skip

    response = client.post(
        link_in(mail.outbox[0]), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}, follow=True
    )

    membership = Membership.objects.get(user__email="patio@example.test")
    assert membership.role == Membership.Role.STAFF
    assert list(membership.venues.all()) == [patio]
    assert b'data-testid="active-venue">Copper Tap Patio<' in response.content
    assert tenant.venue.name.encode() not in response.content


def test_a_member_of_another_organization_signs_in_first_and_then_joins(
    client, tenant, other_tenant, django_capture_on_commit_callbacks
):
    outsider = other_tenant.manager
    invite(tenant.admin, tenant.organization, outsider.email, role=Membership.Role.STAFF,
           capture=django_capture_on_commit_callbacks)  # fmt: skip
    link = link_in(mail.outbox[0])

    page = client.get(link)
    assert b"You already have a Backstock account" in page.content
    assert b'data-testid="sign-in-to-accept"' in page.content
    # Accepting without signing in changes nothing and asks to sign in.
    to_login = client.post(link)
    assert to_login["Location"] == f"{reverse('login')}?next={link}"
    assert not Membership.objects.filter(user=outsider, organization=tenant.organization).exists()

    back = client.post(to_login["Location"], {"username": outsider.email, "password": DEFAULT_PASSWORD, "next": link})
    assert back["Location"] == link
    assert b"Accept and join" in client.get(link).content
    response = client.post(link, follow=True)

    assert Membership.objects.get(user=outsider, organization=tenant.organization).role == Membership.Role.STAFF
    assert Membership.objects.filter(user=outsider, organization=other_tenant.organization).exists()
    assert b"Welcome to Copper Tap Group." in response.content
    assert selected_organization(response) == "Copper Tap Group"
    # Now in two organizations, the user can switch back to the first one.
    switched = client.post(reverse("switch_organization"), {"organization": other_tenant.organization.pk}, follow=True)
    assert selected_organization(switched) == "Riverside Spirits"


def test_signed_in_as_someone_else_the_invitation_says_who_must_accept_and_changes_nothing(
    client_for, tenant, other_tenant, django_capture_on_commit_callbacks
):
    invite(tenant.admin, tenant.organization, "someone@example.test", capture=django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    client = client_for(other_tenant.staff)

    page = client.get(link)
    posted = client.post(link)

    assert b'data-testid="invitation-wrong-user"' in page.content
    assert b"this invitation is for someone@example.test" in page.content
    assert posted.status_code == 200
    assert not Membership.objects.filter(organization=tenant.organization, user=other_tenant.staff).exists()
    assert not User.objects.filter(email="someone@example.test").exists()


@pytest.mark.parametrize("spoil", ["expired", "used", "revoked", "unknown"])
def test_a_spoiled_invitation_link_shows_the_invalid_page(client, tenant, django_capture_on_commit_callbacks, spoil):
    invitation, token = invite(tenant.admin, tenant.organization, "late@example.test",
                               capture=django_capture_on_commit_callbacks)  # fmt: skip
    if spoil == "expired":
        invitation.expires_at = timezone.now() - timedelta(minutes=1)
        invitation.save(update_fields=["expires_at"])
    elif spoil == "used":
        Client().post(link_in(mail.outbox[0]), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
        assert User.objects.filter(email="late@example.test").exists()
    elif spoil == "revoked":
        revoke_invitation(actor=tenant.admin, organization=tenant.organization, invitation=invitation)
    else:
        token = token[:-4] + "abcd"
    link = reverse("accept_invitation", args=[token])

    page = client.get(link)
    posted = client.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert page.status_code == posted.status_code == 404
    assert b"This invitation cannot be used" in page.content
    assert Membership.objects.filter(organization=tenant.organization, user__email="late@example.test").count() == (
        1 if spoil == "used" else 0
    )


# --- several organizations ------------------------------------------------------------------


@pytest.fixture
def consultant(tenant, other_tenant):
    """A user who is a member of both A (manager) and B (staff)."""
    user = UserFactory(email="consultant@example.test")
    Membership.objects.create(organization=tenant.organization, user=user, role=Membership.Role.MANAGER)
    Membership.objects.create(organization=other_tenant.organization, user=user, role=Membership.Role.STAFF)
    return user


def selected_organization(response) -> str:
    select = re.search(rb'<select id="org-switch".*?</select>', response.content, re.S)
    assert select, "the organization switcher is missing"
    chosen = re.findall(rb"<option [^>]*selected>([^<]+)</option>", select.group(0))
    assert len(chosen) == 1
    return chosen[0].decode()


def test_a_member_of_two_organizations_switches_between_them(client_for, consultant, tenant, other_tenant):
    client = client_for(consultant)
    assert selected_organization(client.get(reverse("dashboard"))) == "Copper Tap Group"

    response = client.post(reverse("switch_organization"), {"organization": other_tenant.organization.pk}, follow=True)

    assert response.redirect_chain == [(reverse("dashboard"), 302)]
    assert selected_organization(response) == "Riverside Spirits"
    assert b"<h1>Riverside Spirits" in response.content
    assert b"Switched to Riverside Spirits." in response.content
    # The choice sticks, and the role shown is the one in B.
    later = client.get(reverse("items:index"))
    assert selected_organization(later) == "Riverside Spirits"
    assert b'<span class="role">Staff</span>' in later.content

    client.post(reverse("switch_organization"), {"organization": tenant.organization.pk})
    assert selected_organization(client.get(reverse("dashboard"))) == "Copper Tap Group"


def test_switching_to_an_organization_you_are_not_a_member_of_is_404(client_for, tenant, other_tenant):
    client = client_for(tenant.manager)

    response = client.post(reverse("switch_organization"), {"organization": other_tenant.organization.pk})

    assert response.status_code == 404
    assert client.session.get("organization_id") != other_tenant.organization.pk
    assert b"<h1>Copper Tap Group" in client.get(reverse("dashboard")).content


PAGES = ["dashboard", "items:index", "distributors:index", "invoices:index", "backorders:index", "channels:index",
         "manage:index"]  # fmt: skip


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_the_active_organization(client_for, tenant, page):
    response = client_for(tenant.admin).get(reverse(page))

    assert response.status_code == 200
    assert b'data-testid="active-organization">Copper Tap Group<' in response.content


@pytest.mark.parametrize("page", PAGES[:-1])
def test_every_page_shows_the_active_organization_in_the_switcher(client_for, consultant, other_tenant, page):
    client = client_for(consultant)
    client.post(reverse("switch_organization"), {"organization": other_tenant.organization.pk})

    response = client.get(reverse(page))

    assert response.status_code == 200
    assert selected_organization(response) == "Riverside Spirits"


# --- CSRF with htmx -------------------------------------------------------------------------


def csrf_token_from_hx_headers(response) -> str:
    found = re.search(rb"""<body hx-headers='\{"X-CSRFToken": "([^"]+)"\}'>""", response.content)
    assert found, "the page has no hx-headers with the CSRF token on <body>"
    return found.group(1).decode()


def test_an_htmx_post_with_the_token_from_hx_headers_is_accepted(tenant):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant.manager, backend="django.contrib.auth.backends.ModelBackend")
    token = csrf_token_from_hx_headers(client.get(reverse("dashboard")))

    response = client.post(
        reverse("switch_organization"),
        {"organization": tenant.organization.pk},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )

    assert response.status_code == 302 and response["Location"] == reverse("dashboard")


def test_an_htmx_post_without_the_token_is_rejected(tenant):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant.manager, backend="django.contrib.auth.backends.ModelBackend")
    client.get(reverse("dashboard"))  # the CSRF cookie is set; the header is what is missing

    response = client.post(
        reverse("switch_organization"), {"organization": tenant.organization.pk}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 403
    assert "switched" not in response.content.decode().lower()


def test_a_sign_in_without_the_csrf_token_is_rejected(tenant):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))

    response = sign_in(client, tenant.manager.email)

    assert response.status_code == 403
    assert signed_in_user_id(client) is None
