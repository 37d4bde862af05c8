"""What the Product Connect benchmarks share: a throwaway database, an organization with a
5,000-item catalog built from the Iowa product catalog, Iowa invoice lines as feed documents,
and real Celery worker / beat subprocesses on that database.

Not a benchmark itself; see bench/invoices_ingest.py and bench/invoices_review.py.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import random
import socket
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
CATALOG = DATA / "iowa-liquor-products" / "iowa_liquor_products_2022-11-01.csv"
LINES = DATA / "iowa-liquor-sales-invoice-lines" / "iowa_sales_invoice_lines_2022-09_10_150stores.csv"

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_site.test_settings")
os.environ.setdefault("BACKSTOCK_ALLOW_DEV_SECRET", "1")


# --- the throwaway database -------------------------------------------------------------------


@contextlib.contextmanager
def throwaway_database(prefix: str):
    """django.setup(), then a freshly migrated database `<prefix>_<pid>`, dropped at the end
    (also when the benchmark fails), like bench/items_search.py."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{prefix}_{os.getpid()}"
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield connection.settings_dict["NAME"]
    finally:
        from django.db import connections

        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def bypass(reason: str = "bench: loading and reading its own throwaway database"):
    from inventory_site.tenancy import rls_bypass

    return rls_bypass(reason)


def analyze(*tables: str) -> None:
    """Fresh planner statistics, as autovacuum gathers them after a big load (owner only)."""
    from django.db import connection

    from inventory_site.db_backend.base import owner_connection

    with owner_connection(), connection.cursor() as cursor:
        for table in tables or ("items_item", "items_itemidentifier", "invoices_invoiceline", "invoices_partialinvoice",
                                "distributors_distributoraccount"):  # fmt: skip
            cursor.execute(f"ANALYZE {table}")


def database_url(settings_dict) -> str:
    """A DATABASE_URL naming the server and database of `settings_dict` (see conftest.py)."""
    from urllib.parse import quote, urlencode

    user, password = quote(settings_dict.get("USER") or ""), quote(settings_dict.get("PASSWORD") or "")
    host, port = settings_dict.get("HOST") or "", settings_dict.get("PORT") or ""
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    options = {k: v for k, v in (settings_dict.get("OPTIONS") or {}).items()
               if k != "assume_role" and isinstance(v, (str, int))}  # fmt: skip
    if host.startswith("/"):
        options["host"], host = host, ""
    query = f"?{urlencode(options)}" if options else ""
    return f"postgresql://{auth}{host}{':' + str(port) if port else ''}/{quote(settings_dict['NAME'])}{query}"


# --- Iowa data --------------------------------------------------------------------------------


@dataclass
class Product:
    number: str  # ABD item number: the distributor SKU
    description: str
    volume_ml: str
    pack: int
    upc: str
    category: str
    cost: Decimal


