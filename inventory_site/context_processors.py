def tenancy(request):
    """Put the active organization, venue and role in every template."""
    membership = getattr(request, "membership", None)
    return {
        "organization": getattr(request, "organization", None),
        "membership": membership,
        "memberships": getattr(request, "memberships", []),
        "venue": getattr(request, "venue", None),
        "venues": getattr(request, "venues", []),
        "is_org_admin": bool(membership and membership.is_admin),
        "is_manager": bool(membership and membership.is_manager_or_admin),
    }
