"""Getting documents from distributors: the wire side of pulling one SupplierFeed.

- HTTP JSON (shared/formats/invoice-feeds.md, section 2): `GET {url}/invoices?since={cursor}` with
  `Authorization: Bearer {token}`, following `next_cursor` until a page brings no invoices or no new
  cursor. Each page's raw bytes are one document. The cursor is saved only after the page is
  stored, so a crash re-reads a page (a duplicate, by checksum) and never skips one.
  429 waits for Retry-After; 5xx, timeouts and connection errors are retried with exponential
  backoff; then the pull fails with a message naming the status, the address and the attempts.
- Drop folder: every regular file in the folder (not hidden, not a partial `.tmp`/`.part` upload)
  is stored, then moved into `processed/`. A crash between the two stores it again next time,
  which the checksum turns into a duplicate.

Nothing here parses invoices: every stored document is handed back to the caller, which queues
its processing (invoices.tasks). The token is sent only in the header and never appears in a
message or a log line; it is also not sent again if the distributor redirects.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import ipaddress
import json
import os
import socket
import stat
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from invoices.models import FeedDocument, SupplierFeed
from invoices.services.errors import InvoicesError

# Raw documents are kept whole in the database; anything bigger is refused, not truncated.
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
# A feed that keeps handing out new cursors is stopped here; the next pull goes on from the cursor.
MAX_PAGES_PER_PULL = 200
PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".download", ".filepart")
PROCESSED_FOLDER = "processed"
USER_AGENT = "Backstock invoice feed (+https://github.com/backstock)"


class FeedTransportError(InvoicesError):
    """A pull could not get (all of) a feed's documents; the message says where and why."""


class RateLimited(FeedTransportError):
    """The distributor asked us to wait longer than we wait inside one pull."""

    def __init__(self, message: str, *, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class PullPolicy:
    """How patient a pull is. The defaults are production's; tests pass tiny delays."""

    attempts: int = 4  # per request, the first try included
    backoff: float = 1.0  # wait before the 2nd try; doubles each time
    max_backoff: float = 30.0
    retry_after_cap: float = 60.0  # a longer Retry-After ends the pull and moves the next one instead
    timeout: float = 30.0  # seconds to connect, and between bytes of the answer
    # A file modified more recently than this may still be being copied in; the next pull takes it.
    folder_settle_seconds: float = 2.0

    def backoff_for(self, attempt: int) -> float:
        return min(self.backoff * (2 ** (attempt - 1)), self.max_backoff)


@dataclass
class PullResult:
    """What one pull did. `documents` are the rows to process: new ones, and ones stored earlier
    that were never processed (a crash after storing them)."""

    documents: list[FeedDocument] = field(default_factory=list)
    stored: int = 0
    duplicates: int = 0
    pages: int = 0
    error: str = ""
    retry_after: float | None = None

    def add(self, document: FeedDocument, *, created: bool) -> None:
        if created:
            self.stored += 1
        else:
            self.duplicates += 1
        if (created or document.status == FeedDocument.Status.RECEIVED) and document not in self.documents:
            self.documents.append(document)


# --- entry point ----------------------------------------------------------------------------


def pull(*, organization, feed: SupplierFeed, policy: PullPolicy | None = None,
         sleep: Callable[[float], None] = time.sleep) -> PullResult:  # fmt: skip
    """Fetch and store whatever the feed has. Never raises for the feed's own problems: what was
    stored before a failure stays in `documents` and the failure is in `error`."""
    policy = policy or PullPolicy()
    result = PullResult()
    try:
        if feed.transport == SupplierFeed.Transport.HTTP:
            _pull_http(organization, feed, result, policy, sleep)
        elif feed.transport == SupplierFeed.Transport.DROP_FOLDER:
            _pull_folder(organization, feed, result, policy)
        else:
            raise FeedTransportError(f"{feed.name} receives documents uploaded by hand; there is nothing to pull.")
    except RateLimited as exc:
        result.error, result.retry_after = str(exc), exc.retry_after
    except FeedTransportError as exc:
        result.error = str(exc)
    return result


def _store(organization, feed: SupplierFeed, content: bytes, *, filename: str, format: str, result: PullResult):
    from invoices.services.pipeline import store_document

    stored = store_document(organization=organization, content=content, distributor=feed.distributor, feed=feed,
                            filename=filename[:255], format=format)  # fmt: skip
    result.add(stored.document, created=stored.created)
    return stored


# --- HTTP JSON ------------------------------------------------------------------------------


def check_public_address(url: str, *, resolve: bool = True) -> None:
    """Refuse a feed address on this server's own network (loopback, private, link-local such
    as cloud metadata, reserved): a manager must not make the worker probe internal services.
    `FEEDS_ALLOW_PRIVATE_ADDRESSES` lifts it (tests, a distributor on a private link).
    Raises FeedTransportError; a name that doesn't resolve is left to the fetch to report."""
    if getattr(settings, "FEEDS_ALLOW_PRIVATE_ADDRESSES", False):
        return
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FeedTransportError(f"{shown_url(url)}: only http:// and https:// addresses are allowed.")
    host = parts.hostname
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        if not resolve:
            return
        try:
            infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80),
                                       proto=socket.IPPROTO_TCP)  # fmt: skip
        except (socket.gaierror, UnicodeError):
            return
        addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}
    for address in addresses:
        if not address.is_global or address.is_multicast:
            raise FeedTransportError(f"{shown_url(url)} points at a private or local network address ({address}); "
                                     f"feeds must be on the public internet.")  # fmt: skip


