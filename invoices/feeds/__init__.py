"""Supplier invoice feeds: each format parses into the same normalized documents
(`invoices.feeds.document`) before anything touches the database."""

from invoices.feeds.document import FeedParseError

_BOM = b"\xef\xbb\xbf"


def detect_format(data: bytes, filename: str = "") -> str:
    """"edi810", "json" or "csv", decided by the content (the file name is only used in messages).

    ISA (after an optional BOM and whitespace) is X12, and so is DXS (a DEX/UCS 894 delivery,
    which the X12 parser reads too); `{` or `[` is JSON; text whose first line has a delimiter
    is CSV. Anything else raises FeedParseError.
    """
    name = f"{filename}: " if filename else ""
    start = data[:8192].lstrip(b" \t\r\n")
    if start.startswith(_BOM):
        start = start[len(_BOM) :].lstrip(b" \t\r\n")
    if not start:
        raise FeedParseError(f"{name}the file is empty")
    if start.startswith((b"ISA", b"DXS")):
        return "edi810"
    if start.startswith((b"{", b"[")):
        return "json"
    if b"\x00" not in start:
        try:
            text = start.decode("utf-8", errors="strict")
        except UnicodeDecodeError as exc:  # cut mid-character at 8192, or Windows-1252
            text = start[: exc.start].decode("utf-8") if exc.start > len(start) - 4 else start.decode("cp1252", "replace")
        first_line = text.split("\n", 1)[0]
        printable = all(ch.isprintable() or ch in "\t\r" for ch in first_line)
        if printable and any(d in first_line for d in ",;\t"):
            return "csv"
    raise FeedParseError(f"{name}not a CSV, JSON or X12 file")
