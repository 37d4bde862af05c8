#!/usr/bin/env python3
"""Set up and run Backstock with nothing but Python 3.11+.

    python3 dev.py run    # the app: web, Celery worker and beat, demo data, embedded services
    python3 dev.py test   # the whole test suite (extra arguments go to pytest)

Creates ./.venv, installs the project into it (again whenever pyproject.toml changes),
then hands over to inventory_site/devstack.py inside that environment.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"


def ensure_venv(extras: str) -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Backstock needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print("Creating .venv …", flush=True)
        try:
            venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        except (OSError, subprocess.CalledProcessError) as exc:
            sys.exit(
                f"Could not create .venv ({exc}).\n"
                "On Debian/Ubuntu install the venv module first: sudo apt-get install python3-venv"
            )
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".installed-{extras or 'base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("Installing Backstock and its dependencies into .venv …", flush=True)
    target = f".[{extras}]" if extras else "."
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], cwd=ROOT, check=True)
    subprocess.run([*pip, "-e", target], cwd=ROOT, check=True)
    stamp.write_text(digest)


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command not in {"run", "test", "services", "stop"}:
        print(__doc__)
        return 2
    ensure_venv("dev" if command == "test" else "")
    os.chdir(ROOT)
    os.execv(str(PYTHON), [str(PYTHON), "-m", "inventory_site.devstack", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
