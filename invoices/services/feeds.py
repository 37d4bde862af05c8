"""Supplier feeds: setting them up, pulling them, uploads by hand, and the scheduler's claims.

The wire protocols are in invoices/transport.py; storing and processing a document is the
pipeline's (invoices/services/pipeline.py). Admins and managers change feeds; staff only read.

Processing is queued after commit (`process_document_task`), one task per stored document,
so a document that fails never holds up the others. Nothing here is skipped silently: a pull
that fails leaves a readable `last_error` on the feed.
"""

from __future__ import annotations

import contextlib
import logging
import time
import urllib.parse
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from distributors.models import Distributor
from invoices import transport
from invoices.feeds import detect_format
from invoices.feeds.document import FeedParseError
from invoices.models import FeedDocument, SupplierFeed
from invoices.services.errors import InvoicesError
from invoices.services.pipeline import StoredDocument, store_document
from venues.models import Membership, Organization, Venue
from venues.services import record_audit, require_role

logger = logging.getLogger(__name__)

CHANGE_ROLES = (Membership.Role.ADMIN, Membership.Role.MANAGER)
MIN_SCHEDULE_SECONDS = 10
MAX_SCHEDULE_SECONDS = 24 * 3600
MAX_UPLOAD_BYTES = transport.MAX_DOCUMENT_BYTES
# "Pull now" shows as queued until the pull ends, or this long (a worker that never came).
PULL_QUEUED_SECONDS = 600
# A document still `received` this long after it was stored lost its processing message.
STALE_DOCUMENT_SECONDS = 120
# The sweeper queues one document again at most this often (a long backlog is not a lost message).
REQUEUE_GATE_SECONDS = 600
# A document whose processing was interrupted this often (a worker killed each time) is given up.
MAX_PROCESSING_ATTEMPTS = 5
FORMAT_LABELS = {"csv": "a CSV file", "json": "a JSON invoice page", "edi810": "an EDI X12 file"}
_PULL_LOCK_BASE = 0x1F_EED0_0000_0000  # advisory lock key space of feed pulls (bigint form; see pipeline for int pairs)


