"""ANSI X12 810 (and DEX/UCS 894) invoices: a small tokenizer plus a mapper to `ParsedDocument`.

Pure Python, no database. See shared/formats/invoice-feeds.md section 3.

`tokenize(data)` reads the delimiters from the ISA (or DXS) header, splits the interchange into
numbered segments and checks the envelope (ST/SE, GS/GE, ISA/IEA, DXS/DXE). A problem inside one
transaction set (SE count, control number, missing SE, an invalid segment) is recorded on that
set, so the other sets still go through; problems of the outer envelope (GE/IEA/DXE counts and
control numbers, a missing trailer) are recorded on the interchange and become document warnings,
since every set is already checked by its own SE. Data that is not X12 at all raises
`FeedParseError`.

`parse_810(data)` maps every ST*810 set to a `ParsedInvoice` (DEX 894 G82/G83 sets too); other
transaction sets are listed in `transaction_sets` and skipped with a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from .document import Charge, FeedParseError, ParsedDocument, ParsedInvoice, ParsedLine, SalesRepInfo

SEGMENT_ID = re.compile(r"^[A-Z][A-Z0-9]{1,2}$")
NEWLINE = "\n"


@dataclass
class Segment:
    position: int  # 1-based segment number in the interchange
    id: str
    elements: list[str]  # elements[0] is the segment id, so elements[1] is XX01

    def get(self, index: int) -> str:
        return self.elements[index].strip() if index < len(self.elements) else ""

    @property
    def place(self) -> str:
        return f"segment {self.position} ({self.id})"


@dataclass
class TransactionSet:
    code: str  # ST01, e.g. 810
    control_number: str  # ST02
    segments: list[Segment] = field(default_factory=list)  # ST .. SE inclusive
    errors: list[str] = field(default_factory=list)

    @property
    def place(self) -> str:
        return self.segments[0].place if self.segments else ""


@dataclass
class Interchange:
    kind: str  # "X12" or "DEX"
    element_separator: str
    component_separator: str
    segment_terminator: str  # "\n" when segments end at line breaks
    segments: list[Segment] = field(default_factory=list)
    transaction_sets: list[TransactionSet] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # envelope problems outside the sets


# --------------------------------------------------------------------------------- tokenizer


def _decode(data: bytes) -> str:
    if isinstance(data, str):
        text = data
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    return text.lstrip("\ufeff \t\r\n\x00")


def tokenize(data: bytes) -> Interchange:
    text = _decode(data)
    if not text:
        raise FeedParseError("empty file: not an X12 interchange")
    if text.startswith("ISA"):
        kind = "X12"
    elif text.startswith("DXS"):
        kind = "DEX"
    else:
        raise FeedParseError("no ISA segment: not an X12 interchange")
    if len(text) < 4 or text[3].isalnum() or text[3].isspace():
        raise FeedParseError(f"no element separator after {text[:3]}", place=f"segment 1 ({text[:3]})")
    sep = text[3]

    if kind == "X12":
        # ISA is fixed width (106 characters) but some senders do not pad the fields, so find
        # ISA16 as the element after the 16th separator; the terminator is the next character.
        pos = -1
        for _ in range(16):
            pos = text.find(sep, pos + 1)
            if pos < 0:
                raise FeedParseError("ISA has fewer than 16 elements", place="segment 1 (ISA)")
        if pos + 1 >= len(text):
            raise FeedParseError("ISA is cut short: no component separator (ISA16)", place="segment 1 (ISA)")
        component = text[pos + 1]
        terminator = text[pos + 2] if pos + 2 < len(text) else NEWLINE
        if terminator.isspace():  # newline (or a blank before the line break) ends each segment
            terminator = NEWLINE
        if terminator.isalnum() or terminator == sep:
            raise FeedParseError(
                f"segment terminator {terminator!r} after ISA16 is not a delimiter", place="segment 1 (ISA)"
            )
    else:
        component, terminator = "", NEWLINE

    pieces = re.split(r"\r\n|\r|\n", text) if terminator == NEWLINE else text.split(terminator)
    interchange = Interchange(kind, sep, component, terminator)
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        elements = piece.split(sep)
        seg_id = elements[0].strip()
        interchange.segments.append(Segment(len(interchange.segments) + 1, seg_id, elements))
    _check_envelope(interchange)
    return interchange


def _check_envelope(ic: Interchange) -> None:
    header_id, trailer_id = ("ISA", "IEA") if ic.kind == "X12" else ("DXS", "DXE")
    header = ic.segments[0]
    current: TransactionSet | None = None
    group: Segment | None = None
    group_sets = 0
    groups = 0
    sets_total = 0
    trailer: Segment | None = None

    def close_unfinished(at: Segment | None) -> None:
        nonlocal current
        if current is not None:
            where = f"before {at.place}" if at else "at the end of the file"
            current.errors.append(
                f"{current.place}: transaction set {current.control_number} has no SE {where}"
            )
            current = None

    for seg in ic.segments[1:]:
        if trailer is not None:
            ic.errors.append(f"{seg.place}: data after the {trailer_id} trailer")
            break
        if seg.id == "ST":
            close_unfinished(seg)
            current = TransactionSet(seg.get(1), seg.get(2), [seg])
            ic.transaction_sets.append(current)
            group_sets += 1
            sets_total += 1
            if ic.kind == "X12" and group is None:
                current.errors.append(f"{seg.place}: transaction set outside a GS functional group")
            continue
        if seg.id == "SE":
            if current is None:
                ic.errors.append(f"{seg.place}: SE without an ST")
                continue
            current.segments.append(seg)
            found = len(current.segments)
            stated = seg.get(1)
            if stated != str(found) and _int(stated) != found:
                current.errors.append(
                    f"{seg.place}: transaction set {current.control_number} says {stated or 'no'} segments,"
                    f" found {found}"
                )
            if seg.get(2) != current.control_number:
                current.errors.append(
                    f"{seg.place}: control number {seg.get(2)!r} does not match ST02"
                    f" {current.control_number!r} ({current.place})"
                )
            current = None
            continue
        if current is not None:
            if seg.id in ("GS", "GE", header_id, trailer_id):
                close_unfinished(seg)
            else:
                if not SEGMENT_ID.match(seg.id):
                    current.errors.append(f"{seg.place}: {seg.id[:30]!r} is not a valid segment id")
                current.segments.append(seg)
                continue
        # outside any transaction set
        if ic.kind == "X12" and seg.id == "GS":
            if group is not None:
                ic.errors.append(f"{seg.place}: functional group {group.get(6)} has no GE")
            group, group_sets = seg, 0
            groups += 1
        elif ic.kind == "X12" and seg.id == "GE":
            if group is None:
                ic.errors.append(f"{seg.place}: GE without a GS")
                continue
            if _int(seg.get(1)) != group_sets:
                ic.errors.append(
                    f"{seg.place}: functional group {group.get(6)} says {seg.get(1)} transaction sets,"
                    f" found {group_sets}"
                )
            if seg.get(2) != group.get(6):
                ic.errors.append(
                    f"{seg.place}: control number {seg.get(2)!r} does not match GS06 {group.get(6)!r}"
                )
            group = None
        elif seg.id == trailer_id:
            trailer = seg
            if ic.kind == "X12":
                if group is not None:
                    ic.errors.append(f"{seg.place}: functional group {group.get(6)} has no GE")
                    group = None
                if _int(seg.get(1)) != groups:
                    ic.errors.append(f"{seg.place}: interchange says {seg.get(1)} functional groups, found {groups}")
                if seg.get(2) != header.get(13):
                    ic.errors.append(
                        f"{seg.place}: control number {seg.get(2)!r} does not match ISA13 {header.get(13)!r}"
                    )
            else:
                if seg.get(1) != header.get(4):
                    ic.errors.append(
                        f"{seg.place}: control number {seg.get(1)!r} does not match DXS04 {header.get(4)!r}"
                    )
                if _int(seg.get(2)) != sets_total:
                    ic.errors.append(
                        f"{seg.place}: transmission says {seg.get(2)} transaction sets, found {sets_total}"
                    )
        else:
            ic.errors.append(f"{seg.place}: segment outside a transaction set")
    close_unfinished(None)
    last = ic.segments[-1]
    if ic.kind == "X12" and group is not None:
        ic.errors.append(f"{last.place}: functional group {group.get(6)} has no GE at the end of the file")
    if trailer is None:
        ic.errors.append(f"{last.place}: the interchange ends without its {trailer_id} trailer (truncated?)")


def _int(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------------- mapping

UOM = {
    "CA": "CS", "CS": "CS", "CT": "CS", "BX": "CS",
    "EA": "EA", "BT": "EA", "BTL": "EA", "BO": "EA", "UN": "EA", "EC": "EA",
}
SIZE_UNITS = {"ML": "ML", "LT": "L", "LR": "L", "L": "L", "CL": "CL", "OZ": "OZ", "FO": "OZ", "OF": "OZ", "GA": "GAL", "GL": "GAL"}
SKU_QUALIFIERS = ("VN", "VP", "IN", "SK", "VC")
UPC_QUALIFIERS = ("UP", "UA", "EN", "UK")


class _Bad(Exception):
    """A value in a segment that spoils the invoice; becomes an invoice error."""


def _decimal(seg: Segment, index: int, what: str, *, implied: int = 0) -> Decimal | None:
    raw = seg.get(index)
    if raw == "":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise _Bad(f"{seg.place}: {what} {raw!r} is not a number") from None
    if not value.is_finite():
        raise _Bad(f"{seg.place}: {what} {raw!r} is not a number")
    if implied and "." not in raw:
        value = value.scaleb(-implied)
    return value


def _date(seg: Segment, index: int, what: str) -> date | None:
    raw = seg.get(index)
    if raw == "":
        return None
    if re.fullmatch(r"\d{6}", raw):
        raw = "20" + raw
    try:
        if not re.fullmatch(r"\d{8}", raw):
            raise ValueError
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        raise _Bad(f"{seg.place}: {what} {seg.get(index)!r} is not a CCYYMMDD date") from None


def _pick(pairs: dict[str, str], order: tuple[str, ...]) -> str:
    for qualifier in order:
        if pairs.get(qualifier):
            return pairs[qualifier]
    return ""


def _size_text(amount: Decimal, unit: str) -> str:
    text = format(amount.normalize(), "f")
    return f"{text}{SIZE_UNITS.get(unit, unit)}"


def parse_810(data: bytes) -> ParsedDocument:
    interchange = tokenize(data)
    document = ParsedDocument(format="edi810")
    document.warnings.extend(interchange.errors)
    for tset in interchange.transaction_sets:
        document.transaction_sets.append(tset.code)
        if tset.code == "810":
            document.invoices.append(_map_invoice(tset))
        elif tset.code == "894" and interchange.kind == "DEX":
            document.invoices.append(_map_dex(tset))
        else:
            document.warnings.append(
                f"{tset.place}: transaction set {tset.code or '(no ST01)'} is not an invoice (810); skipped"
            )
            document.warnings.extend(tset.errors)
    if not interchange.transaction_sets:
        document.warnings.append("the interchange holds no transaction sets")
    return document


def _finish(invoice: ParsedInvoice, stated_total: Decimal | None, total_seg: Segment | None) -> None:
    """Check the stated total against the lines and charges, then sign a credit memo negative."""
    if stated_total is not None:
        computed = invoice.lines_total + sum((c.amount for c in invoice.charges), Decimal(0))
        for line in invoice.lines:
            computed += sum((c.amount for c in line.charges), Decimal(0))
        # a credit memo may state its lines and total positive or negative: compare magnitudes
        matches = abs(computed) == abs(stated_total) if invoice.is_credit_memo else computed == stated_total
        if not matches:
            invoice.warnings.append(
                f"{total_seg.place}: invoice total {stated_total} differs from the lines and charges {computed}"
            )
        invoice.total = -abs(stated_total) if invoice.is_credit_memo else stated_total
    if invoice.is_credit_memo:
        for line in invoice.lines:
            if line.quantity > 0:
                line.quantity = -line.quantity


def _map_invoice(tset: TransactionSet) -> ParsedInvoice:
    invoice = ParsedInvoice(invoice_number="", invoice_date=None, place=tset.place)
    invoice.errors.extend(tset.errors)
    line: ParsedLine | None = None
    n1_qualifier = ""
    ref_account = ""
    distributor_rank = 99
    delivered: date | None = None
    shipped: date | None = None
    stated_total: Decimal | None = None
    total_seg: Segment | None = None
    summary = False
    pid_x: dict[int, str] = {}
    saw_big = False
    ctt: Segment | None = None

    for seg in tset.segments[1:]:
        try:
            sid = seg.id
            if sid == "BIG":
                saw_big = True
                invoice.invoice_number = seg.get(2)
                if seg.get(7).upper() == "CR":
                    invoice.is_credit_memo = True
                invoice.invoice_date = _date(seg, 1, "invoice date")
            elif sid == "N1":
                n1_qualifier = seg.get(1).upper()
                if n1_qualifier == "ST" and seg.get(4):
                    invoice.account_number = seg.get(4)
                rank = {"VN": 0, "SE": 1, "SU": 2, "RI": 3}.get(n1_qualifier)
                if rank is not None and rank < distributor_rank:
                    distributor_rank = rank
                    invoice.distributor_name = seg.get(2)
                    invoice.distributor_code = seg.get(4)
            elif sid == "REF" and line is None:
                if seg.get(1) in ("IA", "VR") and not ref_account:
                    ref_account = seg.get(2)
            elif sid == "PER" and line is None:
                # a contact of the buyer's party (ship-to, bill-to) is not the sales rep
                if n1_qualifier in ("", "VN", "SE", "SU", "RI") and (
                    invoice.sales_rep is None or seg.get(1) == "SR"
                ):
                    rep = SalesRepInfo(name=seg.get(2))
                    for i in (3, 5, 7):
                        qualifier, value = seg.get(i).upper(), seg.get(i + 1)
                        if qualifier == "TE" and not rep.phone:
                            rep.phone = value
                        elif qualifier == "EM" and not rep.email:
                            rep.email = value
                    invoice.sales_rep = rep
            elif sid == "DTM":
                if seg.get(1) == "035":
                    delivered = _date(seg, 2, "delivery date")
                elif seg.get(1) == "011":
                    shipped = _date(seg, 2, "ship date")
            elif sid == "IT1":
                line = _map_it1(seg, len(invoice.lines) + 1, invoice)
                invoice.lines.append(line)
            elif sid == "CTP" and line is not None:
                if seg.get(2) == "UCP":
                    _apply_ctp(seg, line)
            elif sid == "PO4" and line is not None:
                pack = _decimal(seg, 1, "pack")
                if pack is not None and pack > 0 and pack == pack.to_integral_value():
                    line.units_per_case = int(pack)
                size = _decimal(seg, 2, "size")
                if size is not None and size > 0 and seg.get(3).upper() in SIZE_UNITS:
                    line.size = _size_text(size, seg.get(3).upper())
            elif sid == "PID" and line is not None:
                text = seg.get(5)
                if text and seg.get(1) == "F":
                    line.description = f"{line.description} {text}".strip()
                elif text and seg.get(1) in ("X", "S"):
                    key = id(line)
                    pid_x[key] = f"{pid_x.get(key, '')} {text}".strip()
            elif sid == "SAC":
                amount = _decimal(seg, 5, "allowance/charge amount", implied=2)
                if amount is not None:
                    amount = -abs(amount) if seg.get(1) == "A" else abs(amount)
                    charge = Charge(code=seg.get(2), description=seg.get(15) or seg.get(2), amount=amount)
                    (line.charges if line is not None and not summary else invoice.charges).append(charge)
            elif sid == "TDS":
                summary, line = True, None
                stated_total, total_seg = _decimal(seg, 1, "invoice total", implied=2), seg
                if stated_total is not None and stated_total < 0:
                    invoice.is_credit_memo = True
            elif sid in ("ISS", "CAD", "TXI", "CTT"):
                summary, line = True, None
                if sid == "CTT":
                    ctt = seg
        except _Bad as problem:
            invoice.errors.append(str(problem))

    for ln in invoice.lines:
        if not ln.description and id(ln) in pid_x:
            ln.description = pid_x[id(ln)]
    if not saw_big:
        invoice.errors.append(f"{tset.place}: invoice has no BIG segment")
    elif not invoice.invoice_number:
        invoice.errors.append(f"{tset.place}: BIG02 (invoice number) is empty")
    if not invoice.account_number:
        invoice.account_number = ref_account
    invoice.delivery_date = delivered or shipped
    if ctt is not None and _int(ctt.get(1)) is not None and _int(ctt.get(1)) != len(invoice.lines):
        invoice.warnings.append(f"{ctt.place}: says {ctt.get(1)} line items, found {len(invoice.lines)}")
    _finish(invoice, stated_total, total_seg)
    return invoice


def _map_it1(seg: Segment, ordinal: int, invoice: ParsedInvoice) -> ParsedLine:
    line = ParsedLine(line_number=_int(seg.get(1)) or ordinal, place=seg.place)
    try:
        quantity = _decimal(seg, 2, "quantity")
        line.quantity = quantity if quantity is not None else Decimal(0)
        line.unit_price = _decimal(seg, 4, "unit price")
    except _Bad as problem:
        invoice.errors.append(str(problem))
    uom = seg.get(3).upper()
    if uom in UOM:
        line.uom = UOM[uom]
    elif uom:
        line.uom = uom
        invoice.warnings.append(f"{seg.place}: unit of measure {uom!r} is neither a case nor a unit")
    pairs: dict[str, str] = {}
    for i in range(6, len(seg.elements), 2):
        qualifier, value = seg.get(i).upper(), seg.get(i + 1)
        if qualifier and value and qualifier not in pairs:
            pairs[qualifier] = value
    line.distributor_sku = _pick(pairs, SKU_QUALIFIERS)
    line.upc = _pick(pairs, UPC_QUALIFIERS)
    return line


def _apply_ctp(seg: Segment, line: ParsedLine) -> None:
    """CTP**UCP*unit price*quantity*EA: the price of one unit and the quantity in units.

    In the samples (Example3_MultiInvoice) CTP04 is the line's quantity in units (16 CA at 52.56
    with `CTP**UCP*2.19*384` = 24 units per case), so the units per case is IT104 / CTP03 and is
    checked against CTP04 / IT102. If CTP04 is not a multiple of the quantity it is taken as the
    pack itself.
    """
    unit_price = _decimal(seg, 3, "unit price")
    units = _decimal(seg, 4, "quantity in units")
    if line.uom == "EA":
        if line.unit_price is None and unit_price is not None:
            line.unit_price = unit_price
        return
    pack: Decimal | None = None
    if units and line.quantity and units % line.quantity == 0:
        pack = units / line.quantity
    elif unit_price and line.unit_price is not None:
        ratio = line.unit_price / unit_price
        if ratio == ratio.to_integral_value():
            pack = ratio
    if pack is None and units is not None:
        pack = units
    if pack is not None and pack > 0 and pack == pack.to_integral_value():
        line.units_per_case = int(pack)
    if line.unit_price is None and unit_price is not None and line.units_per_case:
        line.unit_price = unit_price * line.units_per_case


def _map_dex(tset: TransactionSet) -> ParsedInvoice:
    """DEX/UCS 894 delivery: G82 header, G83 lines, G72 allowances, G84 totals."""
    invoice = ParsedInvoice(invoice_number="", invoice_date=None, place=tset.place)
    invoice.errors.extend(tset.errors)
    line: ParsedLine | None = None
    stated_total: Decimal | None = None
    total_seg: Segment | None = None
    saw_g82 = False
    for seg in tset.segments[1:]:
        try:
            if seg.id == "G82":
                saw_g82 = True
                invoice.is_credit_memo = seg.get(1).upper() == "C"
                invoice.invoice_number = seg.get(2)
                invoice.account_number = seg.get(4) or seg.get(3)  # receiver location (or DUNS)
                invoice.distributor_code = seg.get(5)  # supplier DUNS
                invoice.invoice_date = _date(seg, 7, "delivery date")
                invoice.delivery_date = invoice.invoice_date
            elif seg.id == "G83":
                line = ParsedLine(line_number=_int(seg.get(1)) or len(invoice.lines) + 1, place=seg.place)
                invoice.lines.append(line)
                quantity = _decimal(seg, 2, "quantity")
                line.quantity = quantity if quantity is not None else Decimal(0)
                uom = seg.get(3).upper()
                line.uom = UOM.get(uom, uom or "EA")
                line.upc = seg.get(4) or (seg.get(6) if seg.get(5) in UPC_QUALIFIERS else "") or seg.get(7)
                if seg.get(5) in SKU_QUALIFIERS:
                    line.distributor_sku = seg.get(6)
                line.unit_price = _decimal(seg, 8, "unit price")
                pack = _decimal(seg, 9, "pack")
                if pack is not None and pack > 0 and pack == pack.to_integral_value():
                    line.units_per_case = int(pack)
                line.description = seg.get(10)
            elif seg.id == "G72":
                rate = _decimal(seg, 5, "allowance rate")
                amount = _decimal(seg, 8, "allowance amount")
                if amount is None and rate is not None:
                    quantity = _decimal(seg, 6, "allowance quantity")
                    if quantity is None:
                        quantity = line.quantity if line is not None else Decimal(1)
                    amount = rate * quantity
                if amount is not None:
                    charge = Charge(code=seg.get(1), description=seg.get(1), amount=amount)
                    (line.charges if line is not None else invoice.charges).append(charge)
            elif seg.id == "G84":
                line = None
                stated_total, total_seg = _decimal(seg, 2, "delivery total", implied=2), seg
        except _Bad as problem:
            invoice.errors.append(str(problem))
    if not saw_g82:
        invoice.errors.append(f"{tset.place}: delivery has no G82 header")
    _finish(invoice, stated_total, total_seg)
    return invoice
