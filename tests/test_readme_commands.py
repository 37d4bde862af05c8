"""The README's two commands are the ones CI and the Makefile run, and its settings table is complete.

The commands are marked in README.md with `<!-- readme-command: run -->` and
`<!-- readme-command: test -->`, each followed by a fenced block holding the one command.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def readme_commands() -> dict[str, str]:
    pattern = re.compile(r"<!--\s*readme-command:\s*(\w+)\s*-->\s*```[a-z]*\n(.*?)```", re.S)
    found = {}
    for name, block in pattern.findall(README.read_text()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        assert len(lines) == 1, f"the README's {name} command block must hold exactly one command: {lines}"
        assert name not in found, f"two README blocks are marked as the {name} command"
        found[name] = lines[0]
    return found


def _shell_lines(text: str) -> list[str]:
    """Command lines of a shell script: comments, blank lines and shell options dropped."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def makefile_recipe(target: str) -> list[str]:
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"^{target}\s*:", line))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip().lstrip("@"))
    return recipe


def test_the_readme_names_the_run_and_the_test_command():
    assert readme_commands() == {"run": "python3 dev.py run", "test": "python3 dev.py test"}


def test_ci_runs_exactly_the_readmes_test_command():
    script = (ROOT / ".ci" / "run").read_text()
    lines = _shell_lines(script)
    assert "set -euo pipefail" in lines
    assert lines[-1] == readme_commands()["test"], "the last thing .ci/run does is the README's test command"
    invocations = [line for line in lines if "dev.py" in line]
    assert invocations == [readme_commands()["test"]], invocations


def test_ci_only_points_at_external_servers_it_checked():
    script = (ROOT / ".ci" / "run").read_text()
    assert "DATABASE_URL=\"postgres://postgres@127.0.0.1:5432/backstock\"" in script
    assert "REDIS_URL=\"redis://127.0.0.1:6379/0\"" in script
    for port in ("5432", "6379"):
        assert re.search(rf"reachable 127\.0\.0\.1 {port}; then", script), f"port {port} is checked before use"


@pytest.mark.parametrize("target", ["run", "test"])
def test_make_targets_run_exactly_the_readmes_commands(target):
    assert makefile_recipe(target) == [readme_commands()[target]]


def test_the_readme_documents_every_setting_read_from_the_environment():
    sources = [ROOT / "inventory_site" / "settings.py", ROOT / "inventory_site" / "devstack.py"]
    names = set()
    for source in sources:
        text = source.read_text()
        names |= set(re.findall(r"env_(?:str|bool|int|list)\(\s*\"([A-Z][A-Z0-9_]*)\"", text))
        names |= set(re.findall(r"environ(?:\.get)?\(\s*\"([A-Z][A-Z0-9_]*)\"", text))
        names |= set(re.findall(r"env\.get\(\s*\"([A-Z][A-Z0-9_]*)\"", text))
    names -= {"XDG_RUNTIME_DIR"}  # the system's, not ours
    readme = README.read_text()
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert not missing, f"README.md's Configuration table does not mention {missing}"


def test_the_readmes_demo_logins_are_the_ones_seed_demo_creates():
    from venues.management.commands.seed_demo import DEMO_USERS

    readme = README.read_text()
    for email, password, *_ in DEMO_USERS:
        assert re.search(rf"{re.escape(email)}\s+password: {re.escape(password)}", readme), email


def test_the_readmes_docker_commands_name_real_services():
    import yaml

    services = set(yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"])
    for match in re.finditer(r"docker compose run --rm (\S+) (.*)", README.read_text()):
        assert match.group(1) in services, match.group(0)
        assert shlex.split(match.group(2).rstrip("\\").strip())[:2] == ["python", "manage.py"], match.group(0)
