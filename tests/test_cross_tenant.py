"""A user of organization A gets 404 for every URL that names an object of organization B,
and sees none of B's data on any page (DESIGN.md, "Tenancy and security").

The URL list is not written down here: the tests walk every pattern of the project's
URLconf (includes and namespaces too). Each URL with a parameter must be either

- declared in its urls module, in a module-level dict next to `urlpatterns`:

      url_objects = {"venue_edit": {"pk": "venues.Venue"}}

  (URL name without the namespace -> {parameter: "app_label.ModelName"}). The value put in
  the URL is the row's primary key, or for a parameter named like one of the model's fields
  (`slug`) that field; "app_label.ModelName.field" names the field explicitly. Or
- listed in EXEMPT below with the reason it names no tenant object.

A new URL that is neither makes `test_every_url_that_takes_a_parameter_is_declared_or_exempt`
fail with its name, so new apps are covered the day they add a URL. Each declared URL is then
requested as A's admin with a row of B's (built by `build_graph` below; add rows there
for new models): GET and POST, plain and htmx, must be 404 (405 for a method the view
does not take), twice: with row-level security, and with it switched off for the request
so the view's own scoping to `request.organization` is proven, not only the backstop.
"""

from __future__ import annotations

import contextlib
import sys
import types
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

import inventory_site.middleware
from distributors import services as distributor_services
from distributors.models import Distributor
from inventory_site.tenancy import rls_bypass
from invoices.services.feeds import create_feed
from invoices.services.pipeline import receive_document, store_document
from invoices.services.review import attach_copy
from items.models import Item
from items.models import StockMovement
from items.models import ItemIdentifier
from items.services.catalog import create_item, record_identifier
from items.services.counts import set_count_line, start_count
from items.services.duplicates import dismiss_duplicate
from items.services.imports import preview_import, upload_import
from items.services.ledger import record_movement
from items.services.merge import merge_items
from venues import services
from venues.models import Membership, Organization, User
from venues.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# URL name (with namespace) -> why its parameters name no tenant object.
EXEMPT = {
    "password_reset_confirm": (
        "uidb64/token come from a password-reset email; they name a user account, not a tenant "
        "object, and Django's token generator checks them (tests/test_auth.py)"
    ),
    "accept_invitation": (
        "the token is the secret of an invitation email, used by someone who is not a member "
        "yet; unknown, used, revoked and expired tokens are tested in tests/test_auth.py"
    ),
}


# --- walking the URLconf --------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str | None  # with namespaces, as reverse() takes it
    short_name: str | None  # as written in the urls module
    route: str  # the whole pattern from the root, for messages
    params: tuple[str, ...]
    module: str  # the urls module whose urlpatterns hold it
    declared: dict | None  # its entry in that module's url_objects, if any

    def __str__(self):
        return f"{self.name or '(unnamed)'} /{self.route} in {self.module}"


def _params(pattern) -> tuple[str, ...]:
    if isinstance(pattern, RoutePattern):
        return tuple(pattern.converters)
    if isinstance(pattern, RegexPattern):
        regex = pattern.regex
        named = tuple(regex.groupindex)
        unnamed = regex.groups - len(named)
        return named + tuple(f"<unnamed group {n + 1}>" for n in range(unnamed))
    return ()


def _walk(patterns, *, prefix, namespaces, params, module, url_objects):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        found = params + _params(entry.pattern)
        if isinstance(entry, URLResolver):
            urlconf = entry.urlconf_module
            if isinstance(urlconf, (list, tuple)):  # include([...]) inside a module: still that module's
                sub_module, sub_objects = module, url_objects
            else:
                sub_module, sub_objects = urlconf.__name__, getattr(urlconf, "url_objects", {})
            yield from _walk(
                entry.url_patterns,
                prefix=route,
                namespaces=namespaces + ((entry.namespace,) if entry.namespace else ()),
                params=found,
                module=sub_module,
                url_objects=sub_objects,
            )
        elif isinstance(entry, URLPattern):
            full_name = ":".join([*namespaces, entry.name]) if entry.name else None
            yield Endpoint(
                name=full_name,
                short_name=entry.name,
                route=route,
                params=found,
                module=module,
                declared=url_objects.get(entry.name) if entry.name else None,
            )


