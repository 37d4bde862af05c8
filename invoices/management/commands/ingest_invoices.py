"""Run supplier invoice documents through the Product Connect pipeline now, in this process.

    python manage.py ingest_invoices --org ORG [--venue VENUE] [--distributor NAME]
                                     [--format csv|json|edi810|auto] FILE... [--json]

Each file is stored once (by checksum, like a feed delivery) and processed synchronously by
`invoices.services.receive_document`: parsed, routed, matched, upserted, the venue's users
notified. It runs as the system (no user) inside the organization's tenant scope, so row-level
security applies as it does to the app and the worker.

- ORG and VENUE: a slug or a name (letter case ignored).
- `--venue`: every invoice of the files goes to that venue; its account at the distributor is
  created ("imported — please verify") when the file names an account number it lacks.
  Without it, invoices are routed by distributor + account number, and unknown accounts wait
  in the unrouted list.
- `--distributor`: a name, slug or code among the distributors the organization sees (shared
  directory and its own). Needed when the files don't name their distributor (a plain CSV).
- `--format`: decided from the content when `auto` (the default).

Exit status 1 when any document failed (a missing or unreadable file stops the command before
anything is imported). With `--json` it prints one object:

    {"documents": [{"file": "...", "document_id": 12, "status": "processed|skipped|failed",
                    "error": "...", "invoices": 3, "outcomes": {"created": 2, "failed": 1}}],
     "invoices": [{"invoice_number": "...", "venue": "The Copper Tap" or null, "status":
                   "pending_review|approved|rejected", "outcome": "created|updated|unchanged|ignored",
                   "lines": [{"line_number": 1, "item_id": 17, "match": "sku|upc|name|new|manual|none",
                              "score": 0.97, "created_item": false}]}]}

`documents[].invoices` counts the invoices the document holds (whatever became of them) and
`outcomes` counts them by outcome; `error` says why invoices failed or the document was skipped
or failed. `invoices` lists every invoice that is in the inbox after the run (created, updated,
unchanged, or ignored because it was already approved or rejected); invoices that failed or were
skipped have no row, and are named in their document's `error`. A line's `match` is `none` for
a non-inventory line (deposit, glassware, fee) and for a beverage line that waits for a venue
(an unrouted invoice); `score` is the matcher's confidence from 0 to 1, null for new, manual and
unmatched lines; `venue` is null while the invoice is unrouted.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from distributors.models import Distributor
from inventory_site.tenancy import rls_bypass, tenant_context
from invoices.models import InvoiceLine
from invoices.services import InvoicesError, receive_document
from venues.models import Organization, Venue

FORMATS = ("auto", "csv", "json", "edi810")
OUTCOMES = ("created", "updated", "unchanged", "ignored", "skipped", "failed")


def find_organization(wanted: str) -> Organization:
    """By slug, else by name (letter case ignored). Runs before any tenant is known."""
    wanted = wanted.strip()
    with rls_bypass("ingest_invoices: resolve --org"):
        organization = Organization.objects.filter(slug=wanted).first()
        if organization is not None:
            return organization
        named = list(Organization.objects.filter(name__iexact=wanted)[:5])
    if len(named) == 1:
        return named[0]
    if named:
        raise CommandError(f"Several organizations are named {wanted!r}; use a slug: "
                           f"{', '.join(o.slug for o in named)}.")  # fmt: skip
    raise CommandError(f"No organization with the slug or name {wanted!r}.")


def find_venue(organization: Organization, wanted: str) -> Venue:
    wanted = wanted.strip()
    venues = Venue.objects.for_org(organization)
    venue = venues.filter(slug=wanted).first() or venues.filter(name__iexact=wanted).first()
    if venue is None:
        known = ", ".join(f"{v.name} ({v.slug})" for v in venues.order_by("name")) or "none yet"
        raise CommandError(f"{organization.name} has no venue {wanted!r} (its venues: {known}).")
    return venue


def find_distributor(organization: Organization, wanted: str) -> Distributor:
    """By name, slug or code among the shared directory and the organization's own; its own
    distributor wins over a shared one of the same name."""
    wanted = " ".join(wanted.split())
    visible = Distributor.objects.for_org(organization)
    found = (
        visible.filter(Q(name__iexact=wanted) | Q(slug=wanted.lower()) | Q(code__iexact=wanted))
        .order_by("-organization_id", "name").first()
    )  # fmt: skip
    if found is not None:
        return found
    rows = list(visible.values_list("name", "code"))
    by_key = {}
    for name, code in rows:
        by_key.setdefault(name.casefold(), (name, code))
        if code:
            by_key.setdefault(code.casefold(), (name, code))
    key = wanted.casefold()
    close = [by_key[k] for k in difflib.get_close_matches(key, list(by_key), n=5, cutoff=0.6)]
    close += [(n, c) for n, c in rows if key and key in n.casefold() and (n, c) not in close]
    hint = ("Close names: " + "; ".join(f"{n} ({c})" if c else n for n, c in close[:5]) + ".") if close else (
        "Add it on the Distributors page first, or check the spelling.")  # fmt: skip
    raise CommandError(f"No distributor {wanted!r} among those {organization.name} sees. {hint}")


def read_files(names: list[str]) -> list[tuple[Path, bytes]]:
    """Every file's bytes, or an error naming the first one that can't be read (nothing is imported)."""
    files = []
    for name in names:
        path = Path(name)
        if not path.exists():
            raise CommandError(f"No such file: {path}")
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            files.append((path, path.read_bytes()))
        except OSError as exc:
            raise CommandError(f"Can't read {path}: {exc.strerror}") from None
    return files


def _score(line: InvoiceLine) -> float | None:
    if line.match_score is None or line.match in (InvoiceLine.Match.NEW, InvoiceLine.Match.MANUAL):
        return None
    return round(float(line.match_score) / 100, 4)


def invoice_json(outcome) -> dict:
    invoice = outcome.invoice
    return {
        "invoice_number": invoice.invoice_number,
        "venue": invoice.venue.name if invoice.venue_id else None,
        "status": invoice.status,
        "outcome": outcome.status,
        "lines": [
            {"line_number": line.line_number, "item_id": line.item_id, "match": line.match, "score": _score(line),
             "created_item": line.created_item}
            for line in invoice.lines.order_by("line_number")
        ],
    }  # fmt: skip


def document_error(outcome) -> str:
    if outcome.error:
        return outcome.error
    skipped = [o.message for o in outcome.invoices if o.status == "skipped"]
    return "; ".join(skipped)


class Command(BaseCommand):
    help = "Run supplier invoice files (CSV, JSON, EDI X12 810) through the Product Connect pipeline now."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="the invoice documents")
        parser.add_argument("--org", required=True, help="the organization's slug or name")
        parser.add_argument("--venue", help="send every invoice to this venue (slug or name)")
        parser.add_argument("--distributor", help="the distributor the files come from (name, slug or code)")
        parser.add_argument("--format", default="auto", choices=FORMATS, help="the files' format (default: auto)")
        parser.add_argument("--json", action="store_true", help="print the outcome of every document as JSON")

    def handle(self, *args, **options):
        files = read_files(options["files"])
        organization = find_organization(options["org"])
        documents, invoices, failed = [], [], 0
        with tenant_context(organization_id=organization.pk):
            venue = find_venue(organization, options["venue"]) if options["venue"] else None
            distributor = find_distributor(organization, options["distributor"]) if options["distributor"] else None
            for path, content in files:
                try:
                    outcome = receive_document(organization=organization, content=content, distributor=distributor,
                                               filename=path.name, format=options["format"], route_to_venue=venue)  # fmt: skip
                except InvoicesError as exc:
                    raise CommandError(f"{path}: {exc}") from None
                counts = {}
                for each in outcome.invoices:
                    counts[each.status] = counts.get(each.status, 0) + 1
                failed += outcome.status == "failed"
                entry = {"file": str(path), "document_id": outcome.document.pk, "status": outcome.status,
                         "error": document_error(outcome), "invoices": len(outcome.invoices), "outcomes": counts}  # fmt: skip
                documents.append(entry)
                kept = [o for o in outcome.invoices if o.invoice is not None]
                for each in kept:
                    each.invoice.refresh_from_db()  # the status an approval by someone else may have changed
                invoices += [invoice_json(o) for o in kept]
                if not options["json"]:
                    self._summary(entry, outcome)

        if options["json"]:
            self.stdout.write(json.dumps({"documents": documents, "invoices": invoices}))
        if failed:
            raise CommandError(f"{failed} of {len(documents)} document(s) failed.", returncode=1)

    def _summary(self, entry: dict, outcome) -> None:
        counts = entry["outcomes"]
        numbers = ", ".join(f"{counts.get(name, 0)} {name}" for name in OUTCOMES)
        where = f"{entry['file']} (document {entry['document_id']})"
        line = f"{where}: {entry['status']}; invoices: {numbers}."
        style = {"processed": self.style.SUCCESS, "skipped": self.style.WARNING}.get(entry["status"], self.style.ERROR)
        self.stdout.write(style(line))
        for each in outcome.invoices:
            if each.status in ("failed", "skipped", "ignored"):
                # Parse errors name the row or segment; say which invoice it is too.
                named = each.message if each.message.startswith("invoice ") or not each.invoice_number else (
                    f"invoice {each.invoice_number}: {each.message}")  # fmt: skip
                self.stdout.write(f"  {each.status}: {named}")
        if outcome.error and not any(each.status == "failed" for each in outcome.invoices):
            self.stdout.write(f"  failed: {outcome.error}")
        notes = outcome.document.notes
        if not outcome.invoices and notes and "already stored" in notes[-1]:
            self.stdout.write(f"  {notes[-1]}")
