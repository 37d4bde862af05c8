"""Sign-in related pages, organization/venue switching and the dashboard."""

from __future__ import annotations

from urllib.parse import urlencode

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from inventory_site.middleware import SESSION_ORG_KEY, SESSION_VENUE_KEY
from inventory_site.permissions import organization_required
from venues import selectors, services
from venues.forms import AcceptInvitationForm


def _back(request, fallback="dashboard"):
    target = request.POST.get("next") or request.headers.get("Referer") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@organization_required
def dashboard(request):
    context = {
        "venue_count": len(request.venues),
        "recent_activity": selectors.list_audit_log(organization=request.organization, limit=8)
        if request.membership.is_admin
        else [],
    }
    context.update(selectors.dashboard_figures(organization=request.organization, venue=request.venue))
    return render(request, "venues/dashboard.html", context)


@login_required
def no_organization(request):
    if request.organization is not None:
        return redirect("dashboard")
    return render(request, "venues/no_organization.html")


@require_POST
@login_required
def switch_organization(request):
    wanted = request.POST.get("organization")
    membership = next((m for m in request.memberships if str(m.organization_id) == wanted), None)
    if membership is None:
        raise Http404("No such organization")
    request.session[SESSION_ORG_KEY] = membership.organization_id
    request.session.pop(SESSION_VENUE_KEY, None)
    messages.success(request, f"Switched to {membership.organization.name}.")
    return redirect("dashboard")


@require_POST
@organization_required
def switch_venue(request):
    wanted = request.POST.get("venue")
    venue = next((v for v in request.venues if str(v.pk) == wanted), None)
    if venue is None:
        raise Http404("No such venue")
    request.session[SESSION_VENUE_KEY] = venue.pk
    return _back(request)


def accept_invitation(request, token):
    """The link in an invitation email. Public: the invitee may not have an account yet.

    - signed in as the invited address: one click adds the membership;
    - signed in as someone else: explains who must sign in; nothing changes;
    - not signed in, the address has an account: sign in first (back here afterwards);
    - not signed in, no account: choose a password; the account and membership are created
      and the new user is signed in.
    An unknown, used, revoked or expired token shows the invalid page.
    """
    invitation = services.find_invitation(token)
    if invitation is None:
        return render(request, "venues/invitation_invalid.html", status=404)
    user = request.user if request.user.is_authenticated else None
    wrong_user = user is not None and user.email.lower() != invitation.email.lower()
    existing_account = (
        user is None and get_user_model()._default_manager.filter(email__iexact=invitation.email).exists()
    )
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and not wrong_user:
        if existing_account:
            messages.info(request, f"Sign in as {invitation.email} to accept the invitation.")
            return redirect_to_login(request.get_full_path())
        membership = None
        try:
            if user is not None:
                membership = services.accept_invitation(token=token, user=user)
            elif form.is_valid():
                membership = services.accept_invitation(
                    token=token,
                    password=form.cleaned_data["password1"],
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                )
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        except services.VenuesError as exc:
            messages.error(request, str(exc))
        if membership is not None:
            request.session[SESSION_ORG_KEY] = membership.organization_id
            request.session.pop(SESSION_VENUE_KEY, None)
            messages.success(request, f"Welcome to {membership.organization.name}.")
            return redirect("dashboard")
    return render(
        request,
        "venues/accept_invitation.html",
        {
            "invitation": invitation,
            "form": form,
            "existing_account": existing_account,
            "signed_in_user": user,
            "wrong_user": wrong_user,
            "login_url": f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}",
        },
    )


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password from the emailed link also lifts a sign-in lockout.

    Whoever holds the link controls the address, so after repeated wrong passwords the
    owner does not have to wait out the cool-off (the lockout page offers this way out).
    """

    def form_valid(self, form):
        response = super().form_valid(form)
        axes_reset(username=form.user.email.lower())
        return response


# --- notifications --------------------------------------------------------------------------


@require_GET
@organization_required
def notifications(request):
    """The signed-in user's notifications in the active organization, newest first."""
    page = selectors.page_of_notifications(organization=request.organization, user=request.user,
                                           page=request.GET.get("page"))  # fmt: skip
    template = "venues/notifications.html"
    if request.htmx and request.headers.get("HX-Target") == "notifications":
        template += "#list"
    return render(request, template, {"page": page})


@require_POST
@organization_required
def notifications_read(request):
    """Mark all read; with htmx the list comes back, and the bell's count out of band."""
    count = services.mark_notifications_read(actor=request.user, organization=request.organization)
    if count:
        messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    if not request.htmx:
        return redirect("notifications")
    from django.template.loader import render_to_string

    from invoices.selectors import nav_counts

    page = selectors.page_of_notifications(organization=request.organization, user=request.user)
    response = render(request, "venues/notifications.html#list", {"page": page})
    counts = nav_counts(organization=request.organization, user=request.user, venues=request.venues)
    response.write(render_to_string("partials/bell.html", {"nav_counts": counts, "oob": True}, request=request))
    response.write(render_to_string("partials/messages_oob.html", request=request))
    return response