def all_endpoints() -> list[Endpoint]:
    root = get_resolver()
    return list(
        _walk(root.url_patterns, prefix="", namespaces=(), params=(), module=root.urlconf_name,
              url_objects=getattr(root.urlconf_module, "url_objects", {}))
    )  # fmt: skip


def declared_modules() -> dict[str, dict]:
    """url_objects of every urls module the walk reaches."""
    found = {}

    def visit(patterns):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                urlconf = entry.urlconf_module
                if not isinstance(urlconf, (list, tuple)):
                    found[urlconf.__name__] = getattr(urlconf, "url_objects", {})
                visit(entry.url_patterns)

    root = get_resolver()
    found[root.urlconf_name] = getattr(root.urlconf_module, "url_objects", {})
    visit(root.url_patterns)
    return found


def _model_and_field(spec: str):
    parts = spec.split(".")
    model = apps.get_model(parts[0], parts[1])  # LookupError when the label is wrong
    return model, (parts[2] if len(parts) > 2 else None)


def declaration_problems(endpoint: Endpoint) -> list[str]:
    if endpoint.name in EXEMPT:
        return []
    if endpoint.name is None:
        return [f"{endpoint}: give this URL a name and declare it in url_objects"]
    if endpoint.declared is None:
        return [
            f"{endpoint}: takes {', '.join(endpoint.params)} but is not declared; add "
            f'url_objects["{endpoint.short_name}"] = {{"<param>": "app_label.ModelName"}} to {endpoint.module}, '
            f"or exempt it in tests/test_cross_tenant.py with the reason it names no tenant object"
        ]
    problems = []
    missing = set(endpoint.params) - set(endpoint.declared)
    extra = set(endpoint.declared) - set(endpoint.params)
    if missing or extra:
        problems.append(
            f"{endpoint}: url_objects names {sorted(endpoint.declared)} but the URL takes {list(endpoint.params)}"
        )
    for param, spec in endpoint.declared.items():
        try:
            model, field = _model_and_field(spec)
            if field:
                model._meta.get_field(field)
        except (LookupError, ValueError, IndexError) as exc:
            problems.append(f"{endpoint}: {param} -> {spec!r} is not an app_label.ModelName[.field] ({exc})")
    return problems


ENDPOINTS = all_endpoints()
PARAMETERIZED = [e for e in ENDPOINTS if e.params]
DECLARED = [e for e in PARAMETERIZED if e.name not in EXEMPT and e.declared is not None]
PARAMETERLESS = [e for e in ENDPOINTS if not e.params and e.name]


# --- organization B's rows (and the same for A) -----------------------------------------------


@dataclass
class Graph:
    tenant: object
    patio: object
    cellar: object
    bartender: object
    invitation: object
    item: object
    distributor: object
    account: object
    sales_rep: object


