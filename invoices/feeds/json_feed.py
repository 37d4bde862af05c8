"""JSON invoice feed (shared/formats/invoice-feeds.md, section 2): one page of
`GET {base_url}/invoices?since={cursor}` -> `ParsedDocument`.

    {"invoices": [{"invoice_number": ..., "invoice_date": "YYYY-MM-DD", "account_number": ...,
                   "delivery_date": ..., "sales_rep": {...}, "lines": [{...}, ...]}, ...],
     "next_cursor": "..."}

Numbers are read as `Decimal` (never float). Invalid JSON or a page of the wrong shape raises
`FeedParseError`; a problem inside one invoice is recorded on that invoice (`errors`), each
message naming its JSON path, e.g. `invoices[3].lines[2].quantity: 'x' is not a number`.
"""

from __future__ import annotations

import json
from decimal import Decimal

from invoices.feeds.csv_feed import is_credit_memo, normalize_uom, parse_date, parse_decimal, parse_int
from invoices.feeds.document import FeedParseError, ParsedDocument, ParsedInvoice, ParsedLine, SalesRepInfo


def parse_json_page(data: bytes) -> ParsedDocument:
    try:
        page = json.loads(data, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise FeedParseError(f"invalid JSON: {exc.msg}", place=f"line {exc.lineno}, column {exc.colno}") from None
    except UnicodeDecodeError as exc:
        raise FeedParseError(f"not UTF-8 text ({exc.reason})", place=f"byte {exc.start}") from None
    if not isinstance(page, dict):
        raise FeedParseError(f"the page must be an object with \"invoices\", not {_kind(page)}", place="$")
    if "invoices" not in page:
        raise FeedParseError("missing (the page must have an \"invoices\" list)", place="invoices")
    raw_invoices = page["invoices"]
    if not isinstance(raw_invoices, list):
        raise FeedParseError(f"must be a list, not {_kind(raw_invoices)}", place="invoices")
    cursor = page.get("next_cursor")
    if cursor is not None and not isinstance(cursor, (str, int)) or isinstance(cursor, bool):
        raise FeedParseError(f"must be a string, not {_kind(cursor)}", place="next_cursor")
    document = ParsedDocument(format="json", next_cursor=str(cursor) if cursor not in (None, "") else None)
    document.invoices = [_invoice(raw, f"invoices[{i}]") for i, raw in enumerate(raw_invoices)]
    return document


def _kind(value) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(type(value), "a number")


class _Reader:
    """Reads fields of one JSON object, collecting errors named by their path."""

    def __init__(self, obj: dict, path: str, errors: list[str]):
        self.obj, self.path, self.errors = obj, path, errors

    def fail(self, key: str, reason: str) -> None:
        self.errors.append(f"{self.path}.{key}: {reason}")

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.obj.get(key)
        if value is None or value == "":
            if required:
                self.fail(key, "missing")
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            self.fail(key, f"must be a string, not {_kind(value)}")
            return ""
        return str(value).strip()

    def parsed(self, key: str, parse, *, required: bool = False):
        value = self.obj.get(key)
        if value is None or value == "":
            if required:
                self.fail(key, "missing")
            return None
        try:
            return parse(value)
        except ValueError as exc:
            self.fail(key, str(exc))
            return None


def _invoice(raw, path: str) -> ParsedInvoice:
    if not isinstance(raw, dict):
        return ParsedInvoice(
            invoice_number="", invoice_date=None, place=path, errors=[f"{path}: must be an object, not {_kind(raw)}"]
        )
    errors: list[str] = []
    r = _Reader(raw, path, errors)
    invoice = ParsedInvoice(
        invoice_number=r.text("invoice_number", required=True),
        invoice_date=r.parsed("invoice_date", parse_date, required=True),
        account_number=r.text("account_number", required=True),
        delivery_date=r.parsed("delivery_date", parse_date),
        distributor_name=r.text("distributor_name"),
        distributor_code=r.text("distributor_code"),
        total=r.parsed("total", parse_decimal),
        place=path,
        errors=errors,
    )
    rep = raw.get("sales_rep")
    if isinstance(rep, dict):
        rr = _Reader(rep, f"{path}.sales_rep", errors)
        info = SalesRepInfo(name=rr.text("name"), email=rr.text("email"), phone=rr.text("phone"))
        invoice.sales_rep = info if (info.name or info.email or info.phone) else None
    elif rep is not None:
        r.fail("sales_rep", f"must be an object, not {_kind(rep)}")
    lines = raw.get("lines")
    if lines is None:
        r.fail("lines", "missing")
    elif not isinstance(lines, list):
        r.fail("lines", f"must be a list, not {_kind(lines)}")
    elif not lines:
        r.fail("lines", "the invoice has no lines")
    else:
        for i, raw_line in enumerate(lines):
            line = _line(raw_line, f"{path}.lines[{i}]", i + 1, errors)
            if line is not None:
                invoice.lines.append(line)
    invoice.is_credit_memo = is_credit_memo(invoice)
    return invoice


def _line(raw, path: str, position: int, errors: list[str]) -> ParsedLine | None:
    if not isinstance(raw, dict):
        errors.append(f"{path}: must be an object, not {_kind(raw)}")
        return None
    r = _Reader(raw, path, errors)
    quantity = r.parsed("quantity", parse_decimal, required=True)
    line_number = r.parsed("line_number", parse_int)
    return ParsedLine(
        line_number=line_number if line_number is not None else position,
        distributor_sku=r.text("distributor_sku", required=True),
        upc=r.text("upc"),
        description=r.text("description"),
        brand=r.text("brand"),
        category=r.text("category"),
        size=r.text("size"),
        volume_ml=r.parsed("volume_ml", parse_decimal),
        units_per_case=r.parsed("units_per_case", parse_int),
        quantity=quantity if quantity is not None else Decimal(0),
        uom=r.parsed("uom", normalize_uom) or "EA",
        unit_price=r.parsed("unit_price", parse_decimal, required=True),
        extended_amount=r.parsed("extended_amount", parse_decimal),
        place=path,
    )
