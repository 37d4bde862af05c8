"""Manage Organization (admins only): venues, Product Connect, storage areas, members, audit log.

One page (`venues/manage/index.html`) whose regions are template partials. With htmx a
change returns just the region it touched, puts the flash message into `#messages`
out of band, and fires `auditChanged` (and `venuesChanged` when venues change) so the
other regions refresh themselves. Without JavaScript every action is a plain form post
that redirects back to the page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from inventory_site.errors import BackstockError
from inventory_site.permissions import admin_required
from venues import selectors, services
from venues.forms import InviteForm, MemberRoleForm, StorageAreaForm, VenueCreateForm, VenueForm
from venues.models import Membership

PAGE = "venues/manage/index.html"
ROLES = Membership.Role.choices
AUDIT_PAGE_SIZE = 50


# --- helpers --------------------------------------------------------------------------------


def _venue_form(venue, data=None) -> VenueForm:
    # Ids carry the venue so two rows open for editing never share a label target.
    form = VenueForm(data, instance=venue, auto_id=f"venue-{venue.pk}-%s")
    form.fields["name"].widget.attrs["autofocus"] = True  # the row became a form: keep the keyboard there
    return form


def _new_venue_form(request, data=None) -> VenueCreateForm:
    # A new venue most likely shares the timezone of the venue the admin is working in.
    initial = {"timezone": request.venue.timezone} if request.venue else {}
    return VenueCreateForm(data, initial=initial, auto_id="new-venue-%s")


def _back_to(section: str, pk: int | None = None):
    anchor = f"{section}-{pk}" if pk is not None else section
    return redirect(f"{reverse('manage:index')}#{anchor}")


def _only_get() -> HttpResponseNotAllowed:
    # Read-only views look the object up before checking the method, so another
    # organization's object is a 404 whatever the method (see manage_urls.url_objects).
    return HttpResponseNotAllowed(["GET"])


def _changed(request, partial: str, context: dict, *, events: tuple[str, ...] = ("auditChanged",)) -> HttpResponse:
    """The htmx answer to a change: the region it touched, the messages out of band, and events."""
    response = render(request, f"{PAGE}#{partial}", context)
    response.write(render_to_string("partials/messages_oob.html", request=request))
    for event in events:
        trigger_client_event(response, event)
    return response


def _page_context(request, **overrides) -> dict:
    """What the regions of the page read. Querysets stay lazy until the region that uses them renders."""
    organization = request.organization
    venue_choices = selectors.list_venue_choices(organization=organization)
    context = {
        "venue_list": selectors.list_venues(organization=organization),
        "venue_choices": venue_choices,
        "add_form": _new_venue_form(request),
        "members": selectors.list_members(organization=organization),
        "roles": ROLES,
        "invitations": selectors.list_pending_invitations(organization=organization),
        "invite_form": InviteForm(venues=venue_choices, auto_id="invite-%s"),
        "audit_log": selectors.list_audit_log(organization=organization),
    }
    context.update(overrides)
    return context


# Regions another region's change may ask to re-read (`?section=` with htmx).
SECTIONS = {"venues": "venues_section", "storage": "storage_section", "members": "members_section",
            "invitations": "invitations_section", "audit": "audit_section"}  # fmt: skip


# --- the page -------------------------------------------------------------------------------


@require_GET
@admin_required
def index(request):
    """The page, or with htmx and ?section=… one region of it (re-read after another region changed)."""
    section = SECTIONS.get(request.GET.get("section", "")) if request.htmx else None
    return render(request, f"{PAGE}#{section}" if section else PAGE, _page_context(request))


@require_GET
@admin_required
def audit_log(request):
    entries = selectors.list_all_audit_log(organization=request.organization)
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "venues/manage/audit.html", {"page": page})


# --- venues ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@admin_required
def venue_add(request):
    """GET (no JavaScript): the form on its own page. POST: add the venue via `create_venue`."""
    organization = request.organization
    form = _new_venue_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            venue = services.create_venue(
                actor=request.user, organization=organization, name=data.pop("name"), state=data.pop("state"),
                country=data.pop("country"), timezone_name=data.pop("timezone"), **data,
            )  # fmt: skip
        except BackstockError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{venue.name} added, with Main storage as its primary storage area.")
            if not request.htmx:
                return _back_to("venue", venue.pk)
            return _changed(request, "venues_section", _page_context(request), events=("auditChanged", "venuesChanged"))
    if request.htmx:
        context = _page_context(request, add_form=form, add_open=True)
        return _changed(request, "venues_section", context, events=())
    return render(request, "venues/manage/venue_add.html", {"form": form})


@admin_required
def venue_row(request, pk):
    """The venue's display row (Cancel of an edit)."""
    venue = selectors.get_venue(organization=request.organization, pk=pk)
    if request.method != "GET":
        return _only_get()
    if not request.htmx:
        return _back_to("venue", venue.pk)
    return render(request, f"{PAGE}#venue_row", {"v": venue, "focus": True})