def build_graph(tenant, *, prefix: str, brand: str, item_name: str, upc: str) -> Graph:
    """One organization's rows for every model a URL may name. Add rows here for new models.

    Built the same way for A and B, so a URL that 404s for A's own row too (and so would
    prove nothing for B's) is caught.
    """
    org, admin = tenant.organization, tenant.admin
    patio = services.create_venue(actor=admin, organization=org, name=f"{brand} Patio", state="IA")
    cellar = services.create_storage_area(actor=admin, organization=org, venue=tenant.venue, name=f"{brand} Cellar")
    bartender = UserFactory(email=f"{prefix}-bartender@example.test")
    limited = Membership.objects.create(organization=org, user=bartender, role=Membership.Role.STAFF)
    limited.venues.set([patio])
    invitation, _token = services.invite_user(
        actor=admin, organization=org, email=f"{prefix}-invitee@example.test", role=Membership.Role.MANAGER,
        accept_url_builder=lambda token: f"http://testserver/invitations/{token}/",
    )  # fmt: skip
    item = Item.objects.create(organization=org, name=item_name, category=Item.Category.SPIRITS,
                               producer=f"{brand} Distilling", size_label="750ML", upc=upc)  # fmt: skip
    # Stock in the cellar and an open count of it with one line (the stock pages name counts and areas).
    record_movement(organization=org, item=item, storage_area=cellar, quantity=6, kind=StockMovement.Kind.RECEIPT)
    count = start_count(actor=admin, organization=org, storage_area=cellar)
    set_count_line(actor=admin, organization=org, count=count, item=item, full_units=5, tenths=0)
    # The organization's own distributor ("Barrel": the pages' search test looks for it), its
    # account with a rep, and an account at a shared-directory distributor, whose counts and
    # rows another organization must not see either.
    distributor = distributor_services.create_distributor(actor=admin, organization=org, name=f"{brand} Barrel Imports")
    account = distributor_services.create_account(
        actor=admin, organization=org, venue=tenant.venue, distributor=distributor, account_number=f"{prefix.upper()}-1001",
        sales_rep={"name": f"{brand} Rep", "email": f"{prefix}-rep@example.test", "phone": "515-555-0100"},
    )  # fmt: skip
    shared, _ = Distributor.objects.get_or_create(organization=None, slug="cross-tenant-shared-wholesale",
                                                  defaults={"name": "Cross Tenant Shared Wholesale"})  # fmt: skip
    distributor_services.upsert_account_from_feed(organization=org, venue=tenant.venue, distributor=shared,
                                                  account_number=f"{prefix.upper()}-2002",
                                                  sales_rep={"name": f"{brand} Feed Rep"})  # fmt: skip
    # An old listing of the item, dismissed as a duplicate suggestion and then merged into it
    # (the merge tool names merges and items).
    old_listing, _ = create_item(actor=admin, organization=org, name=f"{item_name} (old listing)", size="750ML")
    dismiss_duplicate(actor=admin, organization=org, item_a=item, item_b=old_listing)
    merge_items(actor=admin, organization=org, survivor=item, merged=old_listing)
    # A previewed catalog import (one good row, one rejected) for the Import Wizard's pages.
    catalog = f"name,size,cost\n{brand} Rye,750ML,21.50\n{brand} Gin,big,12\n".encode()
    job = upload_import(actor=admin, organization=org, venue=tenant.venue, file_name=f"{brand} catalog.csv", data=catalog)
    preview_import(actor=admin, organization=org, job=job)
    # A supplier feed and a document it brought (the feeds pages name both).
    feed = create_feed(actor=admin, organization=org, distributor=distributor, name=f"{brand} Barrel feed")
    store_document(organization=org, content=f"{brand} feed document".encode(), feed=feed, distributor=distributor,
                   filename=f"{prefix}-invoices.csv")  # fmt: skip
    # A partial invoice from that distributor (routed by the account number, Product Connect on)
    # with one line matched to the item, and its attached copy (the review pages name invoices
    # and lines).
    services.set_product_connect(actor=admin, organization=org, venue=tenant.venue, enabled=True)
    record_identifier(organization=org, item=item, kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU,
                      value=f"{prefix.upper()}-SKU-1", distributor=distributor)  # fmt: skip
    invoice_csv = (
        "account_number,invoice_number,invoice_date,line_number,distributor_sku,upc,description,size,units_per_case,"
        f"quantity,uom,unit_price\n{account.account_number},{prefix.upper()}-INV-1,2024-03-05,1,{prefix.upper()}-SKU-1,"
        f"{upc},{item_name},750ML,12,2,CS,240.00\n"
    )  # fmt: skip
    outcome = receive_document(organization=org, content=invoice_csv.encode(), distributor=distributor,
                               filename=f"{prefix}-invoice.csv")  # fmt: skip
    attach_copy(actor=admin, organization=org, invoice=outcome.invoices[0].invoice,
                uploaded_file=SimpleUploadedFile("copy.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"))
    return Graph(tenant=tenant, patio=patio, cellar=cellar, bartender=bartender, invitation=invitation, item=item,
                 distributor=distributor, account=account, sales_rep=account.sales_reps.get())  # fmt: skip


