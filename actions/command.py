"""`command` actions: a team's own mitigation as a process.

The argv runs without a shell: each placeholder is substituted inside its own argv element,
which stays one argument whatever the value holds. With `shell = true` the one command string
goes to `/bin/sh -c`, and the values never enter it as text: each placeholder becomes a
reference to an environment variable that holds the value ({pod} -> "${WARROOM_POD}"), and the
shell never parses the result of an expansion as code. (`shlex.quote`-ing the value into the
string, the obvious way, is safe only outside quotes: in `echo "pod: {pod}"` a quoted
`'$(touch x)'` sits inside double quotes and runs; a test proves it cannot happen here.) A
placeholder inside double quotes becomes ${WARROOM_POD}, outside quotes "${WARROOM_POD}", so the
value stays one word either way; inside single quotes the shell does not expand it, as it would
not expand anything else there. The variables (WARROOM_SERVICE, WARROOM_NAMESPACE, ...) are set
for argv commands too, for scripts.

The process runs in a group of its own (tui/core/process_group.py, shared with command health
checks), stdin from /dev/null, stdout+stderr together into the run's bounded `Output`. When the
dispatcher's timeout cancels the run, the whole group gets SIGTERM, then SIGKILL after
`KILL_GRACE_S`: nothing a timed-out mitigation started keeps running unseen. A command that
exits normally is not chased further: what it deliberately left running in the background is
its business, but warroom stops reading its output after `OUTPUT_GRACE_S`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from actions.output import Output
from actions.placeholders import NAMES, PLACEHOLDER, checked_values, substitute, used, values_of
from actions.registry import Action, RunResult, Target
from actions.team import team_action
from tui.config.schema import ActionConfig
from tui.core.process_group import exit_words, run_group

KILL_GRACE_S = 1.0  # SIGTERM to SIGKILL
# The supervisor between warroom and each command: the command dies with warroom, even a
# warroom killed with SIGKILL (actions/leash.py).
LEASH = str(Path(__file__).with_name("leash.py"))
OUTPUT_GRACE_S = 0.5  # after the exit, how long the rest of the output may take to arrive
SHELL = "/bin/sh"


def build_argv(command: Sequence[str], shell: bool, values: Mapping[str, str]) -> list[str]:
    """The argv to execute: placeholders substituted per element; or, for a shell string,
    replaced by references to the environment (`environment()` sets the variables). The caller
    has checked the values (`checked_values`)."""
    if shell:
        return [SHELL, "-c", shell_script(command[0])]
    return [substitute(part, values) for part in command]


def env_name(placeholder: str) -> str:
    return f"WARROOM_{placeholder.upper()}"


def shell_script(template: str) -> str:
    """`template` with each placeholder replaced by its variable, quoted for where it stands.

    The scan of the quoting is simple (it does not follow $(...) nesting); a mistake in it can
    only leave an expansion unquoted (word splitting), never make a value into code."""
    out: list[str] = []
    state = ""  # "" outside quotes, "'" or '"' inside them
    i = 0
    while i < len(template):
        match = PLACEHOLDER.match(template, i)
        if match and state != "'":
            var = "${" + env_name(match.group(1)) + "}"
            out.append(var if state == '"' else f'"{var}"')
            i = match.end()
            continue
        char = template[i]
        if char == "\\" and state != "'" and i + 1 < len(template):
            out.append(template[i : i + 2])
            i += 2
            continue
        if char in "'\"" and state in ("", char):
            state = "" if state == char else char
        out.append(char)
        i += 1
    return "".join(out)


def environment(target: Target, action_id: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in NAMES:
        env.pop(env_name(name), None)  # never a value inherited from warroom's own environment
    for name, value in values_of(target).items():
        env[env_name(name)] = value
    env["WARROOM_ACTION"] = action_id
    return env


async def run_command(
    argv: Sequence[str], output: Output, *, env: Mapping[str, str] | None = None
) -> RunResult:
    """Run `argv` to its end, its output into `output`. Cancelled: the process group is killed;
    warroom gone: the leash kills it."""
    found = shutil.which(argv[0], path=(env or os.environ).get("PATH"))
    if found is None:
        if os.sep in argv[0] and os.path.exists(argv[0]):
            return RunResult(False, f"cannot run {argv[0]}: not executable")
        return RunResult(False, f"command not found: {argv[0]}")
    leashed = [sys.executable, "-I", LEASH, str(os.getpid()), str(KILL_GRACE_S), "--", found, *argv[1:]]
    try:
        # Cancelled (the dispatcher's timeout, or warroom stopping): the group is stopped.
        code = await run_group(
            leashed, output.write, env=env, term_grace_s=KILL_GRACE_S, output_grace_s=OUTPUT_GRACE_S
        )
    except FileNotFoundError:
        return RunResult(False, f"command not found: {argv[0]}")
    except OSError as err:
        return RunResult(False, f"cannot run {argv[0]}: {err.strerror or err}")
    return RunResult(code == 0, exit_words(code), exit_code=code)


def command_action(cfg: ActionConfig, action_id: str) -> Action:
    """An `[[actions]]` entry with `command` as an Action."""
    command = tuple(cfg.command or ())
    if not command:
        raise ValueError(f"action {cfg.name!r} has no command")
    names = used(command)

    def argv(target: Target) -> list[str]:
        return build_argv(command, cfg.shell, checked_values(names, target))

    def preview(target: Target, inputs: Mapping[str, Any]) -> str:
        line = shlex.join(argv(target))
        if not cfg.shell:
            return line
        # The values are in the environment: show them as the assignments a shell would read.
        values = values_of(target)
        assigned = [f"{env_name(n)}={values[n]}" for n in sorted(names)]
        return shlex.join(assigned) + " " + line if assigned else line

    async def run(target: Target, inputs: Mapping[str, Any], output: Output) -> RunResult:
        return await run_command(argv(target), output, env=environment(target, action_id))

    return team_action(
        cfg,
        action_id,
        kind="command",
        names=names,
        run=run,
        preview=preview,
        description=f"runs {shlex.join(command) if not cfg.shell else command[0]}",
        timeout_note="process group killed",
    )


__all__ = [
    "KILL_GRACE_S",
    "build_argv",
    "command_action",
    "env_name",
    "environment",
    "run_command",
    "shell_script",
]