class FeedFieldError(InvoicesError):
    """A feed setting is wrong; `field` names the form field the message belongs to."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- helpers --------------------------------------------------------------------------------


def _require_manager(actor, organization: Organization) -> None:
    require_role(actor=actor, organization=organization, roles=CHANGE_ROLES)


def _queued_key(feed_id: int) -> str:
    return f"invoices:feed-pull-queued:{feed_id}"


def _running_key(feed_id: int) -> str:
    return f"invoices:feed-pull-running:{feed_id}"


def _requeued_key(document_id: int) -> str:
    return f"invoices:document-queued:{document_id}"


def pull_state(feed: SupplierFeed) -> str:
    """"running", "queued" or "" (nothing pending): what the feeds page shows next to Pull now."""
    if cache.get(_running_key(feed.pk)):
        return "running"
    if cache.get(_queued_key(feed.pk)):
        return "queued"
    return ""


def product_connect_on(organization: Organization) -> bool:
    return Venue.objects.for_org(organization).filter(product_connect_enabled=True, is_active=True).exists()


def _clean(value) -> str:
    return " ".join(str(value or "").split())


def _check_fields(organization: Organization, values: dict) -> dict:
    """Validated feed settings; raises FeedFieldError naming the field."""
    name = _clean(values.get("name"))
    if not name:
        raise FeedFieldError("Give the feed a name, e.g. “Breakthru Beverage invoices”.", field="name")
    if len(name) > 200:
        raise FeedFieldError("The name is longer than 200 characters.", field="name")
    distributor = values.get("distributor")
    if distributor is None or not Distributor.objects.for_org(organization).filter(pk=distributor.pk).exists():
        raise FeedFieldError("Choose the distributor whose invoices this feed brings.", field="distributor")
    fmt = values.get("format") or SupplierFeed.Format.AUTO
    if fmt not in SupplierFeed.Format.values:
        raise FeedFieldError(f"Unknown format '{fmt}'.", field="format")
    kind = values.get("transport") or SupplierFeed.Transport.UPLOAD
    if kind not in SupplierFeed.Transport.values:
        raise FeedFieldError(f"Unknown transport '{kind}'.", field="transport")
    url = (values.get("url") or "").strip()
    folder = (values.get("folder") or "").strip()
    if kind == SupplierFeed.Transport.HTTP:
        parts = urllib.parse.urlsplit(url)
        if not url:
            raise FeedFieldError("Enter the distributor's feed address (https://…).", field="url")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FeedFieldError(f"'{url}' is not a web address; it must start with https:// (or http://).",
                                 field="url")
        if parts.username or parts.password:
            raise FeedFieldError("Put the password in the token field, not in the address.", field="url")
        if parts.query or parts.fragment:
            raise FeedFieldError("Enter the base address only; Backstock adds /invoices?since=… itself.", field="url")
        if len(url) > 200:
            raise FeedFieldError("The address is longer than 200 characters.", field="url")
        try:
            transport.check_public_address(url)
        except InvoicesError as exc:
            raise FeedFieldError(str(exc), field="url") from None
    if kind == SupplierFeed.Transport.DROP_FOLDER:
        if not folder:
            root = transport.organization_drop_root(organization)
            raise FeedFieldError(f"Enter the drop folder: a folder inside {root}.", field="folder")
        try:
            resolved = transport.resolve_drop_folder(organization, folder)
            # Kept relative to the organization's drop area, so moving the data folder (or
            # FEEDS_DIR) doesn't break the feed; resolved again at every pull.
            folder = str(resolved.relative_to(transport.organization_drop_root(organization)))
        except transport.FeedTransportError as exc:
            raise FeedFieldError(str(exc), field="folder") from None
        if len(folder) > 500:
            raise FeedFieldError("The folder path is longer than 500 characters.", field="folder")
    try:
        schedule = int(values.get("schedule_seconds") or 30)
    except (TypeError, ValueError):
        raise FeedFieldError("Enter how often to pull, in seconds.", field="schedule_seconds") from None
    if not MIN_SCHEDULE_SECONDS <= schedule <= MAX_SCHEDULE_SECONDS:
        raise FeedFieldError(f"Pull every {MIN_SCHEDULE_SECONDS} seconds at the most often and once a day at the "
                             f"least ({MAX_SCHEDULE_SECONDS} seconds).", field="schedule_seconds")  # fmt: skip
    token = values.get("token")
    if token is not None and (len(token) > 500 or any(ch in token for ch in "\r\n")):
        raise FeedFieldError("The token must be one line of at most 500 characters.", field="token")
    return {"name": name, "distributor": distributor, "format": fmt, "transport": kind,
            "url": url if kind == SupplierFeed.Transport.HTTP else "",
            "folder": folder if kind == SupplierFeed.Transport.DROP_FOLDER else "",
            "schedule_seconds": schedule, "enabled": bool(values.get("enabled", True))}  # fmt: skip


def _make_folder(organization, folder: str) -> None:
    # Convenience only: the pull reports a missing folder, should this process not be allowed to create it.
    if folder:
        with contextlib.suppress(OSError, InvoicesError):
            transport.resolve_drop_folder(organization, folder).mkdir(parents=True, exist_ok=True)


def _enqueue(callback: Callable[[], None], *, on_failure: Callable[[], None] | None = None) -> None:
    def send():
        try:
            callback()
        except KombuOperationalError:
            logger.warning("the task queue is unreachable; the sweeper or the next pull takes it up")
            if on_failure:
                on_failure()

    transaction.on_commit(send)


def enqueue_processing(organization_id: int, document_ids: Iterable[int]) -> None:
    """Queue `process_document_task` for each document once the caller's transaction commits.
    If the queue is unreachable, the sweeper (`requeue_stale_documents`) picks them up later."""
    from invoices.tasks import process_document_task

    ids = list(document_ids)
    if ids:
        _enqueue(lambda: [process_document_task.delay(organization_id, pk) for pk in ids])


# --- setting feeds up -----------------------------------------------------------------------


@transaction.atomic
def create_feed(*, actor, organization: Organization, distributor: Distributor, name: str,
                format: str = SupplierFeed.Format.AUTO, transport: str = SupplierFeed.Transport.UPLOAD,
                url: str = "", token: str = "", folder: str = "", schedule_seconds: int = 30,
                enabled: bool = True) -> SupplierFeed:  # fmt: skip
    """Add a feed. Raises FeedFieldError (naming the field) for a setting that can't work."""
    _require_manager(actor, organization)
    values = _check_fields(organization, {"name": name, "distributor": distributor, "format": format,
                                          "transport": transport, "url": url, "folder": folder, "token": token,
                                          "schedule_seconds": schedule_seconds, "enabled": enabled})  # fmt: skip
    token = (token or "").strip() if values["transport"] == SupplierFeed.Transport.HTTP else ""
    feed = SupplierFeed.objects.create(organization=organization, token=token, **values)
    _make_folder(organization, feed.folder)
    record_audit(organization=organization, actor=actor, action="feed.created", obj=feed,
                 summary=f"Feed {feed.name} added ({feed.get_transport_display()}, {feed.get_format_display()})")  # fmt: skip
    return feed


