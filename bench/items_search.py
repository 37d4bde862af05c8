"""Items search benchmark: as-you-type latency on 20,000 items and constant query counts.

    .venv/bin/python bench/items_search.py [--items 20000] [--max-p95-ms 100]

Creates a throwaway database on the embedded PostgreSQL (or the DATABASE_URL server),
migrates it, and builds one organization's catalog (names from the Iowa product catalog in
../shared/data/iowa-liquor-products when it is there, each product in several sizes, else
generated names) with distributor SKUs, UPCs, stock and pars, next to two noise
organizations. Then, signed in through Django's test client, it runs the real view:

1. the Items list and an item's detail page at 1,000 items and again at 20,000: the number
   of SQL queries must not change;
2. searches as a person types them (htmx requests for the results region): 1, 2, 3 … letters
   of real names, and fragments of SKUs and UPCs, timing each request end to end.

It prints the figures and exits 1 if the search p95 is over the limit or a count changed.
The database is dropped at the end, also on failure.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IOWA = ROOT.parent / "shared" / "data" / "iowa-liquor-products"
SMALL_CATALOG = 1_000
NOISE_ITEMS_PER_ORG = 3_000
SEED = 20_000

sys.path.insert(0, str(ROOT))
from report import percentile, table  # noqa: E402  (bench/ is the script's folder)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_site.test_settings")
os.environ.setdefault("BACKSTOCK_ALLOW_DEV_SECRET", "1")


# --- catalog rows -----------------------------------------------------------------------------


@dataclass
class Product:
    name: str
    producer: str
    category: str
    size: str
    pack: int
    cost: Decimal
    sku: str
    upc: str


IOWA_CATEGORIES = (
    ("WHISK", "spirits"), ("BOURBON", "spirits"), ("SCOTCH", "spirits"), ("VODKA", "spirits"), ("GIN", "spirits"),
    ("RUM", "spirits"), ("TEQUILA", "spirits"), ("MEZCAL", "spirits"), ("BRAND", "spirits"), ("LIQUEUR", "spirits"),
    ("SCHNAPPS", "spirits"), ("COCKTAIL", "other"), ("WINE", "wine"), ("BEER", "beer"),
)  # fmt: skip
# The same product in other sizes: how a bar's catalog grows from a distributor's list.
SIZES = ["750ML", "1L", "1.75L", "375ML", "50ML", "200ML", "100ML", "1.5L"]


def _upc_with_check_digit(body: str) -> str:
    from stdnum import ean

    return body + ean.calc_check_digit(body)


def iowa_products() -> list[Product]:
    files = sorted(IOWA.glob("*.csv")) if IOWA.is_dir() else []
    if not files:
        return []
    products = []
    with open(files[0], newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name = " ".join((row.get("Item Description") or "").title().split())
            if not name:
                continue
            category_name = (row.get("Category Name") or "").upper()
            category = next((c for key, c in IOWA_CATEGORIES if key in category_name), "spirits")
            digits = "".join(ch for ch in (row.get("UPC") or "") if ch.isdigit())
            upc = digits.zfill(12) if 11 <= len(digits) <= 12 else ""
            try:
                cost = Decimal(row.get("State Bottle Cost") or "0").quantize(Decimal("0.01"))
            except ArithmeticError:
                cost = Decimal("0")
            products.append(Product(
                name=name, producer=" ".join((row.get("Vendor Name") or "").title().split()), category=category,
                size=f"{row.get('Bottle Volume (ml)') or 750}ML", pack=int(row.get("Pack") or 12) or 12, cost=cost,
                sku=(row.get("Item Number") or "").strip(), upc=upc,
            ))  # fmt: skip
    return products


def generated_products(count: int, rng: random.Random) -> list[Product]:
    brands = ["Copper", "Old", "Black", "Silver", "Red", "Grand", "River", "Stone", "Oak", "Iron", "Golden", "Wild",
              "Twin", "High", "North", "Eagle", "Fox", "Bear", "Crown", "Harbor"]  # fmt: skip
    places = ["Creek", "Ridge", "Hollow", "Valley", "Mill", "Barrel", "Peak", "Bay", "Field", "Point", "Rock", "Lake"]
    kinds = [("Bourbon", "spirits"), ("Rye Whiskey", "spirits"), ("Vodka", "spirits"), ("London Dry Gin", "spirits"),
             ("Spiced Rum", "spirits"), ("Reposado Tequila", "spirits"), ("Cabernet Sauvignon", "wine"),
             ("Chardonnay", "wine"), ("Pinot Noir", "wine"), ("IPA", "beer"), ("Lager", "beer"), ("Tonic Water", "non_alcoholic")]  # fmt: skip
    products = []
    for n in range(count):
        kind, category = rng.choice(kinds)
        maker = f"{rng.choice(brands)} {rng.choice(places)}"
        products.append(Product(name=f"{maker} {kind}", producer=f"{maker} Distilling", category=category,
                                size="750ML", pack=12, cost=Decimal(rng.randint(800, 6000)) / 100,
                                sku=str(10000 + n), upc=""))  # fmt: skip
    return products


def catalog_rows(count: int, rng: random.Random) -> tuple[list[Product], str]:
    """`count` distinct items: each base product in one size after another."""
    base = iowa_products()
    source = f"Iowa product catalog ({len(base):,} products) in several sizes"
    if not base:
        base, source = generated_products(3_000, rng), "generated names (Iowa catalog not found)"
    rows, seen = [], set()
    for round_number, size in enumerate(SIZES * 10):
        for index, product in enumerate(base):
            if len(rows) >= count:
                return rows, source
            this_size = product.size if round_number == 0 else size
            key = (product.name, this_size, round_number // len(SIZES))
            if key in seen or (round_number and this_size == product.size):
                continue
            seen.add(key)
            suffix = "" if round_number < len(SIZES) else f" Batch {round_number // len(SIZES) + 1}"
            sku = product.sku if round_number == 0 else f"{product.sku}-{round_number:02d}"
            upc = product.upc if round_number == 0 and product.upc else _upc_with_check_digit(f"8{index:05d}{round_number:05d}")  # fmt: skip
            rows.append(Product(name=product.name + suffix, producer=product.producer, category=product.category,
                                size=this_size, pack=product.pack, cost=product.cost, sku=sku, upc=upc))  # fmt: skip
    return rows, source


# --- building the organizations ---------------------------------------------------------------


def build_items(*, organization, distributor, area, venue, rows: list[Product], rng: random.Random, start: int) -> None:
    """Bulk-insert items with a SKU and a UPC each, stock (one opening movement) for most, pars for some."""
    from django.utils import timezone

    from items.models import Item, ItemIdentifier, ItemPar, StockLevel, StockMovement
    from items.normalize import name_key
    from items.sizes import parse_size

    now = timezone.now()
    sizes = {}
    items = []
    for offset, row in enumerate(rows):
        size = sizes.setdefault(row.size, parse_size(row.size))
        items.append(Item(
            organization=organization, name=row.name, name_key=name_key(row.name), category=row.category,
            producer=row.producer, size_quantity=size.quantity if size else None, size_unit=size.unit if size else "",
            size_ml=size.ml if size else None, size_label=size.label if size else "", units_per_case=row.pack,
            upc=row.upc, cost_per_unit=row.cost, cost_per_case=row.cost * row.pack, cost_date=now.date(),
            cost_source=Item.CostSource.IMPORT, preferred_distributor=distributor if offset % 3 else None,
            updated_at=now, created_at=now,
        ))  # fmt: skip
    Item.objects.bulk_create(items, batch_size=2000)
    identifiers, movements, levels, pars = [], [], [], []
    for n, (item, row) in enumerate(zip(items, rows), start=start):
        identifiers.append(ItemIdentifier(organization=organization, item=item, kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU,
                                          value=row.sku, distributor=distributor, source="bench", first_seen=now, last_seen=now))  # fmt: skip
        if row.upc:
            identifiers.append(ItemIdentifier(organization=organization, item=item, kind=ItemIdentifier.Kind.UPC,
                                              value=row.upc, source="bench", first_seen=now, last_seen=now))  # fmt: skip
        if n % 5:  # four in five items are in stock
            quantity = Decimal(rng.randint(0, 240)) / 10
            if quantity:
                movements.append(StockMovement(organization=organization, item=item, storage_area=area, quantity=quantity,
                                               kind=StockMovement.Kind.OPENING, business_date=now.date(), created_at=now))  # fmt: skip
                levels.append(StockLevel(organization=organization, item=item, storage_area=area, quantity=quantity))
        if n % 4 == 0:
            pars.append(ItemPar(organization=organization, item=item, venue=venue, par=Decimal(rng.randint(1, 12))))
    ItemIdentifier.objects.bulk_create(identifiers, batch_size=5000)
    StockMovement.objects.bulk_create(movements, batch_size=5000)
    StockLevel.objects.bulk_create(levels, batch_size=5000)
    ItemPar.objects.bulk_create(pars, batch_size=5000)


@dataclass
class Org:
    organization: object
    venue: object
    area: object
    admin: object
    distributor: object
    count: int = 0


def bench_data_access():
    """The bench's own reads and writes see every organization (its requests stay scoped)."""
    from inventory_site.tenancy import rls_bypass

    return rls_bypass("bench: loading and reading its own throwaway database")


