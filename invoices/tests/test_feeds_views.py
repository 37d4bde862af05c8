"""The feeds pages: the list, adding and editing a feed, Pull now, uploads and documents.

Another organization's feed or document is a 404 on every URL (tests/test_cross_tenant.py walks
them through `url_objects`); here: what admins, managers and staff see and may do.
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from invoices.models import FeedDocument, PartialInvoice, SupplierFeed
from invoices.services.feeds import create_feed, pull_feed
from invoices.services.pipeline import process_document, store_document
from invoices.tests.fake_distributor import make_invoice
from invoices.transport import PullPolicy
from venues.models import Membership
from venues.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
CSV = (b"account_number,invoice_number,invoice_date,line_number,distributor_sku,description,units_per_case,quantity,"
       b"uom,unit_price\n1001,A-1,2025-03-04,1,TITO-750,TITOS HANDMADE VODKA 750ML,12,2,EA,21.50\n")  # fmt: skip


def add_feed(setup, name="Acme invoices", **fields) -> SupplierFeed:
    values = {"transport": "upload", **fields}
    return create_feed(actor=setup.tenant.admin, organization=setup.tenant.organization, distributor=setup.distributor,
                       name=name, **values)  # fmt: skip


def text(response) -> str:
    return response.content.decode()


# --- the list -------------------------------------------------------------------------------------


def test_the_feeds_page_shows_each_feeds_last_pull_error_and_document_counts(product_connect, client_for):
    org = product_connect.tenant.organization
    feed = add_feed(product_connect, "Acme JSON", transport="http", url="https://feeds.example.test/acme", token="t0k")
    statuses = ["processed", "processed", "failed", "skipped", "received"]
    for n, status in enumerate(statuses):
        document = store_document(organization=org, content=f"doc {n}".encode(), feed=feed,
                                  filename=f"{n}.json").document  # fmt: skip
        FeedDocument.objects.filter(pk=document.pk).update(status=status)
    error = "HTTP 503 from https://feeds.example.test/acme/invoices?since=c4 after 4 attempts"
    SupplierFeed.objects.filter(pk=feed.pk).update(last_pulled_at=timezone.now(), last_error=error)
    add_feed(product_connect, "Acme by hand")

    page = text(client_for(product_connect.tenant.manager).get(reverse("invoices:feeds")))

    assert "Acme JSON" in page and "Acme by hand" in page and "Acme Wholesale" in page
    assert error in page
    for count in ["5 documents in all", "2 processed", "1 failed", "1 skipped", "1 waiting"]:
        assert count in page
    assert "Last success <span data-testid=\"last-success\">never</span>" in page
    assert 'data-testid="pull-now"' in page and 'data-testid="add-feed"' in page
    assert "t0k" not in page


def test_the_feeds_pages_take_the_same_queries_for_one_feed_or_many(product_connect, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    org = product_connect.tenant.organization
    client = client_for(product_connect.tenant.admin)
    feed = add_feed(product_connect, "Feed 0")

    def queries(url) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    def add_document(n):
        document = store_document(organization=org, content=CSV.replace(b"A-1", f"A-{n}".encode()), feed=feed,
                                  distributor=product_connect.distributor, filename=f"{n}.csv").document  # fmt: skip
        process_document(organization=org, document_id=document.pk)

    add_document(0)
    client.get(reverse("invoices:feeds"))  # the session's first request does its own bookkeeping
    listing, detail = queries(reverse("invoices:feeds")), queries(reverse("invoices:feed", args=[feed.pk]))
    for n in range(1, 5):
        add_feed(product_connect, f"Feed {n}")
        add_document(n)

    assert queries(reverse("invoices:feeds")) == listing
    assert queries(reverse("invoices:feed", args=[feed.pk])) == detail


def test_an_organization_without_feeds_is_told_how_to_start(tenant, client_for):
    page = text(client_for(tenant.admin).get(reverse("invoices:feeds")))

    assert "No feeds yet." in page and reverse("invoices:feed_add") in page
    assert "Product Connect is off for every venue, so no feed is pulled." in page


def test_staff_see_the_feeds_but_may_not_change_them(product_connect, client_for):
    feed = add_feed(product_connect, transport="http", url="https://feeds.example.test/acme")
    document = store_document(organization=product_connect.tenant.organization, content=b"x", feed=feed).document
    staff = client_for(product_connect.tenant.staff)

    listing = text(staff.get(reverse("invoices:feeds")))
    detail = text(staff.get(reverse("invoices:feed", args=[feed.pk])))

    assert feed.name in listing and 'data-testid="pull-now"' not in listing and 'data-testid="add-feed"' not in listing
    assert 'data-testid="upload-form"' not in detail and "Edit feed" not in detail
    assert staff.get(reverse("invoices:document", args=[document.pk])).status_code == 200
    for method, url in [("get", reverse("invoices:feed_add")), ("get", reverse("invoices:feed_edit", args=[feed.pk])),
                        ("post", reverse("invoices:feed_pull", args=[feed.pk])),
                        ("post", reverse("invoices:feed_upload", args=[feed.pk])),
                        ("post", reverse("invoices:document_process", args=[document.pk]))]:  # fmt: skip
        assert getattr(staff, method)(url).status_code == 403, url


# --- adding and editing -------------------------------------------------------------------------


def test_an_http_feeds_token_is_stored_and_never_shown_again(product_connect, client_for):
    client = client_for(product_connect.tenant.admin)
    form = {"name": "Acme JSON", "distributor": product_connect.distributor.pk, "transport": "http", "format": "json",
            "url": "https://feeds.example.test/acme", "token": "sk_live_SECRET", "schedule_seconds": 30, "enabled": "on"}  # fmt: skip

    response = client.post(reverse("invoices:feed_add"), form)

    feed = SupplierFeed.objects.get(organization=product_connect.tenant.organization)
    assert response.status_code == 302 and response.url == reverse("invoices:feed", args=[feed.pk])
    assert (feed.token, feed.url, feed.schedule_seconds, feed.enabled) == ("sk_live_SECRET", form["url"], 30, True)
    for url in [reverse("invoices:feed", args=[feed.pk]), reverse("invoices:feed_edit", args=[feed.pk]),
                reverse("invoices:feeds")]:  # fmt: skip
        page = text(client.get(url, follow=True))
        assert "sk_live_SECRET" not in page, url
    assert "A token is stored." in text(client.get(reverse("invoices:feed_edit", args=[feed.pk])))

    # Saving the form without typing a token keeps it; ticking "Remove" removes it.
    client.post(reverse("invoices:feed_edit", args=[feed.pk]), {**form, "token": "", "name": "Acme (JSON)"})
    feed.refresh_from_db()
    assert (feed.name, feed.token) == ("Acme (JSON)", "sk_live_SECRET")
    client.post(reverse("invoices:feed_edit", args=[feed.pk]), {**form, "token": "", "clear_token": "on"})
    feed.refresh_from_db()
    assert feed.token == ""


def test_a_new_address_starts_again_from_the_first_page(product_connect, client_for):
    feed = add_feed(product_connect, transport="http", url="https://old.example.test/acme", token="t")
    SupplierFeed.objects.filter(pk=feed.pk).update(cursor="c42", next_pull_at=timezone.now())
    form = {"name": feed.name, "distributor": product_connect.distributor.pk, "transport": "http", "format": "auto",
            "url": "https://new.example.test/acme", "schedule_seconds": 60, "enabled": "on"}  # fmt: skip

    client_for(product_connect.tenant.manager).post(reverse("invoices:feed_edit", args=[feed.pk]), form)

    feed.refresh_from_db()
    assert (feed.url, feed.cursor, feed.next_pull_at, feed.token) == ("https://new.example.test/acme", "", None, "t")


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"transport": "http", "url": ""}, "url", "Enter the distributor&#x27;s feed address"),
    ({"transport": "http", "url": "file:///etc/passwd"}, "url", "is not a web address"),
    ({"transport": "http", "url": "https://feeds.example.test/acme/invoices?since=3"}, "url",
     "Enter the base address only"),
    ({"transport": "folder", "folder": "/etc"}, "folder", "The drop folder must be inside"),
    ({"transport": "folder", "folder": ""}, "folder", "Enter the drop folder"),
    ({"schedule_seconds": 2}, "schedule_seconds", "Ensure this value is greater than or equal to 10"),
])  # fmt: skip
def test_a_setting_that_cannot_work_is_refused_next_to_its_field(product_connect, client_for, fields, field, message):
    form = {"name": "Acme", "distributor": product_connect.distributor.pk, "transport": "upload", "format": "auto",
            "schedule_seconds": 30, "enabled": "on", **fields}  # fmt: skip

    response = client_for(product_connect.tenant.admin).post(reverse("invoices:feed_add"), form)

    assert response.status_code == 400
    assert message in text(response)
    assert field in response.context["form"].errors
    assert not SupplierFeed.objects.exists()


# --- Pull now -----------------------------------------------------------------------------------


def test_pull_now_shows_the_pull_queued_and_the_row_polls_until_it_is_done(
    product_connect, client_for, distributor_server, django_capture_on_commit_callbacks
):
    distributor_server.add_page([make_invoice("INV-1", account="1001")])
    feed = add_feed(product_connect, transport="http", url=distributor_server.url, token="test-token")
    client = client_for(product_connect.tenant.manager)

    with django_capture_on_commit_callbacks() as queued:
        response = client.post(reverse("invoices:feed_pull", args=[feed.pk]), {"in": "list"}, headers=HTMX)

    row = text(response)
    assert len(queued) == 1  # the pull task, sent once the request's transaction commits
    assert 'data-testid="pull-state">Pull queued<' in row and 'hx-trigger="every 2s"' in row
    assert f"Pull of {feed.name} queued" in row  # the flash message, out of band
    status_url = reverse("invoices:feed_status", args=[feed.pk])
    assert 'hx-trigger="every 2s"' in text(client.get(status_url, {"in": "list"}, headers=HTMX))

    # The worker pulls it (here in-process, as pull_feed_task does).
    pull_feed(organization=product_connect.tenant.organization, feed=feed, policy=PullPolicy(backoff=0.01))

    row = text(client.get(status_url, {"in": "list"}, headers=HTMX))
    assert "every 2s" not in row and "Pull queued" not in row
    assert 'data-testid="last-pulled"' in row and "1 document in all" in row
    header = client.get(status_url, {"in": "detail", "was": "pending"}, headers=HTMX)
    assert "feedPulled" in json.loads(header.headers["HX-Trigger"])  # the feed page reloads its documents


def test_pull_now_says_why_when_product_connect_is_off(tenant, client_for, django_capture_on_commit_callbacks):
    from distributors.services import create_distributor

    distributor = create_distributor(actor=tenant.admin, organization=tenant.organization, name="Acme Wholesale")
    feed = create_feed(actor=tenant.admin, organization=tenant.organization, distributor=distributor, name="Acme",
                       transport="http", url="https://feeds.example.test/acme")  # fmt: skip

    with django_capture_on_commit_callbacks() as queued:
        response = client_for(tenant.admin).post(reverse("invoices:feed_pull", args=[feed.pk]), headers=HTMX)

    assert queued == []
    assert "Product Connect is off for every venue, so nothing is pulled" in text(response)


# --- uploads and documents ------------------------------------------------------------------------


def test_an_uploaded_document_is_stored_processed_and_its_invoice_linked(
    product_connect, client_for, django_capture_on_commit_callbacks
):
    feed = add_feed(product_connect)
    client = client_for(product_connect.tenant.manager)

    with django_capture_on_commit_callbacks() as queued:
        response = client.post(reverse("invoices:feed_upload", args=[feed.pk]),
                               {"file": SimpleUploadedFile("march.csv", CSV, content_type="text/csv")})  # fmt: skip

    document = FeedDocument.objects.get(organization=product_connect.tenant.organization)
    assert response.status_code == 302 and response.url == reverse("invoices:document", args=[document.pk])
    assert (document.filename, document.feed_id, document.distributor_id, document.format) == (
        "march.csv", feed.pk, product_connect.distributor.pk, "csv")
    assert len(queued) == 1  # process_document_task
    waiting = text(client.get(response.url))
    assert "waiting for a worker" in waiting and 'hx-trigger="every 2s"' in waiting

    process_document(organization=product_connect.tenant.organization, document_id=document.pk)  # the worker's part

    invoice = PartialInvoice.objects.get(invoice_number="A-1")
    page = text(client.get(response.url))
    assert 'data-testid="document-status">Processed<' in page and "every 2s" not in page
    assert reverse("invoices:review", args=[invoice.pk]) in page and "Invoice #A-1" in page
    assert "TITOS HANDMADE VODKA" in page  # the content as received
    listing = text(client.get(reverse("invoices:feed", args=[feed.pk])))
    assert "march.csv" in listing and reverse("invoices:review", args=[invoice.pk]) in listing

    # The same file again: not stored twice, and the page says so.
    again = client.post(reverse("invoices:feed_upload", args=[feed.pk]),
                        {"file": SimpleUploadedFile("march-copy.csv", CSV)}, follow=True)  # fmt: skip
    assert FeedDocument.objects.count() == 1
    assert "was uploaded before (same content)" in text(again)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("invoice.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "invoice.pdf is not an invoice document Backstock reads"),
    ("empty.csv", b"", "The submitted file is empty."),
    ("x12.edi", b"ISA*00*          *00*          *ZZ*SENDER~",
     "x12.edi is an EDI X12 file, but Acme invoices takes CSV"),
])  # fmt: skip
def test_uploading_the_wrong_kind_of_file_says_what_is_wrong(product_connect, client_for, name, content, message):
    feed = add_feed(product_connect, format="csv")

    response = client_for(product_connect.tenant.admin).post(reverse("invoices:feed_upload", args=[feed.pk]),
                                                             {"file": SimpleUploadedFile(name, content)})  # fmt: skip

    assert response.status_code == 400
    assert message in text(response).replace("&#x27;", "'")
    assert not FeedDocument.objects.exists()


def test_a_document_over_the_size_limit_is_refused(product_connect, client_for):
    feed = add_feed(product_connect)
    big = SimpleUploadedFile("huge.csv", CSV + b"x" * (20 * 1024 * 1024))

    client = client_for(product_connect.tenant.admin)
    response = client.post(reverse("invoices:feed_upload", args=[feed.pk]), {"file": big})

    assert response.status_code == 400 and "the limit is 20 MB" in text(response)
    assert not FeedDocument.objects.exists()


def test_a_failed_document_shows_its_error_and_can_be_processed_again(
    product_connect, client_for, django_capture_on_commit_callbacks
):
    org = product_connect.tenant.organization
    feed = add_feed(product_connect)
    document = store_document(organization=org, content=b"account_number,invoice_number\n1001\n", feed=feed,
                              distributor=product_connect.distributor, filename="broken.csv").document  # fmt: skip
    process_document(organization=org, document_id=document.pk)
    document.refresh_from_db()
    assert document.status == FeedDocument.Status.FAILED
    client = client_for(product_connect.tenant.manager)

    page = text(client.get(reverse("invoices:document", args=[document.pk])))
    assert document.error and document.error.replace("'", "&#x27;") in page
    assert 'data-testid="process-again"' in page

    with django_capture_on_commit_callbacks() as queued:
        region = text(client.post(reverse("invoices:document_process", args=[document.pk]), headers=HTMX))

    document.refresh_from_db()
    assert len(queued) == 1
    assert (document.status, document.error) == (FeedDocument.Status.RECEIVED, "")
    assert "processing requested again by" in document.notes[-1]
    assert "waiting for a worker" in region and 'hx-trigger="every 2s"' in region
    assert "queued to be processed again" in region


def test_a_processed_document_is_not_processed_again_by_hand(product_connect, client_for):
    org = product_connect.tenant.organization
    document = store_document(organization=org, content=CSV, feed=add_feed(product_connect), filename="ok.csv",
                              distributor=product_connect.distributor).document  # fmt: skip
    process_document(organization=org, document_id=document.pk)

    response = client_for(product_connect.tenant.admin).post(reverse("invoices:document_process", args=[document.pk]),
                                                              follow=True)  # fmt: skip

    assert "only a failed document (or one still waiting) is processed again" in text(response)
    document.refresh_from_db()
    assert document.status == FeedDocument.Status.PROCESSED


def test_a_member_limited_to_another_venue_sees_neither_the_invoices_nor_the_raw_document(
    product_connect, client_for
):
    from venues import services as venue_services

    tenant = product_connect.tenant
    org = tenant.organization
    document = store_document(organization=org, content=CSV, feed=add_feed(product_connect), filename="ok.csv",
                              distributor=product_connect.distributor).document  # fmt: skip
    process_document(organization=org, document_id=document.pk)
    patio = venue_services.create_venue(actor=tenant.admin, organization=org, name="Patio", state="IA")
    bartender = UserFactory(email="patio-bartender@example.test")
    Membership.objects.create(organization=org, user=bartender, role=Membership.Role.STAFF).venues.set([patio])
    client = client_for(bartender)

    page = text(client.get(reverse("invoices:document", args=[document.pk])))

    assert "Invoice #A-1" not in page and "TITOS HANDMADE VODKA" not in page
    assert client.get(reverse("invoices:document_download", args=[document.pk])).status_code == 403
    admin_download = client_for(tenant.admin).get(reverse("invoices:document_download", args=[document.pk]))
    assert admin_download.status_code == 200 and admin_download.content == CSV
    assert admin_download["Content-Disposition"] == 'attachment; filename="ok.csv"'
