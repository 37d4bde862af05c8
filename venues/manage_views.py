"""Manage Organization (admins only): venues, Product Connect, storage areas, members, audit log."""

from django.shortcuts import render

from inventory_site.permissions import admin_required
from venues import selectors


@admin_required
def index(request):
    organization = request.organization
    return render(
        request,
        "venues/manage/index.html",
        {
            "venue_list": selectors.list_venues(organization=organization),
            "members": selectors.list_members(organization=organization),
            "audit_log": selectors.list_audit_log(organization=organization),
        },
    )
