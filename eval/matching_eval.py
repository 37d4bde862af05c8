"""Invoice line matching evaluation on real Iowa data: link precision, recall, duplicates, time.

    .venv/bin/python eval/matching_eval.py [--invoices 400] [--seed 20221101]

Creates a throwaway database on the embedded PostgreSQL (or the DATABASE_URL server), like
bench/items_search.py, and drops it at the end. Data: the Iowa product catalog
(../shared/data/iowa-liquor-products), the Sep-Oct 2022 invoice lines of 150 stores
(../shared/data/iowa-liquor-sales-invoice-lines, a seeded sample of whole invoices) and the raw
2018-2020 sample (../shared/data/iowa-liquor-sales-sample-raw, the descriptions as printed on
the invoices then, with real drift).

Scenarios:

A. SKU known: the whole catalog imported with the ABD item numbers as the distributor's SKUs.
   Every line should link by SKU to the item with that number.
B. Venue catalog entered by hand, no SKUs: one item per catalog product (products listed twice
   under two item numbers, same description/volume/pack, are one item), named the way a venue
   would: title case, abbreviations expanded or contracted, words reordered, apostrophes and
   punctuation, generic words left out, all drawn with a seeded RNG from the catalog itself. 70 %
   of the items carry the catalog UPC. Lines carry the distributor's description, UPC (from the
   catalog), size and pack. Ground truth: the line's item number -> its product -> the venue item.
C. Products the venue does not have: a random 10 % of the products are held out of B's catalog
   (and raw-sample items no longer in the 2022 catalog). Any link of such a line is false.

Exit status 1 if B's precision is below 99.5 %.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
CATALOG = DATA / "iowa-liquor-products" / "iowa_liquor_products_2022-11-01.csv"
LINES = DATA / "iowa-liquor-sales-invoice-lines" / "iowa_sales_invoice_lines_2022-09_10_150stores.csv"
RAW = DATA / "iowa-liquor-sales-sample-raw" / "iowa_liquor_sales_sample_2018_2019.csv"
MIN_PRECISION = 99.5

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_site.test_settings")
os.environ.setdefault("BACKSTOCK_ALLOW_DEV_SECRET", "1")


@dataclass
class Product:
    number: str
    description: str
    volume: str
    pack: int
    upc: str
    group: str = ""  # the item number standing for all listings of one product


@dataclass
class Line:
    source: str  # "invoice lines" / "raw sample"
    invoice: str
    number: str  # ABD item number = the distributor SKU = ground truth
    description: str
    volume: str
    pack: int | None
    upc: str


def read_catalog() -> dict[str, Product]:
    products = {}
    with open(CATALOG, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            number = row["Item Number"].strip()
            products[number] = Product(number=number, description=" ".join(row["Item Description"].split()),
                                       volume=row["Bottle Volume (ml)"].strip(), pack=int(row["Pack"] or 0) or 1,
                                       upc=re.sub(r"\D", "", row["UPC"] or ""))  # fmt: skip
    groups: dict[tuple, str] = {}
    for product in products.values():
        product.group = groups.setdefault((product.description, product.volume, product.pack), product.number)
    return products


def read_lines(catalog: dict[str, Product], invoices: int, rng: random.Random) -> list[Line]:
    by_invoice: dict[str, list[dict]] = defaultdict(list)
    with open(LINES, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_invoice[row["invoice_number"]].append(row)
    chosen = sorted(by_invoice) if invoices <= 0 else sorted(rng.sample(sorted(by_invoice), min(invoices, len(by_invoice))))
    lines = []
    for invoice in chosen:
        for row in by_invoice[invoice]:
            product = catalog.get(row["item_number"])
            lines.append(Line("invoice lines", invoice, row["item_number"], row["cat_item_description"],
                              row["cat_bottle_volume_ml"], int(row["cat_pack"] or 0) or None,
                              product.upc if product else ""))  # fmt: skip
    with open(RAW, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            number = row["Item Number"].strip()
            product = catalog.get(number)
            lines.append(Line("raw sample", row["Invoice/Item Number"], number, row["Item Description"],
                              row["Bottle Volume (ml)"], int(row["Pack"] or 0) or None,
                              product.upc if product else ""))  # fmt: skip
    return lines


# --- how a venue writes a name ------------------------------------------------------------------


def venue_name(description: str, rng: random.Random) -> str:
    """A venue's version of a catalog description, drawn from generic rules, not from a list of names."""
    from invoices.matching import GENERIC_WORDS
    from items.normalize import ABBREVIATIONS

    contract = defaultdict(list)
    for short, full in ABBREVIATIONS.items():
        if full and " " not in full and short.isalpha() and len(short) >= 2 and short != full:
            contract[full].append(short)
    words = description.split()
    out = []
    for index, word in enumerate(words):
        core = word.strip(".,")
        if core in ABBREVIATIONS and ABBREVIATIONS[core] and rng.random() < 0.8:
            word = ABBREVIATIONS[core]  # BLK -> BLACK
        elif core in contract and rng.random() < 0.15:
            word = rng.choice(sorted(contract[core]))  # WHISKEY -> WHSKY
        if re.fullmatch(r"#\d+", word) and rng.random() < 0.6:
            word = "No. " + word[1:]
        if index < 2 and len(word) > 4 and word.endswith("S") and not word.endswith("SS") and rng.random() < 0.25:
            word = word[:-1] + "'S"  # DANIELS -> DANIEL'S
        out.append(word)
    generic = [i for i, w in enumerate(out) if w in GENERIC_WORDS]
    if generic and len(out) > 2 and rng.random() < 0.3:
        out.pop(rng.choice(generic))  # venues leave the kind of drink out
    elif generic and rng.random() < 0.3:
        out.append(out.pop(generic[0]))  # or put it last
    if len(out) > 2 and rng.random() < 0.15:
        i = rng.randrange(1, len(out) - 1)
        if not any(c.isdigit() for c in out[i] + out[i + 1]):
            out[i], out[i + 1] = out[i + 1], out[i]
    text = " ".join(out)
    if rng.random() < 0.3:
        text = text.replace(".", "").replace(" - ", " ")
    return " ".join(w[:1].upper() + w[1:].lower() if not w[:1].isdigit() else w.lower() for w in text.split())


