"""Distributor pages: the directory (search, filter, add), a distributor's page (its details,
the organization's accounts there with their sales reps, its items) and all accounts.

Everyone in the organization reads; admins and managers change (403 for staff). Each page is
one template whose regions are partials: with htmx a change answers with the region it
touched and puts the flash message into `#messages` out of band; without JavaScript every
action is a plain form post that redirects back.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from distributors import selectors, services
from distributors.forms import AccountForm, DistributorEditForm, DistributorForm, NewAccountForm, SalesRepForm
from inventory_site.errors import BackstockError
from inventory_site.permissions import manager_required, organization_required

INDEX = "distributors/index.html"
DETAIL = "distributors/detail.html"
ACCOUNTS = "distributors/accounts.html"
FORM_PAGE = "distributors/form_page.html"
DISTRIBUTORS_PER_PAGE = 50
ITEMS_PER_PAGE = 25
ACCOUNTS_PER_PAGE = 100


# --- helpers --------------------------------------------------------------------------------


def _changed(request, template: str, context: dict) -> HttpResponse:
    """The htmx answer to a change: the region it touched and the messages out of band."""
    response = render(request, template, context)
    response.write(render_to_string("partials/messages_oob.html", request=request))
    return response


def _detail_url(distributor_id: int, anchor: str = "") -> str:
    return reverse("distributors:detail", args=[distributor_id]) + (f"#{anchor}" if anchor else "")


def _venues(request, *, include=None):
    return selectors.list_venue_choices(membership=request.membership, include=include)


def _new_account_form(request, data=None) -> NewAccountForm:
    initial = {"venue": request.venue.pk} if request.venue else {}
    return NewAccountForm(data, venues=_venues(request), initial=initial, auto_id="new-account-%s")


def _account_form(request, account, data=None) -> AccountForm:
    form = AccountForm(data, instance=account, venues=_venues(request, include=account.venue_id),
                       auto_id=f"account-{account.pk}-%s")  # fmt: skip
    form.fields["account_number"].widget.attrs["autofocus"] = True
    return form


def _rep_form(data=None, *, rep=None, account=None) -> SalesRepForm:
    prefix = f"rep-{rep.pk}" if rep else f"new-rep-{account.pk}"
    form = SalesRepForm(data, instance=rep, auto_id=f"{prefix}-%s")
    if rep:
        form.fields["name"].widget.attrs["autofocus"] = True
    return form


def _card(request, account, *, rep_form=None, **extra) -> dict:
    """The context of one account card; `account.rep_form` is its Add a sales rep form."""
    account.rep_form = rep_form or _rep_form(account=account)
    return {"account": account, **extra}


def _account_region(request, account) -> HttpResponse:
    """The account as the page that asked shows it: a row of the accounts page, else a card."""
    account = selectors.get_account(organization=request.organization, pk=account.pk)  # re-read what is stored
    if request.POST.get("in") == "list":
        return _changed(request, f"{ACCOUNTS}#account_row", {"account": account})
    return _changed(request, f"{DETAIL}#account_card", _card(request, account))


def _back_to_account(request, account) -> HttpResponse:
    if request.POST.get("in") == "list":
        return redirect(reverse("distributors:accounts") + f"#account-{account.pk}")
    return redirect(_detail_url(account.distributor_id, f"account-{account.pk}"))


# --- the directory --------------------------------------------------------------------------


@require_GET
@organization_required
def index(request):
    """Distributors the organization sees; with htmx just the results (search as you type)."""
    query = request.GET.get("q", "").strip()
    show = "ours" if request.GET.get("show") == "ours" else "all"
    distributors = selectors.list_distributors(organization=request.organization, query=query, ours_only=show == "ours")
    page = Paginator(distributors, DISTRIBUTORS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "query": query, "show": show, "add_form": DistributorForm(auto_id="new-distributor-%s")}
    return render(request, f"{INDEX}#results" if request.htmx else INDEX, context)


@require_http_methods(["GET", "POST"])
@manager_required
def distributor_add(request):
    """Add one of the organization's own distributors, then go to its page."""
    form = DistributorForm(request.POST or None, auto_id="new-distributor-%s")
    if request.method == "POST" and form.is_valid():
        try:
            distributor = services.create_distributor(actor=request.user, organization=request.organization,
                                                      **form.cleaned_data)  # fmt: skip
        except services.DistributorNameTaken as exc:
            form.add_error("name", str(exc))
        except BackstockError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{distributor.name} added. Now add your venue's account number there.")
            url = _detail_url(distributor.pk)
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.htmx:
        return _changed(request, f"{INDEX}#add_form", {"add_form": form, "add_open": True})
    return render(request, FORM_PAGE, {"form": form, "title": "Add a distributor", "submit": "Add distributor",
                                       "action": reverse("distributors:add"), "back": reverse("distributors:index")})  # fmt: skip


# --- one distributor ------------------------------------------------------------------------


