"""The deployment files describe a Backstock that can actually start.

Docker is not needed (nor run) here: docker-compose.yml and the Dockerfile are read, and
every program they start is resolved in this environment — the gunicorn WSGI target is
imported, the Celery app is found, each `manage.py` command exists and accepts its
arguments. Then production settings must pass `manage.py check --deploy` without a warning.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
APP_SERVICES = ("web", "worker", "beat")
REQUIRED_ENV = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")


@cache
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def services() -> dict[str, dict]:
    return compose()["services"]


def _interpolate(value: str) -> str:
    """Compose's ${NAME:-default} with nothing set in the environment: the default."""
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?[^}]*\}", lambda m: m.group(1) or "", value)


def _argv(command) -> list[str]:
    parts = shlex.split(command) if isinstance(command, str) else [str(part) for part in command]
    return [_interpolate(part) for part in parts]


@cache
def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    instructions, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        current += " " + stripped[:-1] if stripped.endswith("\\") else " " + stripped
        if not stripped.endswith("\\"):
            keyword, _, rest = current.strip().partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
            current = ""
    return instructions


def _final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def _exec_form(instruction: str) -> list[str] | None:
    values = [json.loads(rest) for keyword, rest in _final_stage() if keyword == instruction]
    return values[-1] if values else None


def image_command() -> list[str]:
    """What a container of our image runs when compose gives no command: ENTRYPOINT + CMD."""
    return (_exec_form("ENTRYPOINT") or []) + (_exec_form("CMD") or [])


def _builds_our_image(service: dict) -> bool:
    return "build" in service or service.get("image") == services()["web"].get("image")


# --- resolving a command line in this environment -----------------------------------------


def assert_runnable(argv: list[str]) -> None:
    """Fail unless `argv` starts a program that exists here, with a target that exists."""
    assert argv, "empty command"
    program, args = Path(argv[0]).name, argv[1:]
    if program == "gunicorn":
        _assert_gunicorn(args)
    elif program == "celery":
        _assert_celery(args)
    elif re.fullmatch(r"python(3(\.\d+)?)?", program):
        _assert_python(args)
    else:
        pytest.fail(f"{shlex.join(argv)!r}: unknown program {program!r}; teach tests/test_deployment.py about it")


def _console_script(name: str) -> Path:
    script = Path(sys.executable).parent / name
    assert script.exists(), f"{name} is not installed in this environment ({script} missing)"
    return script


def _assert_gunicorn(args: list[str]) -> None:
    _console_script("gunicorn")
    from gunicorn.config import Config

    parsed = Config().parser().parse_args(args)  # exits (fails the test) on an unknown option
    assert len(parsed.args) == 1, f"gunicorn needs exactly one WSGI target, got {parsed.args}"
    module_name, _, attribute = parsed.args[0].partition(":")
    module = __import__(module_name, fromlist=["_"])
    application = getattr(module, attribute or "application")
    assert callable(application), f"{parsed.args[0]} is not a WSGI callable"


def _assert_celery(args: list[str]) -> None:
    _console_script("celery")
    import click
    from celery import Celery
    from celery.app.utils import find_app
    from celery.bin.base import CLIContext
    from celery.bin.celery import celery as celery_cli

    assert args[:1] in (["-A"], ["--app"]), f"celery {shlex.join(args)}: name the app with -A first"
    app_name, subcommand, rest = args[1], args[2], args[3:]
    app = find_app(app_name)
    assert isinstance(app, Celery), f"-A {app_name} does not name a Celery app"
    assert subcommand in celery_cli.commands, f"celery has no {subcommand!r} command"
    # Parse the subcommand's options the way `celery` would (raises on a bad one); nothing runs.
    parent = click.Context(celery_cli, obj=CLIContext(app=app, no_color=True, workdir=None, quiet=True))
    celery_cli.commands[subcommand].make_context(subcommand, list(rest), parent=parent)


def _assert_python(args: list[str]) -> None:
    assert args[:1] == ["manage.py"], f"python {shlex.join(args)}: only `python manage.py ...` is expected"
    assert (ROOT / "manage.py").exists()
    from django.core.management import get_commands, load_command_class

    name, rest = args[1], args[2:]
    commands = get_commands()
    assert name in commands, f"manage.py has no {name!r} command"
    command = load_command_class(commands[name], name)
    command.create_parser("manage.py", name).parse_args(rest)  # exits (fails the test) on a bad option


# --- docker-compose.yml -----------------------------------------------------------------------


def test_compose_has_the_services_a_deployment_needs():
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services())
    assert services()["postgres"]["image"].startswith("postgres:16")
    assert services()["redis"]["image"].startswith("redis:7")


@pytest.mark.parametrize("name", sorted(services()))
def test_every_service_has_an_image_or_a_build(name):
    service = services()[name]
    assert service.get("image") or service.get("build"), f"{name} has neither image nor build"


@pytest.mark.parametrize("name", [name for name, s in services().items() if _builds_our_image(s)])
def test_every_command_of_our_image_starts_something_that_exists(name):
    service = services()[name]
    assert_runnable(_argv(service.get("command") or image_command()))