class _PublicRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to another public http(s) address."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urllib.parse.urlsplit(newurl).scheme not in ("http", "https"):
            raise FeedTransportError(f"{shown_url(req.full_url)} redirected to a non-web address; refused.")
        check_public_address(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _public_create_connection(address, *args, **kwargs) -> socket.socket:
    """socket.create_connection, then refuse a peer on a private network. `check_public_address`
    resolved the name earlier; this checks the address actually connected to, so a name that
    resolves differently the second time (DNS rebinding) can't reach an internal service."""
    sock = socket.create_connection(address, *args, **kwargs)
    if not getattr(settings, "FEEDS_ALLOW_PRIVATE_ADDRESSES", False):
        peer = ipaddress.ip_address(sock.getpeername()[0].split("%")[0])
        if not peer.is_global or peer.is_multicast:
            sock.close()
            raise FeedTransportError(f"{address[0]} connected to a private or local network address ({peer}); "
                                     f"feeds must be on the public internet.")  # fmt: skip
    return sock


class _PublicHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _public_create_connection  # http.client sets it per instance


class _PublicHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _public_create_connection  # checked before the TLS handshake


class _PublicHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_PublicHTTPConnection, req)


class _PublicHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        extra = {"check_hostname": self._check_hostname} if hasattr(self, "_check_hostname") else {}
        return self.do_open(_PublicHTTPSConnection, req, context=self._context, **extra)


_opener = urllib.request.build_opener(_PublicRedirects, _PublicHTTPHandler, _PublicHTTPSHandler)


def page_url(base_url: str, cursor: str) -> str:
    return f"{base_url.rstrip('/')}/invoices?{urllib.parse.urlencode({'since': cursor or ''})}"


def shown_url(url: str) -> str:
    """The address as messages show it: without any user:password@ someone typed into it."""
    parts = urllib.parse.urlsplit(url)
    if "@" in parts.netloc:
        parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
    return urllib.parse.urlunsplit(parts)


def _pull_http(organization, feed: SupplierFeed, result: PullResult, policy: PullPolicy, sleep) -> None:
    if not feed.url:
        raise FeedTransportError(f"{feed.name} has no URL; edit the feed and enter the distributor's feed address.")
    if urllib.parse.urlsplit(feed.url).scheme not in ("http", "https"):
        raise FeedTransportError(f"{feed.name}: the feed's URL must start with https:// (or http://).")
    cursor = feed.cursor
    for _ in range(MAX_PAGES_PER_PULL):
        url = page_url(feed.url, cursor)
        body = fetch(url, token=feed.token, policy=policy, sleep=sleep)
        count, next_cursor = _read_page(body, url)
        result.pages += 1
        if count:
            _store_page(organization, feed, body, cursor=cursor, result=result)
        if not next_cursor or next_cursor == cursor:
            return
        # Only now, with the page stored (committed): a crash before this line re-reads the page.
        SupplierFeed.objects.for_org(organization).filter(pk=feed.pk).update(cursor=next_cursor[:500])
        feed.cursor = cursor = next_cursor[:500]
        if not count:
            return
    # The loop ran out: the rest comes with the next pull, from the saved cursor.