def _detail_context(request, distributor, **overrides) -> dict:
    organization = request.organization
    items = selectors.list_items_of(organization=organization, distributor=distributor)
    accounts = list(selectors.list_accounts_at(organization=organization, distributor=distributor))
    for account in accounts:
        account.rep_form = _rep_form(account=account)
    context = {
        "distributor": distributor,
        "accounts": accounts,
        "account_form": _new_account_form(request),
        "items_page": Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page")),
    }
    context.update(overrides)
    return context


@require_GET
@organization_required
def detail(request, pk):
    """A distributor's page; with htmx and ?section=items, one page of its items."""
    distributor = selectors.get_distributor(organization=request.organization, pk=pk)
    context = _detail_context(request, distributor)
    if request.htmx and request.GET.get("section") == "items":
        return render(request, f"{DETAIL}#items_section", context)
    return render(request, DETAIL, context)


@require_GET
@organization_required
def distributor_header(request, pk):
    """The distributor's details (Cancel of an edit)."""
    distributor = selectors.get_distributor(organization=request.organization, pk=pk)
    if not request.htmx:
        return redirect(_detail_url(distributor.pk))
    return render(request, f"{DETAIL}#header", {"distributor": distributor})


@require_http_methods(["GET", "POST"])
@manager_required
def distributor_edit(request, pk):
    """GET: the details as a form. POST: save via `update_distributor` (own distributors only)."""
    distributor = selectors.get_distributor(organization=request.organization, pk=pk)
    if distributor.is_shared:
        messages.error(request, f"{distributor.name} is in the shared directory, which every organization uses; "
                                "its details cannot be changed here.")  # fmt: skip
        if request.htmx:
            return _changed(request, f"{DETAIL}#header", {"distributor": distributor})
        return redirect(_detail_url(distributor.pk))
    form = DistributorEditForm(request.POST if request.method == "POST" else None, instance=distributor,
                               auto_id="distributor-%s")  # fmt: skip
    form.fields["name"].widget.attrs["autofocus"] = True
    if request.method == "POST" and form.is_valid():
        try:
            distributor = services.update_distributor(actor=request.user, organization=request.organization,
                                                      distributor=distributor, **form.cleaned_data)  # fmt: skip
        except services.DistributorNameTaken as exc:
            form.add_error("name", str(exc))
        except BackstockError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{distributor.name} saved." if form.has_changed()
                             else f"Nothing to save: {distributor.name} is unchanged.")  # fmt: skip
            if not request.htmx:
                return redirect(_detail_url(distributor.pk))
            return _changed(request, f"{DETAIL}#header", {"distributor": distributor, "focus": True})
    if request.htmx:
        return render(request, f"{DETAIL}#header_form", {"distributor": distributor, "form": form})
    return render(request, FORM_PAGE, {"form": form, "title": f"Edit {distributor.name}", "submit": "Save",
                                       "action": reverse("distributors:edit", args=[distributor.pk]),
                                       "back": _detail_url(distributor.pk)})  # fmt: skip


# --- accounts -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@manager_required
def account_add(request, pk):
    """Add a venue's account at this distributor, optionally with its sales rep."""
    distributor = selectors.get_distributor(organization=request.organization, pk=pk)
    form = _new_account_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = services.create_account(
                actor=request.user, organization=request.organization, venue=data["venue"], distributor=distributor,
                account_number=data["account_number"], notes=data["notes"], sales_rep=form.sales_rep(),
            )  # fmt: skip
        except services.AccountNumberTaken as exc:
            form.add_error("account_number", str(exc))
        except BackstockError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Account #{account.account_number} at {distributor.name} added for "
                                      f"{account.venue.name}.")  # fmt: skip
            if not request.htmx:
                return redirect(_detail_url(distributor.pk, f"account-{account.pk}"))
            return _changed(request, f"{DETAIL}#accounts_section", _detail_context(request, distributor))
    if request.htmx:
        context = _detail_context(request, distributor, account_form=form, add_open=True)
        return _changed(request, f"{DETAIL}#accounts_section", context)
    return render(request, FORM_PAGE, {"form": form, "title": f"Add an account at {distributor.name}",
                                       "submit": "Add account", "back": _detail_url(distributor.pk),
                                       "action": reverse("distributors:account_add", args=[distributor.pk])})  # fmt: skip


@require_GET
@organization_required
def accounts(request):
    """Every account of the organization's venues, filtered by status."""
    status = request.GET.get("status", "")
    status = status if status in selectors.ACCOUNT_FILTERS else ""
    rows = selectors.list_accounts(organization=request.organization, status=status)
    page = Paginator(rows, ACCOUNTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "filters": selectors.ACCOUNT_FILTERS}
    return render(request, f"{ACCOUNTS}#account_table" if request.htmx else ACCOUNTS, context)


@require_GET
@organization_required
def account_card(request, pk):
    """One account with its reps (Cancel of an edit)."""
    account = selectors.get_account(organization=request.organization, pk=pk)
    if not request.htmx:
        return redirect(_detail_url(account.distributor_id, f"account-{account.pk}"))
    return render(request, f"{DETAIL}#account_card", _card(request, account))


