"""The code's rules are checks, not intentions: the corridor's import contracts (source ->
snapshot -> panel, one dispatcher) in pyproject.toml, what a command-line tool loads, and the
project's code clean under ruff and mypy (their settings are in pyproject.toml too)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """A tool installed beside this interpreter (the project's .venv), run on the checkout."""
    command = [str(Path(sys.executable).with_name(name)), *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_import_contracts_hold() -> None:
    done = _tool("lint-imports", "--no-cache")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_mypy_finds_nothing() -> None:
    done = _tool("mypy")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


CODE = ("tui", "panels", "actions", "themes", "tests", "bench")


def test_ruff_finds_nothing() -> None:
    done = _tool("ruff", "check", *CODE)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_the_code_is_formatted() -> None:
    """One layout (ruff format), so a diff shows what changed and not who formatted it."""
    done = _tool("ruff", "format", "--check", *CODE)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_actions_sources_and_the_record_load_no_textual() -> None:
    """`warroom note` from a deploy pipeline, a health check, the dispatcher: none pays for the UI."""
    code = (
        "import sys; import actions, tui.sources.health, tui.incident.store, tui.config.load, tui.domain.slo;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'kubernetes'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