def make_org(n: int, name: str) -> Org:
    from distributors.models import Distributor
    from venues.models import StorageArea
    from venues.services import create_organization

    organization, venue, admin, _ = create_organization(
        name=name, venue_name=f"{name} Bar", state="IA", admin_email=f"bench-admin-{n}@example.test",
        admin_password="bench-password-123",
    )  # fmt: skip
    with bench_data_access():
        area = StorageArea.objects.get(venue=venue, is_primary=True)
        distributor = Distributor.objects.create(organization=organization, name=f"{name} Wholesale",
                                                 slug=f"bench-wholesale-{n}")  # fmt: skip
    return Org(organization=organization, venue=venue, area=area, admin=admin, distributor=distributor)


def grow(org: Org, rows: list[Product], rng: random.Random) -> None:
    with bench_data_access():
        build_items(organization=org.organization, distributor=org.distributor, area=org.area, venue=org.venue,
                    rows=rows[org.count :], rng=rng, start=org.count)  # fmt: skip
    org.count = len(rows)


def analyze() -> None:
    """Fresh planner statistics, as autovacuum would gather them on a real server after a big import.

    Only the tables' owner may ANALYZE; the app role's ANALYZE would skip them with a warning.
    """
    from django.db import connection

    from inventory_site.db_backend.base import owner_connection

    with owner_connection(), connection.cursor() as cursor:
        for table in ("items_item", "items_itemidentifier", "items_stocklevel", "items_itempar", "items_stockmovement",
                      "venues_storagearea", "distributors_distributor"):  # fmt: skip
            cursor.execute(f"ANALYZE {table}")


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Timing:
    wall_ms: float  # the whole request, as a user waits for it
    db_ms: float  # waiting for PostgreSQL (Django's own timing of each query)
    cpu_ms: float  # this process's CPU: middleware, view, ORM, template
    db_cpu_ms: float | None  # the PostgreSQL backend's CPU, when it runs on this machine

    @property
    def cost_ms(self) -> float | None:
        """CPU the request costs, app and database: about what it takes on an idle machine."""
        return None if self.db_cpu_ms is None else self.cpu_ms + self.db_cpu_ms


