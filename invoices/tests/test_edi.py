"""X12 810 / DEX 894 parser: the shared samples plus synthetic interchanges. No database."""

import csv
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from invoices.feeds.document import FeedParseError
from invoices.feeds.edi import parse_810, tokenize

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "edi-x12-samples"
PLACE = re.compile(r"segment \d+ \(\S|\bISA\b|\bDXS\b")


def _index():
    if not (SAMPLES / "INDEX.csv").exists():
        return []
    with open(SAMPLES / "INDEX.csv", newline="") as fh:
        return [row["file"] for row in csv.DictReader(fh)]


needs_samples = pytest.mark.skipif(not SAMPLES.exists(), reason="../shared sample data is absent")


def sample(name):
    return parse_810((SAMPLES / name).read_bytes())


# --------------------------------------------------------------------------- all 65 samples


@needs_samples
def test_index_lists_65_files():
    assert len(_index()) == 65


@needs_samples
@pytest.mark.parametrize("name", _index())
def test_every_sample_parses_or_names_the_place(name):
    try:
        document = sample(name)
    except FeedParseError as problem:
        assert PLACE.search(str(problem)), str(problem)
        return
    assert document.format == "edi810"
    assert document.transaction_sets
    for message in document.warnings + [m for inv in document.invoices for m in inv.errors + inv.warnings]:
        assert PLACE.search(message), message
    if "810" not in document.transaction_sets and "894" not in document.transaction_sets:
        assert document.invoices == []
        code = document.transaction_sets[0]
        assert f"transaction set {code} is not an invoice (810); skipped" in " ".join(document.warnings)


# --------------------------------------------------------------------------- the real 810s


@needs_samples
def test_walmart_810():
    document = sample("oopfactory-x12parser/ORD/_810/Example5_Walmart.txt")
    assert document.transaction_sets == ["810"]
    (invoice,) = document.invoices
    assert invoice.invoice_number == "6463367"
    assert invoice.invoice_date == date(2005, 2, 5)
    assert invoice.delivery_date == date(2005, 2, 5)  # DTM*011
    assert invoice.account_number == "0078742000992"  # N1*ST*WAL-MART 100*UL*0078742000992
    assert invoice.errors == [] and invoice.warnings == []
    (line,) = invoice.lines
    assert line.upc == "022108955228"  # UP, preferred over the UK GTIN-14
    assert line.distributor_sku == "001719653"  # IN
    assert line.quantity == Decimal("1080") and line.uom == "EA"
    assert line.unit_price == Decimal("3.61")
    assert line.description == "ITEM DESCRIPTION"
    assert [(c.code, c.amount) for c in line.charges] == [("I410", Decimal("-23.50"))]  # SAC*A, cents
    assert invoice.total == Decimal("3875.30")  # TDS*387530 = 1080 x 3.61 - 23.50


@needs_samples
def test_multi_invoice_810_case_prices_and_ctp():
    document = sample("oopfactory-x12parser/ORD/_810/Example3_MultiInvoice.txt")
    assert document.transaction_sets == ["810", "810"]
    first, second = document.invoices
    assert (first.invoice_number, second.invoice_number) == ("465266", "465267")
    assert first.invoice_date == date(2002, 5, 24)
    assert first.distributor_name == "BARRY AND LAMB CAN" and first.distributor_code == "2055574240000"
    assert first.account_number == "2100988521100"
    assert first.sales_rep.name == "NINA MARIE" and first.sales_rep.phone == "402-948-7632"
    line = first.lines[0]
    # IT1**16*CA*52.56**UA*001055503223 / CTP**UCP*2.19*384*EA: CTP04 (384) is the line's quantity in
    # units, i.e. 16 cases of 24 at 2.19 = 52.56 a case.
    assert (line.quantity, line.uom, line.unit_price) == (Decimal("16"), "CS", Decimal("52.56"))
    assert line.units_per_case == 24 and line.quantity_in_units == 384
    assert line.upc == "001055503223"
    assert line.description == "SSS CONVENIENT SIZE - 120ML"
    assert line.charges[0].amount == Decimal("58.87")
    assert [ln.units_per_case for ln in first.lines] == [24, 36, 24, 24]
    assert first.total == Decimal("8432.02") and first.warnings == []
    assert second.lines[0].units_per_case == 24 and second.lines[0].quantity_in_units == 264
    assert second.total == Decimal("1129.92") and second.warnings == []


