"""Stock pages: counts (list, count sheet, finish), transfers, write-offs, quarantine, movements.

The count sheet is built for a phone in a walk-in: one search/scan box that adds an item
(Enter adds the top match; a scanned code adds its item), two numeric inputs per line
(full units, tenths) where Enter moves on, and each line saved on change with htmx — the
answer is only the line's "Saved" status, so nothing the counter is typing gets replaced.
Without JavaScript every line is a small form with a Save button and the page reloads.

Counts are scoped to the venues the member may work in (`request.venues`): another
organization's count, or a venue the membership excludes, is a 404.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, retarget, reswap, trigger_client_event

from inventory_site.errors import BackstockError
from inventory_site.permissions import manager_required, organization_required
from items import selectors_stock as selectors
from items.forms_stock import CountLineForm, QuarantineForm, ReleaseForm, TransferForm, WriteOffForm
from items.models import StockCount
from items.services import counts as count_services
from items.services import ledger
from items.services.counts import CountNotOpen

COUNTS_PAGE_SIZE = 25
MOVEMENTS_PAGE_SIZE = 50
SHEET = "items/stock/sheet.html"


def _count_url(count, *, anchor: str = "") -> str:
    return reverse("items:stock:count", args=[count.pk]) + (f"#{anchor}" if anchor else "")


def _count_closed(request, exc: CountNotOpen):
    """Someone finished or cancelled the count: say so and show it as it is now."""
    messages.info(request, str(exc))
    url = _count_url(exc.count)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# --- counts -----------------------------------------------------------------------------------


@require_GET
@organization_required
def counts(request):
    """Start a count for a storage area of the active venue; every count with its status."""
    organization = request.organization
    areas = list(selectors.list_storage_areas(organization=organization, venues=[request.venue], quarantine=None)
                 if request.venue else [])  # fmt: skip
    open_counts = selectors.open_counts_by_area(organization=organization, areas=areas)
    page = Paginator(selectors.list_counts(organization=organization, venues=request.venues), COUNTS_PAGE_SIZE)
    context = {
        "areas": [(area, open_counts.get(area.pk)) for area in areas],
        "today": count_services.venue_today(areas[0]) if areas else None,
        "page": page.get_page(request.GET.get("page")),
    }
    return render(request, "items/stock/counts.html", context)


@require_POST
@organization_required
def count_start(request):
    area_pk = request.POST.get("storage_area", "")
    if not area_pk.isdigit():
        messages.error(request, "Choose the storage area to count.")
        return redirect("items:stock:counts")
    area = selectors.get_storage_area(organization=request.organization, pk=area_pk, venues=request.venues)
    business_date = None
    if request.POST.get("business_date"):
        try:
            business_date = date.fromisoformat(request.POST["business_date"])
        except ValueError:
            messages.error(request, "Enter the business date as a date, e.g. 2024-03-01.")
            return redirect("items:stock:counts")
    try:
        count = count_services.start_count(actor=request.user, organization=request.organization, storage_area=area,
                                           business_date=business_date)  # fmt: skip
    except BackstockError as exc:
        messages.error(request, str(exc))
        return redirect("items:stock:counts")
    return redirect(_count_url(count))


@organization_required
def count(request, pk):
    """An open count: the sheet (with htmx and ?q=, only the search results). Otherwise its result."""
    count = selectors.get_count(organization=request.organization, pk=pk, venues=request.venues)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    query = request.GET.get("q", "").strip()
    if count.status != StockCount.Status.OPEN:
        review = selectors.count_review(organization=request.organization, count=count)
        return render(request, "items/stock/result.html", {"count": count, "review": review})
    results = selectors.find_items(organization=request.organization, query=query) if query else []
    if request.htmx and "q" in request.GET:
        return render(request, f"{SHEET}#search_results", {"count": count, "query": query, "results": results})
    rows = selectors.count_sheet(organization=request.organization, count=count)
    added = None
    if request.GET.get("add", "").isdigit():  # no-JavaScript add: show the item on top until it is saved
        item = selectors.get_item(organization=request.organization, pk=request.GET["add"])
        if all(row.item.pk != item.pk for row in rows):
            added = selectors.SheetRow(item=item, line=None, stocked=False)
    context = {"count": count, "rows": rows, "added_row": added, "query": query, "results": results,
               "counted": sum(1 for row in rows if row.line)}  # fmt: skip
    return render(request, SHEET, context)


@require_POST
@organization_required
def count_add(request, pk):
    """Put an item on the sheet: the chosen result, the item a scanned code names, or the top match."""
    organization = request.organization
    count = selectors.get_count(organization=organization, pk=pk, venues=request.venues)
    if count.status != StockCount.Status.OPEN:
        return _count_closed(request, CountNotOpen(count))
    item_pk, query = request.POST.get("item", ""), request.POST.get("q", "").strip()
    if item_pk:
        if not item_pk.isdigit():
            raise Http404("No such item.")
        item = selectors.get_item(organization=organization, pk=item_pk)
    else:
        item = selectors.exact_item_for_scan(organization=organization, query=query)
        if item is None:
            results = selectors.find_items(organization=organization, query=query)
            item = results[0] if results else None
    if item is None:
        message = f"No item matches “{query}”. Check the spelling, or search by SKU or UPC." if query else \
            "Type part of a name, SKU or UPC, or scan a barcode."  # fmt: skip
        if not request.htmx:
            messages.error(request, message)
            return redirect(_count_url(count))
        response = render(request, f"{SHEET}#search_results", {"count": count, "query": query, "results": [],
                                                              "search_message": message})  # fmt: skip
        return reswap(retarget(response, "#count-search-results"), "innerHTML")
    if not request.htmx:
        return redirect(f"{_count_url(count)}?add={item.pk}#line-{item.pk}")
    on_sheet = any(row.item.pk == item.pk for row in selectors.count_sheet(organization=organization, count=count))
    if on_sheet:  # already listed: go to its line instead of listing it twice
        response = HttpResponse("")
    else:
        row = selectors.SheetRow(item=item, line=None, stocked=False)
        response = render(request, f"{SHEET}#row", {"count": count, "row": row, "added": True})
    return trigger_client_event(response, "countFocus", {"id": f"line-{item.pk}"}, after="settle")


@require_POST
@organization_required
def count_line(request, pk, item_pk):
    """Save what was counted of one item (both fields empty: not counted). Answers the line's status."""
    organization = request.organization
    count = selectors.get_count(organization=organization, pk=pk, venues=request.venues)
    item = selectors.get_item(organization=organization, pk=item_pk)
    form = CountLineForm(request.POST)
    form.is_valid()  # two free-text fields; the service checks the numbers and says what is wrong
    error, line = "", None
    try:
        if form.is_blank:
            count_services.remove_count_line(actor=request.user, organization=organization, count=count, item=item)
        else:
            line = count_services.set_count_line(
                actor=request.user, organization=organization, count=count, item=item,
                full_units=form.cleaned_data["full_units"], tenths=form.cleaned_data["tenths"],
            )  # fmt: skip
    except CountNotOpen as exc:
        return _count_closed(request, exc)
    except BackstockError as exc:
        error = str(exc)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, f"{item}: {'saved' if line else 'not counted'}.")
        return redirect(_count_url(count, anchor=f"line-{item.pk}"))
    # Only the line's status comes back (an error in it too): the boxes being typed in stay as they are.
    return render(request, f"{SHEET}#line_status", {"line": line, "error": error, "saved": True, "item": item})


