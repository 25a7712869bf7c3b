"""`warroom`: the command line (DESIGN.md fixes these names). Bad input of any kind ends with one
clear line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

EXIT_BAD_INPUT = 2
ONE_OPEN = "default: the open incident (needed when several are open)"


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the design's rule for bad input), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _common(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """--config/--read-only/--db/--theme, accepted before or after the subcommand."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--config", metavar="PATH", default=default, help="the config file (TOML)")
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="observer mode: the same live screen, and no way to change anything",
    )
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=default,
        help="the incident database (default: $XDG_STATE_HOME/warroom/incidents.db)",
    )
    parser.add_argument("--theme", metavar="NAME", default=default, help="any registered theme")
    parser.add_argument(
        "--as",
        dest="person",
        metavar="NAME",
        default=default,
        help="the person behind a shared account, recorded beside user@host (also $WARROOM_ACTOR)",
    )


def _automation(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--automation",
        action="store_true",
        help="record as automation, not a person (the default without a terminal on stdin)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="warroom",
        description="A terminal war room for production incidents.",
        epilog="With no command: run with the config found at --config, $WARROOM_CONFIG, "
        "./warroom.toml or $XDG_CONFIG_HOME/warroom/config.toml.",
    )
    _common(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)

    demo = sub.add_parser("demo", help="a simulated platform in the middle of an outage")
    _common(demo, suppress=True)
    demo.add_argument("--scenario", metavar="NAME", help="which outage (see --list-scenarios)")
    demo.add_argument("--list-scenarios", action="store_true", help="print the scenarios and exit")
    demo.add_argument("--seed", type=int, default=1, metavar="N", help="the simulation's seed (default 1)")

    check = sub.add_parser("check-config", help="validate a config and print what would be watched")
    check.add_argument("path", nargs="?", metavar="PATH")

    export = sub.add_parser("export", help="postmortem Markdown or JSONL audit log of an incident")
    _common(export, suppress=True)
    export.add_argument(
        "--incident",
        type=int,
        metavar="ID",
        help="default: the active incident, else the latest (needed when several are open)",
    )
    export.add_argument("--format", choices=("md", "jsonl"), default="md")
    export.add_argument("-o", "--output", metavar="FILE", help="default: standard output")
    export.add_argument("--force", action="store_true", help="overwrite FILE if it exists (default: refuse)")

    declare = sub.add_parser("declare", help="declare an incident")
    _common(declare, suppress=True)
    declare.add_argument("title")
    declare.add_argument("--severity", default="SEV2", metavar="SEV")
    declare.add_argument("--drill", action="store_true", help="a rehearsal: marked DRILL everywhere")
    _automation(declare)

    note = sub.add_parser("note", help="add a note to the active incident's timeline")
    _common(note, suppress=True)
    note.add_argument("text")
    note.add_argument("--incident", type=int, metavar="ID", help=ONE_OPEN)
    note.add_argument("--star", action="store_true", help="star the note (a key moment)")
    _automation(note)

    resolve = sub.add_parser("resolve", help="mark the active incident resolved")
    _common(resolve, suppress=True)
    resolve.add_argument("--incident", type=int, metavar="ID", help=ONE_OPEN)
    resolve.add_argument("--reason", metavar="TEXT", default="", help="why it counts as resolved")
    _automation(resolve)

    incidents = sub.add_parser("incidents", help="list incidents")
    _common(incidents, suppress=True)

    verify = sub.add_parser(
        "verify", help="check an exported audit log's hash chain; say where it breaks (exit 1)"
    )
    verify.add_argument("file", metavar="FILE.jsonl", help="the audit log (`-`: standard input)")
    return parser


def cmd_run(args: argparse.Namespace) -> int:
    from tui.config.load import find_config, load_config

    path = find_config(args.config)
    if path is None:
        print(
            "warroom: no config found (--config, $WARROOM_CONFIG, ./warroom.toml, "
            "$XDG_CONFIG_HOME/warroom/config.toml); try `warroom demo`, or start from warroom.example.toml",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    config = load_config(path)
    quick_start()
    from tui.wiring import run_app, setup_for_config

    return run_app(setup_for_config(config, args))


def quick_start() -> None:
    """The cyclic collector off until the app's first paint (the app turns it back on): start-up
    allocates what lives as long as the app (modules, widgets, styles), and the collector's
    passes over it, about 140 of them, took 40 ms of the demo's 0.3 s to its first frame."""
    gc.disable()


def cmd_demo(args: argparse.Namespace) -> int:
    from tui.demo.scenarios import list_scenarios

    scenarios = dict(list_scenarios())
    if args.list_scenarios:
        width = max(len(name) for name in scenarios)
        for name, line in scenarios.items():
            print(f"{name:<{width}}  {line}")
        return 0
    if args.scenario is not None and args.scenario not in scenarios:
        print(
            f"warroom demo: unknown scenario {args.scenario!r} (one of: {', '.join(scenarios)})",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    quick_start()
    from tui.wiring import run_app, setup_for_demo

    return run_app(setup_for_demo(args, deferred=True))


def cmd_check_config(args: argparse.Namespace) -> int:
    from tui.check_config import check_config_main

    return check_config_main(args.path)


def cmd_verify(args: argparse.Namespace) -> int:
    from tui.incident.verify import cmd_verify as verify

    return verify(args)


def _incident_command(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from tui.incident import commands

        return int(getattr(commands, f"cmd_{name}")(args))

    return run


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": cmd_run,
    "demo": cmd_demo,
    "check-config": cmd_check_config,
    "export": _incident_command("export"),
    "declare": _incident_command("declare"),
    "note": _incident_command("note"),
    "resolve": _incident_command("resolve"),
    "incidents": _incident_command("incidents"),
    "verify": cmd_verify,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for name in ("config", "db", "theme", "read_only", "person"):  # subcommands may have suppressed them
        if not hasattr(args, name):
            setattr(args, name, False if name == "read_only" else None)
    from tui.core.errors import UserError

    try:
        status = COMMANDS[args.command or "run"](args)
        sys.stdout.flush()  # a reader that left shows up here, not in the interpreter's last flush
        return status
    except UserError as err:
        from tui.core.untrusted import one_line

        # The line names files and values as given: a file name can hold escape sequences.
        print(f"warroom: {one_line(str(err), 2000)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return reader_left()
    except Exception as err:  # a bug: one line, the traceback in a log file, never exit 0
        from tui.crash import report

        return report(err)
    finally:
        gc.enable()  # the app turns it back on after its first paint; not when it never got there
        _stop_record_threads()


def _stop_record_threads() -> None:
    """A record connection a crash (or a bug) left open must not keep the process alive: its
    thread is not a daemon, and the interpreter would wait for it for ever."""
    store = sys.modules.get("tui.incident.store")
    if store is not None:
        store.stop_left_open()


def reader_left() -> int:
    """`warroom incidents | head -1`: the reader had enough, which is not an error to report. Point
    stdout at /dev/null so the interpreter's final flush has nowhere to fail ("Exception ignored"),
    and exit as a tool killed by SIGPIPE does (141), so `set -o pipefail` and `warroom verify`'s
    verdict are never mistaken for a complete run."""
    import os
    import signal

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 128 + signal.SIGPIPE