@needs_samples
def test_retailer_810_sk_vc_and_tds():
    document = sample("oopfactory-x12parser/ORD/_810/2011110815164104.txt")
    (invoice,) = document.invoices
    assert invoice.invoice_number == "3323399"
    assert invoice.invoice_date == date(2011, 10, 31)
    assert invoice.account_number == "334"
    assert invoice.distributor_name == "Tempur-Pedic"
    assert len(invoice.lines) == 7
    assert [(ln.line_number, ln.distributor_sku, ln.quantity, ln.unit_price) for ln in invoice.lines[:2]] == [
        (1, "10190150", Decimal("11"), Decimal("1305")),
        (2, "10235150", Decimal("8"), Decimal("767")),
    ]
    assert invoice.total == Decimal("56358.00") == invoice.lines_total
    assert invoice.errors == [] and invoice.warnings == []


@needs_samples
def test_adobe_810_vp_and_up_pairs():
    (invoice,) = sample("oopfactory-x12parser/ORD/_810/Example4_Adobe.txt").invoices
    (line,) = invoice.lines
    assert line.line_number == 10
    assert line.distributor_sku == "65008841AB02A00" and line.upc == "883919019161"
    assert invoice.account_number == "0050480425"
    assert invoice.distributor_name == "ADOBE SYSTEMS INCORPORATED" and invoice.distributor_code == "ADUS"
    assert invoice.sales_rep is None  # PER*CN under N1*ST is the ship-to's contact


# --------------------------------------------------------------------------- broken samples


@needs_samples
def test_dex_invalid_segments():
    document = sample("walmartlabs-gozer/dex/894/dex.sample.invalid.segments.txt")
    (invoice,) = document.invoices
    assert "segment 7 (SAUSAGE 12/16): 'SAUSAGE 12/16' is not a valid segment id" in invoice.errors
    assert "segment 12 (SE): transaction set 10000 says 10 segments, found 11" in invoice.errors


@needs_samples
def test_dex_mismatched_st():
    document = sample("walmartlabs-gozer/dex/894/dex.sample.mismatched.st.txt")
    first, second, third = document.invoices
    assert first.errors == ["segment 2 (ST): transaction set 569145629 has no SE before segment 10 (ST)"]
    assert "segment 12 (SE): transaction set 569145630 says 10 segments, found 3" in second.errors
    assert any("segment 12 (SE): control number '569145629'" in e for e in second.errors)
    assert third.errors == [] and third.invoice_number == "569145630"
    assert "segment 23 (DXE): transmission says 2 transaction sets, found 3" in document.warnings


@needs_samples
def test_dex_missing_dxe():
    document = sample("walmartlabs-gozer/dex/894/dex.sample.missing.dxe.txt")
    assert document.warnings == ["segment 21 (SE): the interchange ends without its DXE trailer (truncated?)"]
    assert [inv.errors for inv in document.invoices] == [[], []]


@needs_samples
def test_dex_wrong_transaction_count():
    document = sample("walmartlabs-gozer/dex/894/dex.sample.wrong.transaction.count.txt")
    assert document.warnings == ["segment 22 (DXE): transmission says 1 transaction sets, found 2"]


@needs_samples
def test_dex_894_lines_and_allowances():
    document = sample("walmartlabs-gozer/dex/894/dex.sample.1.txt")
    assert document.transaction_sets == ["894", "894"] and document.warnings == []
    invoice = document.invoices[0]
    assert invoice.invoice_number == "569145629" and invoice.invoice_date == date(2017, 8, 22)
    (line,) = invoice.lines
    assert (line.upc, line.quantity, line.uom, line.unit_price) == ("001410008547", 48, "EA", Decimal("1.83"))
    assert line.charges[0].amount == Decimal("-12.96")  # G72 -0.27 x 48
    assert invoice.total == Decimal("74.88") and invoice.warnings == []  # G84*48*7488


