"""`python manage.py ingest_invoices --org ORG [--venue VENUE] [--distributor NAME] [--format …] FILE... [--json]`."""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from distributors.models import Distributor, DistributorAccount
from distributors.services import create_account, create_distributor
from invoices.feeds.edi import parse_810
from invoices.tests.fake_distributor import make_invoice
from invoices.models import FeedDocument, InvoiceLine, PartialInvoice
from invoices.tests.test_pipeline import ACCOUNT, APEROL, JACK, TITOS, csv_bytes, row
from items.models import Item
from items.services.catalog import create_item
from venues.services import set_product_connect

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT.parent / "shared" / "data" / "edi-x12-samples"
IOWA_LINES = (ROOT.parent / "shared" / "data" / "iowa-liquor-sales-invoice-lines"
              / "iowa_sales_invoice_lines_2022-09_10_150stores.csv")  # fmt: skip
PLACE = re.compile(r"segment \d+ \(\S")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)


def ingest(*args) -> str:
    out = StringIO()
    call_command("ingest_invoices", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def ingest_failing(*args) -> tuple[str, CommandError]:
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("ingest_invoices", *[str(a) for a in args], stdout=out)
    return out.getvalue(), caught.value


@pytest.fixture
def venue(tenant):
    return set_product_connect(actor=tenant.admin, organization=tenant.organization, venue=tenant.venue, enabled=True)


@pytest.fixture
def write(tmp_path):
    def write_file(name: str, content: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(content)
        return path

    return write_file


# --- the JSON it prints -------------------------------------------------------------------------


def test_json_output_has_exactly_the_documented_shape(tenant, venue, write):
    titos, _ = create_item(actor=tenant.manager, organization=tenant.organization, name="Tito's Handmade Vodka",
                           size="1L", units_per_case=12)  # fmt: skip
    path = write("sgws-0301.csv", csv_bytes(
        row("INV-1", 1, JACK),
        row("INV-1", 2, TITOS),
        row("INV-1", 3, {"distributor_sku": "DEP", "description": "BOTTLE DEPOSIT", "size": "", "units_per_case": 1,
                         "unit_price": "0.10"}, category="", quantity=24, uom="EA"),
        row("INV-2", 1, APEROL, account_number="ACC-NEW"),
    ))  # fmt: skip

    out = ingest("--org", tenant.organization.slug, "--venue", venue.slug, "--distributor", "sgws", "--json", path)

    result = json.loads(out)
    document = FeedDocument.objects.get()
    jack = Item.objects.get(name="JACK DANIELS OLD #7 BLK")
    aperol = Item.objects.get(name="APEROL APERITIVO")
    titos_score = float(InvoiceLine.objects.get(item=titos).match_score) / 100
    assert result == {
        "documents": [{"file": str(path), "document_id": document.pk, "status": "processed", "error": "", "invoices": 2,
                       "outcomes": {"created": 2}}],
        "invoices": [
            {"invoice_number": "INV-1", "venue": venue.name, "status": "pending_review", "outcome": "created",
             "lines": [
                {"line_number": 1, "item_id": jack.pk, "match": "new", "score": None, "created_item": True},
                {"line_number": 2, "item_id": titos.pk, "match": "name", "score": titos_score, "created_item": False},
                {"line_number": 3, "item_id": None, "match": "none", "score": None, "created_item": False},
            ]},
            {"invoice_number": "INV-2", "venue": venue.name, "status": "pending_review", "outcome": "created",
             "lines": [
                {"line_number": 1, "item_id": aperol.pk, "match": "new", "score": None, "created_item": True},
            ]},
        ],
    }  # fmt: skip
    assert 0.85 <= titos_score <= 1
    # --venue routes every invoice there, and remembers the account it did not know.
    account = DistributorAccount.objects.get(account_number="ACC-NEW")
    assert (account.venue, account.status, account.distributor.code) == (venue, "imported", "SGWS")

    # Run again: the same file is stored once and every invoice is unchanged; SKUs now link.
    again = json.loads(ingest("--org", tenant.organization.slug, "--venue", venue.slug, "--distributor", "SGWS",
                              "--json", path))  # fmt: skip
    assert again["documents"][0]["document_id"] == document.pk
    assert [i["outcome"] for i in again["invoices"]] == ["unchanged", "unchanged"]
    assert FeedDocument.objects.count() == 1 and PartialInvoice.objects.count() == 2


def test_without_venue_invoices_route_by_account_and_unknown_accounts_wait_without_a_venue(tenant, venue, write):
    distributor = Distributor.objects.filter(organization=None, code="SGWS").first() or Distributor.objects.create(
        name="Southern Glazer's Wine & Spirits", slug="southern-glazers-wine-spirits", code="SGWS"
    )  # a transactional test elsewhere may have flushed the seeded directory
    create_account(actor=tenant.admin, organization=tenant.organization, venue=venue, distributor=distributor,
                   account_number=ACCOUNT)  # fmt: skip
    path = write("feed.csv", csv_bytes(row("INV-1", 1, JACK), row("INV-2", 1, TITOS, account_number="ACC-404")))

    result = json.loads(ingest("--org", tenant.organization.name.upper(), "--distributor",
                               "Southern Glazer's Wine & Spirits", "--json", path))  # fmt: skip

    routed, waiting = result["invoices"]
    assert (routed["venue"], routed["lines"][0]["match"]) == (venue.name, "new")
    assert (waiting["venue"], waiting["status"]) == (None, "pending_review")
    assert waiting["lines"] == [
        {"line_number": 1, "item_id": None, "match": "none", "score": None, "created_item": False}
    ]
    assert not Item.objects.filter(name="TITOS HANDMADE VODKA").exists()


# --- the human summary and the exit status ------------------------------------------------------


def test_a_failed_document_is_reported_and_the_exit_status_is_one_while_the_others_are_imported(tenant, venue, write):
    good = write("good.csv", csv_bytes(row("INV-1", 1, JACK)))
    scan = write("scan.png", PNG)

    out, error = ingest_failing("--org", tenant.organization.slug, "--venue", venue.name, "--distributor", "SGWS",
                                good, scan)  # fmt: skip

    assert error.returncode == 1 and "1 of 2 document(s) failed" in str(error)
    assert f"{good} (document " in out and "processed; invoices: 1 created, 0 updated, 0 unchanged" in out
    assert f"{scan} (document " in out and "failed; invoices: 0 created" in out
    assert "failed: scan.png: not a CSV, JSON or X12 file" in out
    assert PartialInvoice.objects.get().invoice_number == "INV-1"
    assert FeedDocument.objects.get(filename="scan.png").status == "failed"


def test_broken_rows_are_named_and_the_good_invoices_of_the_file_go_through(tenant, venue, write):
    path = write("broken.csv", csv_bytes(
        row("INV-1", 1, JACK),
        row("INV-2", 1, TITOS, invoice_date="03/45/2024"),
        row("INV-3", 1, APEROL | {"distributor_sku": ""}),
        row("INV-4", 1, TITOS, quantity="a dozen"),
        row("INV-5", 1, APEROL),
    ))  # fmt: skip

    out = ingest("--org", tenant.organization.slug, "--venue", venue.slug, "--distributor", "SGWS", path)

    assert "processed; invoices: 2 created, 0 updated, 0 unchanged, 0 ignored, 0 skipped, 3 failed." in out
    assert "failed: invoice INV-2: row 3: invoice_date '03/45/2024' is not a date" in out
    assert "failed: invoice INV-3: row 4: distributor_sku is empty" in out
    assert "failed: invoice INV-4: row 5: quantity 'a dozen' is not a number" in out
    assert sorted(PartialInvoice.objects.values_list("invoice_number", flat=True)) == ["INV-1", "INV-5"]
    result = json.loads(ingest("--org", tenant.organization.slug, "--venue", venue.slug, "--distributor", "SGWS",
                               "--json", path))  # fmt: skip
    (document,) = result["documents"]
    assert document["outcomes"] == {"unchanged": 2, "failed": 3} and document["invoices"] == 5
    assert all(place in document["error"] for place in ("row 3", "row 4", "row 5"))


def test_a_missing_file_is_named_and_nothing_is_imported(tenant, venue, write, tmp_path):
    good = write("good.csv", csv_bytes(row("INV-1", 1, JACK)))

    _, error = ingest_failing("--org", tenant.organization.slug, "--venue", venue.slug, good, tmp_path / "nope.csv")

    assert str(error) == f"No such file: {tmp_path / 'nope.csv'}"
    _, error = ingest_failing("--org", tenant.organization.slug, tmp_path)
    assert str(error) == f"{tmp_path} is not a file."
    assert not FeedDocument.objects.exists()


def test_an_unknown_distributor_is_refused_with_the_close_names(tenant, other_tenant, venue, write):
    path = write("feed.csv", csv_bytes(row("INV-1", 1, JACK)))
    create_distributor(actor=other_tenant.admin, organization=other_tenant.organization, name="Riverside Wholesale")

    _, error = ingest_failing("--org", tenant.organization.slug, "--distributor", "Southern Glazers", path)
    assert "No distributor 'Southern Glazers' among those Copper Tap Group sees." in str(error)
    assert "Close names: Southern Glazer's Wine & Spirits (SGWS)" in str(error)
    # Another organization's own distributor is not among them (the command runs in the tenant's scope).
    _, error = ingest_failing("--org", tenant.organization.slug, "--distributor", "Riverside Wholesale", path)
    assert "No distributor 'Riverside Wholesale'" in str(error) and "Riverside Wholesale (" not in str(error)
    assert not FeedDocument.objects.exists()


def test_an_unknown_organization_or_venue_is_named(tenant, venue, write):
    path = write("feed.csv", csv_bytes(row("INV-1", 1, JACK)))
    _, error = ingest_failing("--org", "no-such-org", path)
    assert str(error) == "No organization with the slug or name 'no-such-org'."
    _, error = ingest_failing("--org", tenant.organization.slug, "--venue", "The Cellar", path)
    venues = f"{venue.name} ({venue.slug})"
    assert str(error) == f"{tenant.organization.name} has no venue 'The Cellar' (its venues: {venues})."


def test_a_forced_format_that_does_not_fit_fails_the_document_with_the_place(tenant, venue, write):
    path = write("feed.csv", csv_bytes(row("INV-1", 1, JACK)))

    out, error = ingest_failing("--org", tenant.organization.slug, "--venue", venue.slug, "--distributor", "SGWS",
                                "--format", "edi810", path)  # fmt: skip

    assert error.returncode == 1
    assert "failed: feed.csv: no ISA segment: not an X12 interchange" in out
    assert not PartialInvoice.objects.exists()


def test_a_json_invoice_page_goes_through_and_its_rep_is_recorded(tenant, venue, write):
    distributor = Distributor.objects.filter(organization=None, code="SGWS").first() or Distributor.objects.create(
        name="Southern Glazer's Wine & Spirits", slug="southern-glazers-wine-spirits", code="SGWS"
    )  # a transactional test elsewhere may have flushed the seeded directory
    create_account(actor=tenant.admin, organization=tenant.organization, venue=venue, distributor=distributor,
                   account_number="1001")  # fmt: skip
    page = {"invoices": [make_invoice("J-1", account="1001", lines=3), make_invoice("J-2", account="1001", lines=2)],
            "next_cursor": "c1"}  # fmt: skip
    path = write("page.json", json.dumps(page).encode())

    result = json.loads(ingest("--org", tenant.organization.slug, "--distributor", "SGWS", "--format", "json", "--json",
                               path))  # fmt: skip

    assert [(i["invoice_number"], i["venue"], len(i["lines"])) for i in result["invoices"]] == [
        ("J-1", venue.name, 3), ("J-2", venue.name, 2)]  # fmt: skip
    assert [line["match"] for line in result["invoices"][1]["lines"]] == ["sku", "sku"]  # J-1 created them
    assert DistributorAccount.objects.get(account_number="1001").sales_reps.get().name == "Pat Rep"


# --- real data ----------------------------------------------------------------------------------


@pytest.mark.skipif(not IOWA_LINES.exists(), reason="../shared sample data is absent")
def test_real_iowa_invoice_lines_become_invoices_with_their_values(tenant, venue, write):
    with open(IOWA_LINES, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = []
        for cells in reader:
            rows.append(cells)
            if len({r[1] for r in rows}) > 3:
                rows.pop()
                break
    text = StringIO()
    csv.writer(text, lineterminator="\n").writerows([header, *rows])
    path = write("iowa.csv", text.getvalue().encode())

    result = json.loads(ingest("--org", tenant.organization.slug, "--venue", venue.slug, "--distributor", "IA-ABD",
                               "--json", path))  # fmt: skip

    assert result["documents"][0]["status"] == "processed"
    assert [i["invoice_number"] for i in result["invoices"]] == list(dict.fromkeys(r[1] for r in rows))
    first = rows[0]
    invoice = PartialInvoice.objects.get(invoice_number=first[1])
    assert (invoice.invoice_date.isoformat(), invoice.account_number) == (first[3], first[4])
    line = invoice.lines.get(line_number=int(first[2]))
    assert (line.distributor_sku, line.quantity, line.uom, line.unit_price) == (
        first[9], Decimal(first[10]), "EA", Decimal(first[12]))  # fmt: skip
    assert line.item.units_per_case == int(first[17]) and line.item.size_ml == Decimal(first[19])
    assert InvoiceLine.objects.count() == len(rows)
    # Two invoices of one store name the same product: one item, linked by SKU the second time.
    skus = [r[9] for r in rows]
    assert Item.objects.filter(organization=tenant.organization).count() == len(set(skus))


def _samples() -> list[str]:
    if not (SAMPLES / "INDEX.csv").exists():
        return []
    with open(SAMPLES / "INDEX.csv", newline="") as handle:
        return [entry["file"] for entry in csv.DictReader(handle)]


@pytest.mark.skipif(not SAMPLES.exists(), reason="../shared sample data is absent")
@pytest.mark.parametrize("name", _samples())
def test_every_edi_sample_goes_through_ingest_invoices(name, tenant, venue):
    path = SAMPLES / name
    parsed = parse_810(path.read_bytes())
    good = [i for i in parsed.invoices if not i.errors]
    bad = [i for i in parsed.invoices if i.errors]
    args = ("--org", tenant.organization.slug, "--venue", venue.slug, "--distributor", "SGWS", "--json", path)

    if good:
        result = json.loads(ingest(*args))
    else:
        out, error = ingest_failing(*args)
        assert error.returncode == 1
        result = json.loads(out)

    (document,) = result["documents"]
    if not parsed.invoices:  # an 850, 856 …: not an invoice, named by its ST segment
        assert document["status"] == "failed"
        assert "no invoices in it" in document["error"] and "is not an invoice (810)" in document["error"]
        assert PLACE.search(document["error"])
    for invoice in bad:  # malformed: failed, with the segment named, and nothing of it written
        assert all(error in document["error"] for error in invoice.errors)
        assert PLACE.search(document["error"])
        if invoice.invoice_number and invoice.invoice_number not in {i.invoice_number for i in good}:
            assert not PartialInvoice.objects.filter(invoice_number=invoice.invoice_number).exists()
    assert document["status"] == ("processed" if good else "failed")
    assert [i["invoice_number"] for i in result["invoices"]] == [i.invoice_number for i in good]
    for expected in good:  # an 810 (or DEX 894): the invoice holds the values the file holds
        invoice = PartialInvoice.objects.get(invoice_number=expected.invoice_number)
        assert (invoice.venue, invoice.invoice_date, invoice.account_number, invoice.stated_total) == (
            venue, expected.invoice_date, expected.account_number, expected.total)  # fmt: skip
        assert invoice.delivery_date == expected.delivery_date
        stored = [(l.line_number, l.distributor_sku, l.upc, l.description, l.quantity, l.uom, l.unit_price,
                   l.units_per_case) for l in invoice.lines.order_by("line_number")]  # fmt: skip
        assert stored == [(l.line_number, l.distributor_sku, l.upc, l.description[:300], l.quantity, l.uom,
                           l.unit_price, l.units_per_case) for l in expected.lines]  # fmt: skip
    # Nothing half-written: every line and item belongs to an invoice that went through.
    assert InvoiceLine.objects.count() == sum(len(i.lines) for i in good)
    assert Item.objects.filter(organization=tenant.organization).count() == InvoiceLine.objects.filter(
        created_item=True).count()  # fmt: skip


@pytest.mark.skipif(not SAMPLES.exists(), reason="../shared sample data is absent")
def test_the_walmart_810_becomes_an_invoice_for_the_venue_with_its_values(tenant, venue):
    path = SAMPLES / "oopfactory-x12parser/ORD/_810/Example5_Walmart.txt"

    result = json.loads(ingest("--org", tenant.organization.slug, "--venue", venue.slug, "--distributor", "SGWS",
                               "--format", "edi810", "--json", path))  # fmt: skip

    (summary,) = result["invoices"]
    assert (summary["invoice_number"], summary["venue"], summary["status"]) == ("6463367", venue.name, "pending_review")
    invoice = PartialInvoice.objects.get()
    assert (invoice.invoice_date, invoice.account_number, invoice.stated_total) == (
        date(2005, 2, 5), "0078742000992", Decimal("3875.30"))  # fmt: skip
    (line,) = invoice.lines.all()
    assert (line.distributor_sku, line.upc, line.quantity, line.uom, line.unit_price) == (
        "001719653", "022108955228", 1080, "EA", Decimal("3.61"))  # fmt: skip
    assert line.charges == [{"code": "I410", "description": line.charges[0]["description"], "amount": "-23.50"}]
    assert DistributorAccount.objects.get(account_number="0078742000992").venue == venue
