"""Feeds pages: the organization's supplier feeds, each feed with the documents it brought, and
each document with its outcome (error, notes, the invoices it produced).

Every member reads; admins and managers add and edit feeds, pull now, upload a document and
process one again (403 for staff). A member limited to some venues sees the invoices of those
venues only, and not the raw documents (which may hold other venues' invoices). "Pull now"
answers with the feed's row (or header) showing the pull as queued; that region polls itself
every 2 s while a pull is queued or running, and stops once it is done. Without JavaScript each
action is a plain form post that redirects back.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from inventory_site.errors import BackstockError
from inventory_site.permissions import manager_required, organization_required
from invoices import selectors_feeds as selectors
from invoices.forms_feeds import FeedForm, UploadForm
from invoices.models import FeedDocument, SupplierFeed
from invoices.services import feeds as services
from invoices.transport import resolve_drop_folder
from venues.selectors import accessible_venues

LIST = "invoices/feeds.html"
FORM = "invoices/feeds_form.html"
DETAIL = "invoices/feeds_detail.html"
DOCUMENT = "invoices/feeds_document.html"
DOCUMENTS_PER_PAGE = 50
PREVIEW_CHARS = 20_000


# --- helpers --------------------------------------------------------------------------------


def _changed(request, template: str, context: dict) -> HttpResponse:
    """The htmx answer to a change: the region it touched and the messages out of band."""
    response = render(request, template, context)
    response.write(render_to_string("partials/messages_oob.html", request=request))
    return response


def _with_state(feed: SupplierFeed) -> SupplierFeed:
    feed.pull_state = services.pull_state(feed)
    return feed


def _sees_every_venue(request) -> bool:
    membership = request.membership
    return membership.is_admin or not membership.venues.exists()


def _visible_invoices(request, document: FeedDocument, *, every_venue: bool, venue_ids: set[int]) -> list:
    return [invoice for invoice in document.invoices.all() if every_venue or invoice.venue_id in venue_ids]


def _feed_form(request, data=None, *, feed: SupplierFeed | None = None) -> FeedForm:
    initial = None
    if feed is not None:
        initial = {name: getattr(feed, name) for name in
                   ("name", "format", "transport", "url", "folder", "schedule_seconds", "enabled")}  # fmt: skip
        initial["distributor"] = feed.distributor_id
    distributors = selectors.distributor_choices(organization=request.organization,
                                                 include=feed.distributor if feed else None)  # fmt: skip
    return FeedForm(data, initial=initial, distributors=distributors, organization=request.organization, feed=feed)


def _form_error(form, exc: BackstockError) -> None:
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, str(exc))


# --- the list ---------------------------------------------------------------------------------


@require_GET
@organization_required
def feeds(request):
    """Every feed of the organization with its last pull, last error and document counts."""
    feed_list = [_with_state(feed) for feed in selectors.list_feeds(organization=request.organization)]
    context = {"feeds": feed_list, "product_connect_on": services.product_connect_on(request.organization)}
    return render(request, LIST, context)


@require_http_methods(["GET", "POST"])
@manager_required
def feed_add(request):
    form = _feed_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            feed = services.create_feed(actor=request.user, organization=request.organization, **data)
        except BackstockError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Feed {feed.name} added." + (
                "" if feed.transport == SupplierFeed.Transport.UPLOAD or not feed.enabled
                else " It is pulled within seconds while a venue has Product Connect on."))  # fmt: skip
            return redirect("invoices:feed", pk=feed.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "title": "Add a feed", "submit": "Add feed", "action": reverse("invoices:feed_add"),
               "back": reverse("invoices:feeds")}  # fmt: skip
    return render(request, FORM, context, status=status)


@require_http_methods(["GET", "POST"])
@manager_required
def feed_edit(request, pk):
    feed = selectors.get_feed(organization=request.organization, pk=pk)
    form = _feed_form(request, request.POST or None, feed=feed)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        clear_token = data.pop("clear_token", False)
        token = data.pop("token", "")
        try:
            feed = services.update_feed(actor=request.user, organization=request.organization, feed=feed, token=token,
                                        clear_token=clear_token, **data)  # fmt: skip
        except BackstockError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Feed {feed.name} saved.")
            return redirect("invoices:feed", pk=feed.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "feed": feed, "title": f"Edit {feed.name}", "submit": "Save feed",
               "action": reverse("invoices:feed_edit", args=[feed.pk]), "back": reverse("invoices:feed", args=[feed.pk])}  # fmt: skip
    return render(request, FORM, context, status=status)


# --- one feed -------------------------------------------------------------------------------


def _drop_folder(request, feed: SupplierFeed) -> str:
    """The folder on the server a drop-folder feed reads (the feed keeps it relative)."""
    if feed.transport != SupplierFeed.Transport.DROP_FOLDER:
        return ""
    try:
        return str(resolve_drop_folder(request.organization, feed.folder))
    except BackstockError as exc:
        return str(exc)


def _detail_context(request, feed: SupplierFeed, *, upload_form=None) -> dict:
    status = request.GET.get("status", "")
    if status not in FeedDocument.Status.values:
        status = ""
    documents = selectors.list_feed_documents(organization=request.organization, feed=feed, status=status)
    page = Paginator(documents, DOCUMENTS_PER_PAGE).get_page(request.GET.get("page"))
    every_venue = _sees_every_venue(request)
    venue_ids = set(accessible_venues(membership=request.membership).values_list("pk", flat=True))
    for document in page.object_list:
        document.visible_invoices = _visible_invoices(request, document, every_venue=every_venue, venue_ids=venue_ids)
    feed = _with_state(feed)
    waiting = bool(feed.pull_state) or any(d.status == FeedDocument.Status.RECEIVED for d in page.object_list)
    return {"feed": feed, "page": page, "status": status, "statuses": selectors.DOCUMENT_STATUSES, "waiting": waiting,
            "upload_form": upload_form or UploadForm(), "drop_folder": _drop_folder(request, feed),
            "product_connect_on": services.product_connect_on(request.organization)}  # fmt: skip


@require_GET
@organization_required
def feed_detail(request, pk):
    """A feed: its settings and last pull, the upload form (managers) and its documents."""
    feed = selectors.get_feed(organization=request.organization, pk=pk)
    context = _detail_context(request, feed)
    if request.htmx and request.GET.get("region") == "documents":
        return render(request, f"{DETAIL}#documents", context)
    return render(request, DETAIL, context)


def _status_region(request, feed: SupplierFeed, *, changed: bool = False) -> HttpResponse:
    feed = _with_state(selectors.get_feed(organization=request.organization, pk=feed.pk))  # re-read with counts
    where = request.POST.get("in") or request.GET.get("in")
    template = f"{LIST}#feed_row" if where == "list" else f"{DETAIL}#status"
    context = {"feed": feed, "product_connect_on": services.product_connect_on(request.organization)}
    response = _changed(request, template, context) if changed else render(request, template, context)
    if request.GET.get("was") == "pending" and not feed.pull_state:
        trigger_client_event(response, "feedPulled")  # the feed page's documents reload
    return response


@require_GET
@organization_required
def feed_status(request, pk):
    """The feed's row of the list (?in=list) or the header of its page: polled while a pull is pending."""
    feed = selectors.get_feed(organization=request.organization, pk=pk)
    if not request.htmx:
        return redirect("invoices:feed", pk=feed.pk)
    return _status_region(request, feed)