@pytest.fixture
def graphs(tenant, other_tenant):
    a = build_graph(tenant, prefix="a", brand="Copper Tap", item_name="Copper Barrel Amber Ale", upc="081153800099")
    b = build_graph(other_tenant, prefix="b", brand="Riverside", item_name="Riverside Private Barrel Rye",
                    upc="081153800012")  # fmt: skip
    return a, b


def b_markers(other_tenant) -> list[str]:
    """Strings only B's data contains. A's names never contain 'Riverside'."""
    return ["Riverside", other_tenant.admin.email, other_tenant.manager.email, other_tenant.staff.email,
            "b-bartender@example.test", "b-invitee@example.test"]  # fmt: skip


def leaked(content: bytes, markers) -> list[str]:
    text = content.decode(errors="replace")
    return [marker for marker in markers if marker in text]


def row_of(model, organization: Organization, *, other: Organization, chosen: list, which: str):
    """The first row of `model` that belongs to `organization` (and to the rows chosen before)."""
    label = model._meta.label
    if model is Organization:
        rows = model._default_manager.filter(pk=organization.pk)
    elif model is User:
        rows = model._default_manager.filter(memberships__organization=organization).exclude(
            memberships__organization=other
        )
    else:
        try:
            model._meta.get_field("organization")
        except LookupError:
            pytest.fail(
                f"{label} has no organization, so it is no tenant object; exempt the URL in "
                f"tests/test_cross_tenant.py with the reason, or name the tenant model it belongs to"
            )
        rows = model._default_manager.filter(organization=organization)
    for parent in chosen:  # venues/<venue_pk>/areas/<pk>/: the area of that venue
        for field in model._meta.get_fields():
            if getattr(field, "many_to_one", False) and field.related_model is type(parent) and field.concrete:
                rows = rows.filter(**{field.name: parent})
    row = rows.order_by("pk").first()
    if row is None:
        pytest.fail(f"add a row of {label} for organization {which} in tests/test_cross_tenant.py (build_graph)")
    return row


def url_for(endpoint: Endpoint, organization, *, other, which: str) -> tuple[str, list]:
    kwargs, chosen = {}, []
    for param in endpoint.params:
        model, field = _model_and_field(endpoint.declared[param])
        row = row_of(model, organization, other=other, chosen=chosen, which=which)
        chosen.append(row)
        if field is None and param not in ("pk", "id") and not param.endswith(("_pk", "_id")):
            field = param if any(f.name == param for f in model._meta.concrete_fields) else None
        kwargs[param] = getattr(row, field) if field else row.pk
    return reverse(endpoint.name, kwargs=kwargs), chosen


# --- row-level security on or off for the requests --------------------------------------------


@pytest.fixture(params=["rls_on", "rls_off"])
def rls(request, monkeypatch):
    """rls_off: requests see every tenant's rows, so only the views' own scoping stands."""
    if request.param == "rls_off":
        real = inventory_site.middleware.tenant_context

        @contextlib.contextmanager
        def without_rls(*, organization_id, user_id=None):
            with real(organization_id=organization_id, user_id=user_id), rls_bypass("test: views scope by themselves"):
                yield

        monkeypatch.setattr(inventory_site.middleware, "tenant_context", without_rls)
    return request.param


def answers_for(client, url, *, markers) -> dict[str, int]:
    """Status of GET and POST, plain and htmx; fails at once if a response shows a marker."""
    answers = {}
    for method in ("GET", "POST"):
        for htmx in (False, True):
            headers = {"HX-Request": "true"} if htmx else {}
            response = client.get(url, headers=headers) if method == "GET" else client.post(url, {}, headers=headers)
            answers[f"{method}{' htmx' if htmx else ''}"] = response.status_code
            found = leaked(response.content, markers)
            assert not found, f"{method} {url} shows B's data: {found}"
    return answers


# --- the tests ------------------------------------------------------------------------------