@needs_samples
def test_non_invoice_set_is_skipped():
    document = sample("oopfactory-x12parser/ORD/_850/Example1_PGWGlass.txt")  # | terminator, ~ in ISA16
    assert document.invoices == [] and document.transaction_sets == ["850"]
    assert "segment 3 (ST): transaction set 850 is not an invoice (810); skipped" in document.warnings


# --------------------------------------------------------------------------- synthetic interchanges


def interchange(sets, *, sep="*", term="~", comp=">", newline=""):
    def seg(*elements):
        return sep.join(elements) + term + newline

    isa = seg(
        "ISA", "00", " " * 10, "00", " " * 10, "ZZ", "DISTRIB".ljust(15), "ZZ", "BAR".ljust(15),
        "260101", "1200", "U", "00401", "000000001", "0", "P", comp,
    )
    body = [seg("GS", "IN", "DISTRIB", "BAR", "20260101", "1200", "1", "X", "004010")]
    for n, segments in enumerate(sets, 1):
        control = f"{n:04d}"
        body.append(seg("ST", "810", control))
        body.extend(seg(*s) for s in segments)
        count = segments.count_override if hasattr(segments, "count_override") else len(segments) + 2
        body.append(seg("SE", str(count), control))
    body.append(seg("GE", str(len(sets)), "1"))
    body.append(seg("IEA", "1", "000000001"))
    return isa + "".join(body)


def wine_invoice(number="INV-1001", total="37200", credit=False):
    big = ["BIG", "20260105", number, "", "PO7"] + (["", "", "CR"] if credit else [])
    return [
        big,
        ["PER", "SR", "DANA RIVERA", "TE", "555-201-3344", "EM", "dana@example.com"],
        ["N1", "VN", "HEARTLAND WINE & SPIRITS", "92", "HWS01"],
        ["N1", "ST", "THE CORNER TAP", "92", "ACCT-778"],
        ["DTM", "035", "20260106"],
        ["IT1", "1", "2", "CA", "180.00", "", "VN", "SKU-750", "UP", "080432400432"],
        ["PO4", "12", "750", "ML"],
        ["PID", "F", "", "", "", "TITO'S HANDMADE VODKA 750ML"],
        ["SAC", "A", "C310", "", "", "1500"],
        ["IT1", "2", "3", "BT", "9.00", "", "UK", "00080432400725", "VP", "SKU-1L"],
        ["PO4", "1", "1", "LT"],
        ["TDS", total],
        ["CTT", "2"],
    ]


def test_synthetic_tilde_star():
    document = parse_810(interchange([wine_invoice()]).encode())
    (invoice,) = document.invoices
    assert invoice.errors == [] and invoice.warnings == []
    assert invoice.invoice_number == "INV-1001" and invoice.invoice_date == date(2026, 1, 5)
    assert invoice.account_number == "ACCT-778"
    assert invoice.distributor_name == "HEARTLAND WINE & SPIRITS" and invoice.distributor_code == "HWS01"
    assert invoice.sales_rep.name == "DANA RIVERA"
    assert (invoice.sales_rep.phone, invoice.sales_rep.email) == ("555-201-3344", "dana@example.com")
    assert invoice.delivery_date == date(2026, 1, 6)
    vodka, liter = invoice.lines
    assert (vodka.distributor_sku, vodka.upc, vodka.uom, vodka.units_per_case, vodka.size) == (
        "SKU-750", "080432400432", "CS", 12, "750ML",
    )
    assert vodka.description == "TITO'S HANDMADE VODKA 750ML"
    assert vodka.charges[0].amount == Decimal("-15.00")
    assert (liter.uom, liter.distributor_sku, liter.upc, liter.size) == ("EA", "SKU-1L", "00080432400725", "1L")
    assert invoice.total == Decimal("372.00")  # 2 x 180 - 15 + 3 x 9 = TDS 37200


def test_synthetic_pipe_and_caret():
    data = interchange([wine_invoice()], sep="|", term="^", comp=":")
    ic = tokenize(data.encode())
    assert (ic.element_separator, ic.segment_terminator, ic.component_separator) == ("|", "^", ":")
    (invoice,) = parse_810(data.encode()).invoices
    assert invoice.errors == [] and invoice.lines[0].size == "750ML" and invoice.total == Decimal("372.00")


