"""Pulling a feed: the JSON protocol against a real local HTTP server, and a real drop folder.

Each pull goes through `invoices.services.feeds.pull_feed`, as the worker's task does; the
policy only shortens the waits (the 429 test waits the real Retry-After second).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings

from invoices import transport
from invoices.models import FeedDocument, SupplierFeed
from invoices.services.feeds import FeedFieldError, create_feed, pull_feed
from invoices.tests.fake_distributor import make_invoice
from invoices.transport import PullPolicy, parse_retry_after

pytestmark = pytest.mark.django_db

FAST = PullPolicy(attempts=4, backoff=0.01, max_backoff=0.05, retry_after_cap=5, timeout=1.0, folder_settle_seconds=0)


def http_feed(setup, server, *, token="test-token") -> SupplierFeed:
    return create_feed(actor=setup.tenant.admin, organization=setup.tenant.organization, distributor=setup.distributor,
                       name="Acme JSON", format="json", transport="http", url=server.url, token=token)  # fmt: skip


def pull(setup, feed, policy=FAST):
    result = pull_feed(organization=setup.tenant.organization, feed=feed, policy=policy)
    feed.refresh_from_db()
    return result


def documents(setup):
    return FeedDocument.objects.filter(organization=setup.tenant.organization).order_by("pk")


# --- HTTP JSON ----------------------------------------------------------------------------------


def test_pagination_stores_each_page_once_and_advances_the_cursor(product_connect, distributor_server):
    server = distributor_server
    for n in range(3):
        server.add_page([make_invoice(f"INV-{n}", account="1001")])
    feed = http_feed(product_connect, server)

    result = pull(product_connect, feed)

    assert [r.since for r in server.requests] == ["", "c1", "c2", "c3"]
    assert all(r.authorized for r in server.requests)
    stored = list(documents(product_connect))
    assert len(stored) == 3 and result.stored == 3
    assert [d.pk for d in result.documents] == [d.pk for d in stored]  # all handed on for processing
    assert {d.feed_id for d in stored} == {feed.pk}
    assert {d.distributor_id for d in stored} == {product_connect.distributor.pk}
    assert {d.format for d in stored} == {"json"}
    assert b"INV-1" in bytes(stored[1].content)
    assert feed.cursor == "c3"
    assert feed.last_error == "" and feed.last_success_at is not None and feed.last_pulled_at is not None

    # Nothing new: one request from the saved cursor, nothing stored.
    again = pull(product_connect, feed)
    assert server.requests[-1].since == "c3" and len(server.requests) == 5
    assert again.stored == 0 and again.documents == []
    # A new page later: only it is stored.
    server.add_page([make_invoice("INV-3", account="1001")])
    later = pull(product_connect, feed)
    assert later.stored == 1 and documents(product_connect).count() == 4 and feed.cursor == "c4"


def test_a_page_read_again_after_a_crash_is_not_stored_twice_and_is_processed_if_it_never_was(
    product_connect, distributor_server
):
    server = distributor_server
    server.add_page([make_invoice("INV-1", account="1001")])
    server.add_page([make_invoice("INV-2", account="1001")])
    feed = http_feed(product_connect, server)
    pull(product_connect, feed)
    # The worker died after storing, before the cursor was saved and before processing.
    SupplierFeed.objects.filter(pk=feed.pk).update(cursor="")
    first, second = documents(product_connect)
    FeedDocument.objects.filter(pk=second.pk).update(status=FeedDocument.Status.PROCESSED)

    result = pull(product_connect, feed)

    assert documents(product_connect).count() == 2
    assert result.stored == 0 and result.duplicates == 2
    assert [d.pk for d in result.documents] == [first.pk]  # still `received`: handed on again
    assert feed.cursor == "c2"


def test_a_429_waits_for_the_retry_after_seconds_then_goes_on(product_connect, distributor_server):
    server = distributor_server
    server.add_page([make_invoice("INV-1", account="1001")])
    server.rate_limit_next("1")
    feed = http_feed(product_connect, server)

    pull(product_connect, feed)

    rate_limited, retried = server.requests[0], server.requests[1]
    assert rate_limited.answered == 429 and retried.answered == 200
    assert retried.at - rate_limited.at >= 0.95  # Retry-After: 1, not the 0.01 s backoff
    assert documents(product_connect).count() == 1 and feed.last_error == ""


def test_a_retry_after_longer_than_a_pull_waits_moves_the_next_pull_instead(product_connect, distributor_server):
    server = distributor_server
    server.add_page([make_invoice("INV-1", account="1001")])
    server.rate_limit_next("600")
    feed = http_feed(product_connect, server)

    started = time.monotonic()
    pull(product_connect, feed)

    assert time.monotonic() - started < 2 and len(server.requests) == 1
    assert "HTTP 429" in feed.last_error and "600 s" in feed.last_error
    assert feed.next_pull_at >= datetime.now(UTC) + timedelta(seconds=590)
    assert documents(product_connect).count() == 0


def test_retry_after_as_an_http_date_is_understood():
    now = datetime(2025, 3, 4, 12, 0, 0, tzinfo=UTC)

    assert parse_retry_after("Tue, 04 Mar 2025 12:00:30 GMT", now=now) == 30
    assert parse_retry_after("Tue, 04 Mar 2025 11:00:00 GMT", now=now) == 0
    assert parse_retry_after("7", now=now) == 7
    assert parse_retry_after("soon", now=now) is None


def test_a_500_then_success_stores_the_page(product_connect, distributor_server):
    server = distributor_server
    server.add_page([make_invoice("INV-1", account="1001")])
    server.fail_next(500)
    feed = http_feed(product_connect, server)

    pull(product_connect, feed)

    assert [r.answered for r in server.requests] == [500, 200, 200]
    assert documents(product_connect).count() == 1
    assert feed.last_error == "" and feed.cursor == "c1"


def test_repeated_5xx_fail_the_pull_readably_and_keep_the_cursor(product_connect, distributor_server):
    server = distributor_server
    server.add_page([make_invoice("INV-1", account="1001")])
    feed = http_feed(product_connect, server)
    pull(product_connect, feed)
    succeeded_at = feed.last_success_at
    server.add_page([make_invoice("INV-2", account="1001")])
    server.fail_next(503, times=4)

    result = pull(product_connect, feed)

    assert feed.last_error == f"HTTP 503 from {server.url}/invoices?since=c1 after 4 attempts"
    assert result.error == feed.last_error
    assert feed.cursor == "c1"  # the next pull asks for the same page again
    assert feed.last_success_at == succeeded_at and feed.last_pulled_at > succeeded_at
    assert documents(product_connect).count() == 1

    # The distributor is back: the page comes with the next pull and the error clears.
    pull(product_connect, feed)
    assert feed.last_error == "" and feed.cursor == "c2" and documents(product_connect).count() == 2


def test_a_slow_answer_times_out_and_is_retried(product_connect, distributor_server):
    server = distributor_server
    server.add_page([make_invoice("INV-1", account="1001")])
    server.slow_next(1.5)
    feed = http_feed(product_connect, server)

    pull(product_connect, feed, policy=PullPolicy(attempts=3, backoff=0.01, timeout=0.5, folder_settle_seconds=0))

    assert documents(product_connect).count() == 1 and feed.last_error == ""
    assert len(server.requests_for("")) == 2


def test_a_distributor_that_never_answers_in_time_gives_a_readable_error(product_connect, distributor_server):
    server = distributor_server
    server.slow_next(1.0, times=2)
    feed = http_feed(product_connect, server)

    pull(product_connect, feed, policy=PullPolicy(attempts=2, backoff=0.01, timeout=0.3, folder_settle_seconds=0))

    assert feed.last_error == f"{server.url}/invoices?since=: no answer within 0.3 s, 2 attempts"
    assert documents(product_connect).count() == 0


def test_a_wrong_token_is_a_readable_error_and_the_token_is_never_shown(product_connect, distributor_server, caplog):
    server = distributor_server
    server.add_page([make_invoice("INV-1", account="1001")])
    feed = http_feed(product_connect, server, token="not-the-token-XYZ")

    with caplog.at_level(logging.DEBUG):
        pull(product_connect, feed)

    assert len(server.requests) == 1  # a refused token is not retried
    assert feed.last_error == (f"HTTP 401 from {server.url}/invoices?since=: the distributor refused the token; "
                               f"edit the feed and enter the current token")  # fmt: skip
    assert "not-the-token-XYZ" not in feed.last_error
    assert "not-the-token-XYZ" not in caplog.text
    assert documents(product_connect).count() == 0


def test_a_server_that_is_not_there_is_retried_then_reported(product_connect, distributor_server):
    server = distributor_server
    feed = http_feed(product_connect, server)
    url = server.url
    server.stop()

    pull(product_connect, feed)

    assert feed.last_error.startswith(f"{url}/invoices?since=: could not connect (")
    assert feed.last_error.endswith(", 4 attempts")


def test_an_answer_that_is_not_a_feed_page_is_reported_and_nothing_is_stored(product_connect, distributor_server):
    server = distributor_server
    server.fail_next(200, body=b"<html><body>Login</body></html>", headers={"Content-Type": "text/html"})
    feed = http_feed(product_connect, server)

    pull(product_connect, feed)

    assert feed.last_error == f"{server.url}/invoices?since= did not answer with a JSON invoice page; check the feed's URL"
    assert "Login" not in feed.last_error  # whatever the address answered is not repeated
    assert documents(product_connect).count() == 0


def test_the_token_is_not_sent_to_the_host_a_redirect_points_at(product_connect, distributor_server):
    from invoices.tests.fake_distributor import FakeDistributor

    with FakeDistributor(token="test-token", prefix="/elsewhere") as other:
        other.add_page([make_invoice("INV-9", account="1001")])
        distributor_server.fail_next(302, headers={"Location": f"{other.url}/invoices?since="})
        feed = http_feed(product_connect, distributor_server)

        pull(product_connect, feed)

        assert other.requests and not other.requests[0].authorized  # no Authorization followed the redirect
        assert "HTTP 401" in feed.last_error


# --- drop folder ------------------------------------------------------------------------------


@pytest.fixture
def drop_folder(product_connect):
    # A folder of this test's own: files another test left behind can't be delivered here.
    folder = Path(settings.FEEDS_DIR) / product_connect.tenant.organization.slug / f"acme-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def folder_feed(setup, folder) -> SupplierFeed:
    return create_feed(actor=setup.tenant.admin, organization=setup.tenant.organization, distributor=setup.distributor,
                       name="Acme drop", format="auto", transport="folder", folder=str(folder))  # fmt: skip


CSV = (b"account_number,invoice_number,invoice_date,line_number,distributor_sku,description,units_per_case,"
       b"quantity,uom,unit_price\n")


def test_files_in_the_drop_folder_are_stored_once_and_moved_to_processed(product_connect, drop_folder):
    (drop_folder / "a.csv").write_bytes(CSV + b"1001,A-1,2025-03-04,1,TITO-750,TITOS VODKA 750ML,12,2,EA,21.50\n")
    (drop_folder / "b.csv").write_bytes(CSV + b"1001,B-1,2025-03-04,1,TITO-750,TITOS VODKA 750ML,12,3,EA,21.50\n")
    (drop_folder / ".hidden.csv").write_bytes(b"x")
    (drop_folder / "c.csv.part").write_bytes(b"still uploading")
    (drop_folder / "d.tmp").write_bytes(b"still uploading")
    feed = folder_feed(product_connect, drop_folder)

    result = pull(product_connect, feed)

    stored = list(documents(product_connect))
    assert [d.filename for d in stored] == ["a.csv", "b.csv"]
    assert result.stored == 2 and [d.pk for d in result.documents] == [d.pk for d in stored]
    assert sorted(p.name for p in drop_folder.iterdir()) == [".hidden.csv", "c.csv.part", "d.tmp", "processed"]
    assert sorted(p.name for p in (drop_folder / "processed").iterdir()) == ["a.csv", "b.csv"]
    assert feed.last_error == "" and feed.last_success_at is not None

    # The same file delivered again: not stored twice, moved aside under another name.
    (drop_folder / "a.csv").write_bytes((drop_folder / "processed" / "a.csv").read_bytes())
    again = pull(product_connect, feed)

    assert documents(product_connect).count() == 2 and again.stored == 0 and again.duplicates == 1
    assert sorted(p.name for p in (drop_folder / "processed").iterdir()) == ["a-2.csv", "a.csv", "b.csv"]
    assert any("received again" in note for note in FeedDocument.objects.get(filename="a.csv").notes)


def test_a_file_still_being_written_waits_for_the_next_pull(product_connect, drop_folder):
    (drop_folder / "fresh.csv").write_bytes(CSV)
    feed = folder_feed(product_connect, drop_folder)

    pull(product_connect, feed, policy=PullPolicy(folder_settle_seconds=30))
    assert documents(product_connect).count() == 0 and (drop_folder / "fresh.csv").exists()

    old = time.time() - 60
    os.utime(drop_folder / "fresh.csv", (old, old))
    pull(product_connect, feed, policy=PullPolicy(folder_settle_seconds=30))
    assert documents(product_connect).count() == 1


def test_a_missing_drop_folder_is_a_readable_error(product_connect, drop_folder):
    feed = folder_feed(product_connect, drop_folder / "gone")
    (drop_folder / "gone").rmdir()

    pull(product_connect, feed)

    assert feed.last_error == f"Drop folder {drop_folder / 'gone'} does not exist; create it or edit the feed."
    assert feed.last_success_at is None


def test_an_unreadable_file_is_reported_and_the_others_are_stored(product_connect, drop_folder):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    (drop_folder / "ok.csv").write_bytes(CSV + b"1001,A-1,2025-03-04,1,TITO-750,TITOS VODKA 750ML,12,2,EA,21.50\n")
    locked = drop_folder / "locked.csv"
    locked.write_bytes(CSV)
    locked.chmod(0)
    feed = folder_feed(product_connect, drop_folder)
    try:
        pull(product_connect, feed)
    finally:
        locked.chmod(0o644)

    assert [d.filename for d in documents(product_connect)] == ["ok.csv"]
    assert "locked.csv cannot be read" in feed.last_error


def test_a_drop_folder_outside_the_organizations_drop_area_is_refused(product_connect, tmp_path, other_tenant):
    tenant = product_connect.tenant
    others = str(Path(settings.FEEDS_DIR) / other_tenant.organization.slug)
    for folder in ["/etc", str(tmp_path), "../../elsewhere", others]:
        with pytest.raises(FeedFieldError) as refused:
            folder_feed(product_connect, folder)
        assert refused.value.field == "folder"
        assert str(transport.organization_drop_root(tenant.organization)) in str(refused.value)

    relative = folder_feed(product_connect, "acme/inbox")
    assert relative.folder == "acme/inbox"  # kept relative: moving the data folder doesn't break the feed
    assert (transport.organization_drop_root(tenant.organization) / "acme" / "inbox").is_dir()
    absolute = folder_feed(product_connect, str(transport.organization_drop_root(tenant.organization) / "acme" / "b"))
    assert absolute.folder == "acme/b"
