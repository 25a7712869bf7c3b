"""The corridor's rules (source -> snapshot -> panel, one dispatcher) are checks, not intentions:
the import contracts in pyproject.toml, and what a command-line tool loads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_actions_sources_and_the_record_load_no_textual() -> None:
    """`warroom note` from a deploy pipeline, a health check, the dispatcher: none pays for the UI."""
    code = (
        "import sys; import actions, tui.sources.health, tui.incident.store, tui.config, tui.domain.slo;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'kubernetes'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