@require_http_methods(["GET", "POST"])
@admin_required
def venue_edit(request, pk):
    """GET: the row as an edit form. POST: save via `update_venue` and answer with the display row."""
    venue = selectors.get_venue(organization=request.organization, pk=pk)
    form = _venue_form(venue, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            venue = services.update_venue(
                actor=request.user, organization=request.organization, venue=venue, **form.cleaned_data
            )
        except BackstockError as exc:
            form.add_error(None, str(exc))
        else:
            if form.has_changed():
                messages.success(request, f"{venue.name} saved.")
            else:
                messages.info(request, f"Nothing to save: {venue.name} is unchanged.")
            if not request.htmx:
                return _back_to("venue", venue.pk)
            context = {"v": venue, "focus": True}
            return _changed(request, "venue_row", context, events=("auditChanged", "venuesChanged"))
    if request.htmx:
        return render(request, f"{PAGE}#venue_form", {"v": venue, "form": form})
    return render(request, "venues/manage/venue_edit.html", {"v": venue, "form": form})


# --- storage areas --------------------------------------------------------------------------


def _storage_card(request, venue, **extra) -> dict:
    areas = selectors.list_storage_areas(organization=request.organization, venue=venue)
    return {"v": venue, "areas": areas, **extra}


@admin_required
def storage_areas(request, pk):
    """One venue's storage areas (Cancel of a rename)."""
    venue = selectors.get_venue(organization=request.organization, pk=pk)
    if request.method != "GET":
        return _only_get()
    if not request.htmx:
        return _back_to("storage", venue.pk)
    return render(request, f"{PAGE}#storage_card", _storage_card(request, venue))


@require_POST
@admin_required
def storage_area_add(request, pk):
    venue = selectors.get_venue(organization=request.organization, pk=pk)
    form = StorageAreaForm(request.POST, auto_id=f"new-area-{venue.pk}-%s")
    if form.is_valid():
        try:
            area = services.create_storage_area(
                actor=request.user, organization=request.organization, venue=venue, name=form.cleaned_data["name"]
            )
        except BackstockError as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, f"Storage area {area.name} added to {venue.name}.")
            if not request.htmx:
                return _back_to("storage", venue.pk)
            return _changed(request, "storage_card", _storage_card(request, venue))
    if not request.htmx:
        return render(request, PAGE, _page_context(request, area_form=form, area_form_venue=venue.pk))
    return _changed(request, "storage_card", _storage_card(request, venue, area_form=form, area_form_venue=venue.pk),
                    events=())  # fmt: skip


@require_http_methods(["GET", "POST"])
@admin_required
def storage_area_rename(request, pk):
    """GET: the venue's card with this area as a rename form. POST: rename it."""
    area = selectors.get_storage_area(organization=request.organization, pk=pk)
    form = StorageAreaForm(request.POST or None, initial={"name": area.name}, auto_id=f"area-{area.pk}-%s")
    if request.method == "POST" and form.is_valid():
        old_name = area.name
        try:
            area = services.rename_storage_area(
                actor=request.user, organization=request.organization, area=area, name=form.cleaned_data["name"]
            )
        except BackstockError as exc:
            area.name = old_name
            form.add_error("name", str(exc))
        else:
            messages.success(request, f"Storage area {old_name} renamed to {area.name}.")
            if not request.htmx:
                return _back_to("storage", area.venue_id)
            return _changed(request, "storage_card", _storage_card(request, area.venue))
    if not request.htmx:
        return render(request, "venues/manage/storage_area_rename.html", {"area": area, "form": form})
    context = _storage_card(request, area.venue, renaming=area.pk, rename_form=form)
    if request.method == "POST":
        return _changed(request, "storage_card", context, events=())
    return render(request, f"{PAGE}#storage_card", context)