def _store_page(organization, feed: SupplierFeed, body: bytes, *, cursor: str, result: PullResult) -> None:
    # A page read again (after a crash, or a feed that repeats its last page) is the same bytes:
    # count it, hand it on if it was never processed, and don't note a "second delivery" on it
    # every time the feed is polled.
    checksum = hashlib.sha256(body).hexdigest()
    existing = FeedDocument.objects.for_org(organization).filter(checksum=checksum).first()
    if existing is not None:
        result.add(existing, created=False)
        return
    _store(organization, feed, body, filename=f"invoices-since-{cursor or 'start'}.json", format="json", result=result)


def _read_page(body: bytes, url: str) -> tuple[int, str]:
    """(number of invoices, next cursor) of a page; the invoices themselves are the pipeline's."""
    where = shown_url(url)
    try:
        page = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        # The answer itself is not quoted: a feed address may point anywhere, and its pages are
        # no business of the people who read this message.
        raise FeedTransportError(f"{where} did not answer with a JSON invoice page; check the feed's URL") from None
    if not isinstance(page, dict) or not isinstance(page.get("invoices"), list):
        raise FeedTransportError(f"{where} answered JSON without an \"invoices\" list; check the feed's URL")
    next_cursor = page.get("next_cursor")
    if isinstance(next_cursor, bool) or not isinstance(next_cursor, (str, int, type(None))):
        raise FeedTransportError(f"{where}: next_cursor must be a string, not {type(next_cursor).__name__}")
    return len(page["invoices"]), ("" if next_cursor is None else str(next_cursor))


def fetch(url: str, *, token: str, policy: PullPolicy, sleep: Callable[[float], None] = time.sleep) -> bytes:
    """GET one page, retrying what a retry can fix. Raises FeedTransportError with a readable reason."""
    where = shown_url(url)
    problem = ""
    for attempt in range(1, policy.attempts + 1):
        wait = policy.backoff_for(attempt)
        request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": USER_AGENT})
        if token:
            # Unredirected: urllib copies ordinary headers to a redirect's target, which may be another host.
            request.add_unredirected_header("Authorization", f"Bearer {token}")
        try:
            # http(s) only: checked when the feed is saved and again in _pull_http.
            check_public_address(url)  # at every attempt: DNS may have changed since the feed was saved
            with _opener.open(request, timeout=policy.timeout) as response:
                return _read_body(response, where)
        except urllib.error.HTTPError as exc:
            status, retry_after = exc.code, exc.headers.get("Retry-After") if exc.headers else None
            exc.close()
            if status == 429:
                delay = parse_retry_after(retry_after)
                if delay is not None and delay > policy.retry_after_cap:
                    raise RateLimited(f"HTTP 429 from {where}: the distributor asks to wait {delay:.0f} s; the next "
                                      f"pull waits that long", retry_after=delay) from None  # fmt: skip
                problem, wait = "HTTP 429 (rate limited)", (delay if delay is not None else wait)
            elif status >= 500:
                problem = f"HTTP {status}"
            elif status in (401, 403):
                raise FeedTransportError(f"HTTP {status} from {where}: the distributor refused the token; edit the "
                                         f"feed and enter the current token") from None  # fmt: skip
            elif status == 404:
                raise FeedTransportError(f"HTTP 404 from {where}: no invoice feed at this address; check the "
                                         f"feed's URL") from None  # fmt: skip
            else:
                raise FeedTransportError(f"HTTP {status} from {where}") from None
        except FeedTransportError:
            raise
        except (TimeoutError, socket.timeout):
            problem = f"no answer within {policy.timeout:g} s"
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                problem = f"no answer within {policy.timeout:g} s"
            elif isinstance(reason, ssl.SSLError):
                raise FeedTransportError(f"{where}: the secure connection failed ({_reason(reason)})") from None
            else:
                problem = f"could not connect ({_reason(reason)})"
        except (http.client.HTTPException, ConnectionError, OSError) as exc:
            problem = f"the connection failed ({_reason(exc)})"
        if attempt < policy.attempts:
            sleep(wait)
    if problem.startswith("HTTP"):
        raise FeedTransportError(f"{problem} from {where} after {policy.attempts} attempts")
    raise FeedTransportError(f"{where}: {problem}, {policy.attempts} attempts")


