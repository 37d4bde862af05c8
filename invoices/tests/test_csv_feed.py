"""CSV invoice feed: pure parsing, no database."""

from datetime import date
from decimal import Decimal
from itertools import islice
from pathlib import Path

import pytest

from invoices.feeds import detect_format
from invoices.feeds.csv_feed import normalize_uom, parse_csv, parse_decimal
from invoices.feeds.document import FeedParseError

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
IOWA_RAW = SHARED_DATA / "iowa-liquor-sales-sample-raw" / "iowa_liquor_sales_sample_2018_2019.csv"
IOWA_LINES = SHARED_DATA / "iowa-liquor-sales-invoice-lines" / "iowa_sales_invoice_lines_2022-09_10_150stores.csv"

HEADER = (
    "account_number,invoice_number,invoice_date,delivery_date,line_number,distributor_sku,upc,description,"
    "brand,category,size,units_per_case,quantity,uom,unit_price,extended_amount,"
    "sales_rep_name,sales_rep_email,sales_rep_phone\n"
)


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return (header + "".join(row + "\n" for row in rows)).encode()


def test_format_doc_example():
    doc = parse_csv(
        csv_bytes(
            "A100,INV-1,2024-03-01,2024-03-02,1,26827,082184090466,JACK DANIELS OLD #7 BLK 750ML,Jack Daniel's,"
            "spirits,750ML,12,2,CS,243.24,486.48,Pat Rep,pat@dist.example,515-555-0100",
            "A100,INV-1,2024-03-01,2024-03-02,2,64866,,FIREBALL CINNAMON 750ML,Sazerac,spirits,750ML,12,5,BT,13.50,67.50,,,",
        )
    )
    assert doc.format == "csv"
    assert len(doc.invoices) == 1
    inv = doc.invoices[0]
    assert (inv.invoice_number, inv.account_number) == ("INV-1", "A100")
    assert inv.invoice_date == date(2024, 3, 1) and inv.delivery_date == date(2024, 3, 2)
    assert inv.sales_rep.name == "Pat Rep" and inv.sales_rep.email == "pat@dist.example"
    assert inv.sales_rep.phone == "515-555-0100"
    assert not inv.errors and not inv.is_credit_memo
    first, second = inv.lines
    assert first.distributor_sku == "26827" and first.upc == "082184090466"
    assert first.size == "750ML" and first.units_per_case == 12
    assert (first.quantity, first.uom, first.unit_price) == (Decimal("2"), "CS", Decimal("243.24"))
    assert first.quantity_in_units == 24
    assert first.place == "row 2"
    assert second.uom == "EA" and second.line_number == 2 and second.upc == ""
    assert inv.lines_total == Decimal("553.98")


def test_header_synonyms_case_space_punctuation():
    header = "Store Number,Invoice No,Date,Line,SKU,Item Description,Vendor Name,Category Name,Pack,Bottle Volume (ml),Bottles Sold,Price,Sale (Dollars)\n"
    doc = parse_csv(csv_bytes("4617,INV-9,09/04/2018,1,26826,JACK DANIELS,BROWN FORMAN,TENNESSEE WHISKIES,12,750,4,$23.36,$93.44", header=header))
    inv = doc.invoices[0]
    assert (inv.account_number, inv.invoice_number, inv.invoice_date) == ("4617", "INV-9", date(2018, 9, 4))
    line = inv.lines[0]
    assert line.distributor_sku == "26826" and line.description == "JACK DANIELS"
    assert line.brand == "BROWN FORMAN" and line.category == "TENNESSEE WHISKIES"
    assert line.units_per_case == 12 and line.volume_ml == Decimal("750")
    assert (line.quantity, line.uom) == (Decimal(4), "EA")
    assert line.unit_price == Decimal("23.36") and line.extended_amount == Decimal("93.44")


def test_item_number_synonym_and_snake_case():
    header = "account_number,INVOICE_NUMBER,invoice_date,Item_Number,description,pack,qty,UOM,invoiced_unit_price,sale_dollars\n"
    doc = parse_csv(csv_bytes("A1,X1,2024-01-05,555,GIN,6,1,case,100.00,100.00", header=header))
    line = doc.invoices[0].lines[0]
    assert line.distributor_sku == "555" and line.uom == "CS" and line.line_number == 1


