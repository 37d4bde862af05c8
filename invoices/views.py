"""The invoices inbox, the review page and its HTMX actions, unrouted invoices, the digital copy.

Who may do what (DESIGN.md: staff review and approve): any member sees and reviews the
invoices of the venues they work at; an invoice of another venue is a 403, another
organization's a 404 (selectors scope by organization). Unrouted invoices are for admins.

The review page is one template (`invoices/review.html`) whose regions are partials: `invoice`
(everything; approve and reject answer with it, since the page turns read-only), `summary`
(header figures, flags, notes and the decision; it reloads itself on the `invoiceChanged`
event that every line change triggers), `lines` (the table and the add-line form), `line` (one
row, in view, edit, match or new-item mode), the typeahead results and `attachment`. Without
JavaScript every control is a plain link or form and the whole page comes back.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from inventory_site.errors import BackstockError
from inventory_site.errors import PermissionDenied as ServicePermissionDenied
from inventory_site.permissions import admin_required, organization_required
from invoices import selectors
from invoices.forms import AddLineForm, AssignVenueForm, AttachForm, LineEditForm, NewItemForm, RejectForm
from invoices.models import PartialInvoice
from invoices.services import review as services

INDEX = "invoices/index.html"
REVIEW = "invoices/review.html"
UNROUTED = "invoices/unrouted.html"
LINE_MODES = ("view", "edit", "match", "new")
EVENT = "invoiceChanged"


def _messages_oob(request) -> str:
    return render_to_string("partials/messages_oob.html", request=request)


def _reverse_or(name: str, fallback: str, *args) -> str:
    """A URL another part of Product Connect may provide (feeds pages); a plain path until it does."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return fallback


def _run(service, **kwargs):
    """(result, None) or (None, message). A role the service refuses is a 403, like the views'."""
    try:
        return service(**kwargs), None
    except ServicePermissionDenied as exc:
        raise PermissionDenied(str(exc)) from None
    except BackstockError as exc:
        return None, str(exc)


def _can_see(request, invoice: PartialInvoice) -> None:
    """Reviewers see the invoices of the venues they work at; unrouted ones are for admins."""
    if invoice.venue_id is None:
        if not request.membership.is_admin:
            raise PermissionDenied("Only an admin can handle an invoice that has no venue yet.")
        return
    if invoice.venue_id not in {v.pk for v in request.venues} and not request.membership.is_admin:
        raise PermissionDenied(f"You do not work at {invoice.venue.name}.")


def _invoice(request, pk) -> PartialInvoice:
    invoice = selectors.get_invoice(organization=request.organization, pk=pk)
    _can_see(request, invoice)
    return invoice


def _line(request, pk):
    line = selectors.get_line(organization=request.organization, pk=pk)
    _can_see(request, line.invoice)
    return line


def _is_pending(invoice) -> bool:
    return invoice.status == PartialInvoice.Status.PENDING_REVIEW


def _day(value) -> str:
    return f"{value:%b} {value.day}, {value.year}"


def _problems(form) -> str:
    return "; ".join(error for errors in form.errors.values() for error in errors)


def _field_of(error: str) -> str | None:
    """The add-line field a service error is about, so the message shows next to it."""
    if error.startswith("Quantity"):
        return "quantity"
    if error.startswith("Unit price"):
        return "unit_price"
    if error.startswith("Unit must"):
        return "uom"
    return None


# --- the inbox ------------------------------------------------------------------------------


def _tab(value) -> str:
    return value if value in selectors.STATUSES else PartialInvoice.Status.PENDING_REVIEW