_backend_stat: dict[int, Path] = {}


def _backend_cpu_ms() -> float | None:
    """CPU time (user + system) of this connection's PostgreSQL backend, from /proc."""
    from django.db import connection

    connection.ensure_connection()
    key = id(connection.connection)  # a new connection has a new backend
    if key not in _backend_stat:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            _backend_stat.clear()
            _backend_stat[key] = Path(f"/proc/{cursor.fetchone()[0]}/stat")
    try:
        fields = _backend_stat[key].read_text().rsplit(")", 1)[1].split()
    except OSError:  # a server on another machine
        return None
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def request(client, url, params=None, *, htmx_target: str | None = None):
    """(response, Timing, queries) of one GET through the whole Django stack."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = {"HX-Request": "true", "HX-Target": htmx_target} if htmx_target else {}
    db_cpu = _backend_cpu_ms()
    with CaptureQueriesContext(connection) as queries:
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url, params or {}, headers=headers)
        wall, cpu = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
    db_cpu_after = _backend_cpu_ms()
    timing = Timing(wall_ms=wall, cpu_ms=cpu, db_ms=sum(float(q["time"]) for q in queries.captured_queries) * 1000,
                    db_cpu_ms=None if db_cpu is None or db_cpu_after is None else db_cpu_after - db_cpu)  # fmt: skip
    if response.status_code != 200:
        raise SystemExit(f"GET {url} {params} answered {response.status_code}")
    return response, timing, len(queries)


def page_counts(client, org: Org) -> dict[str, int]:
    """Queries of the list (plain, searched, filtered) and of a well-filled item detail."""
    from django.urls import reverse

    from items.models import Item, StockLevel

    with bench_data_access():
        levels = StockLevel.objects.filter(organization=org.organization).order_by("item_id")
        item = Item.objects.get(pk=levels.values_list("item_id", flat=True).first())
    index = reverse("items:index")
    counts = {}
    counts["items list"] = request(client, index)[2]
    counts["items list, search + venue + low stock"] = request(
        client, index, {"q": item.name.split()[0][:4], "venue": org.venue.pk, "low": "on", "sort": "-on_hand"}
    )[2]  # fmt: skip
    counts["items list, page 3"] = request(client, index, {"page": 3})[2]
    counts["item detail"] = request(client, reverse("items:detail", args=[item.pk]))[2]
    return counts


def typing_queries(rows: list[Product], rng: random.Random, *, words: int, codes: int) -> list[str]:
    """What people type: growing prefixes of real names, SKU fragments and UPC fragments."""
    typed = []
    for product in rng.sample(rows, words):
        text = product.name[: rng.randint(8, 16)].rstrip()
        typed += [text[:n] for n in range(1, len(text) + 1) if text[n - 1 : n] != " "]
    for product in rng.sample(rows, codes):
        sku = product.sku
        start = rng.randint(0, max(0, len(sku) - 3))
        typed += [sku[start : start + n] for n in range(1, len(sku) - start + 1)]
        if product.upc:
            middle = product.upc[3:10]
            typed += [middle[:n] for n in range(3, len(middle) + 1)]
    return typed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20_000, help="items in the measured organization (default 20000)")
    parser.add_argument("--max-p95-ms", type=float, default=100.0, help="fail above this search p95 (default 100)")
    parser.add_argument("--names", type=int, default=30, help="names typed letter by letter (default 30)")
    parser.add_argument("--codes", type=int, default=20, help="SKUs / UPCs typed in part (default 20)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    started = time.perf_counter()
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"bench_backstock_items_{os.getpid()}"
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        return run(args, started)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def run(args, started: float) -> int:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    rng = random.Random(SEED)
    rows, source = catalog_rows(args.items, rng)
    print(f"Database {connection.settings_dict['NAME']} (PostgreSQL {connection.pg_version // 10000}); "
          f"catalog: {source}.", flush=True)  # fmt: skip
    org = make_org(0, "Bench Bar Group")
    noise = [make_org(n, f"Noise Org {n}") for n in (1, 2)]
    for other in noise:
        grow(other, catalog_rows(NOISE_ITEMS_PER_ORG, random.Random(other.organization.pk))[0], rng)
    grow(org, rows[:SMALL_CATALOG], rng)
    analyze()
    client = Client()
    client.force_login(org.admin, backend="django.contrib.auth.backends.ModelBackend")
    request(client, reverse("items:index"))  # session, caches, first connection
    small = page_counts(client, org)

    grow(org, rows, rng)
    analyze()
    large = page_counts(client, org)
    setup_seconds = time.perf_counter() - started
    print(f"Built {org.count:,} items (+{NOISE_ITEMS_PER_ORG * len(noise):,} in {len(noise)} other organizations) "
          f"in {setup_seconds:.0f} s.\n", flush=True)  # fmt: skip

    typed = typing_queries(rows, rng, words=args.names, codes=args.codes)
    index = reverse("items:index")
    for text in typed[:20]:  # warm-up, not measured
        request(client, index, {"q": text}, htmx_target="results")
    load_before = os.getloadavg()[0]
    timings: list[Timing] = []
    query_counts, empty_counts, hits = set(), set(), 0
    by_length: dict[str, list[Timing]] = {"1-2 characters": [], "3-5 characters": [], "6+ characters": []}
    for text in typed:
        response, timing, queries = request(client, index, {"q": text}, htmx_target="results")
        timings.append(timing)
        found = b'data-testid="item-row"' in response.content
        hits += found
        # With no result there is no page to read: one query fewer, whatever the catalog size.
        (query_counts if found else empty_counts).add(queries)
        bucket = "1-2 characters" if len(text) <= 2 else "3-5 characters" if len(text) <= 5 else "6+ characters"
        by_length[bucket].append(timing)
    load_after = os.getloadavg()[0]

    wall = [t.wall_ms for t in timings]
    p50, p95, worst = statistics.median(wall), percentile(wall, 0.95), max(wall)
    print(f"Search as you type: {len(timings)} htmx requests of the results region, {hits} with results "
          f"({args.names} names letter by letter, {args.codes} SKU and UPC fragments).")  # fmt: skip

    def row(label, group):
        values = [t.wall_ms for t in group]
        # Mean, not median: /proc counts the backend's CPU in 10 ms ticks, which averages out.
        costs = [t.cost_ms for t in group if t.cost_ms is not None]
        cost = f"{statistics.fmean(costs):.1f}" if costs else "n/a"
        return (label, len(group), f"{statistics.median(values):.1f}", f"{percentile(values, 0.95):.1f}",
                f"{max(values):.1f}", f"{statistics.median(t.db_ms for t in group):.1f}", cost)  # fmt: skip

    search_rows = [row("all searches", timings)] + [row(b, group) for b, group in by_length.items() if group]
    print(table(search_rows, ("search", "requests", "p50 ms", "p95 ms", "max ms", "p50 db wait ms",
                              "mean CPU ms")))  # fmt: skip
    print("CPU ms: this process's CPU plus its PostgreSQL backend's per request, what a request costs on an idle "
          "machine.")  # fmt: skip
    cores = os.cpu_count() or 1
    print(f"Machine load (1 min) {load_before:.1f} before, {load_after:.1f} after, on {cores} cores"
          + (": other work competes for the CPU, so these times are longer than on a quiet machine."
             if max(load_before, load_after) > cores else "."))  # fmt: skip
    queries_text = "/".join(str(q) for q in sorted(query_counts))
    empty_text = f"; {'/'.join(str(q) for q in sorted(empty_counts))} when nothing matches" if empty_counts else ""
    print(f"Queries per search request: {queries_text}{empty_text}\n")

    count_rows = [(page, small[page], large[page], "same" if small[page] == large[page] else "DIFFERENT")
                  for page in small]  # fmt: skip
    print("SQL queries per request as the catalog grows:")
    print(table(count_rows, ("page", f"{SMALL_CATALOG:,} items", f"{org.count:,} items", "")))

    failures = []
    if p95 > args.max_p95_ms:
        failures.append(f"search p95 {p95:.1f} ms is over {args.max_p95_ms:g} ms")
    if len(query_counts) > 1:
        failures.append(f"search requests took different numbers of queries ({queries_text})")
    failures += [f"{page}: {small[page]} queries at {SMALL_CATALOG:,} items, {large[page]} at {org.count:,}"
                 for page in small if small[page] != large[page]]  # fmt: skip
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")
    if failures:
        print("FAIL: " + "; ".join(failures))
        return 1
    print(f"OK: search p95 {p95:.1f} ms <= {args.max_p95_ms:g} ms; query counts do not grow with the catalog.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
