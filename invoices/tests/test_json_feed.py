"""JSON invoice feed page: pure parsing, no database."""

import json
from datetime import date
from decimal import Decimal

import pytest

from invoices.feeds import detect_format
from invoices.feeds.document import FeedParseError
from invoices.feeds.json_feed import parse_json_page


def line(**overrides):
    base = {
        "line_number": 1, "distributor_sku": "26827", "upc": "082184090466",
        "description": "JACK DANIELS OLD #7 BLK 750ML", "size": "750ML", "units_per_case": 12,
        "quantity": "2", "uom": "CS", "unit_price": "243.24",
    }  # fmt: skip
    base.update(overrides)
    return base


def invoice(number="INV-1", lines=None, **overrides):
    base = {
        "invoice_number": number, "invoice_date": "2024-03-01", "account_number": "A100",
        "delivery_date": "2024-03-02",
        "sales_rep": {"name": "Pat Rep", "email": "pat@dist.example", "phone": "515-555-0100"},
        "lines": lines if lines is not None else [line()],
    }  # fmt: skip
    base.update(overrides)
    return base


def page(invoices, next_cursor=None, **extra) -> bytes:
    body = {"invoices": invoices, **extra}
    if next_cursor is not None:
        body["next_cursor"] = next_cursor
    return json.dumps(body, indent=2).encode()


def test_page_with_two_invoices_and_a_cursor():
    data = page(
        [invoice("INV-1"), invoice("INV-2", [line(), line(line_number=2, distributor_sku="64866", quantity=5, uom="BT", unit_price="13.50")])],
        next_cursor="c-0002",
    )
    assert detect_format(data) == "json"
    doc = parse_json_page(data)
    assert doc.format == "json" and doc.next_cursor == "c-0002"
    assert [inv.invoice_number for inv in doc.invoices] == ["INV-1", "INV-2"]
    first = doc.invoices[0]
    assert (first.invoice_date, first.delivery_date, first.account_number) == (date(2024, 3, 1), date(2024, 3, 2), "A100")
    assert first.sales_rep.name == "Pat Rep" and first.sales_rep.email == "pat@dist.example"
    assert not first.errors and not first.is_credit_memo
    ln = first.lines[0]
    assert (ln.distributor_sku, ln.upc, ln.size, ln.units_per_case) == ("26827", "082184090466", "750ML", 12)
    assert (ln.quantity, ln.uom, ln.unit_price) == (Decimal(2), "CS", Decimal("243.24"))
    second = doc.invoices[1].lines[1]
    assert (second.line_number, second.quantity, second.uom, second.unit_price) == (2, Decimal(5), "EA", Decimal("13.50"))


@pytest.mark.parametrize("cursor_part", ["", ', "next_cursor": null', ', "next_cursor": ""'])
def test_last_page_has_no_cursor(cursor_part):
    doc = parse_json_page(('{"invoices": []' + cursor_part + "}").encode())
    assert doc.next_cursor is None and doc.invoices == []


def test_invalid_json_names_line_and_column():
    with pytest.raises(FeedParseError) as exc:
        parse_json_page(b'{"invoices": [\n  {"invoice_number": "1",}\n]}')
    assert exc.value.place == "line 2, column 26"
    assert str(exc.value).startswith("line 2, column 26: invalid JSON")


@pytest.mark.parametrize(
    "data, message",
    [
        (b'{"next_cursor": "x"}', "invoices: missing"),
        (b'{"invoices": {"a": 1}}', "invoices: must be a list, not an object"),
        (b"[1, 2]", "$: the page must be an object"),
        (b'{"invoices": [], "next_cursor": {"a": 1}}', "next_cursor: must be a string"),
        (b"\xff\xfe\x00", "not UTF-8"),
    ],
)
def test_wrong_page_shape(data, message):
    with pytest.raises(FeedParseError) as exc:
        parse_json_page(data)
    assert message in str(exc.value)


def test_bad_lines_named_by_json_path_on_their_invoice_only():
    bad_lines = [line(), line(line_number=2), line(line_number=3, quantity="x"), line(line_number=4, distributor_sku="")]
    del bad_lines[1]["distributor_sku"]
    data = page([invoice("OK-1"), invoice("OK-2"), invoice("OK-3"), invoice("BAD-4", bad_lines), "nope", invoice("OK-6", invoice_date="03/01/2024")])
    doc = parse_json_page(data)
    assert [inv.invoice_number for inv in doc.invoices] == ["OK-1", "OK-2", "OK-3", "BAD-4", "", "OK-6"]
    assert doc.invoices[3].errors == [
        "invoices[3].lines[1].distributor_sku: missing",
        "invoices[3].lines[2].quantity: 'x' is not a number",
        "invoices[3].lines[3].distributor_sku: missing",
    ]
    assert len(doc.invoices[3].lines) == 4
    assert doc.invoices[4].errors == ["invoices[4]: must be an object, not a string"]
    for i in (0, 1, 2, 5):
        assert doc.invoices[i].errors == []
    assert doc.invoices[5].invoice_date == date(2024, 3, 1)


def test_bad_invoice_fields():
    data = page(
        [
            invoice("I1", invoice_date="2024-02-30", lines=[line(uom="KEG", units_per_case="12.5")]),
            {"invoice_number": 7, "invoice_date": "2024-03-01", "account_number": "A1", "lines": []},
            {"invoice_date": "2024-03-01", "account_number": "A1", "sales_rep": "Pat", "lines": [line(quantity=True)]},
        ]
    )
    doc = parse_json_page(data)
    assert doc.invoices[0].errors == [
        "invoices[0].invoice_date: '2024-02-30' is not a date (YYYY-MM-DD or MM/DD/YYYY)",
        "invoices[0].lines[0].units_per_case: '12.5' is not a whole number",
        "invoices[0].lines[0].uom: 'KEG' is not a unit of measure (CS or EA)",
    ]
    assert doc.invoices[1].invoice_number == "7"
    assert doc.invoices[1].errors == ["invoices[1].lines: the invoice has no lines"]
    assert doc.invoices[2].errors == [
        "invoices[2].invoice_number: missing",
        "invoices[2].sales_rep: must be an object, not a string",
        "invoices[2].lines[0].quantity: True is not a number",
    ]


def test_decimal_exactness():
    data = b'{"invoices": [{"invoice_number": "1", "invoice_date": "2024-03-01", "account_number": "A",' \
        b' "lines": [{"distributor_sku": "1", "quantity": 0.1, "unit_price": 243.24, "extended_amount": "1,000.10"},' \
        b' {"distributor_sku": "2", "quantity": "3", "unit_price": "243.24"}]}]}'
    lines = parse_json_page(data).invoices[0].lines
    assert lines[0].unit_price == Decimal("243.24") and isinstance(lines[0].unit_price, Decimal)
    assert str(lines[0].unit_price) == "243.24"
    assert lines[0].quantity == Decimal("0.1")
    assert lines[0].extended_amount == Decimal("1000.10")
    assert lines[1].unit_price == Decimal("243.24") and lines[1].line_number == 2
    assert parse_json_page(data).invoices[0].lines_total == Decimal("1000.10") + Decimal("729.72")


def test_credit_memo_and_bom():
    data = b"\xef\xbb\xbf" + page([invoice("CM-1", [line(quantity="-2"), line(line_number=2, quantity=-1)]), invoice("RINV-7")])
    doc = parse_json_page(data)
    assert [inv.is_credit_memo for inv in doc.invoices] == [True, True]
    assert doc.invoices[0].lines[0].quantity == Decimal(-2)
