"""Fixtures shared by every test: the owner / teammate / staff / outsider quartet, real
PostgreSQL (as the row-level-security app role), real Redis, a real Celery worker and a real
Chromium for the tests that need them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django would then refuse ORM
# calls made by the test itself. The live server runs in its own thread and is unaffected.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _test_code_sees_all_tenants(request):
    """Test code (factories, assertions) reads across tenants through an explicit bypass.

    Requests made by the test client or a browser still go through TenantMiddleware, which
    replaces this with the signed-in user's organization for the duration of the request,
    so views and services are tested under row-level security. Tests of RLS itself open
    their own `tenant_context`, which replaces the bypass for their block.
    """
    names = request.fixturenames
    db_fixture = next((n for n in ("transactional_db", "db") if n in names), None)
    if db_fixture is None and request.node.get_closest_marker("django_db") is None:
        yield
        return
    # Set up the database (and its transaction) first, so the setting lives inside it.
    request.getfixturevalue(db_fixture or "db")
    from inventory_site.tenancy import rls_bypass

    with rls_bypass("test code"):
        yield


@dataclass
class Tenant:
    organization: object
    venue: object
    admin: object
    manager: object
    staff: object


def _build_tenant(name: str, prefix: str) -> Tenant:
    from venues.models import Membership
    from venues.tests.factories import UserFactory, make_organization

    organization, venue, admin = make_organization(name, admin_email=f"{prefix}-admin@example.test")
    manager = UserFactory(email=f"{prefix}-manager@example.test", first_name="Morgan", last_name=prefix.title())
    staff = UserFactory(email=f"{prefix}-staff@example.test", first_name="Sam", last_name=prefix.title())
    Membership.objects.create(organization=organization, user=manager, role=Membership.Role.MANAGER)
    Membership.objects.create(organization=organization, user=staff, role=Membership.Role.STAFF)
    return Tenant(organization=organization, venue=venue, admin=admin, manager=manager, staff=staff)


@pytest.fixture
def tenant(db) -> Tenant:
    """Organization A: the owner (admin), a teammate (manager) and a staff member."""
    return _build_tenant("Copper Tap Group", "a")


@pytest.fixture
def other_tenant(db) -> Tenant:
    """Organization B: the outsiders. Nothing of theirs may ever show up for A."""
    return _build_tenant("Riverside Spirits", "b")


@pytest.fixture
def client_for(client):
    """client_for(user) -> the Django test client signed in as that user."""

    def sign_in(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return sign_in


# --- a real Celery worker -------------------------------------------------------------------


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real `celery worker` subprocess on the test database, the test Redis and this run's queue.

    Tests that use it need `pytest.mark.django_db(transaction=True)`: the worker has its own
    database connection and sees only committed rows. Besides the apps' `tasks` modules it
    imports `tests.celery_tasks` (diagnostic tasks that exist only for the tests).
    """
    import socket

    from django.conf import settings
    from django.db import connection

    from inventory_site.celery import app

    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="inventory_site.test_settings",
        DATABASE_URL=_database_url_for(db),
        REDIS_URL=settings.REDIS_URL,
        CELERY_QUEUE=settings.CELERY_TASK_DEFAULT_QUEUE,
        CACHE_KEY_PREFIX=settings.CACHES["default"]["KEY_PREFIX"],
        PYTHONUNBUFFERED="1",
    )
    node = f"test-{os.getpid()}@{socket.gethostname()}"
    log_path = Path(settings.DATA_DIR) / "test-worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "inventory_site", "worker", "-l", "info", "--concurrency", "1",
         "--without-mingle", "--without-gossip", "--include", "tests.celery_tasks", "-n", node],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        # Wait until the worker answers a broadcast ping (each ping waits up to 1 s for replies).
        deadline = time.monotonic() + 60
        while not _worker_answers(app, node):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the test Celery worker did not start; see {log_path}")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _worker_answers(app, node: str) -> bool:
    try:
        return bool(app.control.ping(destination=[node], timeout=1))
    except Exception:  # noqa: BLE001 - the broker may not accept connections yet
        return False


def _database_url_for(settings_dict) -> str:
    """A DATABASE_URL naming the same server and database as `settings_dict` (the test DB).

    libpq options (the embedded server's socket directory arrives as OPTIONS["host"], not
    HOST) go into the query string, where dj-database-url puts them back into OPTIONS.
    """
    from urllib.parse import quote, urlencode

    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    host = settings_dict.get("HOST") or ""
    port = settings_dict.get("PORT") or ""
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    options = {
        key: value
        for key, value in (settings_dict.get("OPTIONS") or {}).items()
        if key != "assume_role" and isinstance(value, (str, int))  # settings add the role again
    }
    if host.startswith("/"):
        options["host"] = host
        host = ""
    query = f"?{urlencode(options)}" if options else ""
    return f"postgresql://{auth}{host}{':' + str(port) if port else ''}/{quote(settings_dict['NAME'])}{query}"


# --- a real browser -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """The system Chromium, driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("BACKSTOCK_CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.fail(f"Chromium not found at {executable}; run the tests with `python3 dev.py test`, which installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        yield browser
        browser.close()


@pytest.fixture
def page_for(browser, live_server):
    """page_for(user) -> a Playwright page signed in as user (session cookie); page_for(None) -> anonymous."""
    contexts = []

    def open_page(user=None):
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        if user is not None:
            from django.conf import settings
            from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
            from django.contrib.sessions.backends.db import SessionStore

            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.save()
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server.url}]
            )
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
