"""Resolve the active organization for each request and scope the database to it."""

from __future__ import annotations

import contextlib

from django.db import connection

from inventory_site.tenancy import tenant_context

SESSION_ORG_KEY = "organization_id"
SESSION_VENUE_KEY = "venue_id"


class TenantMiddleware:
    """Sets request.organization, request.membership and request.venue.

    The organization comes from the session and is used only if the user is a member of
    it; otherwise the user's first organization is chosen (and remembered). A signed-in user
    with no membership gets request.organization = None; `organization_required` views send
    them to /no-organization/. Every database query of the request then runs with
    `app.organization_id` set, so row-level security hides other tenants' rows even if a
    view forgot to filter. The connection's previous setting is restored afterwards.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from venues.selectors import accessible_venues, list_memberships_for_user

        request.organization = None
        request.membership = None
        request.memberships = []
        request.venue = None
        request.venues = []
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            # No connection yet means no tenant setting to hide: a new connection starts with
            # none. Not opening one here keeps /healthz able to report a database outage.
            scope = tenant_context(organization_id=None) if connection.connection else contextlib.nullcontext()
            with scope:
                return self.get_response(request)

        with tenant_context(organization_id=None, user_id=user.pk):
            memberships = list_memberships_for_user(user=user)
        wanted = request.session.get(SESSION_ORG_KEY)
        membership = next((m for m in memberships if str(m.organization_id) == str(wanted)), None)
        if membership is None and memberships:
            # No choice yet, or the session names an organization the user has left.
            membership = memberships[0]
            request.session[SESSION_ORG_KEY] = membership.organization_id
            request.session.pop(SESSION_VENUE_KEY, None)
        elif membership is None and wanted is not None:
            request.session.pop(SESSION_ORG_KEY, None)
            request.session.pop(SESSION_VENUE_KEY, None)
        request.memberships = memberships
        if membership is None:
            with tenant_context(organization_id=None, user_id=user.pk):
                return self.get_response(request)

        request.membership = membership
        request.organization = membership.organization
        with tenant_context(organization_id=membership.organization_id, user_id=user.pk):
            request.venues = list(accessible_venues(membership=membership))
            wanted_venue = request.session.get(SESSION_VENUE_KEY)
            request.venue = next((v for v in request.venues if v.pk == wanted_venue), None) or (
                request.venues[0] if request.venues else None
            )
            return self.get_response(request)