# --- database -----------------------------------------------------------------------------------


def bypass():
    from inventory_site.tenancy import rls_bypass

    return rls_bypass("eval: loading its own throwaway database")


def make_org(n: int, name: str):
    from distributors.models import Distributor
    from venues.services import create_organization

    organization, _, _, _ = create_organization(name=name, venue_name=f"{name} Bar", state="IA",
                                                admin_email=f"eval-{n}@example.test", admin_password="eval-password-123")  # fmt: skip
    with bypass():
        distributor = Distributor.objects.create(organization=organization, name="Iowa ABD", slug=f"iowa-abd-{n}")
    return organization, distributor


def build(organization, distributor, rows: list[tuple[str, Product, bool]], with_sku: bool) -> dict[str, int]:
    """rows: (name, product, keep_upc). Returns product group/number -> item id."""
    from django.utils import timezone

    from items.models import Item, ItemIdentifier
    from items.normalize import name_key
    from items.sizes import parse_size

    now = timezone.now()
    items = []
    for name, product, keep_upc in rows:
        size = parse_size(product.volume, default_unit="ml")
        items.append(Item(organization=organization, name=name, name_key=name_key(name), category="spirits",
                          size_quantity=size.quantity if size else None, size_unit=size.unit if size else "",
                          size_ml=size.ml if size else None, size_label=size.label if size else "",
                          units_per_case=product.pack, upc=product.upc.zfill(12)[:14] if keep_upc and product.upc else "",
                          created_at=now, updated_at=now))  # fmt: skip
    with bypass():
        Item.objects.bulk_create(items, batch_size=2000)
        if with_sku:
            ItemIdentifier.objects.bulk_create([
                ItemIdentifier(organization=organization, item=item, kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU,
                               value=product.number, distributor=distributor, source="eval", first_seen=now, last_seen=now)
                for item, (_, product, _) in zip(items, rows)
            ], batch_size=5000)  # fmt: skip
    key = (lambda p: p.number) if with_sku else (lambda p: p.group)
    return {key(product): item.pk for item, (_, product, _) in zip(items, rows)}