@require_http_methods(["GET", "POST"])
@organization_required
def count_finish(request, pk):
    """GET: the differences the finish would adjust, to confirm. POST: finish the count."""
    organization = request.organization
    count = selectors.get_count(organization=organization, pk=pk, venues=request.venues)
    if count.status != StockCount.Status.OPEN:
        if request.method == "POST":  # a double click, or someone else was quicker: adjusted once
            messages.info(request, str(CountNotOpen(count)))
        return redirect(_count_url(count))
    if request.method == "POST":
        try:
            result = count_services.finish_count(actor=request.user, organization=organization, count=count)
        except CountNotOpen as exc:
            return _count_closed(request, exc)
        except BackstockError as exc:
            messages.error(request, str(exc))
            return redirect("items:stock:count_finish", pk=count.pk)
        adjusted = len(result.adjusted)
        messages.success(
            request,
            f"Count of {count.storage_area.name} finished: {len(result.lines)} item{'s' if len(result.lines) != 1 else ''} "
            f"counted, {adjusted} adjusted.",
        )
        return redirect(_count_url(count))
    review = selectors.count_review(organization=organization, count=count)
    return render(request, "items/stock/review.html", {"count": count, "review": review})


@require_POST
@organization_required
def count_cancel(request, pk):
    count = selectors.get_count(organization=request.organization, pk=pk, venues=request.venues)
    try:
        count_services.cancel_count(actor=request.user, organization=request.organization, count=count)
    except CountNotOpen as exc:
        return _count_closed(request, exc)
    except BackstockError as exc:
        messages.error(request, str(exc))
        return redirect(_count_url(count))
    messages.success(request, f"Count of {count.storage_area.name} cancelled. Stock is unchanged.")
    return redirect("items:stock:counts")


# --- transfers, write-offs, quarantine ----------------------------------------------------------


def _chosen_item(request):
    pk = request.POST.get("item") or request.GET.get("item")
    if not pk:
        return None
    if not str(pk).isdigit():
        raise Http404("No such item.")
    return selectors.get_item(organization=request.organization, pk=pk)