@transaction.atomic
def update_feed(*, actor, organization: Organization, feed: SupplierFeed, token: str | None = None,
                clear_token: bool = False, **fields) -> SupplierFeed:  # fmt: skip
    """Change a feed's settings. The token is write-only: None or "" keeps the stored one,
    `clear_token=True` removes it. A new address starts again from its first page (the cursor
    of another server means nothing), and a changed transport or a re-enabled feed is pulled
    at the next scheduler tick."""
    _require_manager(actor, organization)
    feed = SupplierFeed.objects.for_org(organization).select_for_update(of=("self",)).get(pk=feed.pk)
    allowed = {"name", "distributor", "format", "transport", "url", "folder", "schedule_seconds", "enabled"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"update_feed() got unexpected fields {sorted(unknown)}")
    current = {name: getattr(feed, name) for name in allowed}
    values = _check_fields(organization, {**current, **fields, "token": token})
    changes = {}
    for name, value in values.items():
        before = getattr(feed, name)
        if before != value:
            changes[name] = [str(before), str(value)]
            setattr(feed, name, value)
    new_token = (token or "").strip()
    if clear_token and feed.token:
        feed.token, changes["token"] = "", "removed"
    elif new_token and new_token != feed.token:
        feed.token, changes["token"] = new_token, "replaced"  # the audit never holds the token itself
    if feed.transport != SupplierFeed.Transport.HTTP and feed.token:
        feed.token, changes["token"] = "", "removed"
    if "url" in changes and feed.cursor:
        feed.cursor = ""
    if {"transport", "enabled", "url", "folder", "schedule_seconds"} & set(changes):
        feed.next_pull_at = None
    if "enabled" in changes or "transport" in changes or "url" in changes or "token" in changes:
        feed.last_error = ""
    if changes:
        feed.save()
        _make_folder(organization, feed.folder)
        record_audit(organization=organization, actor=actor, action="feed.updated", obj=feed,
                     summary=f"Feed {feed.name} changed: {', '.join(sorted(changes))}", changes=changes)  # fmt: skip
    return feed


# --- pulling ----------------------------------------------------------------------------------


@transaction.atomic
def request_pull(*, actor, organization: Organization, feed: SupplierFeed) -> None:
    """"Pull now": queue a pull of the feed at once (the page shows it as queued until it ends)."""
    _require_manager(actor, organization)
    if feed.transport == SupplierFeed.Transport.UPLOAD:
        raise InvoicesError(f"{feed.name} receives documents uploaded by hand; upload a file on the feed's page.")
    if not product_connect_on(organization):
        raise InvoicesError("Product Connect is off for every venue, so nothing is pulled; an admin turns it on "
                            "for a venue in Manage Organization.")  # fmt: skip
    from invoices.tasks import pull_feed_task

    cache.set(_queued_key(feed.pk), timezone.now().isoformat(), PULL_QUEUED_SECONDS)
    organization_id, feed_id = organization.pk, feed.pk

    def unreachable():
        cache.delete(_queued_key(feed_id))
        SupplierFeed.objects.filter(pk=feed_id).update(
            last_error="Pull now could not be queued: the task queue is unreachable. Try again in a minute."
        )

    _enqueue(lambda: pull_feed_task.delay(organization_id, feed_id), on_failure=unreachable)