def _read_body(response, where: str) -> bytes:
    body = response.read(MAX_DOCUMENT_BYTES + 1)
    if len(body) > MAX_DOCUMENT_BYTES:
        raise FeedTransportError(f"{where} sent a page over {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB; ask the "
                                 f"distributor for smaller pages")  # fmt: skip
    return body


def _reason(exc) -> str:
    text = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc) or exc.__class__.__name__
    return str(text)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# --- drop folder ----------------------------------------------------------------------------


def drop_root() -> Path:
    """Where drop folders may be. Each organization's live under `<root>/<organization slug>/`, so
    a feed can neither read the server's own files nor another organization's deliveries."""
    return Path(getattr(settings, "FEEDS_DIR", Path(settings.DATA_DIR) / "feeds")).resolve()


def organization_drop_root(organization) -> Path:
    return drop_root() / organization.slug


def resolve_drop_folder(organization, folder: str) -> Path:
    """The absolute drop folder for `folder` (relative to the organization's drop area, or absolute
    inside it). Raises FeedTransportError for anything outside."""
    base = organization_drop_root(organization)
    raw = Path(folder.strip()) if folder.strip() else base
    path = (raw if raw.is_absolute() else base / raw).resolve()
    if path != base and base not in path.parents:
        raise FeedTransportError(f"The drop folder must be inside {base} (this organization's drop area); "
                                 f"{folder!r} is not.")  # fmt: skip
    return path


def _pull_folder(organization, feed: SupplierFeed, result: PullResult, policy: PullPolicy) -> None:
    folder = resolve_drop_folder(organization, feed.folder)
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except FileNotFoundError:
        raise FeedTransportError(f"Drop folder {folder} does not exist; create it or edit the feed.") from None
    except NotADirectoryError:
        raise FeedTransportError(f"Drop folder {folder} is a file, not a folder; edit the feed.") from None
    except PermissionError:
        raise FeedTransportError(f"Drop folder {folder} cannot be read (permission denied).") from None
    except OSError as exc:
        raise FeedTransportError(f"Drop folder {folder} cannot be read ({_reason(exc)}).") from None
    problems = []
    settled_before = time.time() - policy.folder_settle_seconds
    for entry in entries:
        if not _is_delivery(entry):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if info.st_mtime > settled_before:
                continue  # still being written, perhaps; next pull
            if info.st_size > MAX_DOCUMENT_BYTES:
                problems.append(f"{entry.name} is {info.st_size / 1024 / 1024:.1f} MB, over the "
                                f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} MB limit; it was left in the folder")  # fmt: skip
                continue
            content = _read_regular_file(entry.path)
            if content is None:
                continue  # replaced by a link or a folder since it was listed
        except OSError as exc:
            problems.append(f"{entry.name} cannot be read ({_reason(exc)})")
            continue
        _store(organization, feed, content, filename=entry.name, format=feed.format, result=result)
        try:
            _move_to_processed(Path(entry.path), folder / PROCESSED_FOLDER)
        except OSError as exc:
            problems.append(f"{entry.name} was stored but not moved to {PROCESSED_FOLDER}/ ({_reason(exc)}); "
                            f"the next pull sees it again as a duplicate")  # fmt: skip
    if problems:
        raise FeedTransportError(f"Drop folder {folder}: " + "; ".join(problems) + ".")


def _read_regular_file(path: str) -> bytes | None:
    """The file's bytes, read through a descriptor that refuses symlinks, so a file swapped for a
    link to a server file between the listing and the read is not followed."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_DOCUMENT_BYTES:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(MAX_DOCUMENT_BYTES + 1)
    finally:
        os.close(fd)


def _is_delivery(entry: os.DirEntry) -> bool:
    name = entry.name
    if name.startswith((".", "~")) or name.lower().endswith(PARTIAL_SUFFIXES):
        return False
    try:
        return entry.is_file(follow_symlinks=False)  # not processed/, not a link out of the folder
    except OSError:
        return False


def _move_to_processed(path: Path, processed: Path) -> Path:
    processed.mkdir(exist_ok=True)
    target, n = processed / path.name, 2
    while target.exists():  # the same name delivered again: keep both
        target, n = processed / f"{path.stem}-{n}{path.suffix}", n + 1
    os.rename(path, target)
    return target