@never_cache
@require_GET
@organization_required
def index(request):
    """Tabs Pending review / Approved / Rejected; with htmx (a tab or a page), only the list."""
    status = _tab(request.GET.get("status"))
    venues = request.venues
    chosen = next((v for v in venues if str(v.pk) == request.GET.get("venue", "")), None)
    is_admin = request.membership.is_admin
    counts = selectors.inbox_counts(organization=request.organization, venues=venues, venue=chosen,
                                    include_unrouted=is_admin)  # fmt: skip
    page = selectors.page_of_invoices(organization=request.organization, venues=venues, status=status, venue=chosen,
                                      page=request.GET.get("page"))  # fmt: skip
    for invoice in page.object_list:
        invoice.mismatch = selectors.total_mismatch(invoice.stated_total, invoice.lines_total)
    context = {
        "status": status,
        "status_label": PartialInvoice.Status(status).label,
        "tabs": [(s.value, s.label, counts[s.value]) for s in PartialInvoice.Status],
        "counts": counts,
        "page": page,
        "chosen_venue": chosen,
        "venue_query": f"&venue={chosen.pk}" if chosen else "",
        "feeds_url": _reverse_or("invoices:feeds", "/invoices/feeds/"),
        "any_product_connect": any(v.product_connect_enabled for v in venues),
    }
    if request.htmx and request.headers.get("HX-Target") == "inbox":
        return render(request, f"{INDEX}#inbox", context)
    return render(request, INDEX, context)


# --- unrouted invoices (admins) -------------------------------------------------------------


@require_GET
@admin_required
def unrouted(request):
    invoices = selectors.list_unrouted(organization=request.organization)
    venues = selectors.list_product_connect_venues(organization=request.organization)
    rows = [(invoice, AssignVenueForm(venues=venues, invoice=invoice)) for invoice in invoices]
    return render(request, UNROUTED, {"rows": rows, "pc_venues": venues})


@require_POST
@admin_required
def assign(request, pk):
    """Give an unrouted invoice its venue; the row (and the rows that went along) update."""
    invoice = selectors.get_invoice(organization=request.organization, pk=pk)
    venues = selectors.list_product_connect_venues(organization=request.organization)
    form = AssignVenueForm(request.POST, venues=venues, invoice=invoice)
    routed, error = [], None
    if form.is_valid():
        routed, error = _run(services.assign_venue, actor=request.user, organization=request.organization,
                             invoice=invoice, venue=form.cleaned_data["venue"])  # fmt: skip
        routed = routed or []
        if error:
            form.add_error("venue", error)
    if routed:
        venue = form.cleaned_data["venue"]
        others = len(routed) - 1
        text = f"Invoice {invoice.invoice_number} goes to {venue.name}"
        if others:
            text += f", with {others} more from account #{invoice.account_number}"
        if invoice.account_number:
            text += (f". Account #{invoice.account_number} is remembered for {venue.name}: its next invoices "
                     f"route themselves")
        messages.success(request, text + ".")
    elif not error:
        problems = "; ".join(form.errors.get("venue", []))
        messages.error(request, f"Invoice {invoice.invoice_number} was not assigned: {problems}")
    if not request.htmx:
        if request.POST.get("next") == "review":
            return redirect("invoices:review", pk=invoice.pk)
        return redirect("invoices:unrouted")
    shown = routed[0] if routed else invoice
    for each in routed or [shown]:
        each.line_count = selectors.count_lines(organization=request.organization, invoice=each)
    context = {"invoice": shown, "assigned": shown.venue if routed else None, "form": None if routed else form,
               "others": routed[1:]}  # fmt: skip
    response = render(request, f"{UNROUTED}#row", context)
    response.write(_messages_oob(request))
    return response


# --- the review page ------------------------------------------------------------------------


def _review_context(request, invoice, **extra) -> dict:
    summary = selectors.invoice_summary(organization=request.organization, invoice=invoice)
    return _context_for(request, invoice, summary, **extra)


def _context_for(request, invoice, summary, **extra) -> dict:
    pending = _is_pending(invoice)
    context = {
        "invoice": invoice,
        "summary": summary,
        "lines": summary.lines,
        "editable": pending,
        "viewer": request.user,
        "flag_percent": settings.INVOICE_PRICE_CHANGE_FLAG_PERCENT,
        "document_url": _reverse_or("invoices:document", "", invoice.document_id) if invoice.document_id else "",
        "pc_venues": selectors.list_product_connect_venues(organization=request.organization)
        if pending and invoice.venue_id is None else [],
        "open_line": None,
        "open_mode": "view",
    }  # fmt: skip
    context["approve_text"] = _approve_text(invoice, summary)
    context["max_copy_mb"] = _max_copy_mb()
    context.setdefault("reject_form", RejectForm())
    context.setdefault("attach_form", AttachForm())
    context.setdefault("add_form", AddLineForm())
    context.update(extra)
    return context