@contextlib.contextmanager
def _pull_lock(feed_id: int):
    """One pull of a feed at a time (beat and Pull now may overlap). A session advisory lock:
    PostgreSQL drops it with the connection, so a killed worker never leaves it held."""
    key = _PULL_LOCK_BASE + int(feed_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with contextlib.suppress(Exception), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def pull_feed(*, organization: Organization, feed: SupplierFeed, policy: transport.PullPolicy | None = None,
              sleep: Callable[[float], None] = time.sleep) -> transport.PullResult | None:  # fmt: skip
    """Pull one feed now (a worker's job) and record how it went on the feed.

    Not one transaction on purpose: each page or file is stored (and committed) before the
    cursor moves or the file leaves the folder. Returns the pull's result, whose `documents`
    the caller queues for processing, or None when another pull of this feed is running.
    """
    with _pull_lock(feed.pk) as acquired:
        if not acquired:
            return None
        cache.set(_running_key(feed.pk), 1, PULL_QUEUED_SECONDS)
        try:
            started = timezone.now()
            SupplierFeed.objects.for_org(organization).filter(pk=feed.pk).update(last_pulled_at=started)
            feed = SupplierFeed.objects.for_org(organization).select_related("distributor").get(pk=feed.pk)
            result = transport.pull(organization=organization, feed=feed, policy=policy, sleep=sleep)
            finished = timezone.now()
            outcome = {"last_error": result.error[:5000]}
            if not result.error:
                outcome["last_success_at"] = finished
            if result.retry_after:
                outcome["next_pull_at"] = finished + timedelta(seconds=result.retry_after)
            SupplierFeed.objects.for_org(organization).filter(pk=feed.pk).update(**outcome)
            if result.error:
                logger.info("pull of feed %s (%s) failed: %s", feed.pk, feed.name, result.error)
            return result
        finally:
            cache.delete_many([_running_key(feed.pk), _queued_key(feed.pk)])


def claim_due_feeds(*, now=None) -> list[tuple[int, int]]:
    """(organization_id, feed_id) of every feed due for a pull, across organizations, with its
    next pull moved one schedule ahead in the same statement, so two schedulers never both
    claim one feed. Only enabled HTTP and drop-folder feeds of organizations with at least one
    venue on Product Connect. The caller runs it as system work (`rls_bypass`)."""
    now = now or timezone.now()
    feeds, venues = SupplierFeed._meta.db_table, Venue._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {feeds} AS f SET next_pull_at = %s + make_interval(secs => f.schedule_seconds)
            WHERE f.enabled AND f.transport IN (%s, %s) AND (f.next_pull_at IS NULL OR f.next_pull_at <= %s)
              AND EXISTS (SELECT 1 FROM {venues} AS v WHERE v.organization_id = f.organization_id
                          AND v.product_connect_enabled AND v.is_active)
            RETURNING f.organization_id, f.id
            """,  # noqa: S608 - table names from the models, values as parameters
            [now, SupplierFeed.Transport.HTTP, SupplierFeed.Transport.DROP_FOLDER, now],
        )
        return sorted(cursor.fetchall(), key=lambda row: row[1])


def requeue_stale_documents(*, older_than_seconds: float = STALE_DOCUMENT_SECONDS, now=None) -> dict:
    """Documents stored but still `received` after `older_than_seconds` lost their processing
    message (a worker killed between store and queue, a broker restart): the caller queues
    the ones returned in "requeued" again.
    One interrupted too often is marked failed instead, so a document that kills its worker
    can't do so forever. System work across organizations (the caller bypasses RLS).

    Returns {"requeued": [(organization_id, document_id)], "given_up": [...]}.
    """
    now = now or timezone.now()
    stale = list(
        FeedDocument.objects.filter(status=FeedDocument.Status.RECEIVED,
                                    received_at__lte=now - timedelta(seconds=older_than_seconds))
        .order_by("received_at").values_list("organization_id", "pk", "attempts")[:500]
    )  # fmt: skip
    requeued, given_up = [], []
    for organization_id, document_id, attempts in stale:
        if attempts >= MAX_PROCESSING_ATTEMPTS:
            given_up.append((organization_id, document_id))
            continue
        # Not again while a queued message may still be on its way (or the document in a worker).
        if cache.add(_requeued_key(document_id), 1, REQUEUE_GATE_SECONDS):
            requeued.append((organization_id, document_id))
    if given_up:
        FeedDocument.objects.filter(pk__in=[pk for _, pk in given_up], status=FeedDocument.Status.RECEIVED).update(
            status=FeedDocument.Status.FAILED, processed_at=now,
            error=f"processing was interrupted {MAX_PROCESSING_ATTEMPTS} times (the worker stopped each time, "
                  f"perhaps out of memory); choose Process again to retry, or ask the distributor to resend it",
        )  # fmt: skip
    return {"requeued": requeued, "given_up": given_up}


# --- documents by hand ------------------------------------------------------------------------


@transaction.atomic
def upload_document(*, actor, organization: Organization, feed: SupplierFeed, uploaded_file) -> StoredDocument:
    """Store a file an admin or manager uploaded on the feed's page and queue its processing.

    Refuses (InvoicesError) a file over the size limit or one that is no CSV, JSON or EDI X12
    document, or that is another format than the feed's. A file uploaded before is not stored
    twice (the stored one is processed again if it never was)."""
    _require_manager(actor, organization)
    name = (getattr(uploaded_file, "name", "") or "upload").rsplit("/", 1)[-1][:255]
    size = getattr(uploaded_file, "size", None)
    limit_mb = MAX_UPLOAD_BYTES // (1024 * 1024)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise InvoicesError(f"{name} is {size / 1024 / 1024:.1f} MB; the limit is {limit_mb} MB.")
    content = uploaded_file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise InvoicesError(f"{name} is over the {limit_mb} MB limit.")
    try:
        detected = detect_format(content, name)
    except FeedParseError:
        raise InvoicesError(f"{name} is not an invoice document Backstock reads: upload a CSV, a JSON invoice page "
                            f"or an EDI X12 810 file.") from None  # fmt: skip
    if feed.format != SupplierFeed.Format.AUTO and detected != feed.format:
        raise InvoicesError(f"{name} is {FORMAT_LABELS.get(detected, detected)}, but {feed.name} takes "
                            f"{feed.get_format_display()} documents; upload it to a feed of that format, or "
                            f"set this feed's format to Detect.")  # fmt: skip
    stored = store_document(organization=organization, content=content, distributor=feed.distributor, feed=feed,
                            filename=name, format=detected)  # fmt: skip
    record_audit(organization=organization, actor=actor, action="feed.document_uploaded", obj=stored.document,
                 summary=f"{name} uploaded to {feed.name}" + ("" if stored.created else " (already stored)"))  # fmt: skip
    if stored.created or stored.document.status == FeedDocument.Status.RECEIVED:
        enqueue_processing(organization.pk, [stored.document.pk])
    return stored


@transaction.atomic
def reprocess_document(*, actor, organization: Organization, document: FeedDocument) -> FeedDocument:
    """"Process again" for a failed document (after a fix: the venue's account added, a matching
    rule changed) or one still waiting. Processing is idempotent, so nothing is doubled."""
    _require_manager(actor, organization)
    document = FeedDocument.objects.for_org(organization).select_for_update(of=("self",)).get(pk=document.pk)
    if document.status not in (FeedDocument.Status.FAILED, FeedDocument.Status.RECEIVED):
        raise InvoicesError(f"{document} was {document.get_status_display().lower()}; only a failed document (or "
                            f"one still waiting) is processed again.")  # fmt: skip
    stamp = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
    who = getattr(actor, "display_name", "") or getattr(actor, "email", "") or "the system"
    document.status, document.error, document.attempts = FeedDocument.Status.RECEIVED, "", 0
    document.notes = [*document.notes, f"{stamp}: processing requested again by {who}"]
    document.save(update_fields=["status", "error", "attempts", "notes"])
    record_audit(organization=organization, actor=actor, action="feed.document_reprocessed", obj=document,
                 summary=f"{document} queued to be processed again")  # fmt: skip
    # Its received_at is old: keep the sweeper from queueing it a second time right away.
    cache.set(_requeued_key(document.pk), 1, REQUEUE_GATE_SECONDS)
    enqueue_processing(organization.pk, [document.pk])
    return document


__all__ = ["FeedFieldError", "claim_due_feeds", "create_feed", "enqueue_processing", "product_connect_on",
           "pull_feed", "pull_state", "reprocess_document", "request_pull", "requeue_stale_documents",
           "update_feed", "upload_document"]  # fmt: skip
