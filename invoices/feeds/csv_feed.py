"""CSV invoice feed (shared/formats/invoice-feeds.md, section 1) -> `ParsedDocument`.

One row is one invoice line; rows are grouped into invoices by (distributor, invoice_number),
in the order the invoices first appear. Headers are matched case-, space- and
punctuation-insensitively, with synonyms where they are unambiguous (the Iowa ABD exports:
`Item Number`, `Pack`, `Bottle Volume (ml)`, `Bottles Sold`, `Invoice/Item Number`, ...).

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2.
A broken row (bad date or number, empty SKU, wrong column count) puts an error on its own invoice,
which is still returned (so it is visible and held back); the other invoices are unaffected.
A file whose header lacks required columns raises `FeedParseError`.

The value helpers (`parse_decimal`, `parse_int`, `parse_date`, `normalize_uom`) are shared with
the JSON feed; they raise `ValueError` whose message is the reason, e.g. "'abc' is not a number".
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from invoices.feeds.document import FeedParseError, ParsedDocument, ParsedInvoice, ParsedLine, SalesRepInfo
from items.importing.reading import _decode, _dialect

# --- values ---------------------------------------------------------------------------------

_UOM = {
    "CS": "CS", "CA": "CS", "CASE": "CS", "CASES": "CS",
    "EA": "EA", "BT": "EA", "BTL": "EA", "BTLS": "EA", "BOTTLE": "EA", "BOTTLES": "EA",
    "EACH": "EA", "UNIT": "EA", "UNITS": "EA",
}  # fmt: skip


def parse_decimal(value) -> Decimal:
    """A number written as text or given as int/Decimal: "12", "-3", "$1,234.50", "(12.50)"."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"'{value}' is not a number")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a number")
    text = value.strip()
    cleaned = text.replace("$", "").replace(",", "").replace(" ", "")
    negative = False
    if cleaned.startswith("(") and cleaned.endswith(")"):  # accounting negative
        negative, cleaned = True, cleaned[1:-1]
    if cleaned.startswith("-$"):
        cleaned = "-" + cleaned[2:]
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"'{text}' is not a number") from None
    if not number.is_finite() or not cleaned:
        raise ValueError(f"'{text}' is not a number")
    return -number if negative else number


def parse_int(value) -> int:
    number = parse_decimal(value)
    if number != number.to_integral_value():
        raise ValueError(f"'{value}' is not a whole number")
    return int(number)


