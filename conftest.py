"""Fixtures shared by every test: the owner / teammate / staff / outsider quartet, real
PostgreSQL (as the row-level-security app role), real Redis, a real Celery worker and a real
Chromium for the tests that need them."""

from __future__ import annotations

import contextlib
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
# Fixtures of Product Connect's tests: a fake distributor's HTTP feed, an organization ready for it.
pytest_plugins = ["invoices.tests.fake_distributor"]


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


@pytest.fixture(scope="session", autouse=True)
def _feeds_dir_is_removed_after_the_run():
    """Drop-folder tests write under this run's own FEEDS_DIR, attachments under the tests'
    MEDIA_ROOT (test_settings); leave neither behind."""
    yield
    import shutil

    from django.conf import settings

    shutil.rmtree(settings.FEEDS_DIR, ignore_errors=True)
    if Path(settings.MEDIA_ROOT).name == "test-media":  # never a real media folder
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


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


@dataclass
class WorkerProcess:
    """A `celery worker` subprocess started by `start_celery_worker`; it leads its own process group."""

    process: subprocess.Popen
    node: str
    queue: str
    log_path: Path
    log: object

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill_hard(self) -> None:
        """`kill -9` the worker's whole process group (the main process and its pool children)."""
        import signal

        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(20)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, 9)
                self.process.wait()
        self.log.close()


def start_celery_worker(*, queue: str | None = None, extra_env: dict | None = None,
                        name: str = "test") -> WorkerProcess:  # fmt: skip
    """Start a real worker on the test database and Redis, taking tasks from `queue` (this run's
    default queue unless given), and wait until it answers a ping. Call inside a test that has
    the database set up (the `celery_worker_process` / `celery_worker_factory` fixtures do)."""
    import socket

    from django.conf import settings
    from django.db import connection

    from inventory_site.celery import app

    queue = queue or settings.CELERY_TASK_DEFAULT_QUEUE
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="inventory_site.test_settings",
        DATABASE_URL=_database_url_for(connection.settings_dict),
        REDIS_URL=settings.REDIS_URL,
        CELERY_QUEUE=queue,
        CACHE_KEY_PREFIX=settings.CACHES["default"]["KEY_PREFIX"],
        PYTHONUNBUFFERED="1",
        **(extra_env or {}),
    )
    node = f"{name}-{os.getpid()}-{time.monotonic_ns()}@{socket.gethostname()}"
    log_path = Path(settings.DATA_DIR) / f"{name}-worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w")  # noqa: SIM115 - closed by stop()
    # Its own session (process group), so a test can kill -9 the worker and its pool children
    # together without signalling pytest.
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "inventory_site", "worker", "-l", "info", "--concurrency", "1",
         "--without-mingle", "--without-gossip", "--include", "tests.celery_tasks", "-n", node],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    worker = WorkerProcess(process=process, node=node, queue=queue, log_path=log_path, log=log)
    # Wait until the worker answers a broadcast ping (each ping waits up to 1 s for replies).
    deadline = time.monotonic() + 60
    while not _worker_answers(app, node):
        if process.poll() is not None or time.monotonic() > deadline:
            worker.stop()
            raise RuntimeError(f"the test Celery worker did not start; see {log_path}")
    return worker


@pytest.fixture
def celery_beat_factory(django_db_setup, tmp_path):
    """start(queue=...) -> Popen: a real `celery beat` sending the project's schedule to `queue`
    (this run's default queue unless given); stopped when the test ends."""
    from django.conf import settings
    from django.db import connection

    started: list[subprocess.Popen] = []

    def start(*, queue: str | None = None) -> subprocess.Popen:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="inventory_site.test_settings",
            DATABASE_URL=_database_url_for(connection.settings_dict),
            REDIS_URL=settings.REDIS_URL,
            CELERY_QUEUE=queue or settings.CELERY_TASK_DEFAULT_QUEUE,
            CACHE_KEY_PREFIX=settings.CACHES["default"]["KEY_PREFIX"],
            PYTHONUNBUFFERED="1",
        )
        log = open(Path(settings.DATA_DIR) / "test-beat.log", "w")  # noqa: SIM115 - the process owns it
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "inventory_site", "beat", "-l", "info",
             "-s", str(tmp_path / "celerybeat-schedule"), "--pidfile", str(tmp_path / "beat.pid")],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()
        started.append(process)
        return process

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real `celery worker` subprocess on the test database, the test Redis and this run's queue.

    Tests that use it need `pytest.mark.django_db(transaction=True)`: the worker has its own
    database connection and sees only committed rows. Besides the apps' `tasks` modules it
    imports `tests.celery_tasks` (diagnostic tasks that exist only for the tests).
    """
    worker = start_celery_worker()
    try:
        yield worker.process
    finally:
        worker.stop()


@pytest.fixture
def celery_worker_factory(django_db_setup):
    """start(queue=..., extra_env=...) -> WorkerProcess: more workers for one test (e.g. to kill
    one with -9 and start another on the same queue); each is stopped when the test ends."""
    started: list[WorkerProcess] = []

    def start(**kwargs) -> WorkerProcess:
        worker = start_celery_worker(**kwargs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


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