@require_POST
@manager_required
def feed_pull(request, pk):
    """Pull now: queue a pull of the feed."""
    feed = selectors.get_feed(organization=request.organization, pk=pk)
    try:
        services.request_pull(actor=request.user, organization=request.organization, feed=feed)
    except BackstockError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Pull of {feed.name} queued; new documents show here as they arrive.")
    if request.htmx:
        return _status_region(request, feed, changed=True)
    if request.POST.get("in") == "list":
        return redirect("invoices:feeds")
    return redirect("invoices:feed", pk=feed.pk)


@require_POST
@manager_required
def feed_upload(request, pk):
    """A document uploaded by hand: stored, then processed by a worker (its page shows the outcome)."""
    feed = selectors.get_feed(organization=request.organization, pk=pk)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            stored = services.upload_document(actor=request.user, organization=request.organization, feed=feed,
                                              uploaded_file=form.cleaned_data["file"])  # fmt: skip
        except BackstockError as exc:
            form.add_error("file", str(exc))
        else:
            document = stored.document
            if stored.created:
                messages.success(request, f"{document.filename} uploaded; it is being processed.")
            else:
                messages.info(request, f"{document.filename} was uploaded before (same content); it is not imported "
                                       f"twice.")  # fmt: skip
            return redirect("invoices:document", pk=document.pk)
    return render(request, DETAIL, _detail_context(request, feed, upload_form=form), status=400)


# --- one document -----------------------------------------------------------------------------


def _document_context(request, document: FeedDocument) -> dict:
    every_venue = _sees_every_venue(request)
    venue_ids = set(accessible_venues(membership=request.membership).values_list("pk", flat=True))
    return {"document": document, "sees_content": every_venue,
            "queued": document.status == FeedDocument.Status.RECEIVED,
            "invoices": _visible_invoices(request, document, every_venue=every_venue, venue_ids=venue_ids)}  # fmt: skip


@require_GET
@organization_required
def document_detail(request, pk):
    """A stored document: where it came from, how it ended (error, notes), the invoices it
    produced, and the start of its content as received."""
    document = selectors.get_document(organization=request.organization, pk=pk)
    context = _document_context(request, document)
    if request.htmx and request.GET.get("region") == "outcome":
        return render(request, f"{DOCUMENT}#outcome", context)
    if context["sees_content"]:
        content = bytes(document.content)
        context["preview"] = content[: PREVIEW_CHARS * 2].decode("utf-8", "replace")[:PREVIEW_CHARS]
        context["preview_cut"] = len(content) > len(context["preview"].encode("utf-8", "replace"))
    return render(request, DOCUMENT, context)


@require_GET
@organization_required
def document_download(request, pk):
    """The document exactly as received (members who see every venue)."""
    document = selectors.get_document(organization=request.organization, pk=pk)
    if not _sees_every_venue(request):
        return HttpResponse("This document may hold other venues' invoices.", status=403, content_type="text/plain")
    name = get_valid_filename(document.filename or f"document-{document.pk}") or f"document-{document.pk}"
    response = HttpResponse(bytes(document.content), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@manager_required
def document_process(request, pk):
    """Process again a failed document (or one still waiting)."""
    document = selectors.get_document(organization=request.organization, pk=pk)
    try:
        document = services.reprocess_document(actor=request.user, organization=request.organization, document=document)
    except BackstockError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{document} queued to be processed again.")
    if request.htmx:
        document = selectors.get_document(organization=request.organization, pk=pk)
        return _changed(request, f"{DOCUMENT}#outcome", _document_context(request, document))
    return redirect("invoices:document", pk=pk)