def _max_copy_mb() -> str:
    return f"{settings.INVOICE_ATTACHMENT_MAX_BYTES / 1_048_576:g}"


def _approve_text(invoice, summary) -> str:
    """What approving does, in the words of the confirmation: "Receive 3 items (36 units) into …"."""
    if invoice.venue is None:
        return ""
    area = summary.primary_area.name if summary.primary_area else "the primary storage area (none is set)"
    count = summary.items_to_receive
    units = format(abs(summary.units_to_receive).normalize(), "f")
    items = f"{count} item{'s' if count != 1 else ''} ({units} unit{'s' if units != '1' else ''})"
    when = f"dated {_day(invoice.invoice_date)}"
    if summary.units_to_receive < 0:
        return f"Return {items} from {area} at {invoice.venue.name} {when}, and approve the credit memo?"
    return f"Receive {items} into {area} at {invoice.venue.name} {when}, and approve the invoice?"


@never_cache  # back to the page after an htmx change must show it as it is now, not as first loaded
@require_GET
@organization_required
def review(request, pk):
    """The review page; htmx asks for the `summary` region after each change."""
    invoice = _invoice(request, pk)
    target = request.headers.get("HX-Target") if request.htmx else None
    if target == "summary":
        return render(request, f"{REVIEW}#summary", _review_context(request, invoice))
    extra = {}
    # Without JavaScript the row tools are links back to this page naming the line and the mode.
    line_pk, mode = request.GET.get("line"), request.GET.get("mode", "view")
    if line_pk and mode in LINE_MODES and _is_pending(invoice):
        extra = {"open_line": int(line_pk) if line_pk.isdigit() else None, "open_mode": mode}
    add_query = request.GET.get("q", "") if not line_pk else ""
    if add_query and _is_pending(invoice):  # the add-line search without JavaScript
        extra.update(add_query=add_query, add_results=selectors.search_items_for_line(
            organization=request.organization, query=add_query))  # fmt: skip
    context = _review_context(request, invoice, **extra)
    if extra.get("open_line"):
        line = next((l for l in context["lines"] if l.pk == extra["open_line"]), None)
        if line is not None:
            context.update(_mode_context(request, line, mode, query=request.GET.get("q")))
    return render(request, REVIEW, context)


# --- one line -------------------------------------------------------------------------------


def _initial_query(line) -> str:
    """The first words of the description, without the size: enough for the typeahead to start."""
    from items.sizes import find_size

    text = line.description or ""
    _, rest = find_size(text)
    words = (rest if isinstance(rest, str) and rest.strip() else text).split()
    return " ".join(words[:2])


def _mode_context(request, line, mode, *, query=None, form=None, error=None) -> dict:
    context = {"open_line": line.pk, "open_mode": mode, "line_error": error}
    if mode == "edit":
        context["edit_form"] = form or LineEditForm(line=line)
    elif mode == "match":
        query = _initial_query(line) if query is None else query
        context["query"] = query
        context["results"] = selectors.search_items_for_line(organization=request.organization, query=query)
    elif mode == "new":
        context["new_form"] = form or NewItemForm(line=line)
    return context


def _render_line(request, line, *, mode="view", event=False, **extra):
    """One row (re-read, so its flags are fresh), with the messages out of band."""
    if mode == "view":
        line = selectors.get_line(organization=request.organization, pk=line.pk)
    context = {"line": line, "invoice": line.invoice, "editable": _is_pending(line.invoice),
               "viewer": request.user, "flag_percent": settings.INVOICE_PRICE_CHANGE_FLAG_PERCENT}  # fmt: skip
    context.update(_mode_context(request, line, mode, **extra))
    response = render(request, f"{REVIEW}#line", context)
    response.write(_messages_oob(request))
    return trigger_client_event(response, EVENT) if event else response


def _back_to_line(line, mode="view") -> str:
    url = reverse("invoices:review", args=[line.invoice_id])
    if mode != "view":
        return f"{url}?line={line.pk}&mode={mode}#line-{line.pk}"
    return f"{url}#line-{line.pk}"