def test_every_url_that_takes_a_parameter_is_declared_or_exempt():
    problems = [problem for endpoint in PARAMETERIZED for problem in declaration_problems(endpoint)]
    names = {e.name for e in PARAMETERIZED}
    problems += [f"EXEMPT names {name!r}, which is no URL with parameters; remove it" for name in EXEMPT
                 if name not in names]  # fmt: skip
    for module, declared in declared_modules().items():
        known = {e.short_name for e in ENDPOINTS if e.module == module}
        problems += [f"{module}.url_objects declares {name!r}, which is no URL name there" for name in declared
                     if name not in known]  # fmt: skip
    assert not problems, "URLs not covered by the cross-tenant test:\n  " + "\n  ".join(problems)


def test_the_walk_reaches_included_and_namespaced_urls():
    names = {e.name for e in ENDPOINTS}

    assert {"dashboard", "healthz", "items:index", "manage:index", "password_reset_confirm"} <= names
    assert {e.route for e in PARAMETERIZED} >= {"password-reset/<uidb64>/<token>/", "invitations/<str:token>/"}


@pytest.mark.parametrize("endpoint", DECLARED, ids=[e.name for e in DECLARED])
def test_an_admin_of_a_gets_404_for_every_url_naming_an_object_of_b(endpoint, graphs, client_for, rls):
    a, b = graphs
    url, rows = url_for(endpoint, b.tenant.organization, other=a.tenant.organization, which="B")
    client = client_for(a.tenant.admin)

    answers = answers_for(client, url, markers=b_markers(b.tenant))

    described = f"{endpoint} with B's {', '.join(f'{type(r).__name__} {r.pk}' for r in rows)} ({rls}): {answers}"
    assert set(answers.values()) <= {404, 405}, f"expected 404 (or 405) from {described}"
    assert 404 in answers.values(), f"no method of {described} looked the object up"
    # Nothing of B's changed: the rows are still there, unchanged.
    for row in rows:
        assert type(row)._default_manager.filter(pk=row.pk).exists()


@pytest.mark.parametrize("endpoint", DECLARED, ids=[e.name for e in DECLARED])
def test_the_same_url_works_for_the_admins_own_object(endpoint, graphs, client_for):
    """Otherwise the 404 above could come from a broken view rather than from the scoping."""
    a, b = graphs
    url, rows = url_for(endpoint, a.tenant.organization, other=b.tenant.organization, which="A")
    client = client_for(a.tenant.admin)

    response = client.get(url)
    if response.status_code == 405:
        pytest.skip("POST-only: a POST to A's own row would change it; the 404 test covers the lookup")

    assert response.status_code != 404, (
        f"{endpoint} is 404 for A's own {', '.join(type(r).__name__ for r in rows)} too; make build_graph "
        f"create rows this view accepts"
    )
    assert response.status_code < 500


@pytest.mark.parametrize("endpoint", PARAMETERLESS, ids=[e.name for e in PARAMETERLESS])
def test_no_page_shows_b_data_to_a(endpoint, graphs, client_for, rls):
    a, b = graphs
    client = client_for(a.tenant.admin)

    # Once as it is, once as a search: "Barrel" is in both organizations' item names.
    for query in ({}, {"q": "Barrel"}):
        response = client.get(reverse(endpoint.name), query, follow=True)

        # 503 is /healthz without a worker heartbeat; no other page may fail.
        assert response.status_code < 500 or endpoint.name == "healthz", f"{endpoint} {query}: {response.status_code}"
        found = leaked(response.content, b_markers(b.tenant))
        assert not found, f"{endpoint} {query} shows B's data to A ({rls}): {found}"


LIST_PAGES = [
    ("dashboard", {}, ["Copper Tap Group", 'data-testid="item-count">1<']),
    ("items:index", {}, ["Copper Barrel Amber Ale"]),
    ("items:index", {"q": "Barrel"}, ["Copper Barrel Amber Ale"]),
    ("items:index", {"q": "0811538"}, ["Copper Barrel Amber Ale"]),
    ("items:index", {"q": "Distilling"}, ["Copper Barrel Amber Ale"]),
    ("manage:index", {}, ["Copper Tap Patio", "Copper Tap Cellar", "a-bartender@example.test",
                          "a-invitee@example.test"]),
]  # fmt: skip


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(("page", "query", "expected"), LIST_PAGES,
                         ids=[f"{p}{'?' + '&'.join(f'{k}={v}' for k, v in q.items()) if q else ''}"
                              for p, q, _ in LIST_PAGES])  # fmt: skip
