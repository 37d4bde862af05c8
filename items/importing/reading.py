"""Read an uploaded catalog file into a header row and data rows of text.

The type is decided by the bytes, never by the file name: an XLSX workbook is a ZIP
archive holding `xl/workbook.xml`; anything else must be text (CSV, semicolon- or
tab-separated). A PDF or a picture renamed to `.csv` is refused with a message saying
what it is. XLSX is read with openpyxl (read-only, values only, the first sheet).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from items.errors import ItemsError

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_MB = MAX_IMPORT_BYTES // (1024 * 1024)

# Signatures of files people upload by mistake, and what to tell them.
_NOT_A_CATALOG = [
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word (.doc) file; save it as .xlsx or CSV"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"{\\rtf", "a rich-text (RTF) document"),
]


class ImportFileError(ItemsError):
    """The uploaded file can't be read as a catalog; the message says why."""


@dataclass
class Table:
    """A catalog file as text: its header and data rows (row 1 is the first row after the header)."""

    headers: list[str]
    rows: list[list[str]]
    file_format: str  # "csv" or "xlsx"
    notes: list[str] = field(default_factory=list)  # e.g. the encoding it was read in

    def samples(self, column: int, limit: int = 3) -> list[str]:
        """The first few non-empty values of a column."""
        found = []
        for row in self.rows:
            value = row[column] if column < len(row) else ""
            if value:
                found.append(value)
                if len(found) == limit:
                    break
        return found


def detect_format(data: bytes) -> str:
    """"csv" or "xlsx" from the content; ImportFileError for anything else."""
    if not data:
        raise ImportFileError("The file is empty.")
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            raise ImportFileError("The file looks like an XLSX workbook but is damaged; save it again and retry.") from None
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "content.xml" in names:
            raise ImportFileError("The file is an OpenDocument spreadsheet (.ods); save it as .xlsx or CSV.")
        raise ImportFileError("The file is a ZIP archive, not an XLSX workbook or a CSV file.")
    for signature, what in _NOT_A_CATALOG:
        if data.startswith(signature):
            raise ImportFileError(f"The file is {what}, not a CSV or XLSX catalog.")
    head = data[:8192]
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html")):
        raise ImportFileError("The file is a web page (HTML), not a CSV or XLSX catalog.")
    if start.startswith(b"<?xml"):
        raise ImportFileError("The file is an XML document, not a CSV or XLSX catalog; save it as .xlsx or CSV.")
    if b"\x00" in head:
        # UTF-16 text (Excel's "Unicode text") has NULs too; say so rather than "binary".
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise ImportFileError("The file is UTF-16 text; save it as CSV (UTF-8) and retry.")
        raise ImportFileError("The file is not text, so it is not a CSV file; upload a CSV or XLSX catalog.")
    return "csv"


def read_table(data: bytes) -> Table:
    """Read a CSV or XLSX catalog (decided by content). Raises ImportFileError."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFileError(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is {MAX_IMPORT_MB} MB. Split it into smaller files."
        )
    file_format = detect_format(data)
    table = _read_xlsx(data) if file_format == "xlsx" else _read_csv(data)
    if not table.headers:
        raise ImportFileError("The file has no header row: its first row should name the columns (name, size, …).")
    if not table.rows:
        raise ImportFileError("The file has a header row but no data rows.")
    return table


# --- CSV ------------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, list[str]]:
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text, ["The file is not UTF-8; it was read as Windows-1252 (Excel's \"CSV\"). Check accented names."]


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        pass
    first_line = sample.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    return type("Guessed", (csv.excel,), {"delimiter": delimiter})


def _read_csv(data: bytes) -> Table:
    text, notes = _decode(data)
    if "\x00" in text:
        raise ImportFileError("The file is not text, so it is not a CSV file; upload a CSV or XLSX catalog.")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), _dialect(text)))
    except csv.Error as exc:
        raise ImportFileError(f"The CSV file can't be read: {exc}.") from None
    return _table(records, "csv", notes)


# --- XLSX -----------------------------------------------------------------------------------


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        # Spreadsheets store codes and whole numbers as floats: 811538010139.0 -> 811538010139.
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged workbook
        raise ImportFileError(f"The XLSX workbook can't be read ({type(exc).__name__}); save it again and retry.") from None
    try:
        if not workbook.worksheets:
            raise ImportFileError("The XLSX workbook has no sheets.")
        sheet = workbook.worksheets[0]
        records = [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    notes = []
    if len(workbook.sheetnames) > 1:
        notes.append(f"The workbook has {len(workbook.sheetnames)} sheets; only the first, “{workbook.sheetnames[0]}”, was read.")
    return _table(records, "xlsx", notes)


# --- both -----------------------------------------------------------------------------------


def _table(records: list[list[str]], file_format: str, notes: list[str]) -> Table:
    """Header = the first non-empty row. Data rows keep their position (blank rows count, then drop)."""
    records = [[" ".join(str(v).split()) if v else "" for v in record] for record in records]
    start = next((i for i, record in enumerate(records) if any(record)), None)
    if start is None:
        return Table(headers=[], rows=[], file_format=file_format, notes=notes)
    headers = list(records[start])
    while headers and not headers[-1]:
        headers.pop()
    headers = [h or f"Column {i + 1}" for i, h in enumerate(headers)]
    seen: dict[str, int] = {}
    for i, header in enumerate(headers):  # a mapping names columns by header, so make them unique
        key = header.casefold()
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            headers[i] = f"{header} ({seen[key]})"
    width = len(headers)
    rows = []
    for record in records[start + 1 :]:
        row = (record + [""] * width)[:width]
        rows.append(row)
    while rows and not any(rows[-1]):
        rows.pop()  # trailing blank lines and formatted-but-empty spreadsheet rows
    return Table(headers=headers, rows=rows, file_format=file_format, notes=notes)
