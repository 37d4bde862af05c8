"""The merge tool, duplicate suggestions and the merge history of an item.

- `merge_tool`: pick two items (typeahead by name, SKU or UPC; or prefilled from a suggestion,
  `?a=&b=`, or from an item's page, `?item=`), see them side by side, choose the survivor
  (default: the newer item), preview exactly what moves, confirm. With htmx, choosing the
  survivor re-renders only the `review` region.
- `merge_confirm` / `merge_undo`: POST; the result is the survivor's (or, for an undo, the
  item page it was asked from, reloaded) page with a message, so every region of that page
  shows the new state.
- `suggestions` / `dismiss`: the list of likely duplicates, paginated; a dismissed row
  disappears in place.
- `item_merges`: the region of the item page (items/_merge_history.html loads it): possible
  duplicates of the item and the merges into and out of it, each with Undo.

Merging, undoing and dismissing are for managers and admins; staff get 403 on those pages and
see the item's merge history read-only. Another organization's items and merges are 404.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh, trigger_client_event

from inventory_site.errors import BackstockError
from inventory_site.permissions import manager_required, organization_required
from items import selectors_merge as selectors
from items.forms_merge import MergeForm, PairForm, PickForm, UndoForm
from items.services import duplicates
from items.services.merge import (
    default_survivor,
    merge_items,
    newer_merge_blocking,
    preview_merge,
    recorded_references,
    undo_merge,
)

TOOL = "items/merge/tool.html"
SUGGESTIONS = "items/merge/suggestions.html"
HISTORY = "items/merge/item_merges.html"
SUGGESTIONS_PER_PAGE = 25


def _go(request, url: str):
    """Redirect; for htmx a client-side redirect, so the whole new page loads."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _tool_url(**params) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    return reverse("items:merge") + (f"?{query}" if query else "")


def _messages_oob(request) -> str:
    return render_to_string("partials/messages_oob.html", request=request)


# --- the merge tool -------------------------------------------------------------------------


@require_GET
@manager_required
def merge_tool(request):
    organization = request.organization
    a_id, b_id, survivor_id = PickForm(request.GET).ids()
    a = selectors.get_item(organization=organization, pk=a_id) if a_id else None
    b = selectors.get_item(organization=organization, pk=b_id) if b_id else None
    context = {"a": a, "b": b, "query_a": request.GET.get("q_a", ""), "query_b": request.GET.get("q_b", "")}
    if a and not b:
        context["results_b"] = selectors.search_merge_candidates(organization=organization, query=context["query_b"],
                                                                 exclude=a.pk)  # fmt: skip
    if b and not a:
        context["results_a"] = selectors.search_merge_candidates(organization=organization, query=context["query_a"],
                                                                 exclude=b.pk)  # fmt: skip
    if not a and not b:
        context["results_a"] = selectors.search_merge_candidates(organization=organization, query=context["query_a"])
    for item in (a, b):
        if item is not None:
            selectors.item_for_comparison(organization=organization, item=item)
    if a and b:
        newer = default_survivor(a, b)
        survivor = next((i for i in (a, b) if i.pk == survivor_id), None) or newer
        merged = b if survivor.pk == a.pk else a
        context.update(survivor=survivor, merged=merged, newer_pk=newer.pk,
                       preview=preview_merge(organization=organization, survivor=survivor, merged=merged))  # fmt: skip
    template = f"{TOOL}#review" if request.htmx and request.headers.get("HX-Target") == "review" and a and b else TOOL
    return render(request, template, context)


@require_GET
@manager_required
def merge_search(request):
    """Typeahead results for one side of the merge page (`side` a or b; `other` is the other side's item)."""
    side = "b" if request.GET.get("side") == "b" else "a"
    other_id = PickForm({"a": request.GET.get("other")}).ids()[0]
    other = selectors.get_item(organization=request.organization, pk=other_id) if other_id else None
    query = request.GET.get(f"q_{side}", request.GET.get("q", ""))
    results = selectors.search_merge_candidates(organization=request.organization, query=query,
                                                exclude=other.pk if other else None)  # fmt: skip
    context = {"side": side, "other": other, "results": results, "query": query}
    return render(request, f"{TOOL}#results", context)