def test_missing_required_columns():
    header = "account_number,invoice_date,distributor_sku,description,units_per_case,uom,unit_price\n"
    with pytest.raises(FeedParseError) as exc:
        parse_csv(csv_bytes("A1,2024-01-01,1,X,12,CS,1", header=header))
    assert "missing required column(s): invoice_number, quantity" in str(exc.value)


def test_empty_file_is_an_error():
    with pytest.raises(FeedParseError):
        parse_csv(b"")
    with pytest.raises(FeedParseError):
        parse_csv(b"\xef\xbb\xbf\n\n")


def test_broken_rows_error_on_their_invoice_only():
    doc = parse_csv(
        csv_bytes(
            "A1,GOOD-1,2024-03-01,,1,100,,VODKA,,,,12,1,CS,10.00,,,,",  # row 2
            "A1,BAD-1,2024-03-01,,1,101,,RUM,,,,12,abc,CS,10.00,,,,",  # row 3: quantity
            "A1,BAD-1,2024-13-45,,2,102,,GIN,,,,12,1,CS,10.00,,,,",  # row 4: date
            "A1,BAD-2,2024-03-01,,1,,,TEQUILA,,,,12,1,CS,x1,,,,",  # row 5: sku + price
            "A1,BAD-3,2024-03-01,,1,104,,WHISKEY",  # row 6: wrong column count
            "A1,COMMA-1,03/02/2024,,1,105,,BRANDY,,,,12,$1,234.50,EA,,,,,",  # row 7: unquoted comma
            'A1,GOOD-3,03/02/2024,,1,105,,BRANDY,,,,12,"$1,234.50",EA,2.00,,,,',  # row 8
            "A1,BAD-4,2024-03-01,,1,106,,MEZCAL,,,,twelve,1,KEG,10.00,,,,",  # row 9: pack + uom
        )
    )
    by_number = {inv.invoice_number: inv for inv in doc.invoices}
    assert list(by_number) == ["GOOD-1", "BAD-1", "BAD-2", "BAD-3", "COMMA-1", "GOOD-3", "BAD-4"]
    assert by_number["GOOD-1"].errors == []
    assert by_number["GOOD-3"].errors == []
    assert by_number["GOOD-3"].lines[0].quantity == Decimal("1234.50")
    assert by_number["GOOD-3"].invoice_date == date(2024, 3, 2)
    assert by_number["BAD-1"].errors == [
        "row 3: quantity 'abc' is not a number",
        "row 4: invoice_date '2024-13-45' is not a date (YYYY-MM-DD or MM/DD/YYYY)",
    ]
    assert len(by_number["BAD-1"].lines) == 2  # kept, visible, held back by its errors
    assert by_number["BAD-2"].errors == [
        "row 5: unit_price 'x1' is not a number",
        "row 5: distributor_sku is empty",
    ]
    assert by_number["BAD-3"].errors[0] == "row 6: has 8 columns, the header has 19"
    assert by_number["COMMA-1"].errors[0] == "row 7: has 20 columns, the header has 19"
    assert "row 9: units_per_case 'twelve' is not a number" in by_number["BAD-4"].errors
    assert "row 9: uom 'KEG' is not a unit of measure (CS or EA)" in by_number["BAD-4"].errors


def test_rows_of_one_invoice_must_agree_on_header_fields():
    doc = parse_csv(
        csv_bytes(
            "A1,INV-1,2024-03-01,,1,100,,VODKA,,,,12,1,CS,10.00,,,,",
            "A2,INV-1,2024-03-01,,2,101,,RUM,,,,12,1,CS,10.00,,,,",
        )
    )
    assert doc.invoices[0].errors == ["row 3: account_number 'A2' differs from 'A1' on row 2"]


def test_bom_and_mm_dd_yyyy():
    data = b"\xef\xbb\xbf" + csv_bytes("A1,INV-1,09/04/2018,09/05/2018,1,100,,VODKA,,,,12,1,CS,10.00,,,,")
    doc = parse_csv(data)
    inv = doc.invoices[0]
    assert inv.account_number == "A1"  # first header not spoiled by the BOM
    assert inv.invoice_date == date(2018, 9, 4) and inv.delivery_date == date(2018, 9, 5)
    assert not inv.errors