@require_http_methods(["GET", "POST"])
@manager_required
def account_edit(request, pk):
    """GET: the account card as a form. POST: save venue, number and notes via `update_account`."""
    account = selectors.get_account(organization=request.organization, pk=pk)
    form = _account_form(request, account, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.update_account(actor=request.user, organization=request.organization, account=account,
                                              **form.cleaned_data)  # fmt: skip
        except services.AccountNumberTaken as exc:
            form.add_error("account_number", str(exc))
        except BackstockError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Account #{account.account_number} at {account.distributor.name} saved.")
            if not request.htmx:
                return _back_to_account(request, account)
            return _account_region(request, account)
    account = selectors.get_account(organization=request.organization, pk=account.pk)
    if request.htmx:
        return _changed(request, f"{DETAIL}#account_card", _card(request, account, account_form=form, editing=True))
    return render(request, FORM_PAGE, {"form": form, "title": f"Edit account #{account.account_number} at "
                                       f"{account.distributor.name}", "submit": "Save",
                                       "action": reverse("distributors:account_edit", args=[account.pk]),
                                       "back": _detail_url(account.distributor_id, f"account-{account.pk}")})  # fmt: skip


def _account_action(request, pk, action, success: str):
    account = selectors.get_account(organization=request.organization, pk=pk)
    try:
        account = action(actor=request.user, organization=request.organization, account=account)
    except BackstockError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success.format(account=account))
    if not request.htmx:
        return _back_to_account(request, account)
    return _account_region(request, account)


@require_POST
@manager_required
def account_verify(request, pk):
    return _account_action(request, pk, services.verify_account,
                           "Account #{account.account_number} at {account.distributor.name} verified.")  # fmt: skip


@require_POST
@manager_required
def account_deactivate(request, pk):
    return _account_action(request, pk, services.deactivate_account,
                           "Account #{account.account_number} at {account.distributor.name} deactivated; "
                           "it stays on past invoices.")  # fmt: skip


@require_POST
@manager_required
def account_reactivate(request, pk):
    return _account_action(request, pk, services.reactivate_account,
                           "Account #{account.account_number} at {account.distributor.name} is active again.")  # fmt: skip


# --- sales reps -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@manager_required
def rep_add(request, pk):
    """Add a sales rep to an account (GET: the form on its own page, for browsers without JavaScript)."""
    account = selectors.get_account(organization=request.organization, pk=pk)
    form = _rep_form(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            rep = services.add_sales_rep(actor=request.user, organization=request.organization, account=account,
                                         **form.cleaned_data)  # fmt: skip
        except BackstockError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{rep.name} added as sales rep on account #{account.account_number}.")
            if not request.htmx:
                return _back_to_account(request, account)
            return _account_region(request, account)
    if request.htmx:
        return _changed(request, f"{DETAIL}#account_card", _card(request, account, rep_form=form, rep_form_open=True))
    return render(request, FORM_PAGE, {"form": form, "title": f"Add a sales rep to account #{account.account_number} "
                                       f"at {account.distributor.name}", "submit": "Add sales rep",
                                       "action": reverse("distributors:rep_add", args=[account.pk]),
                                       "back": _detail_url(account.distributor_id, f"account-{account.pk}")})  # fmt: skip


@require_http_methods(["GET", "POST"])
@manager_required
def rep_edit(request, pk):
    """GET: the account card with this rep as a form. POST: save via `update_sales_rep`."""
    rep = selectors.get_sales_rep(organization=request.organization, pk=pk)
    form = _rep_form(request.POST if request.method == "POST" else None, rep=rep)
    if request.method == "POST" and form.is_valid():
        try:
            rep = services.update_sales_rep(actor=request.user, organization=request.organization, sales_rep=rep,
                                            **form.cleaned_data)  # fmt: skip
        except BackstockError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Sales rep {rep.name} saved.")
            if not request.htmx:
                return _back_to_account(request, rep.account)
            return _account_region(request, rep.account)
    account = selectors.get_account(organization=request.organization, pk=rep.account_id)
    if request.htmx:
        return _changed(request, f"{DETAIL}#account_card", _card(request, account, editing_rep=rep.pk, edit_rep_form=form))
    return render(request, FORM_PAGE, {"form": form, "title": f"Edit sales rep {rep.name}", "submit": "Save",
                                       "action": reverse("distributors:rep_edit", args=[rep.pk]),
                                       "back": _detail_url(account.distributor_id, f"account-{account.pk}")})  # fmt: skip


@require_http_methods(["GET", "POST"])
@manager_required
def rep_remove(request, pk):
    """GET: ask first (for browsers without JavaScript). POST: take the rep off the account."""
    rep = selectors.get_sales_rep(organization=request.organization, pk=pk)
    account = rep.account
    if request.method == "GET":
        return render(request, "distributors/rep_remove.html", {"rep": rep, "account": account})
    try:
        services.remove_sales_rep(actor=request.user, organization=request.organization, sales_rep=rep)
    except BackstockError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{rep.name} is no longer a sales rep on account #{account.account_number}.")
    if not request.htmx:
        return _back_to_account(request, account)
    return _account_region(request, account)
