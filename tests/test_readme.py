"""The README is executable documentation: its commands, links, CLI and configuration keys are real.

The Quick start block is what CI runs (``.ci/run`` extracts its second line); the "Everyday use"
commands and options must exist in the CLI; the configuration table must name only keys the
settings models accept, and every settings key must be in it.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
import typer.main
from pydantic import BaseModel

from gateway.cli import app
from gateway.deadlines import DeadlineSettings
from gateway.delivery import DeliverySettings
from gateway.limits import Limits
from gateway.reconcile import ReconcileConfig
from gateway.settings import (
    CustomsSourceSettings,
    DashboardSettings,
    EncryptionSettings,
    HubSettings,
    InsurerSettings,
    KeySettings,
    PolicySettings,
    ReceivablesSettings,
    ServiceSettings,
    Settings,
    SourceSettings,
)

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTIONS: dict[str, type[BaseModel]] = {
    "keys": KeySettings,
    "insurer": InsurerSettings,
    "policy": PolicySettings,
    "sources": SourceSettings,
    "customs": CustomsSourceSettings,
    "reconcile": ReconcileConfig,
    "deadlines": DeadlineSettings,
    "receivables": ReceivablesSettings,
    "service": ServiceSettings,
    "dashboard": DashboardSettings,
    "delivery": DeliverySettings,
    "hub": HubSettings,
    "encryption": EncryptionSettings,
    "limits": Limits,
}


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match is not None, f"README has no '## {title}' section"
    return match.group(1)


def _fenced_blocks(text: str) -> list[str]:
    return re.findall(r"^```[^\n]*\n(.*?)^```", text, re.M | re.S)


def _quick_start_lines() -> list[str]:
    blocks = _fenced_blocks(_section("Quick start"))
    assert len(blocks) == 1
    return [line for line in blocks[0].splitlines() if line.strip()]


def test_quick_start_is_one_block_of_two_commands() -> None:
    first, second = _quick_start_lines()
    assert first.rstrip().endswith("gateway demo")
    assert re.search(r"(^|[\s/])python -m pytest(\s|$)", second) or second.rstrip().endswith(
        "pytest"
    )
    for line in (first, second):
        shlex.split(line)  # well-formed shell words


def test_ci_runs_the_second_quick_start_line_verbatim() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    (extract,) = re.findall(r"^test_cmd=.*$", script, re.M)
    assert re.search(r'^bash -c "\$test_cmd"$', script, re.M), ".ci/run does not run it"
    done = subprocess.run(
        ["bash", "-c", f'set -euo pipefail\n{extract}\nprintf "%s" "$test_cmd"'],
        cwd=ROOT, capture_output=True, text=True, timeout=30, check=True,
    )
    assert done.stdout == _quick_start_lines()[1]


def _relative_links() -> list[str]:
    targets = re.findall(r"\]\(([^)\s]+)\)", README)
    return sorted({t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:|^#", t)})


def test_the_readme_has_relative_links() -> None:
    assert len(_relative_links()) >= 5


@pytest.mark.parametrize("target", _relative_links())
def test_every_relative_link_points_at_an_existing_file(target: str) -> None:
    path = ROOT / target.split("#", 1)[0]
    assert path.exists(), target
    assert path.resolve().is_relative_to(ROOT)


def _everyday_commands() -> list[list[str]]:
    blocks = _fenced_blocks(_section("Everyday use"))
    assert blocks, "README's Everyday use has no command block"
    commands = []
    for line in "".join(blocks).splitlines():
        words = shlex.split(line, comments=True)
        if words and words[0] == "gateway":
            commands.append(words[1:])
    return commands


def test_everyday_use_shows_the_main_commands() -> None:
    assert {words[0] for words in _everyday_commands()} >= {"init", "sync", "serve", "verify"}


@pytest.mark.parametrize("words", _everyday_commands(), ids=lambda w: w[0])
def test_every_everyday_command_and_option_exists(words: list[str]) -> None:
    group = typer.main.get_command(app)
    command = group.commands.get(words[0])  # type: ignore[attr-defined]
    assert command is not None, f"gateway {words[0]} does not exist"
    if hasattr(command, "commands"):  # a sub-command group such as `gateway ledger verify`
        command = command.commands.get(words[1])
        assert command is not None, f"gateway {words[0]} {words[1]} does not exist"
        words = [words[1], *words[2:]]
    options = {opt for param in command.params for opt in param.opts if opt.startswith("-")}
    used = {w for w in words[1:] if w.startswith("-")}
    assert used <= options, f"unknown options {sorted(used - options)} for gateway {words[0]}"
    with command.make_context(words[0], list(words[1:])):  # the arguments parse as written
        pass


def _table_keys() -> list[tuple[str | None, str]]:
    """(section, key) for every key the configuration table names; key "" = a whole section."""
    table = _section("Configuration reference")
    found: list[tuple[str | None, str]] = []
    for first_cell in re.findall(r"^\| (`[^|]*) \|", table, re.M):
        section = re.search(r"`\[\[?(\w+)\]\]?", first_cell)
        names = re.findall(r"`(?:\[\[?\w+\]\]? )?(\w+)`", first_cell)
        name = section.group(1) if section else None
        found.extend((name, key) for key in names)
        if section and re.fullmatch(r"`\[\[?\w+\]\]?`", first_cell.strip()):
            found.append((name, ""))
    return found


def test_the_configuration_table_is_parsed() -> None:
    keys = _table_keys()
    assert (None, "exporter_id") in keys and ("insurer", "url") in keys and len(keys) > 20


@pytest.mark.parametrize(("section", "key"), _table_keys())
def test_every_configuration_key_in_the_readme_exists(section: str | None, key: str) -> None:
    if section is None:
        assert key in Settings.model_fields
        return
    assert section in Settings.model_fields and section in SECTIONS
    assert key == "" or key in SECTIONS[section].model_fields


def test_every_settings_key_is_documented_in_the_readme() -> None:
    documented = set(_table_keys())
    missing = [name for name in Settings.model_fields if name not in SECTIONS]
    missing = [n for n in missing if (None, n) not in documented]
    for section, model in SECTIONS.items():
        if section == "limits":
            continue  # documented as a whole, pointing at gateway/limits.py
        missing += [f"{section}.{k}" for k in model.model_fields if (section, k) not in documented]
    assert missing == []


def test_the_section_models_are_those_of_settings() -> None:
    for section, model in SECTIONS.items():
        annotation = Settings.model_fields[section].annotation
        assert annotation is model or getattr(annotation, "__args__", ())[:1] == (model,)