@require_GET
@organization_required
def line_row(request, pk):
    """A row in a mode (?mode=edit|match|new|view): the row tools ask for it with htmx."""
    line = _line(request, pk)
    mode = request.GET.get("mode", "view")
    if mode not in LINE_MODES or (mode != "view" and not _is_pending(line.invoice)):
        mode = "view"
    if not request.htmx:
        return redirect(_back_to_line(line, mode))
    return _render_line(request, line, mode=mode)


@require_GET
@organization_required
def line_item_search(request, pk):
    """Typeahead results for a line: buttons that link the line to the item."""
    line = _line(request, pk)
    query = request.GET.get("q", "")
    if not request.htmx:
        return redirect(f"{_back_to_line(line, 'match').split('#')[0]}&{urlencode({'q': query})}#line-{line.pk}")
    results = selectors.search_items_for_line(organization=request.organization, query=query)
    return render(request, f"{REVIEW}#line_results", {"line": line, "results": results, "query": query})


@require_POST
@organization_required
def line_match(request, pk):
    line = _line(request, pk)
    item = selectors.get_item(organization=request.organization, pk=request.POST.get("item"))
    if item is None:
        error = "Choose the item from the list (search by name, SKU or UPC)."
    else:
        _, error = _run(services.set_line_item, actor=request.user, organization=request.organization, line=line,
                        item=item)  # fmt: skip
    if error:
        if not request.htmx:
            messages.error(request, f"Line {line.line_number}: {error}")
            return redirect(_back_to_line(line, "match"))
        return _render_line(request, line, mode="match", error=error, query=request.POST.get("q"))
    sku = f" Distributor SKU {line.distributor_sku} is remembered for it." if line.distributor_sku else ""
    messages.success(request, f"Line {line.line_number} now links to {item}.{sku}")
    if not request.htmx:
        return redirect(_back_to_line(line))
    return _render_line(request, line, event=True)


@require_http_methods(["GET", "POST"])
@organization_required
def line_new_item(request, pk):
    """GET: the row as a form prefilled from the line. POST: create the item and link it."""
    line = _line(request, pk)
    if request.method == "GET":
        if not request.htmx:
            return redirect(_back_to_line(line, "new"))
        return _render_line(request, line, mode="new" if _is_pending(line.invoice) else "view")
    form = NewItemForm(request.POST, line=line)
    error = None
    if form.is_valid():
        data = form.cleaned_data
        item, error = _run(services.create_item_from_line, actor=request.user, organization=request.organization,
                           line=line, name=data["name"], size=data["size"] or None,
                           units_per_case=data["units_per_case"], category=data["category"])  # fmt: skip
        if item is not None:
            messages.success(request, f"{item} created from line {line.line_number} and linked to it.")
            if not request.htmx:
                return redirect(_back_to_line(line))
            return _render_line(request, line, event=True)
        form.add_error(None, error)
    if not request.htmx:
        messages.error(request, f"Line {line.line_number}: no item created. "
                       + (error or _problems(form)))  # fmt: skip
        return redirect(_back_to_line(line, "new"))
    return _render_line(request, line, mode="new", form=form)


@require_POST
@organization_required
def line_update(request, pk):
    """Quantity, unit price and unit (the edit form), or `is_inventory` alone (the stock toggle)."""
    line = _line(request, pk)
    if "is_inventory" in request.POST:
        stock = request.POST["is_inventory"] in ("1", "true", "on")
        _, error = _run(services.update_line, actor=request.user, organization=request.organization, line=line,
                        is_inventory=stock)  # fmt: skip
        if error:
            messages.error(request, f"Line {line.line_number}: {error}")
        else:
            messages.success(request, f"Line {line.line_number} " + ("counts as stock again." if stock else
                             "is not stock: approving leaves it out of stock and costs."))  # fmt: skip
        if not request.htmx:
            return redirect(_back_to_line(line))
        return _render_line(request, line, event=not error)
    form = LineEditForm(request.POST, line=line)
    error = None
    if form.is_valid():
        data = form.cleaned_data
        _, error = _run(services.update_line, actor=request.user, organization=request.organization, line=line,
                        quantity=data["quantity"], unit_price=data["unit_price"], uom=data["uom"])  # fmt: skip
        if not error:
            messages.success(request, f"Line {line.line_number} saved.")
            if not request.htmx:
                return redirect(_back_to_line(line))
            return _render_line(request, line, event=True)
        form.add_error(None, error)
    if not request.htmx:
        messages.error(request, f"Line {line.line_number} not saved: "
                       + (error or _problems(form)))  # fmt: skip
        return redirect(_back_to_line(line, "edit"))
    return _render_line(request, line, mode="edit", form=form)