def test_lists_and_searches_show_a_own_rows_and_none_of_b(page, query, expected, htmx, graphs, client_for, rls):
    a, b = graphs
    client = client_for(a.tenant.admin)

    response = client.get(reverse(page), query, headers={"HX-Request": "true"} if htmx else {})

    assert response.status_code == 200
    assert not leaked(response.content, b_markers(b.tenant)), f"{page} {query} shows B's data to A ({rls})"
    text = response.content.decode()
    if not htmx:  # an htmx answer may be one region; the whole page must show A's rows
        missing = [marker for marker in expected if marker not in text]
        assert not missing, f"{page} {query} should show A's {missing}"


def test_a_member_of_both_organizations_sees_only_the_active_ones_rows(client_for, graphs):
    a, b = graphs
    Membership.objects.create(organization=b.tenant.organization, user=a.tenant.manager, role=Membership.Role.MANAGER)
    client = client_for(a.tenant.manager)

    in_a = client.get(reverse("items:index"), {"q": "Barrel"}).content.decode()
    client.post(reverse("switch_organization"), {"organization": b.tenant.organization.pk})
    in_b = client.get(reverse("items:index"), {"q": "Barrel"}).content.decode()

    assert a.item.name in in_a and b.item.name not in in_a
    assert b.item.name in in_b and a.item.name not in in_b


# --- the checks above catch what they are for -------------------------------------------------


def _unscoped_venue_view(request, pk):
    # What a view must never do: an unscoped lookup, which only row-level security stops.
    from django.http import Http404, HttpResponse

    from venues.models import Venue

    venue = Venue.objects.filter(pk=pk).first()
    if venue is None:
        raise Http404
    return HttpResponse(venue.name)


@pytest.fixture
def fake_app_urls(monkeypatch, settings):
    """A new app's URLs under a namespace, one declared and one not, on top of the real ones."""
    from django.urls import include, path

    app_urls = types.ModuleType("tests.fake_app_urls")
    app_urls.app_name = "fakeapp"
    app_urls.urlpatterns = [
        path("venues/<int:pk>/", _unscoped_venue_view, name="venue"),
        path("things/<slug:slug>/<int:pk>/", _unscoped_venue_view, name="thing"),
    ]
    app_urls.url_objects = {"venue": {"pk": "venues.Venue"}}
    root = types.ModuleType("tests.fake_root_urls")
    root.urlpatterns = [path("fake/", include(app_urls)), path("", include("inventory_site.urls"))]
    monkeypatch.setitem(sys.modules, app_urls.__name__, app_urls)
    monkeypatch.setitem(sys.modules, root.__name__, root)
    settings.ROOT_URLCONF = root.__name__
    return app_urls


def test_a_new_apps_undeclared_url_fails_the_check_by_name(fake_app_urls):
    endpoints = {e.name: e for e in all_endpoints()}

    assert endpoints["fakeapp:venue"].declared == {"pk": "venues.Venue"}
    assert declaration_problems(endpoints["fakeapp:venue"]) == []
    (problem,) = declaration_problems(endpoints["fakeapp:thing"])
    assert problem.startswith("fakeapp:thing /fake/things/<slug:slug>/<int:pk>/ in tests.fake_app_urls: takes slug, pk")
    assert 'url_objects["thing"]' in problem
    assert declaration_problems(endpoints["password_reset_confirm"]) == []  # exempt, with its reason


@pytest.mark.parametrize(("rls", "expected"), [("rls_on", 404), ("rls_off", 200)], indirect=["rls"])
def test_switching_row_level_security_off_exposes_a_view_that_does_not_scope(
    fake_app_urls, graphs, client_for, rls, expected
):
    a, b = graphs
    client = client_for(a.tenant.admin)

    response = client.get(reverse("fakeapp:venue", args=[b.tenant.venue.pk]))

    # With RLS the unscoped view still 404s; without it the leak shows, so the test above fails.
    assert response.status_code == expected
    assert (b.tenant.venue.name in response.content.decode()) is (rls == "rls_off")
