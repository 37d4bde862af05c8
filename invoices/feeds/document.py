"""The normalized invoice every feed format parses into (see shared/formats/invoice-feeds.md).

Parsers are pure: bytes in, `ParsedDocument` out, no database. A problem that spoils one
invoice is recorded on it (`ParsedInvoice.errors`) so the other invoices of the document still
go through; a problem that spoils the whole document raises `FeedParseError`. Every message
names the place (row, line, segment) and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


class FeedParseError(Exception):
    """The document as a whole cannot be read. The message names the place and the reason."""

    def __init__(self, message: str, *, place: str = ""):
        super().__init__(f"{place}: {message}" if place else message)
        self.place = place
        self.reason = message


@dataclass
class SalesRepInfo:
    name: str = ""
    email: str = ""
    phone: str = ""


@dataclass
class Charge:
    """An allowance (negative) or charge (positive) from an EDI SAC segment or a CSV column."""

    code: str
    description: str
    amount: Decimal


@dataclass
class ParsedLine:
    line_number: int
    distributor_sku: str = ""
    upc: str = ""
    description: str = ""
    brand: str = ""
    category: str = ""
    size: str = ""  # as written, e.g. 750ML; parse with items.sizes.parse_size
    volume_ml: Decimal | None = None
    units_per_case: int | None = None
    quantity: Decimal = Decimal(0)  # in `uom`; negative on a credit memo
    uom: str = "EA"  # CS (cases) or EA (units); BT/BTL/CA are normalized to these
    unit_price: Decimal | None = None  # per `uom`
    extended_amount: Decimal | None = None
    charges: list[Charge] = field(default_factory=list)
    place: str = ""  # where it came from: "row 14", "segment 23 (IT1)"

    @property
    def quantity_in_units(self) -> Decimal:
        if self.uom == "CS":
            return self.quantity * (self.units_per_case or 1)
        return self.quantity


@dataclass
class ParsedInvoice:
    invoice_number: str
    invoice_date: date | None
    account_number: str = ""
    delivery_date: date | None = None
    distributor_name: str = ""
    distributor_code: str = ""
    sales_rep: SalesRepInfo | None = None
    total: Decimal | None = None  # as stated by the document (EDI TDS), to check the lines against
    is_credit_memo: bool = False
    lines: list[ParsedLine] = field(default_factory=list)
    charges: list[Charge] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # this invoice can't be used; others can
    warnings: list[str] = field(default_factory=list)  # usable, but flag it (e.g. total mismatch)
    place: str = ""

    @property
    def lines_total(self) -> Decimal:
        total = Decimal(0)
        for line in self.lines:
            if line.extended_amount is not None:
                total += line.extended_amount
            elif line.unit_price is not None:
                total += line.quantity * line.unit_price
        return total


@dataclass
class ParsedDocument:
    format: str  # csv / json / edi810
    invoices: list[ParsedInvoice] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    next_cursor: str | None = None  # JSON feeds
    transaction_sets: list[str] = field(default_factory=list)  # EDI: the ST01 codes seen