def test_the_web_service_runs_gunicorn_and_the_worker_and_beat_run_celery():
    web = _argv(services()["web"].get("command") or image_command())
    assert Path(web[0]).name == "gunicorn" and "inventory_site.wsgi:application" in web
    assert _argv(services()["worker"]["command"])[:4] == ["celery", "-A", "inventory_site", "worker"]
    assert _argv(services()["beat"]["command"])[:4] == ["celery", "-A", "inventory_site", "beat"]


def test_migrations_run_before_the_app_starts():
    migrate = [name for name, s in services().items() if _argv(s.get("command") or [])[1:3] == ["manage.py", "migrate"]]
    assert migrate, "no service runs `python manage.py migrate`"
    assert "--noinput" in _argv(services()[migrate[0]]["command"])
    for name in APP_SERVICES:
        condition = _depends_on(services()[name]).get(migrate[0], {}).get("condition")
        assert condition == "service_completed_successfully", f"{name} must wait for {migrate[0]} to finish"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_get_their_configuration_from_the_environment(name):
    environment = services()[name].get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.partition("=")[::2] for item in environment)
    for variable in (*REQUIRED_ENV, "ALLOWED_HOSTS", "DJANGO_DEBUG"):
        assert variable in environment, f"{name} has no {variable}"
    assert _interpolate(str(environment["DJANGO_DEBUG"])) in {"0", "false", "False"}


def _depends_on(service: dict) -> dict[str, dict]:
    depends_on = service.get("depends_on") or {}
    return {name: {} for name in depends_on} if isinstance(depends_on, list) else depends_on


def test_health_conditions_point_at_services_with_a_healthcheck():
    for name, service in services().items():
        for target, spec in _depends_on(service).items():
            assert target in services(), f"{name} depends on unknown service {target}"
            if spec.get("condition") == "service_healthy":
                assert services()[target].get("healthcheck"), f"{name} waits for {target} to be healthy; it has none"


def test_postgres_data_and_media_live_in_named_volumes():
    declared = set(compose().get("volumes") or {})
    mounts = {name: [str(v) for v in s.get("volumes") or []] for name, s in services().items()}
    assert any(m.endswith(":/var/lib/postgresql/data") and m.split(":")[0] in declared for m in mounts["postgres"])
    assert any(m.split(":")[0] in declared and m.split(":")[1] == "/data/media" for m in mounts["web"])
    for name, volumes in mounts.items():
        for mount in volumes:
            source = mount.split(":")[0]
            assert source.startswith((".", "/")) or source in declared, f"{name} mounts undeclared volume {source}"


# --- Dockerfile -----------------------------------------------------------------------------


def test_the_image_is_python_311_slim_and_runs_as_a_non_root_user():
    froms = [rest for keyword, rest in dockerfile_instructions() if keyword == "FROM"]
    assert all(line.split()[0] == "python:3.11-slim" for line in froms), froms
    users = [rest for keyword, rest in _final_stage() if keyword == "USER"]
    assert users and users[-1] not in {"root", "0", "0:0"}, "the final stage must switch to a non-root USER"


def test_the_image_command_serves_the_wsgi_app_with_gunicorn():
    command = image_command()
    assert command, "Dockerfile has no CMD/ENTRYPOINT in exec form"
    assert_runnable(command)
    assert Path(command[0]).name == "gunicorn" and "inventory_site.wsgi:application" in command


def test_every_manage_py_command_in_the_dockerfile_exists():
    runs = [rest for keyword, rest in dockerfile_instructions() if keyword == "RUN" and "manage.py" in rest]
    assert any("collectstatic" in run for run in runs), "static files are collected at build time"
    for run in runs:
        words = shlex.split(run)
        start = words.index("manage.py") - 1
        assert_runnable(words[start:])


def test_dockerignore_keeps_what_the_image_needs():
    patterns = [line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()]
    patterns = [p for p in patterns if p and not p.startswith("#")]
    needed = ["pyproject.toml", "README.md", "manage.py", "inventory_site/settings.py", "templates/base.html"]
    needed += ["static/css", "items/fixtures/demo_items.csv"]
    needed += [f"{app}/__init__.py" for app in ("venues", "distributors", "items", "invoices", "backorders", "channels")]
    for path in needed:
        assert (ROOT / path).exists(), path
        excluded = [p for p in patterns if fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path.split("/")[0], p)]
        assert not excluded, f".dockerignore excludes {path} (by {excluded})"


# --- production settings ------------------------------------------------------------------------


def test_production_settings_pass_check_deploy_without_a_warning():
    from django.conf import settings

    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "SYSTEMROOT") if key in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="inventory_site.settings",
        DJANGO_DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(48),  # 64 characters
        ALLOWED_HOSTS="backstock.example.com",
        DATABASE_URL=settings.DATABASE_URL,
        REDIS_URL=settings.REDIS_URL,
        PYTHONWARNINGS="default",
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in result.stdout, output
    assert "warning" not in output.lower(), output
