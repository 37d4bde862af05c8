"""TenantMiddleware: which organization and venue a request works in, from the session,
checked against the user's memberships."""

import pytest
from django.urls import reverse

from inventory_site.middleware import SESSION_ORG_KEY, SESSION_VENUE_KEY
from venues.models import Membership, Venue
from venues.tests.factories import UserFactory, VenueFactory

pytestmark = pytest.mark.django_db


def with_session(client, **values):
    session = client.session
    session.update(values)
    session.save()
    return client


def test_a_session_naming_an_organization_the_user_is_not_in_falls_back_to_their_own(
    client_for, tenant, other_tenant
):
    client = with_session(client_for(tenant.manager), **{SESSION_ORG_KEY: other_tenant.organization.pk})

    response = client.get(reverse("dashboard"))

    assert response.status_code == 200
    assert b"<h1>Copper Tap Group" in response.content
    assert b"Riverside" not in response.content
    assert client.session[SESSION_ORG_KEY] == tenant.organization.pk


def test_a_member_removed_from_the_active_organization_falls_back_to_the_one_left(client_for, tenant, other_tenant):
    Membership.objects.create(organization=other_tenant.organization, user=tenant.manager, role="manager")
    client = client_for(tenant.manager)
    client.post(reverse("switch_organization"), {"organization": other_tenant.organization.pk})
    assert client.session[SESSION_ORG_KEY] == other_tenant.organization.pk

    Membership.objects.filter(organization=other_tenant.organization, user=tenant.manager).delete()
    response = client.get(reverse("dashboard"))

    assert b'data-testid="active-organization">Copper Tap Group<' in response.content
    assert b'id="org-switch"' not in response.content
    assert client.session[SESSION_ORG_KEY] == tenant.organization.pk


def test_a_user_with_no_membership_is_sent_to_the_no_organization_page(client_for, tenant):
    loner = UserFactory(email="loner@example.test")
    client = client_for(loner)

    response = client.get(reverse("dashboard"), follow=True)

    assert response.redirect_chain == [(reverse("no_organization"), 302)]
    assert b"You are not in an organization yet" in response.content
    assert b"loner@example.test" in response.content
    assert client.get(reverse("items:index"))["Location"] == reverse("no_organization")
    assert SESSION_ORG_KEY not in client.session


def test_losing_the_last_membership_mid_session_leads_to_the_no_organization_page(client_for, tenant):
    client = client_for(tenant.staff)
    assert client.get(reverse("dashboard")).status_code == 200

    Membership.objects.filter(user=tenant.staff).delete()
    response = client.get(reverse("dashboard"))

    assert response["Location"] == reverse("no_organization")
    assert SESSION_ORG_KEY not in client.session


def test_the_no_organization_page_sends_a_member_to_the_dashboard(client_for, tenant):
    response = client_for(tenant.staff).get(reverse("no_organization"))

    assert response.status_code == 302 and response["Location"] == reverse("dashboard")


def test_a_member_limited_to_some_venues_works_only_in_those(client_for, tenant):
    patio = VenueFactory(organization=tenant.organization, name="Copper Tap Patio")
    rooftop = VenueFactory(organization=tenant.organization, name="Copper Tap Rooftop")
    membership = Membership.objects.get(user=tenant.staff)
    membership.venues.set([patio, rooftop])
    client = client_for(tenant.staff)

    page = client.get(reverse("dashboard")).content.decode()

    assert '<select id="venue-switch"' in page
    assert "Copper Tap Patio" in page and "Copper Tap Rooftop" in page
    assert tenant.venue.name not in page
    # Choosing a venue outside the membership is a 404, and the session keeps a valid one.
    assert client.post(reverse("switch_venue"), {"venue": tenant.venue.pk}).status_code == 404
    assert client.session.get(SESSION_VENUE_KEY) in (None, patio.pk, rooftop.pk)


def test_a_session_venue_of_another_organization_is_ignored(client_for, tenant, other_tenant):
    client = with_session(client_for(tenant.manager), **{SESSION_VENUE_KEY: other_tenant.venue.pk})

    response = client.get(reverse("dashboard"))

    assert b'data-testid="active-venue">Copper Tap Group Bar<' in response.content
    assert b"Riverside" not in response.content


def test_switching_venue_remembers_it_and_goes_back_to_the_page(client_for, tenant):
    patio = VenueFactory(organization=tenant.organization, name="Copper Tap Patio")
    client = client_for(tenant.manager)

    response = client.post(reverse("switch_venue"), {"venue": patio.pk, "next": reverse("items:index")})

    assert response["Location"] == reverse("items:index")
    assert client.session[SESSION_VENUE_KEY] == patio.pk
    assert "<h1>Copper Tap Group <span class=\"muted\">· Copper Tap Patio</span></h1>" in client.get(
        reverse("dashboard")
    ).content.decode()


def test_requests_leave_the_connections_tenant_scope_as_they_found_it(client, client_for, tenant, other_tenant):
    # The test code reads every tenant through the conftest bypass; signed-out and signed-in
    # requests on the same connection each scope themselves and restore it afterwards.
    client.get(reverse("login"))
    assert Venue.objects.filter(organization=other_tenant.organization).exists()

    client_for(tenant.manager).get(reverse("dashboard"))
    assert Venue.objects.filter(organization=other_tenant.organization).exists()