@require_POST
@organization_required
def line_remove(request, pk):
    line = _line(request, pk)
    _, error = _run(services.remove_line, actor=request.user, organization=request.organization, line=line)
    if error:
        messages.error(request, f"Line {line.line_number}: {error}")
        if not request.htmx:
            return redirect(_back_to_line(line))
        return _render_line(request, line, error=error)
    messages.success(request, f"Line {line.line_number} ({line.description}) removed.")
    if not request.htmx:
        return redirect("invoices:review", pk=line.invoice_id)
    response = HttpResponse(_messages_oob(request))  # the row is swapped for nothing: gone
    return trigger_client_event(response, EVENT)


# --- adding a line --------------------------------------------------------------------------


@require_GET
@organization_required
def item_search(request, pk):
    """Typeahead of the add-line form: the items as radio buttons named `item`."""
    invoice = _invoice(request, pk)
    query = request.GET.get("q", "")
    if not request.htmx:
        return redirect(f"{reverse('invoices:review', args=[invoice.pk])}?{urlencode({'q': query})}#add-line")
    results = selectors.search_items_for_line(organization=request.organization, query=query)
    return render(request, f"{REVIEW}#add_results", {"invoice": invoice, "add_results": results, "add_query": query})


@require_POST
@organization_required
def line_add(request, pk):
    invoice = _invoice(request, pk)
    form = AddLineForm(request.POST)
    query = request.POST.get("q", "")
    chosen = None
    if form.is_valid():
        data = form.cleaned_data
        chosen = selectors.get_item(organization=request.organization, pk=data["item"])
        if chosen is None:
            form.add_error("item", "Choose the item: type its name, SKU or UPC, then pick it from the list."
                           if not query else "Pick the item from the list.")  # fmt: skip
        else:
            line, error = _run(services.add_line, actor=request.user, organization=request.organization,
                               invoice=invoice, item=chosen, quantity=data["quantity"], uom=data["uom"],
                               unit_price=data["unit_price"], description=data["description"])  # fmt: skip
            if line is not None:
                messages.success(request, f"Line {line.line_number} added: {line.quantity.normalize():f} {line.uom} "
                                          f"of {chosen}.")  # fmt: skip
                if not request.htmx:
                    return redirect(f"{reverse('invoices:review', args=[invoice.pk])}#line-{line.pk}")
                response = render(request, f"{REVIEW}#lines", _review_context(request, invoice))
                response.write(_messages_oob(request))
                return trigger_client_event(response, EVENT)
            form.add_error(_field_of(error), error)
    if not request.htmx:
        messages.error(request, f"The line was not added: {_problems(form)}")
        return redirect(f"{reverse('invoices:review', args=[invoice.pk])}?{urlencode({'q': query})}#add-line")
    results = selectors.search_items_for_line(organization=request.organization, query=query) if query else []
    context = _review_context(request, invoice, add_form=form, add_results=results, add_query=query,
                              add_chosen=chosen.pk if chosen else None)  # fmt: skip
    return render(request, f"{REVIEW}#lines", context)


# --- the digital copy -----------------------------------------------------------------------