def parse_date(value) -> date:
    """YYYY-MM-DD (a time part after it is ignored) or MM/DD/YYYY."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD or MM/DD/YYYY)")
    text = value.strip()
    candidate = text.split("T", 1)[0].split(" ", 1)[0]
    for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(candidate, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"'{text}' is not a date (YYYY-MM-DD or MM/DD/YYYY)")


def normalize_uom(value) -> str:
    """CS/CA/CASE -> "CS"; EA/BT/BTL/EACH/UNIT -> "EA"; empty -> "EA"."""
    text = str(value or "").strip().upper().rstrip(".")
    if not text:
        return "EA"
    if text not in _UOM:
        raise ValueError(f"'{value}' is not a unit of measure (CS or EA)")
    return _UOM[text]


def is_credit_memo(invoice: ParsedInvoice) -> bool:
    if invoice.invoice_number.upper().startswith("RINV-"):
        return True
    return bool(invoice.lines) and all(line.quantity < 0 for line in invoice.lines)


# --- headers --------------------------------------------------------------------------------

# Field -> accepted headers, normalized (lowercase letters and digits only), best first. When a
# file has several headers of one field, the earliest in this list wins (e.g. `Category Name`
# over Iowa's numeric `Category`; `invoice_number` over `Invoice/Item Number`).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "account_number": ("accountnumber", "accountno", "account", "customernumber", "customerno",
                       "customeraccount", "storenumber", "storeno"),
    "invoice_number": ("invoicenumber", "invoiceno", "invoice", "invoiceid"),
    "invoice_item_number": ("invoiceitemnumber",),  # Iowa: invoice number + 3-digit line number
    "invoice_date": ("invoicedate", "date"),
    "delivery_date": ("deliverydate", "shipdate"),
    "line_number": ("linenumber", "lineno", "line"),
    "distributor_sku": ("distributorsku", "sku", "itemnumber", "itemno", "itemcode", "productcode"),
    "upc": ("upc", "gtin", "upccode"),
    "description": ("description", "itemdescription", "catitemdescription", "productdescription"),
    "brand": ("brand", "vendorname", "catvendorname"),
    "category": ("categoryname", "category", "catcategoryname"),
    "size": ("size", "itemsize"),
    "volume_ml": ("volumeml", "bottlevolumeml", "catbottlevolumeml"),
    "units_per_case": ("unitspercase", "pack", "catpack", "casepack", "packsize"),
    "quantity": ("quantity", "qty", "bottlessold"),
    "uom": ("uom", "unitofmeasure"),
    "unit_price": ("unitprice", "invoicedunitprice", "statebottleretail", "price"),
    "extended_amount": ("extendedamount", "extendedprice", "saledollars", "linetotal", "amount"),
    "distributor_name": ("distributorname", "distributor"),
    "distributor_code": ("distributorcode",),
    "sales_rep_name": ("salesrepname", "salesrep", "repname"),
    "sales_rep_email": ("salesrepemail", "repemail"),
    "sales_rep_phone": ("salesrepphone", "repphone"),
}  # fmt: skip

# Required by the format. `invoice_number` may come from `Invoice/Item Number`; `line_number`
# defaults to the position in the invoice and `uom` to EA (Iowa's `Bottles Sold` is in bottles).
REQUIRED = ("account_number", "invoice_number", "invoice_date", "distributor_sku", "description",
            "units_per_case", "quantity", "unit_price")  # fmt: skip


def normalize_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.casefold())


@dataclass
class _Columns:
    index: dict[str, int]  # field -> column position
    header: dict[str, str]  # field -> the header as written in the file
    ignored: list[str]


def map_headers(headers: list[str]) -> _Columns:
    by_name: dict[str, int] = {}
    for i, header in enumerate(headers):
        by_name.setdefault(normalize_header(header), i)
    index: dict[str, int] = {}
    for field_name, names in SYNONYMS.items():
        for name in names:
            if name in by_name:
                index[field_name] = by_name[name]
                break
    used = set(index.values())
    ignored = [h for i, h in enumerate(headers) if i not in used and h.strip()]
    return _Columns(index=index, header={f: headers[i].strip() for f, i in index.items()}, ignored=ignored)


# --- parsing --------------------------------------------------------------------------------


def _read_records(data: bytes) -> tuple[list[tuple[int, list[str]]], list[str]]:
    """(row number, cells) of every record, header first; plus notes about the encoding."""
    text, notes = _decode(data)
    if "\x00" in text:
        raise FeedParseError("the file is not text, so it is not a CSV file")
    first_line = text.split("\n", 1)[0]
    dialect = _dialect(text)
    if getattr(dialect, "delimiter", ",") not in ",;\t" or (
        "," in first_line and getattr(dialect, "delimiter", ",") not in first_line
    ):
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    records = []
    start = 1
    try:
        for cells in reader:
            records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FeedParseError(f"the CSV can't be read: {exc}", place=f"row {start}") from None
    return records, notes


def parse_csv(data: bytes) -> ParsedDocument:
    records, notes = _read_records(data)
    records = [(n, cells) for n, cells in records if any(c.strip() for c in cells)]
    if not records:
        raise FeedParseError("the file is empty: it has no header row")
    header_row, headers = records[0]
    columns = map_headers(headers)
    have = set(columns.index)
    if "invoice_item_number" in have:
        have |= {"invoice_number", "line_number"}
    missing = [f for f in REQUIRED if f not in have]
    if missing:
        raise FeedParseError(
            f"missing required column(s): {', '.join(missing)}"
            f" (the header row has: {', '.join(h for h in headers if h.strip())})",
            place=f"row {header_row}",
        )
    document = ParsedDocument(format="csv", warnings=list(notes))
    if columns.ignored:
        document.warnings.append(f"columns not used: {', '.join(columns.ignored)}")
    invoices: dict[tuple[str, str], ParsedInvoice] = {}
    for row_number, cells in records[1:]:
        _parse_row(row_number, cells, len(headers), columns, invoices, document)
    for invoice in invoices.values():
        invoice.is_credit_memo = is_credit_memo(invoice)
    document.invoices = list(invoices.values())
    return document


def _parse_row(
    row_number: int,
    cells: list[str],
    width: int,
    columns: _Columns,
    invoices: dict[tuple[str, str], ParsedInvoice],
    document: ParsedDocument,
) -> None:
    place = f"row {row_number}"
    errors: list[str] = []

    def cell(field_name: str) -> str:
        i = columns.index.get(field_name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    def fail(field_name: str, reason: str) -> None:
        errors.append(f"{place}: {columns.header.get(field_name, field_name)} {reason}")

    def value(field_name: str, parse, *, required: bool = False):
        text = cell(field_name)
        if not text:
            if required:
                fail(field_name, "is empty")
            return None
        try:
            return parse(text)
        except ValueError as exc:
            fail(field_name, str(exc))
            return None

    if len(cells) != width:
        errors.append(f"{place}: has {len(cells)} columns, the header has {width}")

    # Which invoice the row belongs to.
    invoice_number = cell("invoice_number")
    line_number = value("line_number", parse_int)
    if "invoice_item_number" in columns.index and (not invoice_number or line_number is None):
        combined = cell("invoice_item_number")
        if len(combined) > 3 and combined[-3:].isdigit():
            invoice_number = invoice_number or combined[:-3]
            line_number = line_number if line_number is not None else int(combined[-3:])
        elif not invoice_number:
            fail("invoice_item_number", f"'{combined}' does not end in a 3-digit line number")
    distributor_code, distributor_name = cell("distributor_code"), cell("distributor_name")
    header = {
        "invoice_date": value("invoice_date", parse_date, required=True),
        "delivery_date": value("delivery_date", parse_date),
        "account_number": value("account_number", str, required=True),
    }
    key = (distributor_code or distributor_name, invoice_number)
    invoice = invoices.get(key)
    if invoice is None:
        rep = SalesRepInfo(cell("sales_rep_name"), cell("sales_rep_email"), cell("sales_rep_phone"))
        invoice = ParsedInvoice(
            invoice_number=invoice_number,
            invoice_date=header["invoice_date"],
            delivery_date=header["delivery_date"],
            account_number=header["account_number"] or "",
            distributor_code=distributor_code,
            distributor_name=distributor_name,
            sales_rep=rep if (rep.name or rep.email or rep.phone) else None,
            place=place,
        )
        invoices[key] = invoice
        if not invoice_number:
            errors.append(f"{place}: the invoice number is empty, so the row belongs to no invoice")
            document.warnings.append(f"{place}: a row without an invoice number is held back")
    else:
        for field_name, this in header.items():
            first = getattr(invoice, field_name)
            if this is not None and first not in (None, "") and this != first:
                fail(field_name, f"'{cell(field_name)}' differs from '{first}' on {invoice.place}")

    quantity = value("quantity", parse_decimal, required=True)
    uom = "EA"
    if "uom" in columns.index:
        uom = value("uom", normalize_uom) or "EA"
    line = ParsedLine(
        line_number=line_number if line_number is not None else len(invoice.lines) + 1,
        distributor_sku=cell("distributor_sku"),
        upc=cell("upc"),
        description=cell("description"),
        brand=cell("brand"),
        category=cell("category"),
        size=cell("size"),
        volume_ml=value("volume_ml", parse_decimal),
        units_per_case=value("units_per_case", parse_int),
        quantity=quantity if quantity is not None else Decimal(0),
        uom=uom,
        unit_price=value("unit_price", parse_decimal, required=True),
        extended_amount=value("extended_amount", parse_decimal),
        place=place,
    )
    if not line.distributor_sku:
        fail("distributor_sku", "is empty")
    if not line.description:
        invoice.warnings.append(f"{place}: {columns.header['description']} is empty")
    invoice.lines.append(line)
    invoice.errors.extend(errors)