def test_synthetic_newline_terminator_bom_and_indentation():
    data = interchange([wine_invoice()], term="", newline="\r\n")
    data = "\ufeff  \r\n" + "\n".join("    " + ln for ln in data.split("\n"))
    ic = tokenize(data.encode("utf-8"))
    assert ic.segment_terminator == "\n"
    assert [s.id for s in ic.segments[:3]] == ["ISA", "GS", "ST"] and ic.segments[2].position == 3
    (invoice,) = parse_810(data.encode("utf-8")).invoices
    assert invoice.errors == [] and invoice.warnings == [] and len(invoice.lines) == 2


def test_unpadded_isa():
    data = "ISA*00**00**ZZ*D*ZZ*B*260101*1200*U*00401*7*0*P*>~GS*IN*D*B*20260101*1200*1*X*004010~" \
           "ST*810*0001~BIG*20260105*X1~IT1*1*1*EA*5~SE*4*0001~GE*1*1~IEA*1*7~"
    document = parse_810(data.encode())
    assert document.warnings == [] and document.invoices[0].invoice_number == "X1"


class _Count(list):
    pass


def test_se_count_mismatch_in_second_set_leaves_first_fine():
    broken = _Count(wine_invoice("INV-2"))
    broken.count_override = 12  # really 15 (13 + ST + SE)
    document = parse_810(interchange([wine_invoice("INV-1"), broken]).encode())
    first, second = document.invoices
    assert first.errors == [] and first.invoice_number == "INV-1"
    assert second.errors == ["segment 32 (SE): transaction set 0002 says 12 segments, found 15"]


def test_tds_mismatch_is_a_warning():
    (invoice,) = parse_810(interchange([wine_invoice(total="40000")]).encode()).invoices
    assert invoice.errors == []
    assert invoice.total == Decimal("400.00")
    assert invoice.warnings == ["segment 15 (TDS): invoice total 400.00 differs from the lines and charges 372.00"]


def test_credit_memo():
    (invoice,) = parse_810(interchange([wine_invoice(credit=True)]).encode()).invoices
    assert invoice.is_credit_memo
    assert [ln.quantity for ln in invoice.lines] == [Decimal(-2), Decimal(-3)]
    assert invoice.total == Decimal("-372.00")
    assert invoice.warnings == [] and invoice.errors == []


def test_negative_tds_makes_a_credit_memo():
    (invoice,) = parse_810(interchange([wine_invoice(total="-37200")]).encode()).invoices
    assert invoice.is_credit_memo and invoice.total == Decimal("-372.00") and invoice.warnings == []


def test_bad_date_is_an_invoice_error():
    segments = wine_invoice()
    segments[0][1] = "2026-01-05"
    (invoice,) = parse_810(interchange([segments]).encode()).invoices
    assert invoice.errors == ["segment 4 (BIG): invoice date '2026-01-05' is not a CCYYMMDD date"]


def test_missing_se_at_end():
    data = interchange([wine_invoice()])
    data = data[: data.index("SE*")]
    document = parse_810(data.encode())
    (invoice,) = document.invoices
    assert invoice.errors == ["segment 3 (ST): transaction set 0001 has no SE at the end of the file"]
    assert any("without its IEA trailer" in w for w in document.warnings)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty file"),
        (b"invoice,date\n1,2\n", "no ISA segment: not an X12 interchange"),
        (b'{"invoices": []}', "no ISA segment"),
        (b"ISA*00*  *00", "segment 1 (ISA): ISA has fewer than 16 elements"),
    ],
)
def test_not_x12_raises(data, message):
    with pytest.raises(FeedParseError, match=re.escape(message)):
        parse_810(data)


@needs_samples
def test_truncated_and_damaged_files_never_crash():
    data = (SAMPLES / "oopfactory-x12parser/ORD/_810/Example3_MultiInvoice.txt").read_bytes()
    for cut in range(0, len(data), 3):
        for piece in (data[:cut], data[cut:], data[:cut] + b"~~*" + data[cut:]):
            try:
                document = parse_810(piece)
            except FeedParseError as problem:
                assert PLACE.search(str(problem)) or "not an X12" in str(problem) or "empty" in str(problem)
            else:
                assert document.format == "edi810"
