"""A real local HTTP server speaking the JSON invoice feed protocol (shared/formats/invoice-feeds.md,
section 2), for tests of the transport and of the worker. Not a mock: requests go over a socket.

    with FakeDistributor(token="s3cret") as server:
        server.add_page([make_invoice("INV-1", account="1001")])
        feed.url = server.url  # http://127.0.0.1:<port>/acme
        ...
        server.fail_next(503, times=2)  # scripted answers, used before the protocol's own
        server.rate_limit_next("1")     # 429 with Retry-After: 1
        server.slow_next(2.0)           # the next answer waits 2 s (timeouts)

Cursors are "c<n>": `since=` (or empty) is page 0; page n answers `next_cursor: "c<n+1>"`; past the
last page the answer has no invoices and the same cursor back. Wrong or missing bearer token: 401.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Seen:
    """One request as the server saw it."""

    at: float  # time.monotonic()
    path: str
    since: str
    authorized: bool
    answered: int = 0


@dataclass
class _Scripted:
    status: int = 200
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    then_protocol: bool = False  # after the delay, answer as the protocol would


class FakeDistributor:
    def __init__(self, *, token: str = "test-token", prefix: str = "/acme"):
        self.token = token
        self.prefix = prefix.rstrip("/")
        self.pages: list[list[dict]] = []
        self.requests: list[Seen] = []
        self._script: deque[_Scripted] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle ---

    def start(self) -> FakeDistributor:
        handler = _handler_for(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False  # a slow answer in flight must not hold up stop()
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-distributor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeDistributor:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.prefix}"

    # --- what it serves ---

    def add_page(self, invoices: list[dict]) -> None:
        with self._lock:
            self.pages.append(invoices)

    def fail_next(self, status: int, *, times: int = 1, body: bytes = b'{"error": "scripted"}', headers=None) -> None:
        with self._lock:
            for _ in range(times):
                self._script.append(_Scripted(status=status, body=body, headers=dict(headers or {})))

    def rate_limit_next(self, retry_after: str, *, times: int = 1) -> None:
        self.fail_next(429, times=times, headers={"Retry-After": retry_after}, body=b'{"error": "slow down"}')

    def slow_next(self, seconds: float, *, times: int = 1) -> None:
        with self._lock:
            for _ in range(times):
                self._script.append(_Scripted(delay=seconds, then_protocol=True))

    def requests_for(self, since: str) -> list[Seen]:
        return [r for r in self.requests if r.since == since]

    # --- the protocol ---

    def _answer(self, path: str, query: dict, authorization: str) -> tuple[_Scripted, Seen]:
        since = (query.get("since") or [""])[0]
        seen = Seen(at=time.monotonic(), path=path, since=since, authorized=authorization == f"Bearer {self.token}")
        with self._lock:
            self.requests.append(seen)
            scripted = self._script.popleft() if self._script else None
        if scripted is not None and not scripted.then_protocol:
            return scripted, seen
        delay = scripted.delay if scripted else 0.0
        if path != f"{self.prefix}/invoices":
            return _Scripted(status=404, body=b'{"error": "no such feed"}', delay=delay), seen
        if not seen.authorized:
            return _Scripted(status=401, body=b'{"error": "bad token"}', headers={"WWW-Authenticate": "Bearer"},
                             delay=delay), seen  # fmt: skip
        with self._lock:
            pages = list(self.pages)
        index = int(since[1:]) if since.startswith("c") and since[1:].isdigit() else 0
        if index < len(pages):
            page = {"invoices": pages[index], "next_cursor": f"c{index + 1}"}
        else:
            page = {"invoices": [], "next_cursor": f"c{len(pages)}"}
        body = json.dumps(page, indent=1).encode()
        return _Scripted(status=200, body=body, headers={"Content-Type": "application/json"}, delay=delay), seen


def _handler_for(server: FakeDistributor):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 - http.server's naming
            parts = urlsplit(self.path)
            answer, seen = server._answer(parts.path, parse_qs(parts.query, keep_blank_values=True),
                                          self.headers.get("Authorization", ""))  # fmt: skip
            if answer.delay:
                time.sleep(answer.delay)
            seen.answered = answer.status
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            try:
                self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                pass

        def log_message(self, format, *args):  # quiet: pytest shows failures, not access logs
            pass

    return Handler


# --- invoices to serve ---------------------------------------------------------------------

PRODUCTS = [
    ("TITO-750", "TITOS HANDMADE VODKA 750ML", "750ML", 12, "21.50", "spirits"),
    ("JD7-750", "JACK DANIELS OLD #7 BLK 750ML", "750ML", 12, "24.10", "spirits"),
    ("BUFF-1L", "BUFFALO TRACE BOURBON 1L", "1L", 12, "29.99", "spirits"),
    ("HEND-750", "HENDRICKS GIN 750ML", "750ML", 6, "31.40", "spirits"),
    ("MOD-12", "MODELO ESPECIAL 12OZ CAN 24PK", "12OZ", 24, "1.15", "beer"),
    ("KJ-CHARD", "KENDALL JACKSON VINTNERS RESERVE CHARDONNAY 750ML", "750ML", 12, "13.25", "wine"),
    ("TOPO-12", "TOPO CHICO MINERAL WATER 12OZ", "12OZ", 24, "0.95", "non-alcoholic"),
    ("CAMP-1L", "CAMPARI APERITIVO 1L", "1L", 12, "27.80", "spirits"),
]


def make_invoice(number: str, *, account: str, lines: int = 3, date: str = "2025-03-04",
                 first_product: int = 0) -> dict:  # fmt: skip
    """One invoice of the JSON feed with `lines` beverage lines (products cycle through PRODUCTS)."""
    rows = []
    for n in range(1, lines + 1):
        sku, description, size, pack, price, category = PRODUCTS[(first_product + n - 1) % len(PRODUCTS)]
        rows.append({"line_number": n, "distributor_sku": sku, "description": description, "size": size,
                     "units_per_case": pack, "quantity": str(n), "uom": "EA", "unit_price": price,
                     "category": category})  # fmt: skip
    return {"invoice_number": number, "invoice_date": date, "account_number": account,
            "sales_rep": {"name": "Pat Rep", "email": "pat.rep@example.test"}, "lines": rows}  # fmt: skip


# --- fixtures (the root conftest.py loads this module as a plugin) -----------------------------

@pytest.fixture
def distributor_server():
    """A running FakeDistributor on 127.0.0.1 with token "test-token"."""
    with FakeDistributor() as server:
        yield server


@dataclass
class FeedSetup:
    """Organization A ready for Product Connect: its venue on, a distributor with the venue's account."""

    tenant: object
    distributor: object
    account_number: str


def set_up_product_connect(tenant, *, distributor_name: str = "Acme Wholesale",
                           account_number: str = "1001") -> FeedSetup:  # fmt: skip
    from distributors.services import create_account, create_distributor
    from venues.services import set_product_connect

    org, admin = tenant.organization, tenant.admin
    set_product_connect(actor=admin, organization=org, venue=tenant.venue, enabled=True)
    distributor = create_distributor(actor=admin, organization=org, name=distributor_name)
    create_account(actor=admin, organization=org, venue=tenant.venue, distributor=distributor,
                   account_number=account_number)  # fmt: skip
    return FeedSetup(tenant=tenant, distributor=distributor, account_number=account_number)


@pytest.fixture
def product_connect(tenant) -> FeedSetup:
    return set_up_product_connect(tenant)