def test_windows_1252_is_read_with_a_warning():
    data = csv_bytes("A1,INV-1,2024-03-01,,1,100,,CAFÉ LIQUEUR,,,,12,1,CS,10.00,,,,").decode().encode("cp1252")
    doc = parse_csv(data)
    assert doc.invoices[0].lines[0].description == "CAFÉ LIQUEUR"
    assert any("Windows-1252" in w for w in doc.warnings)


def test_credit_memo():
    doc = parse_csv(
        csv_bytes(
            "A1,CM-1,2024-03-01,,1,100,,VODKA,,,,12,-2,EA,10.00,-20.00,,,",
            "A1,CM-1,2024-03-01,,2,101,,RUM,,,,12,-1,EA,10.00,-10.00,,,",
            "A1,RINV-5,2024-03-01,,1,100,,VODKA,,,,12,3,EA,10.00,30.00,,,",
            "A1,MIX-1,2024-03-01,,1,100,,VODKA,,,,12,3,EA,10.00,30.00,,,",
            "A1,MIX-1,2024-03-01,,2,101,,RUM,,,,12,-1,EA,10.00,-10.00,,,",
        )
    )
    flags = {inv.invoice_number: inv.is_credit_memo for inv in doc.invoices}
    assert flags == {"CM-1": True, "RINV-5": True, "MIX-1": False}
    assert doc.invoices[0].lines_total == Decimal("-30.00")


def test_grouping_several_invoices_and_distributors():
    header = "distributor_code,distributor_name,account_number,invoice_number,invoice_date,line_number,distributor_sku,description,units_per_case,quantity,uom,unit_price\n"
    doc = parse_csv(
        csv_bytes(
            "SG,Southern Glazer's,A1,1001,2024-03-01,1,10,VODKA,12,1,CS,100",
            "BB,Breakthru Beverage,B7,1001,2024-03-01,1,90,RUM,12,1,CS,90",
            "SG,Southern Glazer's,A1,1001,2024-03-01,2,11,GIN,12,2,CS,110",
            "SG,Southern Glazer's,A1,1002,2024-03-02,1,12,TEQUILA,6,3,EA,30",
            "BB,Breakthru Beverage,B7,1001,2024-03-01,2,91,MEZCAL,6,1,EA,40",
            header=header,
        )
    )
    keys = [(inv.distributor_code, inv.invoice_number, len(inv.lines)) for inv in doc.invoices]
    assert keys == [("SG", "1001", 2), ("BB", "1001", 2), ("SG", "1002", 1)]
    assert doc.invoices[1].distributor_name == "Breakthru Beverage"
    assert doc.invoices[1].account_number == "B7"
    assert [line.distributor_sku for line in doc.invoices[0].lines] == ["10", "11"]
    assert all(not inv.errors for inv in doc.invoices)


def test_invoice_item_number_is_split():
    header = "Invoice/Item Number,Date,Store Number,Item Number,Item Description,Pack,Bottles Sold,State Bottle Retail\n"
    doc = parse_csv(
        csv_bytes(
            "INV-50859700001,09/01/2022,6345,26827,JACK,12,12,30.41",
            "INV-50859700002,09/01/2022,6345,10807,CROWN,12,12,26.24",
            "RINV-0123400001,09/02/2022,6345,10807,CROWN,12,-1,26.24",
            "X1,09/02/2022,6345,10807,CROWN,12,1,26.24",
            header=header,
        )
    )
    numbers = [(inv.invoice_number, [line.line_number for line in inv.lines]) for inv in doc.invoices]
    assert numbers[:2] == [("INV-50859700", [1, 2]), ("RINV-0123400", [1])]
    assert doc.invoices[1].is_credit_memo
    assert doc.invoices[2].invoice_number == ""
    assert "row 5: Invoice/Item Number 'X1' does not end in a 3-digit line number" in doc.invoices[2].errors


def test_value_helpers():
    assert parse_decimal("$1,234.50") == Decimal("1234.50")
    assert parse_decimal("(12.50)") == Decimal("-12.50")
    assert parse_decimal("-$3.00") == Decimal("-3.00")
    with pytest.raises(ValueError, match="'abc' is not a number"):
        parse_decimal("abc")
    with pytest.raises(ValueError):
        parse_decimal("NaN")
    assert [normalize_uom(u) for u in ("CS", "ca", "Case", "EA", "BT", "btl", "each", "unit", "")] == ["CS"] * 3 + ["EA"] * 6


