"""The Items page, the item detail, and adding or editing an item by hand.

The list is one page (`items/index.html`) whose results region is a partial: the search box
asks for it with htmx as the user types; without JavaScript the same form submits and the
whole page comes back. Everyone in the organization may look; managers and admins change
(staff get 403 on the forms). Another organization's item is a 404 (selectors scope by
organization).
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from inventory_site.errors import BackstockError
from inventory_site.permissions import manager_required, organization_required
from items import selectors
from items.forms import ItemFilterForm, ItemForm, ParForm
from items.services import catalog

PAGE = "items/index.html"
DETAIL = "items/detail.html"


def _filter_form(request, *, for_results_only: bool) -> ItemFilterForm:
    if for_results_only:
        # The form is not drawn: only the chosen distributor is needed, not the whole directory.
        chosen = selectors.get_distributor(organization=request.organization, pk=request.GET.get("distributor"))
        distributors = [chosen] if chosen else []
    else:
        distributors = selectors.list_distributor_choices(organization=request.organization)
    return ItemFilterForm(request.GET or None, distributors=distributors, venues=request.venues)


def _messages_oob(request) -> str:
    return render_to_string("partials/messages_oob.html", request=request)


# --- the list -------------------------------------------------------------------------------


@require_GET
@organization_required
def index(request):
    """The Items page; with htmx, only the results region (the search box and filters ask)."""
    results_only = bool(request.htmx) and request.headers.get("HX-Target") == "results"
    form = _filter_form(request, for_results_only=results_only)
    query, filters = form.query, form.to_filters()
    sort = selectors.effective_sort(form.value("sort"), query)
    page = selectors.page_of_items(
        organization=request.organization, query=query, filters=filters, sort=sort, page=request.GET.get("page")
    )
    keep = request.GET.copy()
    keep.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query,
        "filters": filters,
        "sort": sort,
        # "" is the default: best match while searching, by name otherwise. The select keeps it
        # while the user types, so the order follows what is typed.
        "chosen_sort": form.value("sort") if form.value("sort") in selectors.SORTS else "",
        "sort_choices": [("", "Best match"), *((key, label) for key, (label, _) in selectors.SORTS.items()
                                               if key != "relevance")],  # fmt: skip
        "keep": keep.urlencode(),
    }
    return render(request, f"{PAGE}#results" if results_only else PAGE, context)


# --- one item -------------------------------------------------------------------------------


def _detail_context(request, item, **extra) -> dict:
    detail = selectors.item_detail(organization=request.organization, item=item, venues=request.venues)
    movements = selectors.page_of_movements(organization=request.organization, item=item,
                                            page=request.GET.get("movements"))  # fmt: skip
    return {"item": item, "detail": detail, "movements": movements, **extra}


@require_GET
@organization_required
def detail(request, pk):
    """The item page; with htmx and ?movements=N, only that page of movements."""
    item = selectors.get_item(organization=request.organization, pk=pk)
    if request.htmx and request.headers.get("HX-Target") == "movements":
        movements = selectors.page_of_movements(organization=request.organization, item=item,
                                                page=request.GET.get("movements"))  # fmt: skip
        return render(request, f"{DETAIL}#movements", {"item": item, "movements": movements})
    return render(request, DETAIL, _detail_context(request, item))


def _warn(request, warnings: list[str]) -> None:
    for warning in warnings:
        messages.warning(request, f"{warning}. It was saved as typed; check it against the label.")


@require_http_methods(["GET", "POST"])
@manager_required
def item_new(request):
    distributors = selectors.list_distributor_choices(organization=request.organization)
    form = ItemForm(request.POST or None, distributors=distributors, initial={"name": request.GET.get("name", "")})
    if request.method == "POST" and form.is_valid():
        try:
            item, warnings = catalog.create_item(
                actor=request.user, organization=request.organization, **form.service_fields()
            )
        except BackstockError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{item} added.")
            _warn(request, warnings)
            return redirect("items:detail", pk=item.pk)
    return render(request, "items/form.html", {"form": form, "item": None})


@require_http_methods(["GET", "POST"])
@manager_required
def item_edit(request, pk):
    item = selectors.get_item(organization=request.organization, pk=pk)
    distributors = selectors.list_distributor_choices(organization=request.organization)
    form = ItemForm(request.POST or None, distributors=distributors, item=item)
    if request.method == "POST" and form.is_valid():
        try:
            item, warnings = catalog.update_item(
                actor=request.user, organization=request.organization, item=item, **form.service_fields()
            )
        except BackstockError as exc:
            form.add_error(None, str(exc))
        else:
            if form.has_changed():
                messages.success(request, f"{item} saved.")
            else:
                messages.info(request, f"Nothing to save: {item} is unchanged.")
            _warn(request, warnings)
            return redirect("items:detail", pk=item.pk)
    return render(request, "items/form.html", {"form": form, "item": item})


@require_POST
@manager_required
def item_par(request, pk):
    """Set or clear the par of the item at one venue (the pars region of the detail page)."""
    item = selectors.get_item(organization=request.organization, pk=pk)
    form = ParForm(request.POST, venues=request.venues)
    error_venue = None
    if form.is_valid():
        venue, par = form.cleaned_data["venue"], form.cleaned_data["par"]
        try:
            catalog.set_par(actor=request.user, organization=request.organization, item=item, venue=venue, par=par)
        except BackstockError as exc:
            messages.error(request, str(exc))
        else:
            if par is None:
                messages.success(request, f"Par of {item} at {venue.name} cleared.")
            else:
                messages.success(request, f"Par of {item} at {venue.name} set to {par.normalize():f}.")
    else:
        error_venue = request.POST.get("venue")
        problems = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        messages.error(request, f"The par was not saved: {problems}")
    if not request.htmx:
        return redirect(f"{reverse('items:detail', args=[item.pk])}#pars")
    detail = selectors.item_detail(organization=request.organization, item=item, venues=request.venues)
    response = render(request, f"{DETAIL}#pars", {"item": item, "detail": detail, "error_venue": error_venue,
                                                  "par_form": form})  # fmt: skip
    response.write(_messages_oob(request))
    return trigger_client_event(response, "parChanged")


@require_http_methods(["GET", "POST"])
@manager_required
def item_archive(request, pk):
    """GET: ask first (for browsers without JavaScript). POST: archive, or with ?undo unarchive."""
    item = selectors.get_item(organization=request.organization, pk=pk)
    archive = "unarchive" not in request.POST and "unarchive" not in request.GET
    if request.method == "GET":
        return render(request, "items/archive_confirm.html", {"item": item, "archive": archive})
    try:
        item, _ = catalog.update_item(actor=request.user, organization=request.organization, item=item,
                                      archived=archive)  # fmt: skip
    except BackstockError as exc:
        messages.error(request, str(exc))
    else:
        if archive:
            messages.success(request, f"{item} archived. It is hidden from the Items list; its history stays.")
        else:
            messages.success(request, f"{item} is active again.")
    if request.htmx:  # the whole page changes (badge, buttons, forms): load it again
        return HttpResponseClientRedirect(reverse("items:detail", args=[item.pk]))
    return redirect("items:detail", pk=item.pk)
