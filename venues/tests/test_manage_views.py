"""Manage Organization: venues, Product Connect, storage areas, members, invitations, audit log."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse

from venues import services
from venues.manage_urls import url_objects
from venues.models import AuditLogEntry, Invitation, Membership, StorageArea, Venue
from venues.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
INDEX = reverse("manage:index")


def venue_post(venue: Venue, **overrides) -> dict:
    """The edit form as the browser posts it: every field, the toggle only when ticked."""
    data = {
        "name": venue.name, "address_line1": venue.address_line1, "address_line2": venue.address_line2,
        "city": venue.city, "state": venue.state, "postal_code": venue.postal_code, "country": venue.country,
        "timezone": venue.timezone,
    }  # fmt: skip
    if venue.product_connect_enabled:
        data["product_connect_enabled"] = "on"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def add_venue(tenant, name: str, **fields) -> Venue:
    fields.setdefault("state", "IA")
    return services.create_venue(actor=tenant.admin, organization=tenant.organization, name=name, **fields)


def membership_of(tenant, user) -> Membership:
    return Membership.objects.get(organization=tenant.organization, user=user)


# --- access ---------------------------------------------------------------------------------


def test_an_admin_sees_every_venue_with_its_product_connect_state(client_for, tenant):
    services.set_product_connect(actor=tenant.admin, organization=tenant.organization, venue=tenant.venue, enabled=True)
    add_venue(tenant, "The Copper Tap")

    response = client_for(tenant.admin).get(INDEX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Copper Tap Group Bar" in html and "The Copper Tap" in html
    assert 'aria-label="Edit The Copper Tap"' in html
    assert "Product Connect on" in html and "Product Connect off" in html


@pytest.mark.parametrize("role", ["manager", "staff"])
def test_managers_and_staff_get_403_and_see_no_manage_link(client_for, tenant, role):
    client = client_for(getattr(tenant, role))

    assert client.get(INDEX).status_code == 403
    assert client.post(reverse("manage:venue_edit", args=[tenant.venue.pk]), venue_post(tenant.venue, name="X")).status_code == 403
    assert 'data-testid="nav-manage"' not in client.get(reverse("dashboard")).content.decode()
    tenant.venue.refresh_from_db()
    assert tenant.venue.name == "Copper Tap Group Bar"


@pytest.mark.parametrize("role", ["manager", "staff"])
def test_managers_and_staff_cannot_promote_themselves_or_invite(client_for, tenant, role):
    user = getattr(tenant, role)
    client = client_for(user)

    promote = client.post(reverse("manage:member_role", args=[membership_of(tenant, user).pk]), {"role": "admin"}, **HTMX)
    invite = client.post(reverse("manage:invite"), {"email": "friend@example.test", "role": "admin"}, **HTMX)

    assert (promote.status_code, invite.status_code) == (403, 403)
    assert membership_of(tenant, user).role == role
    assert not Invitation.objects.filter(email="friend@example.test").exists()


def test_an_admin_sees_the_manage_link_in_the_nav(client_for, tenant):
    html = client_for(tenant.admin).get(reverse("dashboard")).content.decode()

    assert 'data-testid="nav-manage"' in html


def test_the_index_page_query_count_does_not_grow_with_the_number_of_venues(
    client_for, tenant, django_assert_max_num_queries
):
    client = client_for(tenant.admin)
    add_venue(tenant, "Second Bar")
    with django_assert_max_num_queries(24):  # two venues
        assert client.get(INDEX).status_code == 200

    for n in range(4):
        venue = add_venue(tenant, f"More Bar {n}")
        services.create_storage_area(actor=tenant.admin, organization=tenant.organization, venue=venue, name="Cellar")
    with django_assert_max_num_queries(24):  # six venues, the same queries
        response = client.get(INDEX)
    assert response.content.decode().count('data-testid="venue-row"') == 6


# --- venues ---------------------------------------------------------------------------------


def test_the_edit_icon_opens_the_row_as_a_form_and_cancel_restores_it(client_for, tenant):
    client = client_for(tenant.admin)
    edit_url = reverse("manage:venue_edit", args=[tenant.venue.pk])

    form = client.get(edit_url, **HTMX).content.decode()
    row = client.get(reverse("manage:venue_row", args=[tenant.venue.pk]), **HTMX).content.decode()

    assert form.strip().startswith(f'<li class="venue-row editing" id="venue-{tenant.venue.pk}"')
    assert f'hx-post="{edit_url}"' in form and 'role="switch"' in form and ">Save</button>" in form
    assert "<html" not in form
    assert row.strip().startswith(f'<li class="venue-row" id="venue-{tenant.venue.pk}"')
    assert "Product Connect off" in row


def test_without_javascript_the_edit_icon_opens_an_edit_page(client_for, tenant):
    response = client_for(tenant.admin).get(reverse("manage:venue_edit", args=[tenant.venue.pk]))

    assert response.status_code == 200
    assert "<html" in response.content.decode() and "Edit Copper Tap Group Bar" in response.content.decode()


def test_a_read_only_url_refuses_a_post_and_changes_nothing(client_for, tenant):
    response = client_for(tenant.admin).post(reverse("manage:venue_row", args=[tenant.venue.pk]), {"name": "X"})

    assert response.status_code == 405
    tenant.venue.refresh_from_db()
    assert tenant.venue.name == "Copper Tap Group Bar"


def test_without_javascript_adding_a_venue_and_renaming_an_area_have_their_own_pages(client_for, tenant):
    client = client_for(tenant.admin)
    area = StorageArea.objects.get(venue=tenant.venue)

    add_page = client.get(reverse("manage:venue_add")).content.decode()
    rename_page = client.get(reverse("manage:storage_area_rename", args=[area.pk])).content.decode()
    added = client.post(reverse("manage:venue_add"), {"name": "Ames Tap", "state": "IA", "country": "US", "timezone": "America/Chicago"})

    assert "<h1>Add a venue</h1>" in add_page and '<select name="timezone"' in add_page
    assert "<h1>Rename Main storage</h1>" in rename_page and 'value="Main storage"' in rename_page
    venue = Venue.objects.get(organization=tenant.organization, name="Ames Tap")
    assert added.status_code == 302 and added["Location"] == f"{INDEX}#venue-{venue.pk}"


def test_without_javascript_a_refused_invitation_shows_the_page_with_the_error(client_for, tenant):
    response = client_for(tenant.admin).post(reverse("manage:invite"), {"email": "not-an-email", "role": "staff"})

    html = response.content.decode()
    assert response.status_code == 200 and "<h1>Manage Organization</h1>" in html
    assert 'id="invite-email_error"' in html and "Enter a valid email address." in html


def test_saving_a_venue_through_htmx_updates_it_audits_it_and_returns_the_row_with_a_message(client_for, tenant):
    client = client_for(tenant.admin)
    data = venue_post(tenant.venue, name="The Copper Tap", address_line1="12 Main St", city="Des Moines",
                      postal_code="50309", timezone="America/Chicago")  # fmt: skip

    response = client.post(reverse("manage:venue_edit", args=[tenant.venue.pk]), data, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith(f'<li class="venue-row" id="venue-{tenant.venue.pk}"')
    assert "12 Main St" in html and "Des Moines, IA 50309" in html
    assert 'id="messages" class="messages" aria-live="polite" hx-swap-oob="innerHTML"' in html and "The Copper Tap saved." in html
    assert "auditChanged" in response["HX-Trigger"] and "venuesChanged" in response["HX-Trigger"]
    tenant.venue.refresh_from_db()
    assert (tenant.venue.name, tenant.venue.city, tenant.venue.postal_code) == ("The Copper Tap", "Des Moines", "50309")
    entry = AuditLogEntry.objects.get(organization=tenant.organization, action="venue.updated")
    assert entry.actor == tenant.admin and entry.object_id == str(tenant.venue.pk)
    assert set(entry.changes) == {"name", "address_line1", "city", "postal_code"}


def test_without_javascript_saving_a_venue_redirects_back_to_its_row(client_for, tenant):
    response = client_for(tenant.admin).post(
        reverse("manage:venue_edit", args=[tenant.venue.pk]), venue_post(tenant.venue, city="Ames")
    )

    assert response.status_code == 302 and response["Location"] == f"{INDEX}#venue-{tenant.venue.pk}"
    tenant.venue.refresh_from_db()
    assert tenant.venue.city == "Ames"


def test_turning_product_connect_on_and_off_audits_each_toggle(client_for, tenant):
    client = client_for(tenant.admin)
    url = reverse("manage:venue_edit", args=[tenant.venue.pk])

    on = client.post(url, venue_post(tenant.venue, product_connect_enabled="on"), **HTMX)
    tenant.venue.refresh_from_db()
    assert tenant.venue.product_connect_enabled is True
    assert 'class="badge on" data-testid="product-connect-badge">Product Connect on' in on.content.decode()

    off = client.post(url, venue_post(tenant.venue, product_connect_enabled=None), **HTMX)
    tenant.venue.refresh_from_db()
    assert tenant.venue.product_connect_enabled is False
    assert 'class="badge off" data-testid="product-connect-badge">Product Connect off' in off.content.decode()

    entries = AuditLogEntry.objects.filter(organization=tenant.organization, action__startswith="venue.product_connect")
    assert [(e.action, e.summary, e.actor) for e in entries.order_by("id")] == [
        ("venue.product_connect_enabled", "Product Connect turned on for Copper Tap Group Bar", tenant.admin),
        ("venue.product_connect_disabled", "Product Connect turned off for Copper Tap Group Bar", tenant.admin),
    ]
    assert not AuditLogEntry.objects.filter(organization=tenant.organization, action="venue.updated").exists()


def test_a_venue_outside_the_us_shows_the_toggle_disabled_with_the_reason(client_for, tenant):
    toronto = add_venue(tenant, "Toronto Taproom", state="", country="CA", timezone_name="America/Toronto")

    html = client_for(tenant.admin).get(reverse("manage:venue_edit", args=[toronto.pk]), **HTMX).content.decode()

    toggle = re.search(r'<input type="checkbox" name="product_connect_enabled"[^>]*>', html).group(0)
    assert "disabled" in toggle and f'aria-describedby="venue-{toronto.pk}-product_connect_enabled_helptext"' in toggle
    assert "Product Connect is only available for venues in the United States." in html


def test_a_venue_outside_the_us_cannot_enable_product_connect(client_for, tenant):
    toronto = add_venue(tenant, "Toronto Taproom", state="", country="CA", timezone_name="America/Toronto")

    response = client_for(tenant.admin).post(
        reverse("manage:venue_edit", args=[toronto.pk]), venue_post(toronto, product_connect_enabled="on"), **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith(f'<li class="venue-row editing" id="venue-{toronto.pk}"')
    errors = re.search(r'<ul class="errorlist" id="venue-\d+-product_connect_enabled_error">(.*?)</ul>', html).group(1)
    assert "Product Connect is only available for venues in the United States." in errors
    toronto.refresh_from_db()
    assert toronto.product_connect_enabled is False
    assert not AuditLogEntry.objects.filter(action="venue.product_connect_enabled").exists()


def test_moving_a_venue_abroad_with_product_connect_on_is_refused(client_for, tenant):
    services.set_product_connect(actor=tenant.admin, organization=tenant.organization, venue=tenant.venue, enabled=True)
    tenant.venue.refresh_from_db()

    response = client_for(tenant.admin).post(
        reverse("manage:venue_edit", args=[tenant.venue.pk]),
        venue_post(tenant.venue, country="CA", state="", timezone="America/Toronto"),
        **HTMX,
    )

    html = response.content.decode()
    assert 'name="product_connect_enabled"' in html  # still the form
    assert "Product Connect is only available for venues in the United States." in html
    tenant.venue.refresh_from_db()
    assert (tenant.venue.country, tenant.venue.product_connect_enabled) == ("US", True)


def test_validation_errors_are_shown_next_to_the_fields_inside_the_row(client_for, tenant):
    response = client_for(tenant.admin).post(
        reverse("manage:venue_edit", args=[tenant.venue.pk]), venue_post(tenant.venue, name="", state=""), **HTMX
    )

    html = response.content.decode()
    assert f'id="venue-{tenant.venue.pk}-name_error"' in html and "This field is required." in html
    assert f'id="venue-{tenant.venue.pk}-state_error"' in html and "Choose the venue&#x27;s state." in html
    assert re.search(rf'<input type="text" name="name"[^>]*aria-invalid="true"[^>]*id="venue-{tenant.venue.pk}-name"', html)
    tenant.venue.refresh_from_db()
    assert tenant.venue.name == "Copper Tap Group Bar"


def test_adding_a_venue_gives_it_a_primary_storage_area(client_for, tenant):
    data = {"name": "Riverside Bottle Shop", "city": "Iowa City", "state": "IA", "country": "US", "timezone": "America/Chicago"}

    response = client_for(tenant.admin).post(reverse("manage:venue_add"), data, **HTMX)

    venue = Venue.objects.get(organization=tenant.organization, name="Riverside Bottle Shop")
    html = response.content.decode()
    assert html.strip().startswith('<h2 id="venues-heading">') and f'id="venue-{venue.pk}"' in html
    assert "Riverside Bottle Shop added" in html
    assert [(a.name, a.is_primary) for a in venue.storage_areas.all()] == [("Main storage", True)]
    assert venue.product_connect_enabled is False
    assert AuditLogEntry.objects.filter(action="venue.created", object_id=str(venue.pk), actor=tenant.admin).exists()


def test_adding_a_venue_without_name_or_state_shows_the_errors_in_the_open_form(client_for, tenant):
    data = {"name": "", "state": "", "country": "US", "timezone": "America/Chicago"}

    response = client_for(tenant.admin).post(reverse("manage:venue_add"), data, **HTMX)

    html = response.content.decode()
    assert '<details class="card add-venue" open>' in html
    assert 'id="new-venue-name_error"' in html and 'id="new-venue-state_error"' in html
    assert Venue.objects.filter(organization=tenant.organization).count() == 1


# --- storage areas --------------------------------------------------------------------------


def test_adding_a_storage_area_shows_it_in_the_venues_card(client_for, tenant):
    response = client_for(tenant.admin).post(
        reverse("manage:storage_area_add", args=[tenant.venue.pk]), {"name": "Walk-in cooler"}, **HTMX
    )

    html = response.content.decode()
    assert html.strip().startswith(f'<div class="card storage-card" id="storage-{tenant.venue.pk}"')
    assert "Walk-in cooler" in html and "Storage area Walk-in cooler added to Copper Tap Group Bar." in html
    area = StorageArea.objects.get(venue=tenant.venue, name="Walk-in cooler")
    assert area.is_primary is False


def test_a_duplicate_storage_area_name_is_shown_next_to_the_field(client_for, tenant):
    response = client_for(tenant.admin).post(
        reverse("manage:storage_area_add", args=[tenant.venue.pk]), {"name": "main STORAGE"}, **HTMX
    )

    assert "Copper Tap Group Bar already has a storage area named main STORAGE." in response.content.decode()
    assert StorageArea.objects.filter(venue=tenant.venue).count() == 1


def test_renaming_a_storage_area_opens_a_form_in_place_and_saves(client_for, tenant):
    client = client_for(tenant.admin)
    area = StorageArea.objects.get(venue=tenant.venue, is_primary=True)
    url = reverse("manage:storage_area_rename", args=[area.pk])

    form = client.get(url, **HTMX).content.decode()
    response = client.post(url, {"name": "Back bar"}, **HTMX)

    assert f'id="area-{area.pk}-name" value="Main storage"' in form
    area.refresh_from_db()
    assert area.name == "Back bar"
    assert "Storage area Main storage renamed to Back bar." in response.content.decode()
    assert AuditLogEntry.objects.filter(action="storage_area.renamed", changes={"name": ["Main storage", "Back bar"]}).exists()


def test_setting_the_primary_storage_area_leaves_exactly_one_primary(client_for, tenant):
    cellar = services.create_storage_area(
        actor=tenant.admin, organization=tenant.organization, venue=tenant.venue, name="Cellar"
    )

    response = client_for(tenant.admin).post(reverse("manage:storage_area_primary", args=[cellar.pk]), **HTMX)

    assert list(StorageArea.objects.filter(venue=tenant.venue, is_primary=True)) == [cellar]
    html = response.content.decode()
    assert "Cellar is now the primary storage area of Copper Tap Group Bar." in html
    assert html.index("Cellar") < html.index("Main storage")  # the primary comes first
    assert AuditLogEntry.objects.filter(action="storage_area.primary_changed", object_id=str(cellar.pk)).exists()


def test_setting_the_primary_storage_area_needs_a_post(client_for, tenant):
    area = StorageArea.objects.get(venue=tenant.venue)

    assert client_for(tenant.admin).get(reverse("manage:storage_area_primary", args=[area.pk])).status_code == 405


# --- members and invitations ----------------------------------------------------------------


def test_inviting_someone_emails_a_link_that_opens_the_invitation(client_for, tenant, django_capture_on_commit_callbacks):
    client = client_for(tenant.admin)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("manage:invite"), {"email": "Casey@Example.test", "role": "manager"}, **HTMX)

    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["casey@example.test"]
    link = re.search(r"http://testserver(/invitations/[^/\s]+/)", email.body).group(1)
    html = response.content.decode()
    assert "Invitation sent to casey@example.test." in html and "casey@example.test</td>" in html
    invitation = Invitation.objects.get(organization=tenant.organization, email="casey@example.test")
    assert invitation.role == "manager" and invitation.invited_by == tenant.admin

    client.logout()
    page = client.get(link)
    assert page.status_code == 200
    assert "Join Copper Tap Group" in page.content.decode() and "Manager" in page.content.decode()


def test_inviting_an_existing_member_shows_why_not_and_sends_nothing(client_for, tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenant.admin).post(
            reverse("manage:invite"), {"email": tenant.staff.email, "role": "staff"}, **HTMX
        )

    assert f"{tenant.staff.email} is already a member of Copper Tap Group." in response.content.decode()
    assert mail.outbox == []


def test_revoking_an_invitation_removes_it_from_the_pending_list(client_for, tenant):
    invitation, _ = services.invite_user(
        actor=tenant.admin, organization=tenant.organization, email="jo@example.test", role="staff",
        accept_url_builder=lambda token: f"http://testserver/invitations/{token}/",
    )  # fmt: skip

    response = client_for(tenant.admin).post(reverse("manage:invitation_revoke", args=[invitation.pk]), **HTMX)

    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    html = response.content.decode()
    assert "Invitation for jo@example.test revoked" in html and 'data-testid="invitation-row"' not in html


def test_changing_a_role_saves_it_and_audits_it(client_for, tenant):
    membership = membership_of(tenant, tenant.staff)

    response = client_for(tenant.admin).post(
        reverse("manage:member_role", args=[membership.pk]), {"role": "manager", "venues": [tenant.venue.pk]}, **HTMX
    )

    membership.refresh_from_db()
    assert membership.role == "manager"
    assert list(membership.venues.all()) == [tenant.venue]
    html = response.content.decode()
    assert html.strip().startswith(f'<tr id="member-{membership.pk}"')
    assert '<option value="manager" selected>' in html and "1 venue" in html
    assert f"{tenant.staff.email} is now Manager." in html
    entry = AuditLogEntry.objects.get(action="member.role_changed", object_id=str(membership.pk))
    assert entry.summary == f"{tenant.staff.email}: Staff → Manager" and entry.actor == tenant.admin


def test_the_last_admin_cannot_be_demoted(client_for, tenant):
    membership = membership_of(tenant, tenant.admin)

    response = client_for(tenant.admin).post(
        reverse("manage:member_role", args=[membership.pk]), {"role": "staff"}, **HTMX
    )

    html = response.content.decode()
    assert f"{tenant.admin.email} is the last admin; make someone else admin first." in html
    assert '<option value="admin" selected>' in html
    membership.refresh_from_db()
    assert membership.role == "admin"


def test_the_last_admin_cannot_be_removed(client_for, tenant):
    membership = membership_of(tenant, tenant.admin)

    response = client_for(tenant.admin).post(reverse("manage:member_remove", args=[membership.pk]), **HTMX)

    assert f"{tenant.admin.email} is the last admin and cannot be removed." in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_removing_a_member_asks_first_and_needs_a_post(client_for, tenant):
    client = client_for(tenant.admin)
    membership = membership_of(tenant, tenant.staff)
    url = reverse("manage:member_remove", args=[membership.pk])

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert f"Remove {tenant.staff.display_name}?" in confirm.content.decode()
    assert f'<form method="post" action="{url}"' in confirm.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()

    removed = client.post(url, **HTMX)
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert "<tr" not in removed.content.decode()
    assert f"{tenant.staff.email} no longer has access to Copper Tap Group." in removed.content.decode()
    assert AuditLogEntry.objects.filter(action="member.removed", actor=tenant.admin).exists()


def test_the_remove_button_confirms_in_the_browser_too(client_for, tenant):
    membership = membership_of(tenant, tenant.staff)

    html = client_for(tenant.admin).get(INDEX).content.decode()

    button = re.search(rf'<button[^>]*hx-post="{reverse("manage:member_remove", args=[membership.pk])}"[^>]*>', html, re.S)
    assert button and "hx-confirm=" in button.group(0)


def test_an_admin_who_demotes_themselves_is_sent_to_the_dashboard(client_for, tenant):
    second_admin = membership_of(tenant, tenant.manager)
    services.change_member_role(actor=tenant.admin, organization=tenant.organization, membership=second_admin, role="admin")
    membership = membership_of(tenant, tenant.admin)

    response = client_for(tenant.admin).post(reverse("manage:member_role", args=[membership.pk]), {"role": "manager"}, **HTMX)

    assert response["HX-Redirect"] == reverse("dashboard")
    membership.refresh_from_db()
    assert membership.role == "manager"


# --- audit log and page regions -------------------------------------------------------------


def test_the_audit_log_shows_who_did_what_in_this_organization_only(client_for, tenant, other_tenant):
    services.set_product_connect(actor=tenant.admin, organization=tenant.organization, venue=tenant.venue, enabled=True)
    services.set_product_connect(
        actor=other_tenant.admin, organization=other_tenant.organization, venue=other_tenant.venue, enabled=True
    )
    client = client_for(tenant.admin)

    page = client.get(reverse("manage:audit_log")).content.decode()
    section = client.get(INDEX, {"section": "audit"}, **HTMX).content.decode()

    for html in (page, section):
        assert "Product Connect turned on for Copper Tap Group Bar" in html
        assert tenant.admin.display_name in html
        assert "Riverside" not in html
    assert section.strip().startswith('<h2 id="audit-heading">')


@pytest.mark.parametrize("section", ["venues", "storage", "members", "invitations", "audit"])
def test_each_region_can_be_read_again_on_its_own(client_for, tenant, section):
    html = client_for(tenant.admin).get(INDEX, {"section": section}, **HTMX).content.decode()

    assert html.strip().startswith("<h2 id=") and "<html" not in html and "<section" not in html


# --- tenancy --------------------------------------------------------------------------------


def _object_of(model_label: str, tenant):
    model = apps.get_model(model_label)
    if model is Invitation:
        invitation, _ = services.invite_user(
            actor=tenant.admin, organization=tenant.organization, email="new@example.test", role="staff",
            accept_url_builder=lambda token: f"http://testserver/invitations/{token}/",
        )  # fmt: skip
        return invitation
    if model is Membership:
        return membership_of(tenant, tenant.staff)
    if model is StorageArea:
        return StorageArea.objects.get(venue=tenant.venue)
    return model.objects.get(pk=tenant.venue.pk)


@pytest.mark.parametrize("url_name", sorted(url_objects))
def test_an_outsiders_objects_are_404_on_every_url(client_for, tenant, other_tenant, url_name):
    params = {param: _object_of(label, other_tenant).pk for param, label in url_objects[url_name].items()}
    url = reverse(f"manage:{url_name}", kwargs=params)
    client = client_for(tenant.admin)

    assert client.get(url).status_code in (404, 405)
    assert client.get(url, **HTMX).status_code in (404, 405)
    assert client.post(url, {"name": "Hijacked", "role": "admin", "state": "IA", "country": "US"}).status_code == 404
    other_tenant.venue.refresh_from_db()
    assert other_tenant.venue.name == "Riverside Spirits Bar"
    assert not AuditLogEntry.objects.filter(organization=other_tenant.organization, actor=tenant.admin).exists()


def test_an_outsider_cannot_limit_a_member_to_another_organizations_venue(client_for, tenant, other_tenant):
    membership = membership_of(tenant, tenant.staff)

    client_for(tenant.admin).post(
        reverse("manage:member_role", args=[membership.pk]), {"role": "staff", "venues": [other_tenant.venue.pk]}, **HTMX
    )

    assert list(membership.venues.all()) == []


def test_the_page_never_shows_another_organizations_people_or_venues(client_for, tenant, other_tenant):
    UserFactory(email="stranger@example.test")

    html = client_for(tenant.admin).get(INDEX).content.decode()

    assert "Riverside" not in html and "b-admin@example.test" not in html and "stranger@example.test" not in html
    assert tenant.staff.email in html