@require_POST
@manager_required
def merge_confirm(request):
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the two items to merge and which one to keep.")
        return _go(request, reverse("items:merge"))
    organization = request.organization
    survivor = selectors.get_item(organization=organization, pk=form.cleaned_data["survivor"])
    merged = selectors.get_item(organization=organization, pk=form.cleaned_data["merged"])
    try:
        merge_items(actor=request.user, organization=organization, survivor=survivor, merged=merged)
    except BackstockError as exc:
        messages.error(request, str(exc))
        return _go(request, _tool_url(a=merged.pk, b=survivor.pk, survivor=survivor.pk))
    messages.success(request, f"Merged {merged} into {survivor}: its codes, stock and history are on this item now. "
                              f"To undo it, use Undo merge under Merge history.")  # fmt: skip
    return _go(request, reverse("items:detail", args=[survivor.pk]))


@require_POST
@manager_required
def merge_undo(request, pk):
    organization = request.organization
    merge = selectors.get_merge(organization=organization, pk=pk)
    form = UndoForm(request.POST)
    back_to = form.cleaned_data.get("back_to") if form.is_valid() else None
    if back_to not in (merge.survivor_id, merge.merged_id):
        back_to = merge.survivor_id
    try:
        undo_merge(actor=request.user, organization=organization, merge=merge)
    except BackstockError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Merge undone: {merge.merged} is back as its own item, with its codes, stock "
                                  f"and history; {merge.survivor} keeps what it had before.")  # fmt: skip
    if request.htmx:  # from the item page's history: reload it (the same URL), its message on top
        return HttpResponseClientRefresh()
    return redirect("items:detail", pk=back_to)


# --- suggestions ----------------------------------------------------------------------------


@require_GET
@manager_required
def suggestions(request):
    organization = request.organization
    page = Paginator(duplicates.list_duplicate_suggestions(organization=organization), SUGGESTIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    page.object_list = duplicates.load_suggestion_items(organization=organization, suggestions=list(page.object_list))
    return render(request, SUGGESTIONS, {"page": page})


def _safe_next(request, url: str, default: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return default


@require_POST
@manager_required
def dismiss(request):
    """Not duplicates: with htmx the row disappears (an empty answer) and the message arrives out of band."""
    form = PairForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the two items that are not duplicates.")
        return _go(request, reverse("items:merge_suggestions"))
    organization = request.organization
    a = selectors.get_item(organization=organization, pk=form.cleaned_data["a"])
    b = selectors.get_item(organization=organization, pk=form.cleaned_data["b"])
    try:
        duplicates.dismiss_duplicate(actor=request.user, organization=organization, item_a=a, item_b=b)
    except BackstockError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{a} and {b} are marked as not duplicates; they won't be suggested again.")
    if request.htmx:
        return trigger_client_event(HttpResponse(_messages_oob(request)), "duplicatesChanged")
    return redirect(_safe_next(request, form.cleaned_data.get("next", ""), reverse("items:merge_suggestions")))


# --- an item's merges -----------------------------------------------------------------------


@require_GET
@organization_required
def item_merges(request, pk):
    """The merge region of the item page (htmx), or the same on a page of its own."""
    organization = request.organization
    item = selectors.get_item(organization=organization, pk=pk)
    merges = list(selectors.list_merges_of_item(organization=organization, item=item))
    is_manager = request.membership.is_manager_or_admin
    for merge in merges:
        # Only the newest merge of an item can be undone; say which one blocks the others.
        merge.blocked_by = None if merge.is_undone else newer_merge_blocking(organization=organization, merge=merge)
        merge.moved_summary = [f"{record.get('label', key)} ({len(record.get('moved') or [])})"
                               for key, record in recorded_references(merge)
                               if record.get("moved")]  # fmt: skip
    possible = duplicates.list_duplicates_of_item(organization=organization, item=item) if is_manager else []
    for suggestion in possible:
        suggestion.other = suggestion.item_b if suggestion.item_a.pk == item.pk else suggestion.item_a
    context = {"item": item, "merges": merges, "possible_duplicates": possible}
    return render(request, f"{HISTORY}#region" if request.htmx else HISTORY, context)