def test_detect_format():
    assert detect_format(b"ISA*00*          *00*") == "edi810"
    assert detect_format(b"\xef\xbb\xbf\r\nISA|00|") == "edi810"
    assert detect_format(b'  {"invoices": []}') == "json"
    assert detect_format(csv_bytes()) == "csv"
    assert detect_format(b"\xef\xbb\xbf" + csv_bytes()) == "csv"
    for junk in (b"%PDF-1.7\n%\xe2\xe3\x00\x00", b"\x89PNG\r\n\x1a\n\x00\x00", b"just some words"):
        with pytest.raises(FeedParseError, match="not a CSV, JSON or X12 file"):
            detect_format(junk, "upload.csv")


@pytest.mark.skipif(not IOWA_RAW.exists(), reason="shared data not available")
def test_iowa_raw_sample():
    data = IOWA_RAW.read_bytes()
    assert detect_format(data) == "csv"
    doc = parse_csv(data)
    assert sum(len(inv.lines) for inv in doc.invoices) == 999
    assert len(doc.invoices) == 857  # Invoice/Item Number minus its last 3 digits
    assert all(not inv.errors for inv in doc.invoices)
    first = doc.invoices[0]
    assert (first.invoice_number, first.invoice_date, first.account_number) == ("INV-14210900", date(2018, 9, 4), "4617")
    line = first.lines[0]
    assert line.line_number == 3
    assert line.distributor_sku == "26826"
    assert line.description == "JACK DANIELS OLD #7 BLACK LBL"
    assert line.brand == "BROWN FORMAN CORP."
    assert line.category == "TENNESSEE WHISKIES"  # Category Name, not the numeric Category
    assert (line.units_per_case, line.volume_ml) == (12, Decimal("750"))
    assert (line.quantity, line.uom) == (Decimal("4"), "EA")
    assert (line.unit_price, line.extended_amount) == (Decimal("23.36"), Decimal("93.44"))
    for inv in doc.invoices:
        for ln in inv.lines:
            assert ln.distributor_sku and ln.description and ln.units_per_case and ln.volume_ml
            assert ln.quantity > 0 and ln.unit_price is not None
    # real name drift: one SKU, two descriptions
    names = {ln.description for inv in doc.invoices for ln in inv.lines if ln.distributor_sku == "26826"}
    assert {"JACK DANIELS OLD #7 BLACK LBL", "JACK DANIELS OLD #7 BLACK LABEL"} <= names


@pytest.mark.skipif(not IOWA_LINES.exists(), reason="shared data not available")
def test_iowa_invoice_lines_slice():
    with IOWA_LINES.open("rb") as f:
        data = b"".join(islice(f, 501))  # header + 500 rows
    doc = parse_csv(data)
    assert len(doc.invoices) == 20
    assert sum(len(inv.lines) for inv in doc.invoices) == 500
    assert all(not inv.errors for inv in doc.invoices)
    first = doc.invoices[0]
    assert (first.invoice_number, first.account_number, first.invoice_date) == ("INV-50859700", "6345", date(2022, 9, 1))
    line = first.lines[0]
    assert (line.line_number, line.distributor_sku) == (1, "26827")
    assert line.description == "JACK DANIELS OLD #7 BLACK LABEL" and line.brand == "BROWN FORMAN CORP."
    assert (line.units_per_case, line.volume_ml) == (12, Decimal("1000"))
    assert (line.quantity, line.uom, line.unit_price, line.extended_amount) == (
        Decimal("12"), "EA", Decimal("30.41"), Decimal("364.92"),
    )  # fmt: skip
    assert [ln.line_number for ln in first.lines] == list(range(1, len(first.lines) + 1))


@pytest.mark.skipif(not IOWA_LINES.exists(), reason="shared data not available")
def test_iowa_invoice_lines_full_file_credit_memos():
    doc = parse_csv(IOWA_LINES.read_bytes())
    assert len(doc.invoices) == 1525
    assert sum(inv.is_credit_memo for inv in doc.invoices) == 32
    assert all(not inv.errors for inv in doc.invoices)