@require_POST
@organization_required
def attach(request, pk):
    invoice = _invoice(request, pk)
    form = AttachForm(request.POST, request.FILES)
    if form.is_valid():
        invoice_after, error = _run(services.attach_copy, actor=request.user, organization=request.organization,
                                    invoice=invoice, uploaded_file=form.cleaned_data["copy"])  # fmt: skip
        if error:
            form.add_error("copy", error)
        else:
            invoice = invoice_after
            messages.success(request, f"Copy of invoice {invoice.invoice_number} attached.")
            form = AttachForm()
    if not request.htmx:
        if form.errors:
            messages.error(request, "The copy was not attached: " + "; ".join(form.errors.get("copy", [])))
        return redirect(f"{reverse('invoices:review', args=[invoice.pk])}#attachment")
    response = render(request, f"{REVIEW}#attachment", {"invoice": invoice, "attach_form": form,
                                                        "max_copy_mb": _max_copy_mb()})
    response.write(_messages_oob(request))
    return trigger_client_event(response, EVENT) if not form.errors else response


@require_GET
@organization_required
def view_copy(request, pk):
    """The attached copy, only to members who may see the invoice; never from MEDIA_URL."""
    invoice = _invoice(request, pk)
    if not invoice.attachment:
        raise Http404("No copy is attached to this invoice.")
    try:
        handle = invoice.attachment.open("rb")
    except FileNotFoundError:
        raise Http404("The copy's file is missing.") from None
    kind = services.sniff_copy_type(handle.read(16))
    handle.seek(0)
    if kind is None:  # stored before content checks existed, or tampered with: never serve it as-is
        handle.close()
        raise Http404("The copy is not a PDF, JPG or PNG.")
    extension, content_type = kind
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=False, filename=f"invoice-{invoice.invoice_number}.{extension}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- approve / reject ------------------------------------------------------------------------


def _invoice_response(request, invoice, **extra):
    """The whole invoice region (the page turns read-only after a decision), messages, nav badge.

    No `invoiceChanged` event: the region holds everything that would have reloaded on it.
    """
    invoice = selectors.get_invoice(organization=request.organization, pk=invoice.pk)
    context = _review_context(request, invoice, **extra)
    response = render(request, f"{REVIEW}#invoice", context)
    response.write(_messages_oob(request))
    counts = selectors.nav_counts(organization=request.organization, user=request.user, venues=request.venues)
    response.write(render_to_string("invoices/_nav_badge.html", {"nav_counts": counts, "oob": True}))
    return response


@require_http_methods(["GET", "POST"])
@organization_required
def approve(request, pk):
    """GET (no JavaScript): what approving will do, and a button. POST: approve, once."""
    invoice = _invoice(request, pk)
    if request.method == "GET":
        if not _is_pending(invoice):
            return redirect("invoices:review", pk=invoice.pk)
        return render(request, "invoices/approve_confirm.html", _review_context(request, invoice))
    result, error = _run(services.approve_invoice, actor=request.user, organization=request.organization,
                         invoice=invoice)  # fmt: skip
    if error:
        messages.error(request, f"Invoice {invoice.invoice_number} was not approved: {error}")
    elif result.already_approved:
        messages.info(request, f"Invoice {invoice.invoice_number} was already approved; nothing was received twice.")
    else:
        area = selectors.get_primary_area(organization=request.organization, venue=invoice.venue)
        where = area.name if area else "the primary storage area"
        count = result.movements
        messages.success(request, f"Invoice {invoice.invoice_number} approved: {count} item{'s' if count != 1 else ''} "
                                  f"received into {where} at {invoice.venue.name}, "
                                  f"dated {_day(invoice.invoice_date)}.")  # fmt: skip
    if not request.htmx:
        return redirect("invoices:review", pk=invoice.pk)
    return _invoice_response(request, invoice, approve_error=error)


@require_POST
@organization_required
def reject(request, pk):
    invoice = _invoice(request, pk)
    form = RejectForm(request.POST)
    error = None
    if form.is_valid():
        _, error = _run(services.reject_invoice, actor=request.user, organization=request.organization,
                        invoice=invoice, reason=form.cleaned_data["reason"])  # fmt: skip
        if error:
            form.add_error("reason", error)
        else:
            messages.success(request, f"Invoice {invoice.invoice_number} rejected. Nothing was received.")
    if not request.htmx:
        if form.errors:
            messages.error(request, "The invoice was not rejected: " + "; ".join(form.errors.get("reason", [])))
        return redirect("invoices:review", pk=invoice.pk)
    return _invoice_response(request, invoice, reject_form=form if form.errors else RejectForm())
