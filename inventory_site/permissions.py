"""View decorators for roles. Another organization's object is a 404 (selectors); a role that
may not do something in your own organization is a 403."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

ADMIN = ("admin",)
MANAGER = ("admin", "manager")
ANY_MEMBER = ("admin", "manager", "staff")


def organization_required(view):
    """Signed in and a member of an organization (request.organization is set)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.organization is None:
            return redirect("no_organization")
        return view(request, *args, **kwargs)

    return wrapper


def role_required(roles: tuple[str, ...]):
    def decorator(view):
        @organization_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.membership.role not in roles:
                raise PermissionDenied("Your role does not allow this page.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


admin_required = role_required(ADMIN)
manager_required = role_required(MANAGER)
