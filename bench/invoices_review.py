"""Product Connect review benchmark: the review page of a 200-line invoice (latency and SQL
queries) and the time to approve a 200-line invoice.

    .venv/bin/python bench/invoices_review.py [--catalog 5000] [--requests 20] [--max-p95-ms 1000]
                                              [--max-approve-seconds 5]

Creates a throwaway database on the embedded PostgreSQL (or the DATABASE_URL server), migrates
it and drops it at the end, also on failure. One organization with a 5,000-item catalog built
from ../shared/data/iowa-liquor-products (as bench/invoices_ingest.py builds it: most products
known by SKU, some by name only, some new), and the five real Iowa invoices that have 200 lines
or more (../shared/data/iowa-liquor-sales-invoice-lines), each cut to its first 200 lines and
ingested through the pipeline (`receive_document`), plus one real 20-line invoice.

Signed in as a manager through Django's test client (the real middleware, tenant scope,
row-level security, view and template):

1. the review page of a 200-line invoice, `--requests` times after two warm-ups: p50 / p95 /
   max in ms and the SQL queries per request, next to the same page of the 20-line invoice
   (the number of queries must not grow with the lines);
2. approving each 200-line invoice with the page's htmx POST (stock into the primary area,
   costs, the audit entry, and the re-rendered invoice): seconds per approval and its queries.
   The stock ledger must still add up afterwards.

Exit status 1 when the review page's p95 is over --max-p95-ms, its query count grows with the
lines, an approval takes longer than --max-approve-seconds, or the ledger is off.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from invoices_common import (  # noqa: E402
    add_accounts,
    analyze,
    build_catalog,
    bypass,
    csv_document,
    load_note,
    make_shop,
    percentile,
    read_catalog,
    read_invoice_rows,
    table,
    throwaway_database,
)

SEED = 20221101
LINES = 200


def ingest(shop, header, rows, filename):
    from inventory_site.tenancy import tenant_context
    from invoices.services import receive_document

    with tenant_context(organization_id=shop.organization.pk):
        outcome = receive_document(organization=shop.organization, content=csv_document(header, rows),
                                   distributor=shop.distributor, filename=filename)  # fmt: skip
    if outcome.status != "processed" or outcome.error:
        raise SystemExit(f"{filename}: {outcome.status} {outcome.error}")
    (invoice,) = [o.invoice for o in outcome.invoices]
    return invoice


def timed(client, method, url, **kwargs):
    """(response, ms, queries) of one request through the whole Django stack."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.queries_log.clear()  # the log keeps 9,000 queries; an approval must fit in it
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = getattr(client, method)(url, **kwargs)
        ms = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{method.upper()} {url} answered {response.status_code}")
    return response, ms, len(queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", type=int, default=5_000, help="items in the organization's catalog (default 5000)")
    parser.add_argument("--requests", type=int, default=20, help="review page requests measured (default 20)")
    parser.add_argument("--max-p95-ms", type=float, default=1000.0, help="fail above this page p95 (default 1000)")
    parser.add_argument("--max-approve-seconds", type=float, default=5.0, help="fail above this (default 5)")
    args = parser.parse_args()
    started = time.perf_counter()
    with throwaway_database("bench_backstock_invoice_review") as name:
        status = run(args, name, started)
    print(f"Total {time.perf_counter() - started:.0f} s.")
    return status


def run(args, name, started) -> int:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from items.services.ledger import find_ledger_mismatches

    rng = random.Random(SEED)
    catalog = read_catalog()
    header, by_invoice = read_invoice_rows()
    big = [number for number, rows in by_invoice.items() if len(rows) >= LINES]
    small = next(number for number, rows in by_invoice.items() if len(rows) == 20)
    shop = make_shop("Bench Review Group")
    add_accounts(shop, [by_invoice[n][0][4] for n in [*big, small]])
    skus = [row[9] for n in [*big, small] for row in by_invoice[n]]
    mix = build_catalog(shop, catalog, skus, size=args.catalog, rng=rng)
    analyze()
    invoices = [ingest(shop, header, by_invoice[n][:LINES], f"{n}.csv") for n in big]
    short = ingest(shop, header, by_invoice[small], f"{small}.csv")
    analyze()
    with bypass():
        counts = [inv.lines.count() for inv in invoices]
        short_lines = short.lines.count()
    print(f"Database {name} (PostgreSQL {connection.pg_version // 10000}); catalog of {mix['catalog items']:,} items; "
          f"{len(invoices)} invoices of {', '.join(map(str, counts))} lines and one of {short_lines} ingested; "
          f"built in {time.perf_counter() - started:.0f} s.", flush=True)  # fmt: skip

    client = Client()
    client.force_login(shop.manager, backend="django.contrib.auth.backends.ModelBackend")
    failures = []

    # 1. the review page
    page = reverse("invoices:review", args=[invoices[0].pk])
    short_page = reverse("invoices:review", args=[short.pk])
    for _ in range(2):  # warm-up: session, caches, first connection
        timed(client, "get", page)
        timed(client, "get", short_page)
    load_before = load_note()
    times, queries = [], set()
    for _ in range(args.requests):
        response, ms, count = timed(client, "get", page)
        times.append(ms)
        queries.add(count)
    rows_shown = response.content.count(b'data-testid="line-row"')
    short_times, short_queries = [], set()
    for _ in range(5):
        _, ms, count = timed(client, "get", short_page)
        short_times.append(ms)
        short_queries.add(count)
    p95 = percentile(times, 0.95)
    print(f"\nReview page ({load_before}):")
    print(table([
        (f"{LINES}-line invoice", len(times), f"{statistics.median(times):.0f}", f"{p95:.0f}", f"{max(times):.0f}",
         "/".join(map(str, sorted(queries))), f"{len(response.content) / 1024:.0f}"),
        (f"{short_lines}-line invoice", len(short_times), f"{statistics.median(short_times):.0f}",
         f"{percentile(short_times, 0.95):.0f}", f"{max(short_times):.0f}", "/".join(map(str, sorted(short_queries))),
         ""),
    ], ("page", "requests", "p50 ms", "p95 ms", "max ms", "SQL queries", "KB")))  # fmt: skip
    if rows_shown != LINES:
        failures.append(f"the review page shows {rows_shown} line rows, not {LINES}")
    if p95 > args.max_p95_ms:
        failures.append(f"review page p95 {p95:.0f} ms is over {args.max_p95_ms:g} ms")
    if queries != short_queries or len(queries) > 1:
        failures.append(f"review page queries differ: {sorted(queries)} for {LINES} lines, {sorted(short_queries)} for "
                        f"{short_lines}")  # fmt: skip

    # 2. approval
    rows = []
    seconds = []
    for invoice in invoices:
        url = reverse("invoices:approve", args=[invoice.pk])
        response, ms, count = timed(client, "post", url, headers={"HX-Request": "true", "HX-Target": "invoice"})
        with bypass():
            invoice.refresh_from_db()
            from items.models import StockMovement

            movements = StockMovement.objects.filter(source_type="invoice", source_id=str(invoice.pk)).count()
        if invoice.status != "approved":
            failures.append(f"invoice {invoice.invoice_number} was not approved")
        seconds.append(ms / 1000)
        rows.append((invoice.invoice_number, LINES, movements, count, f"{ms / 1000:.2f}"))
    print(f"\nApproval through the review page's htmx POST ({load_note()}):")
    print(table(rows, ("invoice", "lines", "stock movements", "SQL queries", "seconds")))
    print(f"Approval seconds: p50 {statistics.median(seconds):.2f}, max {max(seconds):.2f}.")
    if max(seconds) > args.max_approve_seconds:
        failures.append(f"an approval took {max(seconds):.2f} s (limit {args.max_approve_seconds:g} s)")
    with bypass():
        mismatches = find_ledger_mismatches(organization=shop.organization)
    if mismatches:
        failures.append(f"{len(mismatches)} stock level(s) differ from their movements")

    if failures:
        print("\nFAIL: " + "; ".join(failures))
        return 1
    print(f"\nOK: review page p95 {p95:.0f} ms <= {args.max_p95_ms:g} ms with the same queries at {LINES} lines as at "
          f"{short_lines}; approval max {max(seconds):.2f} s <= {args.max_approve_seconds:g} s; ledger exact.")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
