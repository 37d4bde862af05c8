"""Product Connect ingest benchmark: invoice lines per second through one Celery worker, beside
PostgreSQL COPY of the same rows, and feed-to-inbox latency with real beat + worker.

    .venv/bin/python bench/invoices_ingest.py [--lines 5000] [--catalog 5000] [--min-lines-per-second 100]
                                              [--arrivals 6] [--max-latency-seconds 60] [--skip-latency]

Creates a throwaway database on the embedded PostgreSQL (or the DATABASE_URL server), migrates
it and drops it at the end, also on failure. Then:

1. **Ingest throughput.** One organization (three venues on Product Connect, an account per
   Iowa store) with a 5,000-item catalog from ../shared/data/iowa-liquor-products: of the
   products the invoice lines name, 70 % carry the ABD item number as their SKU, 15 % were
   entered by hand (a venue's name, no SKU: matched by UPC or name) and 15 % are new to the
   venue (the pipeline creates them). The first ~5,000 lines of the real Iowa invoice lines
   (../shared/data/iowa-liquor-sales-invoice-lines, whole invoices) are stored as CSV feed
   documents of 20 invoices each, then every document is queued for `process_document_task`
   and ONE `celery worker --concurrency 1` (production settings) processes them. Printed:
   lines per second from the first message queued to the last document processed, next to
   `COPY` of the same rows into a table like `invoices_invoiceline` (same columns, indexes
   and constraints, no foreign keys) on the same database in the same run: the physical limit.
2. **Feed-to-inbox latency.** `celery beat` (the project's schedule: due feeds looked up every
   5 s) and the worker, a drop-folder feed and an HTTP JSON feed (a real local HTTP server,
   invoices/tests/fake_distributor.py), both at the default 30 s schedule. Invoices appear at
   random moments; each is timed from the moment the file lands in the folder (or the page is
   served) to its invoice being in the inbox.

Exit status 1 when a document fails, the throughput is under --min-lines-per-second, or an
invoice takes longer than --max-latency-seconds to reach the inbox.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from invoices_common import (  # noqa: E402
    add_accounts,
    analyze,
    build_catalog,
    bypass,
    child_pids,
    cpu_seconds,
    csv_document,
    load_note,
    make_shop,
    read_catalog,
    read_invoice_rows,
    start_beat,
    start_worker,
    summary,
    table,
    throwaway_database,
)

SEED = 20221101
INVOICES_PER_DOCUMENT = 20


def choose_invoices(by_invoice: dict[str, list[list[str]]], lines: int) -> list[str]:
    """Whole invoices in file order (by date) until about `lines` lines."""
    chosen, total = [], 0
    for number, rows in by_invoice.items():
        if total >= lines:
            break
        chosen.append(number)
        total += len(rows)
    return chosen


# --- 1. throughput --------------------------------------------------------------------------------


def store_documents(shop, header, by_invoice, numbers: list[str]) -> list[int]:
    from inventory_site.tenancy import tenant_context
    from invoices.services import store_document

    ids = []
    with tenant_context(organization_id=shop.organization.pk):
        for start in range(0, len(numbers), INVOICES_PER_DOCUMENT):
            chunk = numbers[start : start + INVOICES_PER_DOCUMENT]
            content = csv_document(header, [row for number in chunk for row in by_invoice[number]])
            stored = store_document(organization=shop.organization, content=content, distributor=shop.distributor,
                                    filename=f"abd-{start // INVOICES_PER_DOCUMENT + 1:03d}.csv")  # fmt: skip
            ids.append(stored.document.pk)
    return ids


def wait_for_documents(ids: list[int], *, timeout: float) -> None:
    from invoices.models import FeedDocument

    deadline = time.monotonic() + timeout
    while True:
        with bypass():
            waiting = FeedDocument.objects.filter(pk__in=ids, status=FeedDocument.Status.RECEIVED).count()
        if not waiting:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"{waiting} document(s) still unprocessed after {timeout:.0f} s; see the worker log")
        time.sleep(0.1)


def copy_same_rows(count: int) -> float:
    """Seconds to COPY the ingested lines (as text) into a table shaped like invoices_invoiceline."""
    from django.db import connection, transaction

    from inventory_site.db_backend.base import owner_connection

    with owner_connection():
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_copy_invoiceline")
            cursor.execute("CREATE TABLE bench_copy_invoiceline (LIKE invoices_invoiceline INCLUDING ALL)")
            data = bytearray()
            with cursor.copy("COPY (SELECT * FROM invoices_invoiceline ORDER BY id) TO STDOUT") as copy:
                for chunk in copy:
                    data += chunk
        copied = data.count(b"\n")
        if copied != count:
            raise SystemExit(f"COPY read {copied} rows, expected {count}")
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.copy("COPY bench_copy_invoiceline FROM STDIN") as copy:
                copy.write(bytes(data))
        seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM bench_copy_invoiceline")
            assert cursor.fetchone()[0] == count
            cursor.execute("DROP TABLE bench_copy_invoiceline")
    return seconds


def throughput(args, shop, header, by_invoice, numbers, worker) -> list[str]:
    from django.db.models import Count

    from invoices.models import FeedDocument, InvoiceLine, PartialInvoice
    from invoices.tasks import process_document_task
    from items.models import Item, ItemIdentifier

    lines = sum(len(by_invoice[n]) for n in numbers)
    ids = store_documents(shop, header, by_invoice, numbers)
    with bypass():
        items_before = Item.objects.filter(organization=shop.organization).count()
    pool = child_pids(worker.popen.pid)
    cpu_before = {pid: cpu_seconds(pid) for pid in [worker.popen.pid, *pool]}
    print(f"Queued {len(ids)} documents ({len(numbers):,} invoices, {lines:,} lines) for one worker "
          f"(pool process {', '.join(map(str, pool)) or '?'}); {load_note()}.", flush=True)  # fmt: skip

    queued_at = datetime.now().astimezone()
    started = time.perf_counter()
    for pk in ids:
        process_document_task.delay(shop.organization.pk, pk)
    wait_for_documents(ids, timeout=max(600.0, lines / 2))
    polled = time.perf_counter() - started
    cpu_after = {pid: cpu_seconds(pid) for pid in cpu_before}

    failures = []
    with bypass():
        documents = list(FeedDocument.objects.filter(pk__in=ids).values("status", "error", "processed_at", "filename"))
        last = max(d["processed_at"] for d in documents)
        seconds = (last - queued_at).total_seconds()
        stored_lines = InvoiceLine.objects.filter(organization=shop.organization).count()
        invoices = PartialInvoice.objects.filter(organization=shop.organization).count()
        methods = Counter(InvoiceLine.objects.filter(organization=shop.organization).values_list("match", flat=True))
        created = Item.objects.filter(organization=shop.organization).count() - items_before
        twins = (
            ItemIdentifier.objects.filter(organization=shop.organization, kind="sku", distributor=shop.distributor,
                                          is_current=True)
            .values("value").annotate(n=Count("item", distinct=True)).filter(n__gt=1).count()
        )  # fmt: skip
    statuses = Counter(d["status"] for d in documents)
    for document in documents:
        if document["status"] != "processed" or document["error"]:
            failures.append(f"{document['filename']}: {document['status']} {document['error'][:200]}")
    if stored_lines != lines or invoices != len(numbers):
        failures.append(f"{stored_lines:,} lines / {invoices:,} invoices stored, {lines:,} / {len(numbers):,} sent")
    if twins:
        failures.append(f"{twins} distributor SKU(s) name more than one item (duplicates)")

    rate = lines / seconds
    copy_seconds = copy_same_rows(stored_lines)
    copy_rate = stored_lines / copy_seconds
    worker_cpu = sum((cpu_after[p] or 0) - (cpu_before[p] or 0) for p in cpu_before if cpu_before[p] is not None)
    print(table([
        ("pipeline: one Celery worker", f"{lines:,}", f"{seconds:.2f}", f"{rate:,.0f}",
         f"{1000 * seconds / lines:.2f}"),
        ("PostgreSQL COPY, same rows", f"{stored_lines:,}", f"{copy_seconds:.3f}", f"{copy_rate:,.0f}",
         f"{1000 * copy_seconds / stored_lines:.4f}"),
    ], ("ingest", "lines", "seconds", "lines/s", "ms/line")))  # fmt: skip
    print(f"The pipeline runs at {100 * rate / copy_rate:.2f} % of COPY ({copy_rate / rate:,.0f}x slower): it parses, "
          f"routes, matches each line against {items_before:,} items and writes invoice, lines, items and identifiers "
          f"in one transaction per invoice.")  # fmt: skip
    print(f"Documents: {dict(statuses)}; {invoices:,} invoices; lines by match: "
          + ", ".join(f"{m} {n:,}" for m, n in methods.most_common())
          + f"; {created:,} new items created; worker CPU {worker_cpu:.1f} s of {seconds:.1f} s "
          f"(polling saw the end at {polled:.1f} s).\n")  # fmt: skip
    if rate < args.min_lines_per_second:
        failures.append(f"{rate:.0f} lines/s is under the target of {args.min_lines_per_second:g}")
    return failures


# --- 2. feed-to-inbox latency ---------------------------------------------------------------------


def latency(args, shop, header, by_invoice, spare: list[str], log_dir: Path) -> list[str]:
    from django.conf import settings

    from distributors.services import create_account, create_distributor
    from inventory_site.tenancy import tenant_context
    from invoices.models import PartialInvoice, SupplierFeed
    from invoices.services.feeds import create_feed
    from invoices.tests.fake_distributor import FakeDistributor, make_invoice

    rng = random.Random(SEED + 1)
    beat = start_beat(log_dir)
    server = FakeDistributor(token="bench-token").start()
    failures = []
    try:
        with tenant_context(organization_id=shop.organization.pk, user_id=shop.admin.pk):
            acme = create_distributor(actor=shop.admin, organization=shop.organization, name="Bench HTTP Wholesale")
            create_account(actor=shop.admin, organization=shop.organization, venue=shop.venues[0], distributor=acme,
                           account_number="HTTP-1001")  # fmt: skip
            folder_feed = create_feed(actor=shop.admin, organization=shop.organization, distributor=shop.distributor,
                                      name="ABD drop folder", transport=SupplierFeed.Transport.DROP_FOLDER,
                                      folder="abd")  # fmt: skip
            http_feed = create_feed(actor=shop.admin, organization=shop.organization, distributor=acme,
                                    name="Bench HTTP feed", transport=SupplierFeed.Transport.HTTP, url=server.url,
                                    token="bench-token")  # fmt: skip
        folder = Path(folder_feed.folder)
        schedule = folder_feed.schedule_seconds
        print(f"Feed-to-inbox latency: celery beat + the worker; a drop folder ({folder}) and an HTTP JSON feed "
              f"({server.url}), both pulled every {schedule} s (the default); {args.arrivals} invoices arrive at "
              f"random moments.", flush=True)  # fmt: skip
        time.sleep(rng.uniform(5, 10))  # let beat find the feeds once, as in a running system
        arrivals = []
        for n in range(args.arrivals):
            time.sleep(rng.uniform(0, schedule))
            if n % 2 == 0:
                number = spare.pop(0)
                content = csv_document(header, by_invoice[number])
                temporary = folder / f".incoming-{number}"
                temporary.write_bytes(content)
                arrived = time.time()
                os.rename(temporary, folder / f"{number}.csv")  # appears whole, like an FTP upload with rename
                arrivals.append(("drop folder", number, arrived))
            else:
                number = f"HTTP-{n:03d}"
                arrived = time.time()
                server.add_page([make_invoice(number, account="HTTP-1001", lines=5)])
                arrivals.append(("HTTP feed", number, arrived))
        deadline = time.time() + args.max_latency_seconds + 30
        seen: dict[str, float] = {}
        while len(seen) < len(arrivals) and time.time() < deadline:
            with bypass():
                for number, created in PartialInvoice.objects.filter(
                    organization=shop.organization, invoice_number__in=[a[1] for a in arrivals]
                ).values_list("invoice_number", "created_at"):  # fmt: skip
                    seen[number] = created.timestamp()
            time.sleep(0.2)
        rows, waits = [], []
        for transport, number, arrived in arrivals:
            if number in seen:
                wait = seen[number] - arrived
                waits.append(wait)
                rows.append((transport, number, f"{wait:.1f}"))
            else:
                rows.append((transport, number, "never"))
                failures.append(f"invoice {number} ({transport}) did not reach the inbox")
        print(table(rows, ("feed", "invoice", "seconds to inbox")))
        if waits:
            print(f"Latency, seconds: {summary(waits)} (schedule {schedule} s; a drop-folder file must also sit "
                  f"unchanged for 2 s before it is taken, in case it is still being written).\n")  # fmt: skip
            if max(waits) > args.max_latency_seconds:
                failures.append(f"an invoice took {max(waits):.1f} s to reach the inbox (limit "
                                f"{args.max_latency_seconds:g} s)")  # fmt: skip
    finally:
        server.stop()
        beat.stop()
        shutil.rmtree(settings.FEEDS_DIR, ignore_errors=True)
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=5_000, help="lines to ingest, whole invoices (default 5000)")
    parser.add_argument("--catalog", type=int, default=5_000, help="items in the organization's catalog (default 5000)")
    parser.add_argument("--min-lines-per-second", type=float, default=100.0, help="fail below this (default 100)")
    parser.add_argument("--arrivals", type=int, default=6, help="invoices timed from feed to inbox (default 6)")
    parser.add_argument("--max-latency-seconds", type=float, default=60.0, help="fail above this (default 60)")
    parser.add_argument("--skip-latency", action="store_true", help="measure the throughput only")
    args = parser.parse_args()

    started = time.perf_counter()
    with throwaway_database("bench_backstock_invoices") as name:
        from django.conf import settings
        from django.db import connection

        # Drop folders for this run; the worker and beat get the same path through the environment.
        settings.FEEDS_DIR = Path(settings.DATA_DIR) / f"bench-feeds-{os.getpid()}"
        log_dir = Path(settings.DATA_DIR)
        rng = random.Random(SEED)
        catalog = read_catalog()
        header, by_invoice = read_invoice_rows()
        numbers = choose_invoices(by_invoice, args.lines)
        spare = [n for n in by_invoice if n not in set(numbers)][-args.arrivals :]
        shop = make_shop("Bench Ingest Group", venues=3)
        add_accounts(shop, [rows[0][4] for rows in by_invoice.values()])
        line_skus = [row[9] for n in numbers for row in by_invoice[n]]
        mix = build_catalog(shop, catalog, line_skus, size=args.catalog, rng=rng)
        analyze()
        print(f"Database {name} (PostgreSQL {connection.pg_version // 10000}); catalog of {mix['catalog items']:,} "
              f"items; products named by the lines: {mix['with SKU']:,} known by SKU, {mix['by name only']:,} "
              f"entered by hand (no SKU), {mix['new to the venue']:,} new to the venue. Built in "
              f"{time.perf_counter() - started:.0f} s.", flush=True)  # fmt: skip
        worker, _ = start_worker(log_dir)
        try:
            failures = throughput(args, shop, header, by_invoice, numbers, worker)
            if not args.skip_latency:
                failures += latency(args, shop, header, by_invoice, spare, log_dir)
        finally:
            worker.stop()
    print(f"Total {time.perf_counter() - started:.0f} s.")
    if failures:
        print("FAIL: " + "; ".join(failures))
        return 1
    print("OK: every document processed, throughput and latency within their targets.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