def _move_page(request, *, action: str, form_class, title: str, intro: str, submit: str, form_kwargs: dict,
               perform) -> HttpResponse:  # fmt: skip
    """One stock action on one item: pick the item (search), fill the form, call the service."""
    organization = request.organization
    item = _chosen_item(request)
    query = request.GET.get("q", "").strip()
    results = selectors.find_items(organization=organization, query=query, limit=15) if query and not item else []
    context = {"action": action, "title": title, "intro": intro, "submit": submit, "item": item, "query": query,
               "results": results}  # fmt: skip
    if request.htmx and "q" in request.GET and not item:
        return render(request, "items/stock/move.html#item_results", context)
    if item is None:
        if request.method == "POST":
            messages.error(request, "Choose the item first.")
        return render(request, "items/stock/move.html", context)
    levels = selectors.item_levels(organization=organization, item=item)
    form = form_class(request.POST if request.method == "POST" else None, levels=levels, **form_kwargs,
                      auto_id="id_%s")  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            message = perform(item=item, **form.cleaned_data)
        except BackstockError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, message)
            return redirect(f"{reverse(f'items:stock:{action}')}?item={item.pk}")
    context.update(form=form, levels=selectors.list_item_levels(organization=organization, item=item))
    return render(request, "items/stock/move.html", context)


def _qty(value) -> str:
    return f"{value.normalize():f}"


@require_http_methods(["GET", "POST"])
@organization_required
def transfer(request):
    organization, venues = request.organization, request.venues

    def perform(*, item, from_area, to_area, quantity, reason):
        ledger.transfer_stock(actor=request.user, organization=organization, item=item, from_area=from_area,
                              to_area=to_area, quantity=quantity, reason=reason)  # fmt: skip
        return f"Moved {_qty(quantity)} of {item} from {from_area} to {to_area}."

    return _move_page(
        request, action="transfer", form_class=TransferForm, title="Transfer stock",
        intro="Move units between storage areas, in this venue or another of your venues.", submit="Transfer",
        form_kwargs={"areas": selectors.list_storage_areas(organization=organization, venues=venues),
                     "destinations": selectors.list_storage_areas(organization=organization)},
        perform=perform,
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
@manager_required
def write_off(request):
    organization, venues = request.organization, request.venues

    def perform(*, item, storage_area, quantity, reason):
        ledger.write_off_stock(actor=request.user, organization=organization, item=item, storage_area=storage_area,
                               quantity=quantity, reason=reason)  # fmt: skip
        return f"Wrote off {_qty(quantity)} of {item} in {storage_area}: {reason}."

    return _move_page(
        request, action="write_off", form_class=WriteOffForm, title="Write off stock",
        intro="Take broken, spilled, spoiled or comped units out of stock. The reason goes into the history.",
        submit="Write off", perform=perform,
        form_kwargs={"areas": selectors.list_storage_areas(organization=organization, venues=venues)},
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
@organization_required
def quarantine(request):
    organization, venues = request.organization, request.venues

    def perform(*, item, storage_area, quantity, reason):
        ledger.quarantine_stock(actor=request.user, organization=organization, item=item, storage_area=storage_area,
                                quantity=quantity, reason=reason)  # fmt: skip
        return f"Moved {_qty(quantity)} of {item} from {storage_area} to quarantine: {reason}."

    return _move_page(
        request, action="quarantine", form_class=QuarantineForm, title="Quarantine stock",
        intro="Hold units back (recall, damaged case, awaiting credit): they move to the venue's Quarantine area "
              "and are not available until released.",
        submit="Quarantine", perform=perform,
        form_kwargs={"areas": selectors.list_storage_areas(organization=organization, venues=venues)},
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
@organization_required
def release(request):
    organization, venues = request.organization, request.venues

    def perform(*, item, quarantine_area, to_area, quantity, reason):
        ledger.release_from_quarantine(actor=request.user, organization=organization, item=item,
                                       quarantine_area=quarantine_area, to_area=to_area, quantity=quantity,
                                       reason=reason)  # fmt: skip
        return f"Released {_qty(quantity)} of {item} from quarantine to {to_area}."

    return _move_page(
        request, action="release", form_class=ReleaseForm, title="Release from quarantine",
        intro="Put quarantined units back into a storage area.", submit="Release", perform=perform,
        form_kwargs={"areas": selectors.list_storage_areas(organization=organization, venues=venues),
                     "destinations": selectors.list_storage_areas(organization=organization, venues=venues),
                     "quarantine_areas": selectors.list_storage_areas(organization=organization, venues=venues,
                                                                      quarantine=True)},
    )  # fmt: skip


# --- movements ----------------------------------------------------------------------------------


@organization_required
def area_movements(request, pk):
    """Every movement in one storage area, newest first."""
    area = selectors.get_storage_area(organization=request.organization, pk=pk, venues=request.venues)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    movements = selectors.list_area_movements(organization=request.organization, storage_area=area)
    page = Paginator(movements, MOVEMENTS_PAGE_SIZE).get_page(request.GET.get("page"))
    summary = selectors.area_stock_summary(organization=request.organization, storage_area=area)
    return render(request, "items/stock/movements.html", {"area": area, "page": page, "summary": summary})
