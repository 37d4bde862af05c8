"""The distributor pages: the directory with search and filter, adding and editing a distributor,
a distributor's page with accounts, reps and items, and the accounts page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from distributors import services
from distributors.models import Distributor, DistributorAccount, SalesRep
from distributors.tests.factories import SharedDistributorFactory
from items.models import Item, ItemIdentifier
from venues.models import AuditLogEntry

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
INDEX = reverse("distributors:index")
ACCOUNTS = reverse("distributors:accounts")


def url(name, *args) -> str:
    return reverse(f"distributors:{name}", args=args)


def own_distributor(tenant, name="Hawkeye Beverage") -> Distributor:
    return services.create_distributor(actor=tenant.manager, organization=tenant.organization, name=name)


def account_at(tenant, distributor, number="10042", **fields) -> DistributorAccount:
    return services.create_account(actor=tenant.manager, organization=tenant.organization, venue=tenant.venue,
                                   distributor=distributor, account_number=number, **fields)  # fmt: skip


def imported_account(tenant, distributor, number="4617", rep="Dana Reyes") -> DistributorAccount:
    return services.upsert_account_from_feed(organization=tenant.organization, venue=tenant.venue,
                                             distributor=distributor, account_number=number,
                                             sales_rep={"name": rep} if rep else None).account  # fmt: skip


# --- the directory --------------------------------------------------------------------------


def test_the_directory_lists_shared_and_own_distributors_with_our_account_counts(client_for, tenant, other_tenant):
    shared = SharedDistributorFactory(name="Heartland Shared Wholesale")
    mine = own_distributor(tenant)
    account_at(tenant, mine)
    imported_account(tenant, shared)
    imported_account(other_tenant, shared, number="9999")  # not ours: not counted
    own_distributor(other_tenant, name="Riverside Private Label")

    html = client_for(tenant.staff).get(INDEX).content.decode()

    assert "Hawkeye Beverage" in html and "Heartland Shared Wholesale" in html
    assert "173 Craft Distillery" in html  # the seeded directory, in name order after ours
    assert "Riverside Private Label" not in html
    rows = html.split('data-testid="distributor-row"')
    hawkeye = next(r for r in rows if "Hawkeye Beverage" in r)
    heartland = next(r for r in rows if "Heartland Shared Wholesale" in r)
    assert "Ours" in hawkeye and "1 account" in hawkeye and "to verify" not in hawkeye
    assert "1 account" in heartland and "1 to verify" in heartland and "Ours" not in heartland
    # Distributors we have accounts at come first.
    assert html.index("Hawkeye Beverage") < html.index("173 Craft Distillery")


def test_search_as_you_type_answers_with_the_results_region_only(client_for, tenant):
    own_distributor(tenant)

    response = client_for(tenant.staff).get(INDEX, {"q": "hawkeye"}, **HTMX)

    html = response.content.decode()
    assert html.strip().startswith('<div id="results"')
    assert "Hawkeye Beverage" in html and "Southern Glazer" not in html and "<html" not in html


def test_search_finds_a_distributor_by_its_code(client_for, tenant):
    html = client_for(tenant.staff).get(INDEX, {"q": "sgws"}, **HTMX).content.decode()

    assert "Southern Glazer&#x27;s Wine &amp; Spirits" in html
    assert html.count('data-testid="distributor-row"') == 1


def test_the_filter_shows_only_distributors_with_an_account_at_our_venues(client_for, tenant):
    account_at(tenant, own_distributor(tenant))

    html = client_for(tenant.staff).get(INDEX, {"show": "ours"}, **HTMX).content.decode()

    assert html.count('data-testid="distributor-row"') == 1 and "Hawkeye Beverage" in html


def test_empty_results_say_what_to_do(client_for, tenant):
    client = client_for(tenant.manager)

    no_match = client.get(INDEX, {"q": "zzzz-nothing"}, **HTMX).content.decode()
    no_accounts = client.get(INDEX, {"show": "ours"}, **HTMX).content.decode()

    assert "No distributor matches “zzzz-nothing”" in no_match and "add it as your own distributor below" in no_match
    assert "None of your venues has a distributor account yet" in no_accounts


def test_the_directory_query_count_does_not_grow_with_accounts(client_for, tenant, django_assert_max_num_queries):
    client = client_for(tenant.staff)
    account_at(tenant, own_distributor(tenant))
    client.get(INDEX)  # the first request also stores the chosen organization in the session
    with django_assert_max_num_queries(13):
        client.get(INDEX)
    for n in range(5):
        account_at(tenant, own_distributor(tenant, name=f"More Wine {n}"), number=f"N{n}")
    with django_assert_max_num_queries(13):
        assert client.get(INDEX).status_code == 200


def test_staff_see_no_add_form(client_for, tenant):
    html = client_for(tenant.staff).get(INDEX).content.decode()

    assert "Add a distributor of your own" not in html


# --- adding and editing a distributor -------------------------------------------------------


def test_a_manager_adds_a_distributor_and_is_sent_to_its_page(client_for, tenant):
    response = client_for(tenant.manager).post(url("add"), {"name": "Hawkeye Beverage", "code": "HB",
                                                            "website": "hawkeye.test"}, **HTMX)  # fmt: skip

    distributor = Distributor.objects.get(organization=tenant.organization)
    assert response.headers["HX-Redirect"] == url("detail", distributor.pk)
    assert (distributor.name, distributor.website) == ("Hawkeye Beverage", "https://hawkeye.test")


def test_adding_a_name_the_directory_has_shows_the_error_on_the_name_field(client_for, tenant):
    response = client_for(tenant.manager).post(url("add"), {"name": "southern glazer's wine & spirits"}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "is already in the shared distributor directory" in html
    assert 'aria-invalid="true"' in html and "<details" in html and " open" in html
    assert not Distributor.objects.filter(organization=tenant.organization).exists()


def test_without_javascript_adding_redirects_to_the_new_page(client_for, tenant):
    response = client_for(tenant.manager).post(url("add"), {"name": "Hawkeye Beverage"})

    assert response.status_code == 302
    assert response.url == url("detail", Distributor.objects.get(organization=tenant.organization).pk)


def test_the_edit_button_turns_the_details_into_a_form_and_saving_shows_them_again(client_for, tenant):
    distributor = own_distributor(tenant)
    client = client_for(tenant.manager)

    form = client.get(url("edit", distributor.pk), **HTMX).content.decode()
    saved = client.post(url("edit", distributor.pk), {"name": "Hawkeye Beverage Co", "phone": "515-555-0100",
                                                      "is_active": "on"}, **HTMX).content.decode()  # fmt: skip

    assert 'id="distributor-header"' in form and "Edit Hawkeye Beverage" in form and 'name="is_active"' in form
    assert 'id="distributor-header"' in saved and "Hawkeye Beverage Co" in saved and "515-555-0100" in saved
    assert 'hx-swap-oob="innerHTML"' in saved and "Hawkeye Beverage Co saved." in saved
    assert AuditLogEntry.objects.filter(action="distributor.updated").exists()


def test_a_shared_distributor_has_no_edit_button_and_cannot_be_edited(client_for, tenant):
    shared = SharedDistributorFactory(name="Heartland Shared Wholesale")
    client = client_for(tenant.admin)

    page = client.get(url("detail", shared.pk)).content.decode()
    posted = client.post(url("edit", shared.pk), {"name": "Hijacked", "is_active": "on"}, **HTMX).content.decode()

    assert "Shared directory" in page and "Edit details" not in page
    assert "its details cannot be changed here" in posted
    shared.refresh_from_db()
    assert shared.name == "Heartland Shared Wholesale"


def test_staff_can_view_a_distributor_but_not_change_anything(client_for, tenant):
    distributor = own_distributor(tenant)
    account = imported_account(tenant, distributor)
    rep = account.sales_reps.get()
    client = client_for(tenant.staff)

    page = client.get(url("detail", distributor.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hawkeye Beverage" in html and "#4617" in html and "Dana Reyes" in html
    assert "Verify" not in html and "Add an account" not in html and "Edit details" not in html

    attempts = [
        client.post(url("add"), {"name": "Staff Beverage"}),
        client.post(url("edit", distributor.pk), {"name": "Staff Edit", "is_active": "on"}),
        client.post(url("account_add", distributor.pk), {"venue": tenant.venue.pk, "account_number": "1"}),
        client.post(url("account_verify", account.pk), **HTMX),
        client.post(url("account_deactivate", account.pk), **HTMX),
        client.post(url("account_edit", account.pk), {"venue": tenant.venue.pk, "account_number": "2"}),
        client.post(url("rep_add", account.pk), {"name": "Sam"}, **HTMX),
        client.post(url("rep_edit", rep.pk), {"name": "Sam"}, **HTMX),
        client.post(url("rep_remove", rep.pk), **HTMX),
    ]

    assert [r.status_code for r in attempts] == [403] * len(attempts)
    account.refresh_from_db()
    assert account.status == DistributorAccount.Status.IMPORTED and account.account_number == "4617"
    assert SalesRep.objects.filter(account=account).count() == 1
    assert not Distributor.objects.filter(name__in=["Staff Beverage", "Staff Edit"]).exists()


# --- accounts and reps on a distributor's page ----------------------------------------------


def test_adding_an_account_with_a_rep_answers_with_the_accounts_region(client_for, tenant):
    distributor = own_distributor(tenant)

    response = client_for(tenant.manager).post(url("account_add", distributor.pk), {
        "venue": tenant.venue.pk, "account_number": "10042", "notes": "",
        "rep_name": "Pat Kowalski", "rep_email": "pat@hawkeye.test", "rep_phone": "515-555-0101"}, **HTMX)  # fmt: skip

    html = response.content.decode()
    assert "<html" not in html and 'id="accounts-heading"' in html
    assert "#10042" in html and "Pat Kowalski" in html and "Verified" in html
    assert "Account #10042 at Hawkeye Beverage added for Copper Tap Group Bar." in html
    account = DistributorAccount.objects.get(distributor=distributor)
    assert account.sales_reps.get().email == "pat@hawkeye.test"


def test_a_duplicate_account_number_shows_the_message_on_the_number(client_for, tenant):
    distributor = own_distributor(tenant)
    account_at(tenant, distributor, number="10042")

    html = client_for(tenant.manager).post(url("account_add", distributor.pk),
                                           {"venue": tenant.venue.pk, "account_number": "10042"}, **HTMX).content.decode()  # fmt: skip

    assert "Account #10042 at Hawkeye Beverage is already Copper Tap Group Bar&#x27;s" in html
    assert 'id="new-account-account_number"' in html and 'aria-invalid="true"' in html
    assert DistributorAccount.objects.count() == 1


def test_a_rep_email_without_a_name_is_refused(client_for, tenant):
    distributor = own_distributor(tenant)

    html = client_for(tenant.manager).post(url("account_add", distributor.pk), {
        "venue": tenant.venue.pk, "account_number": "10042", "rep_email": "pat@hawkeye.test"}, **HTMX).content.decode()  # fmt: skip

    assert "Enter the sales rep&#x27;s name" in html
    assert not DistributorAccount.objects.exists()


def test_an_imported_account_shows_please_verify_and_verify_answers_with_its_card(client_for, tenant):
    distributor = SharedDistributorFactory(name="Heartland Shared Wholesale")
    account = imported_account(tenant, distributor)
    client = client_for(tenant.manager)

    page = client.get(url("detail", distributor.pk)).content.decode()
    assert "Imported — please verify" in page and f'hx-post="{url("account_verify", account.pk)}"' in page

    card = client.post(url("account_verify", account.pk), **HTMX).content.decode()

    assert card.strip().startswith('<div class="card account-card" id="account-%d"' % account.pk)
    assert "Verified" in card and "please verify" not in card and ">Verify</button>" not in card
    assert "Account #4617 at Heartland Shared Wholesale verified." in card
    account.refresh_from_db()
    assert account.status == DistributorAccount.Status.VERIFIED and account.verified_by == tenant.manager


def test_editing_an_account_in_place_and_cancelling(client_for, tenant):
    account = account_at(tenant, own_distributor(tenant))
    client = client_for(tenant.manager)

    form = client.get(url("account_edit", account.pk), **HTMX).content.decode()
    cancel = client.get(url("account", account.pk), **HTMX).content.decode()
    saved = client.post(url("account_edit", account.pk), {"venue": tenant.venue.pk, "account_number": "20042",
                                                          "notes": "Deliveries on Tuesday"}, **HTMX).content.decode()  # fmt: skip

    assert "Edit account #10042" in form and 'name="account_number"' in form and "autofocus" in form
    assert "Edit account #10042</h3>" not in cancel and "#10042</span></h3>" in cancel
    assert "#20042" in saved and "Deliveries on Tuesday" in saved


def test_deactivating_and_reactivating_an_account(client_for, tenant):
    account = account_at(tenant, own_distributor(tenant))
    client = client_for(tenant.manager)

    off = client.post(url("account_deactivate", account.pk), **HTMX).content.decode()
    on = client.post(url("account_reactivate", account.pk), **HTMX).content.decode()

    assert "Deactivated" in off and ">Reactivate</button>" in off
    assert "Verified" in on and ">Deactivate</button>" in on


def test_adding_editing_and_removing_a_rep_in_place(client_for, tenant):
    account = account_at(tenant, own_distributor(tenant))
    client = client_for(tenant.manager)

    added = client.post(url("rep_add", account.pk), {"name": "Pat Kowalski", "email": "pat@hawkeye.test"}, **HTMX)
    rep = SalesRep.objects.get(account=account)
    form = client.get(url("rep_edit", rep.pk), **HTMX).content.decode()
    edited = client.post(url("rep_edit", rep.pk), {"name": "Pat Kowalski", "email": "pat@hawkeye.test",
                                                   "phone": "515-555-0101"}, **HTMX).content.decode()  # fmt: skip
    removed = client.post(url("rep_remove", rep.pk), **HTMX).content.decode()

    assert "Pat Kowalski" in added.content.decode() and "pat@hawkeye.test" in added.content.decode()
    assert f'id="rep-{rep.pk}-phone"' in form
    assert "515-555-0101" in edited and "Sales rep Pat Kowalski saved." in edited
    assert "Pat Kowalski" not in removed.split('id="messages"')[0] and "No sales rep on this account yet." in removed
    assert not SalesRep.objects.filter(pk=rep.pk).exists()


def test_a_rep_form_error_keeps_the_form_open_with_the_message(client_for, tenant):
    account = account_at(tenant, own_distributor(tenant))

    html = client_for(tenant.manager).post(url("rep_add", account.pk), {"name": "", "email": "x@y.test"},
                                           **HTMX).content.decode()  # fmt: skip

    assert '<details class="add-rep" open>' in html and "This field is required." in html


def test_removing_a_rep_without_javascript_asks_first(client_for, tenant):
    account = account_at(tenant, own_distributor(tenant), sales_rep={"name": "Pat Kowalski"})
    rep = account.sales_reps.get()

    page = client_for(tenant.manager).get(url("rep_remove", rep.pk)).content.decode()

    assert "Remove sales rep Pat Kowalski?" in page
    assert SalesRep.objects.filter(pk=rep.pk).exists()


def test_the_page_says_what_to_do_without_accounts_or_items(client_for, tenant):
    distributor = own_distributor(tenant)

    html = client_for(tenant.manager).get(url("detail", distributor.pk)).content.decode()

    assert "No account at Hawkeye Beverage yet." in html and "Add your venue's account number below" in html
    assert "No items from Hawkeye Beverage yet." in html


# --- items of a distributor -----------------------------------------------------------------


def make_item(tenant, name, **fields) -> Item:
    return Item.objects.create(organization=tenant.organization, name=name, category=Item.Category.SPIRITS,
                               size_label="750ML", **fields)  # fmt: skip


def test_a_distributors_items_are_the_preferred_ones_and_those_with_its_sku(client_for, tenant, other_tenant):
    distributor = SharedDistributorFactory(name="Heartland Shared Wholesale")
    other = SharedDistributorFactory(name="Other Shared Wholesale")
    make_item(tenant, "Preferred Rye", preferred_distributor=distributor)
    with_sku = make_item(tenant, "Skued Bourbon")
    ItemIdentifier.objects.create(organization=tenant.organization, item=with_sku, kind="sku", value="OLD-1",
                                  distributor=distributor, is_current=False)  # fmt: skip
    ItemIdentifier.objects.create(organization=tenant.organization, item=with_sku, kind="sku", value="26827",
                                  distributor=distributor)  # fmt: skip
    elsewhere = make_item(tenant, "Elsewhere Gin", preferred_distributor=other)
    ItemIdentifier.objects.create(organization=tenant.organization, item=elsewhere, kind="sku", value="X-9",
                                  distributor=other)  # fmt: skip
    Item.objects.create(organization=other_tenant.organization, name="Riverside Rye", preferred_distributor=distributor)

    html = client_for(tenant.staff).get(url("detail", distributor.pk)).content.decode()

    items = html.split('data-testid="distributor-items"')[1]
    assert "Preferred Rye" in items and "Skued Bourbon" in items and "26827" in items
    assert "OLD-1" not in items and "Elsewhere Gin" not in items and "Riverside" not in items
    assert "2 items." in items


def test_items_are_paginated_with_an_htmx_region(client_for, tenant):
    distributor = own_distributor(tenant)
    for n in range(30):
        make_item(tenant, f"Item {n:02}", preferred_distributor=distributor)

    response = client_for(tenant.staff).get(url("detail", distributor.pk), {"section": "items", "page": 2}, **HTMX)

    html = response.content.decode()
    assert html.strip().startswith('<h2 id="items-heading">') and "<html" not in html
    assert "Item 25" in html and "Item 24" not in html and "Page 2 of 2" in html


def test_the_distributor_page_query_count_does_not_grow_with_accounts(client_for, tenant, django_assert_max_num_queries):
    distributor = SharedDistributorFactory()
    client = client_for(tenant.manager)
    imported_account(tenant, distributor, number="1")
    client.get(url("detail", distributor.pk))  # the first request also stores the chosen organization
    with django_assert_max_num_queries(19):
        client.get(url("detail", distributor.pk))
    for n in range(2, 7):
        account = imported_account(tenant, distributor, number=str(n), rep=f"Rep {n}")
        if n % 2:
            services.verify_account(actor=tenant.manager, organization=tenant.organization, account=account)
    with django_assert_max_num_queries(19):
        assert client.get(url("detail", distributor.pk)).content.decode().count('data-testid="account-card"') == 6


# --- the accounts page ----------------------------------------------------------------------


def test_the_accounts_page_lists_every_venues_accounts_and_filters_by_status(client_for, tenant, other_tenant):
    shared = SharedDistributorFactory(name="Heartland Shared Wholesale")
    account_at(tenant, own_distributor(tenant), number="10042")
    imported_account(tenant, shared, number="4617")
    imported_account(other_tenant, shared, number="9999")
    client = client_for(tenant.staff)

    everything = client.get(ACCOUNTS).content.decode()
    to_verify = client.get(ACCOUNTS, {"status": "imported"}, **HTMX).content.decode()

    assert "#10042" in everything and "#4617" in everything and "#9999" not in everything
    assert to_verify.strip().startswith('<div id="account-table"')
    assert "#4617" in to_verify and "#10042" not in to_verify


def test_verify_on_the_accounts_page_answers_with_the_row(client_for, tenant):
    account = imported_account(tenant, SharedDistributorFactory())

    html = client_for(tenant.manager).post(url("account_verify", account.pk), {"in": "list"}, **HTMX).content.decode()

    assert html.strip().startswith(f'<tr id="account-{account.pk}"') and "Verified" in html


def test_the_accounts_page_says_what_to_do_when_empty(client_for, tenant):
    client = client_for(tenant.manager)

    assert "No distributor accounts yet." in client.get(ACCOUNTS).content.decode()
    assert "Nothing to verify." in client.get(ACCOUNTS, {"status": "imported"}).content.decode()


def test_the_dashboard_links_to_the_accounts_to_verify(client_for, tenant):
    client = client_for(tenant.staff)
    assert 'data-testid="accounts-to-verify"' not in client.get(reverse("dashboard")).content.decode()

    imported_account(tenant, SharedDistributorFactory())
    html = client.get(reverse("dashboard")).content.decode()

    assert f'href="{ACCOUNTS}?status=imported" data-testid="accounts-to-verify"><div class="stat">1<' in html
    assert "distributor account to verify" in html


def test_the_accounts_page_query_count_does_not_grow_with_accounts(client_for, tenant, django_assert_max_num_queries):
    shared = SharedDistributorFactory()
    client = client_for(tenant.manager)
    imported_account(tenant, shared, number="1")
    client.get(ACCOUNTS)  # the first request also stores the chosen organization
    with django_assert_max_num_queries(14):
        client.get(ACCOUNTS)
    for n in range(2, 7):
        account_at(tenant, own_distributor(tenant, name=f"More Wine {n}"), number=str(n), sales_rep={"name": f"Rep {n}"})
    with django_assert_max_num_queries(14):
        assert client.get(ACCOUNTS).content.decode().count('data-testid="account-row"') == 6