@require_POST
@admin_required
def storage_area_primary(request, pk):
    area = selectors.get_storage_area(organization=request.organization, pk=pk)
    try:
        area = services.set_primary_storage_area(actor=request.user, organization=request.organization, area=area)
    except BackstockError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{area.name} is now the primary storage area of {area.venue.name}.")
    if not request.htmx:
        return _back_to("storage", area.venue_id)
    return _changed(request, "storage_card", _storage_card(request, area.venue))


# --- members and invitations ----------------------------------------------------------------


def _member_row(request, membership) -> dict:
    venue_choices = selectors.list_venue_choices(organization=request.organization)
    return {"m": membership, "roles": ROLES, "venue_choices": venue_choices}


def _left_the_admins(request, membership) -> HttpResponse | None:
    """After demoting or removing yourself this page is no longer yours: go to the dashboard."""
    if membership.user_id != request.user.pk:
        return None
    if request.htmx:
        return HttpResponseClientRedirect(reverse("dashboard"))
    return redirect("dashboard")


@require_POST
@admin_required
def member_role(request, pk):
    """Change a member's role and the venues they are limited to (none ticked = every venue)."""
    membership = selectors.get_membership(organization=request.organization, pk=pk)
    form = MemberRoleForm(request.POST, venues=selectors.list_venue_choices(organization=request.organization))
    if not form.is_valid():
        if "role" in form.errors:
            messages.error(request, f"Choose admin, manager or staff for {membership.user.email}.")
        else:
            messages.error(request, f"Choose only venues of {request.organization.name}.")
    else:
        try:
            membership = services.change_member_role(
                actor=request.user, organization=request.organization, membership=membership,
                role=form.cleaned_data["role"], venues=list(form.cleaned_data["venues"]),
            )  # fmt: skip
        except BackstockError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{membership.user.email} is now {membership.get_role_display()}.")
            if not membership.is_admin and (gone := _left_the_admins(request, membership)):
                return gone
    if not request.htmx:
        return _back_to("member", membership.pk)
    # Re-read: a refused change must show the role that is really stored.
    membership = selectors.get_membership(organization=request.organization, pk=membership.pk)
    return _changed(request, "member_row", _member_row(request, membership))


@require_http_methods(["GET", "POST"])
@admin_required
def member_remove(request, pk):
    """GET: ask first (the confirmation page, for browsers without JavaScript). POST: remove."""
    membership = selectors.get_membership(organization=request.organization, pk=pk)
    if request.method == "GET":
        return render(request, "venues/manage/member_remove.html", {"m": membership})
    try:
        services.remove_member(actor=request.user, organization=request.organization, membership=membership)
    except BackstockError as exc:
        messages.error(request, str(exc))
        if not request.htmx:
            return _back_to("member", membership.pk)
        return _changed(request, "member_row", _member_row(request, membership), events=())
    messages.success(request, f"{membership.user.email} no longer has access to {request.organization.name}.")
    if gone := _left_the_admins(request, membership):
        return gone
    if not request.htmx:
        return _back_to("members")
    # No region: htmx swaps the row for nothing, which removes it; the message goes out of band.
    response = HttpResponse(render_to_string("partials/messages_oob.html", request=request))
    return trigger_client_event(response, "auditChanged")


@require_POST
@admin_required
def invite(request):
    """Invite someone by email; the email with the accept link is sent once the invitation is saved."""
    organization = request.organization
    venue_choices = selectors.list_venue_choices(organization=organization)
    form = InviteForm(request.POST, venues=venue_choices, auto_id="invite-%s")
    if form.is_valid():
        try:
            invitation, _token = services.invite_user(
                actor=request.user, organization=organization, email=form.cleaned_data["email"],
                role=form.cleaned_data["role"], venues=list(form.cleaned_data["venues"]),
                accept_url_builder=lambda token: request.build_absolute_uri(reverse("accept_invitation", args=[token])),
            )  # fmt: skip
        except BackstockError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            if not request.htmx:
                return _back_to("invitations")
            return _changed(request, "invitations_section", _page_context(request))
    if not request.htmx:
        return render(request, PAGE, _page_context(request, invite_form=form))
    return _changed(request, "invitations_section", _page_context(request, invite_form=form), events=())


@require_POST
@admin_required
def invitation_revoke(request, pk):
    invitation = selectors.get_invitation(organization=request.organization, pk=pk)
    try:
        services.revoke_invitation(actor=request.user, organization=request.organization, invitation=invitation)
    except BackstockError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Invitation for {invitation.email} revoked; its link no longer works.")
    if not request.htmx:
        return _back_to("invitations")
    return _changed(request, "invitations_section", _page_context(request))