def analyze():
    from django.db import connection

    from inventory_site.db_backend.base import owner_connection

    with owner_connection(), connection.cursor() as cursor:
        for table in ("items_item", "items_itemidentifier"):
            cursor.execute(f"ANALYZE {table}")


def run_lines(organization, distributor, lines: list[Line]):
    """[(line, MatchResult)] and seconds, one candidates cache per invoice, under the tenant's RLS."""
    from inventory_site.tenancy import tenant_context
    from invoices.feeds.document import ParsedLine
    from invoices.matching import match_line

    results = []
    started = time.perf_counter()
    with tenant_context(organization_id=organization.pk):
        cache, current = {}, None
        for n, line in enumerate(lines, 1):
            if line.invoice != current:
                cache, current = {}, line.invoice
            parsed = ParsedLine(line_number=n, distributor_sku=line.number, upc=line.upc, description=line.description,
                                volume_ml=Decimal(line.volume) if line.volume else None, units_per_case=line.pack)  # fmt: skip
            results.append((line, match_line(organization=organization, distributor=distributor, line=parsed,
                                             candidates_cache=cache)))  # fmt: skip
    return results, time.perf_counter() - started


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.2f} %" if b else "n/a"


def run(args) -> int:
    rng = random.Random(args.seed)
    catalog = read_catalog()
    lines = read_lines(catalog, args.invoices, rng)
    groups = sorted({p.group for p in catalog.values()})
    held_out = set(rng.sample(groups, len(groups) // 10))
    print(f"Catalog: {len(catalog):,} items, {len(groups):,} products (same description/volume/pack folded); "
          f"{len(held_out):,} products held out for C.")  # fmt: skip
    by_source = Counter(line.source for line in lines)
    print(f"Lines: {by_source['invoice lines']:,} from {args.invoices or 'all'} invoices of the 2022 invoice lines, "
          f"{by_source['raw sample']:,} from the raw 2018-2020 sample.\n")  # fmt: skip

    # A: SKUs known.
    org_a, dist_a = make_org(1, "Eval SKU Org")
    item_of_number = build(org_a, dist_a, [(p.description.title(), p, True) for p in catalog.values()], with_sku=True)
    # B/C: a venue's hand-made catalog, no SKUs (and a noise organization with the full catalog).
    org_b, dist_b = make_org(2, "Eval Venue Org")
    venue_rows = [(venue_name(catalog[g].description, rng), catalog[g], rng.random() < 0.7)
                  for g in groups if g not in held_out]  # fmt: skip
    item_of_group = build(org_b, dist_b, venue_rows, with_sku=False)
    analyze()
    print("Venue names, a few examples (catalog -> venue):")
    for name, product, _ in rng.sample(venue_rows, 8):
        print(f"  {product.description:45} -> {name}")
    print()

    status = 0
    # --- A -------------------------------------------------------------------------------------
    known = [line for line in lines if line.number in item_of_number]
    results, seconds = run_lines(org_a, dist_a, known)
    ok = sum(1 for line, r in results if r.item is not None and r.item.pk == item_of_number[line.number] and r.method == "sku")
    print(f"A. SKU known: {ok:,} / {len(results):,} lines linked by SKU to the right item ({pct(ok, len(results))}); "
          f"{1000 * seconds / max(1, len(results)):.2f} ms per line.")  # fmt: skip

    # --- B and C ---------------------------------------------------------------------------------
    results, seconds = run_lines(org_b, dist_b, lines)
    stats = defaultdict(Counter)
    false_links, misses, c_links = [], [], []
    new_products: dict[str, set] = defaultdict(set)
    for line, result in results:
        product = catalog.get(line.number)
        expected = item_of_group.get(product.group) if product else None
        scenario = "B" if expected else "C"
        s = stats[scenario]
        s["lines"] += 1
        s[f"lines {line.source}"] += 1
        s[f"method {result.method}"] += 1
        if result.item is None:
            s["no link"] += 1
            new_products[scenario].add(product.group if product else line.number)
            if scenario == "B":
                misses.append((line, result))
        elif result.item.pk == expected:
            s["correct"] += 1
            s[f"correct {line.source}"] += 1
        else:
            s["wrong"] += 1
            (false_links if scenario == "B" else c_links).append((line, result))
    b, c = stats["B"], stats["C"]
    linked_b = b["correct"] + b["wrong"]
    precision_b = 100 * b["correct"] / linked_b if linked_b else 100.0
    all_links = linked_b + c["wrong"]
    print(f"\nB. Venue has the product (hand-entered names, no SKUs): {b['lines']:,} lines "
          f"({b['lines invoice lines']:,} invoice lines, {b['lines raw sample']:,} raw sample)")  # fmt: skip
    print(f"   precision {pct(b['correct'], linked_b)}  ({b['wrong']} wrong links of {linked_b:,})")
    print(f"   recall    {pct(b['correct'], b['lines'])}  (invoice lines {pct(b['correct invoice lines'], b['lines invoice lines'])}, "
          f"raw sample with 2019 descriptions {pct(b['correct raw sample'], b['lines raw sample'])})")  # fmt: skip
    print(f"   by method: " + ", ".join(f"{m} {b[f'method {m}']:,}" for m in ("upc", "name", "none")))
    print(f"   duplicate items a pipeline would create (unlinked lines' distinct products, SKU recorded after the "
          f"first): {len(new_products['B']):,} products from {b['no link']:,} lines")  # fmt: skip
    print(f"C. Venue does not have the product: {c['lines']:,} lines")
    print(f"   false links {c['wrong']:,} ({pct(c['wrong'], c['lines'])} of these lines); by method: "
          + ", ".join(f"{m} {c[f'method {m}']:,}" for m in ("upc", "name", "none")))  # fmt: skip
    distinct_c = len({(catalog[l.number].group if l.number in catalog else l.number) for l, _ in results
                      if not (catalog.get(l.number) and item_of_group.get(catalog[l.number].group))})  # fmt: skip
    print(f"   'would create new item': {c['no link']:,} lines of {distinct_c:,} distinct products -> {len(new_products['C']):,} "
          f"new items if the SKU is recorded after the first (vs {c['no link']:,} if each line created one)")  # fmt: skip
    print(f"Overall link precision (B and C): {pct(b['correct'], all_links)}; "
          f"{1000 * seconds / max(1, len(results)):.2f} ms per line (cache per invoice, under RLS).")  # fmt: skip

    def show(title, rows, limit=8):
        if not rows:
            return
        print(f"\n{title} ({len(rows):,}), e.g.:")
        for line, result in rows[:limit]:
            print(f"  [{result.method} {result.score:.0f}] '{line.description}' {line.volume}ml/{line.pack} -> "
                  f"'{result.item.name if result.item else '-'}': {result.reason[:150]}")  # fmt: skip

    show("False links in B", false_links)
    show("False links in C", c_links)
    rng.shuffle(misses)
    show("Missed links in B (random)", misses, 10)
    if precision_b < MIN_PRECISION:
        print(f"\nFAIL: B precision {precision_b:.2f} % < {MIN_PRECISION} %")
        status = 1
    else:
        print(f"\nOK: B precision {precision_b:.2f} % >= {MIN_PRECISION} %")
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=400, help="invoices sampled from the 2022 lines (0 = all 1,525)")
    parser.add_argument("--seed", type=int, default=20221101)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    started = time.perf_counter()
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"eval_backstock_matching_{os.getpid()}"
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        return run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
        print(f"Total {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    sys.exit(main())
