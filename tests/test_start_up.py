"""Start-up pays only for what it uses: what building the app loads, in a fresh interpreter, for
the demo and for configs without a cluster. httpx costs about 0.1 s to import and the
kubernetes client more; a start that loads either without needing it shows up in the first
paint (`make bench`, case startup)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HEAVY = (
    "httpx",
    "kubernetes",
    "actions.http",
    "actions.command",
    "tui.sources.prometheus",
    "textual.widgets._text_area",  # the status update's editor: only once it opens
    "tui.incident.export",  # the postmortem: only for E (36 ms of imports, measured under load)
)

# Builds what `warroom` builds before it runs the app (the setup and the app object), then
# prints which of HEAVY it loaded.
BUILD = """
import json, sys
from tui.cli import build_parser
from tui.app import WarroomApp
import tui.wiring as wiring

argv, config_path = json.loads(sys.argv[1])
args = build_parser().parse_args(argv)
if config_path is None:
    setup = wiring.setup_for_demo(args)
else:
    from tui.config.load import load_config
    from pathlib import Path
    setup = wiring.setup_for_config(load_config(Path(config_path)), args)
WarroomApp(setup)
print(json.dumps(sorted(m for m in HEAVY if m in sys.modules)))
"""


def fresh(tmp_path: Path, code: str, arg: object) -> list[str]:
    """Run `code` in a fresh interpreter with `arg` (JSON) as its argument; the module names it
    printed last."""
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(arg)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def loaded(tmp_path: Path, argv: list[str], config: str | None = None) -> list[str]:
    config_path = None
    if config is not None:
        config_path = str(tmp_path / "warroom.toml")
        Path(config_path).write_text(config, encoding="utf-8")
    code = f"HEAVY = {HEAVY!r}\n{BUILD}"
    return fresh(tmp_path, code, [[*argv, "--db", str(tmp_path / "w.db")], config_path])


def test_the_demo_loads_no_http_client_and_no_kubernetes(tmp_path: Path) -> None:
    assert loaded(tmp_path, ["demo", "--seed", "1"]) == []


def test_a_config_of_services_loads_httpx_and_nothing_else_heavy(tmp_path: Path) -> None:
    config = '[[services]]\nname = "api"\nurl = "http://127.0.0.1:9/health"\n'
    assert loaded(tmp_path, [], config) == ["httpx"]


def test_a_config_of_services_and_command_actions_loads_no_http_action(tmp_path: Path) -> None:
    config = (
        '[[services]]\nname = "api"\nurl = "http://127.0.0.1:9/health"\n\n'
        '[[actions]]\nname = "Flush cache"\ncommand = ["true"]\n'
    )
    assert loaded(tmp_path, [], config) == ["actions.command", "httpx"]


def test_an_http_action_loads_what_it_uses(tmp_path: Path) -> None:
    """The check can fail: the HTTP action's module is loaded once the config has one."""
    config = (
        '[[actions]]\nname = "Flag off"\n[actions.http]\nmethod = "POST"\nurl = "http://127.0.0.1:9/flag"\n'
    )
    assert loaded(tmp_path, [], config) == ["actions.http", "httpx"]


# What `warroom demo` builds before its first frame (tui.cli: the set-up deferred, the app
# object): none of what the frame does not show. The rest loads after it is on the screen.
FIRST_FRAME = """
import json, sys
from tui.cli import build_parser
from tui.app import WarroomApp
import tui.wiring as wiring

args = build_parser().parse_args(json.loads(sys.argv[1]))
setup = wiring.setup_for_demo(args, deferred=True)
WarroomApp(setup)
print(json.dumps(sorted(m for m in LATER if m in sys.modules)))
"""
LATER = (
    "actions",  # the registry and the dispatcher
    "tui.controllers.action_keys",
    "tui.controllers.incident_keys",
    "tui.incident.store",  # the record (SQLite)
    "tui.incident.feed",
    "tui.incident.lifecycle",
    "tui.domain.detection",
    "tui.demo.platform",  # the simulated world
    "tui.runtime",  # the source loops
    "tui.config.schema",
)


def test_the_demo_draws_its_first_frame_before_loading_the_record_the_actions_and_its_world(
    tmp_path: Path,
) -> None:
    code = f"LATER = {LATER!r}\n{FIRST_FRAME}"
    assert fresh(tmp_path, code, ["demo", "--seed", "1", "--db", str(tmp_path / "w.db")]) == []
    # The check can fail: building the set-up whole loads them.
    whole = FIRST_FRAME.replace("deferred=True", "deferred=False")
    later = fresh(tmp_path, f"LATER = {LATER!r}\n{whole}", ["demo", "--db", str(tmp_path / "x.db")])
    assert set(later) >= {"actions", "tui.demo.platform"}