def read_catalog() -> dict[str, Product]:
    products = {}
    with open(CATALOG, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            number = row["Item Number"].strip()
            digits = "".join(ch for ch in row.get("UPC") or "" if ch.isdigit())
            try:
                cost = Decimal(row.get("State Bottle Cost") or "0").quantize(Decimal("0.01"))
            except ArithmeticError:
                cost = Decimal(0)
            products[number] = Product(
                number=number, description=" ".join(row["Item Description"].split()),
                volume_ml=(row["Bottle Volume (ml)"] or "").strip(), pack=int(row["Pack"] or 0) or 12,
                upc=digits.zfill(12) if 11 <= len(digits) <= 12 else "", category=row.get("Category Name") or "",
                cost=cost,
            )  # fmt: skip
    return products


def read_invoice_rows() -> tuple[list[str], dict[str, list[list[str]]]]:
    """(header, invoice number -> its rows in file order) of the Iowa invoice lines."""
    by_invoice: dict[str, list[list[str]]] = defaultdict(list)
    with open(LINES, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        for cells in reader:
            by_invoice[cells[1]].append(cells)
    return header, by_invoice


def csv_document(header: list[str], rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode()


# --- the organization -------------------------------------------------------------------------


@dataclass
class Shop:
    organization: object
    venues: list
    admin: object
    manager: object
    distributor: object
    accounts: dict[str, object] = field(default_factory=dict)  # account number -> venue


def make_shop(name: str, *, venues: int = 1) -> Shop:
    """An organization with `venues` venues on Product Connect, a manager, and the shared
    Iowa ABD distributor."""
    from distributors.models import Distributor
    from venues.models import Membership
    from venues.services import create_organization, create_venue, set_product_connect

    organization, venue, admin, _ = create_organization(
        name=name, venue_name=f"{name} Bar", state="IA", admin_email=f"bench-admin-{os.getpid()}@example.test",
        admin_password="bench-password-123",
    )  # fmt: skip
    with bypass():
        from venues.models import User

        manager = User.objects.create_user(email=f"bench-manager-{os.getpid()}@example.test",
                                           password="bench-pw-123456", first_name="Morgan", last_name="Manager")  # fmt: skip
        Membership.objects.create(organization=organization, user=manager, role=Membership.Role.MANAGER)
        distributor = Distributor.objects.get(organization=None, code="IA-ABD")
    from inventory_site.tenancy import tenant_context

    all_venues = [venue]
    with tenant_context(organization_id=organization.pk, user_id=admin.pk):  # as the admin would, in a request
        for n in range(2, venues + 1):
            all_venues.append(create_venue(actor=admin, organization=organization, name=f"{name} Bar {n}", state="IA"))
        all_venues = [set_product_connect(actor=admin, organization=organization, venue=v, enabled=True)
                      for v in all_venues]  # fmt: skip
    return Shop(organization=organization, venues=all_venues, admin=admin, manager=manager, distributor=distributor)


def add_accounts(shop: Shop, numbers: list[str]) -> None:
    """Each store number becomes an account of one of the venues (round robin)."""
    from distributors.models import DistributorAccount

    with bypass():
        rows = []
        for n, number in enumerate(sorted(set(numbers))):
            venue = shop.venues[n % len(shop.venues)]
            rows.append(DistributorAccount(organization=shop.organization, venue=venue, distributor=shop.distributor,
                                           account_number=number))  # fmt: skip
            shop.accounts[number] = venue
        DistributorAccount.objects.bulk_create(rows)


def build_catalog(shop: Shop, catalog: dict[str, Product], line_skus: list[str], *, size: int,
                  rng: random.Random) -> dict[str, int]:  # fmt: skip
    """`size` items: of the products the invoice lines name, 70 % imported with their SKU, 15 % entered
    by hand (a venue's name, no SKU, a UPC on most) and 15 % left out (new to the venue: the
    pipeline creates them); the rest of the catalog (with SKUs) fills up to `size`.

    Returns how many line products fall in each group."""
    from django.utils import timezone

    from items.models import Item, ItemIdentifier
    from items.normalize import name_key
    from items.sizes import parse_size

    named = sorted(set(line_skus) & set(catalog))
    rng.shuffle(named)
    cut_sku, cut_name = int(len(named) * 0.70), int(len(named) * 0.85)
    with_sku, by_name, missing = named[:cut_sku], named[cut_sku:cut_name], set(named[cut_name:])
    others = [n for n in sorted(catalog) if n not in set(named)]
    rng.shuffle(others)
    fill = others[: max(0, size - len(with_sku) - len(by_name))]
    now = timezone.now()
    items, skus = [], []
    for number in [*with_sku, *fill, *by_name]:
        product = catalog[number]
        hand_entered = number in set(by_name)
        name = product.description.title() if hand_entered else product.description
        parsed = parse_size(f"{product.volume_ml}ML") if product.volume_ml else None
        category = "spirits"
        upc = product.upc if (not hand_entered or rng.random() < 0.7) else ""
        items.append(Item(
            organization=shop.organization, name=name[:200], name_key=name_key(name), category=category,
            size_quantity=parsed.quantity if parsed else None, size_unit=parsed.unit if parsed else "",
            size_ml=parsed.ml if parsed else None, size_label=parsed.label if parsed else "",
            units_per_case=product.pack, upc=upc, cost_per_unit=product.cost or None,
            cost_per_case=(product.cost * product.pack) if product.cost else None,
            cost_date=now.date() if product.cost else None, cost_source=Item.CostSource.IMPORT if product.cost else "",
            created_at=now, updated_at=now,
        ))  # fmt: skip
        skus.append(None if hand_entered else number)
    with bypass():
        Item.objects.bulk_create(items, batch_size=2000)
        identifiers = []
        for item, sku in zip(items, skus):
            common = {"organization": shop.organization, "item": item, "source": "bench", "first_seen": now,
                      "last_seen": now}  # fmt: skip
            if sku:
                identifiers.append(ItemIdentifier(kind=ItemIdentifier.Kind.DISTRIBUTOR_SKU, value=sku,
                                                  distributor=shop.distributor, **common))  # fmt: skip
            if item.upc:
                identifiers.append(ItemIdentifier(kind=ItemIdentifier.Kind.UPC, value=item.upc, **common))
        ItemIdentifier.objects.bulk_create(identifiers, batch_size=5000)
    return {"with SKU": len(with_sku), "by name only": len(by_name), "new to the venue": len(missing),
            "catalog items": len(items)}  # fmt: skip


# --- Celery processes --------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log_path: Path
    leftovers: list[Path] = field(default_factory=list)  # removed once it has stopped

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        for pattern in self.leftovers:
            for path in pattern.parent.glob(pattern.name + "*"):
                path.unlink(missing_ok=True)


def celery_env(extra: dict | None = None) -> dict:
    """Environment for worker and beat: production settings (inventory_site.settings) on the
    throwaway database, this run's Redis queue and cache prefix, mail kept in memory."""
    from django.conf import settings
    from django.db import connection

    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="inventory_site.settings", DJANGO_DEBUG="0", BACKSTOCK_ALLOW_DEV_SECRET="1",
        DATABASE_URL=database_url(connection.settings_dict), REDIS_URL=settings.REDIS_URL,
        CELERY_QUEUE=settings.CELERY_TASK_DEFAULT_QUEUE, CACHE_KEY_PREFIX=settings.CACHES["default"]["KEY_PREFIX"],
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", PYTHONUNBUFFERED="1",
        BACKSTOCK_FEEDS_DIR=str(settings.FEEDS_DIR),
    )  # fmt: skip
    env.update(extra or {})
    return env


def start_worker(log_dir: Path, *, concurrency: int = 1) -> tuple[Process, str]:
    """One `celery worker` (prefork, `concurrency` pool processes) on this run's queue; waits for its ping."""
    from inventory_site.celery import app

    node = f"bench-{os.getpid()}@{socket.gethostname()}"
    log_path = log_dir / "bench-worker.log"
    popen = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "inventory_site", "worker", "-l", "info", "--concurrency",
         str(concurrency), "--without-mingle", "--without-gossip", "-n", node],
        cwd=ROOT, env=celery_env(), stdout=open(log_path, "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )  # fmt: skip
    process = Process("worker", popen, log_path)
    deadline = time.monotonic() + 90
    while True:
        try:
            if app.control.ping(destination=[node], timeout=1):
                return process, node
        except Exception:  # noqa: BLE001 - the broker may not answer yet
            pass
        if popen.poll() is not None or time.monotonic() > deadline:
            process.stop()
            raise SystemExit(f"the Celery worker did not start; see {log_path}")


def start_beat(log_dir: Path) -> Process:
    """`celery beat` with the project's schedule (CELERY_BEAT_SCHEDULE), its own schedule file."""
    log_path = log_dir / "bench-beat.log"
    schedule = log_dir / f"bench-beat-schedule-{os.getpid()}"
    popen = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "inventory_site", "beat", "-l", "info", "-s", str(schedule)],
        cwd=ROOT, env=celery_env(), stdout=open(log_path, "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )  # fmt: skip
    return Process("beat", popen, log_path, leftovers=[schedule])


def child_pids(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process (Linux /proc), None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# Figures are printed the same way by every benchmark (bench/report.py).
from report import load_note, percentile, summary, table  # noqa: E402,F401
