"""Files that are not config files, named as the config, through the real command line: each is one
clear line and exit 2, at once (no memory growing on /dev/zero, no hang on a FIFO). And a reader
that stops reading (`| head -1`) ends the command quietly."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.unprivileged import as_user, shared_dir

ROOT = Path(__file__).resolve().parents[2]
MEMORY_CAP = 1 << 30  # the child's address space: /dev/zero read whole would hit it


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WARROOM_CONFIG", "XDG_CONFIG_HOME")}
    env.update(HOME=str(home), PYTHONPATH=str(ROOT), NO_COLOR="1", XDG_STATE_HOME=str(home / "state"))
    return env


def warroom(*args: str, cwd: Path, user: bool = False) -> tuple[subprocess.CompletedProcess[str], float]:
    argv = [sys.executable, "-m", "tui", *args]
    start = time.monotonic()
    result = subprocess.run(
        as_user(argv) if user else argv,
        cwd=cwd,
        env=_env(cwd),
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
        preexec_fn=_cap_memory,
    )
    return result, time.monotonic() - start


def _one_line_exit_2(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr == expected
    assert result.stdout == ""


@pytest.mark.parametrize("how", ["check-config", "--config"])
def test_a_device_is_refused_without_reading_it(how: str, tmp_path: Path) -> None:
    for device in ("/dev/zero", "/dev/null", "/dev/urandom"):
        args = ("check-config", device) if how == "check-config" else ("--config", device)
        result, took = warroom(*args, cwd=tmp_path)
        prefix = "" if how == "check-config" else "warroom: "
        _one_line_exit_2(result, f"{prefix}{device}: is a character device, not a regular file\n")
        assert took < 10


def test_a_fifo_is_refused_at_once_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "warroom.toml"
    os.mkfifo(fifo)  # no writer ever: opening it for reading blocks
    for args in (("check-config", "warroom.toml"), ("--config", "warroom.toml"), ("check-config",)):
        result, took = warroom(*args, cwd=tmp_path)
        prefix = "warroom: " if args[0] == "--config" else ""
        _one_line_exit_2(result, f"{prefix}warroom.toml: is a FIFO (named pipe), not a regular file\n")
        assert took < 10


def test_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "conf.d").mkdir()
    result, _ = warroom("check-config", "conf.d", cwd=tmp_path)
    _one_line_exit_2(result, "conf.d: is a directory, not a file\n")


def test_a_file_over_the_bound_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_text("# padding\n" * 1_700_000)  # 17,000,000 bytes of valid TOML
    result, _ = warroom("check-config", "big.toml", cwd=tmp_path)
    _one_line_exit_2(result, "big.toml: is 16.2 MiB, larger than 16 MiB\n")


def test_ten_thousand_services_written_out_in_full_are_a_config(tmp_path: Path) -> None:
    """The bound leaves room for the largest config the health panel is built for: 10 000
    `[[services]]`, each with every key spelled out."""
    (tmp_path / "token").write_text("secret\n")
    (tmp_path / "ca.pem").write_text("not read by check-config\n")
    entries = [
        "\n".join(
            [
                "[[services]]",
                f'name = "payments-service-{i:05d}"',
                f'url = "https://payments-service-{i:05d}.payments.svc.cluster.local:8443/health/ready"',
                f'deployment = "payments-service-{i:05d}"',
                'namespace = "payments-production"',
                "interval_s = 5",
                "timeout_s = 2",
                f'bearer_token_file = "{tmp_path / "token"}"',
                f'ca_file = "{tmp_path / "ca.pem"}"',
                "insecure = false",
                "degraded_ms = 250",
                "",
            ]
        )
        for i in range(10_000)
    ]
    config = tmp_path / "warroom.toml"
    config.write_text("\n".join(entries))
    assert config.stat().st_size > 2 << 20  # well past the old bound of 1 MiB
    result, _ = warroom("check-config", "warroom.toml", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("warroom.toml: valid\n"), result.stderr
    assert "payments-service-09999" in result.stdout


def test_an_unreadable_file_says_so() -> None:
    with shared_dir() as home:
        secret = home / "warroom.toml"
        secret.write_text("read_only = true\n")
        secret.chmod(0o000)
        result, _ = warroom("check-config", "warroom.toml", cwd=home, user=True)
        uid = 65534 if os.geteuid() == 0 else os.geteuid()
        _one_line_exit_2(result, f"warroom.toml: permission denied (cannot read it as uid {uid})\n")


# --- a reader that had enough ------------------------------------------------------------------


def _into_a_closed_pipe(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run warroom with stdout a pipe whose reader has already gone, as `| head -1` leaves it
    once head has its line: the first write fails with EPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "tui", *args],
            cwd=cwd,
            env=_env(cwd),
            stdout=write_end,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)


def test_a_broken_pipe_ends_quietly(tmp_path: Path) -> None:
    (tmp_path / "warroom.toml").write_text('[[services]]\nname = "api"\nurl = "http://127.0.0.1:1/health"\n')
    declared = subprocess.run(
        [sys.executable, "-m", "tui", "declare", "API down", "--severity", "SEV1"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert declared.returncode == 0, declared.stderr
    for args in (
        ("check-config", "warroom.toml"),
        ("incidents",),
        ("export",),
        ("export", "--format", "jsonl"),
        ("demo", "--list-scenarios"),
    ):
        result = _into_a_closed_pipe(*args, cwd=tmp_path)
        assert result.stderr == "", f"{args}: {result.stderr}"
        assert result.returncode in (0, 141), f"{args}: exit {result.returncode}"


def test_head_takes_its_line_and_nothing_complains(tmp_path: Path) -> None:
    """The shell pipeline itself, with enough output to outrun head."""
    services = "".join(
        f'[[services]]\nname = "svc-{i}"\nurl = "http://127.0.0.1:1/health"\n' for i in range(3000)
    )
    (tmp_path / "warroom.toml").write_text(services)
    run = subprocess.run(
        ["sh", "-c", f"{sys.executable} -m tui check-config warroom.toml | head -1"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.stdout == "warroom.toml: valid\n"
    assert run.stderr == ""


def test_a_home_that_cannot_be_entered_is_no_config_not_a_traceback() -> None:
    """`sudo -u observer warroom …` keeps HOME of the one who ran sudo: the default config place
    is then out of reach, which is no config there (and a named config says permission denied)."""
    with shared_dir() as base:
        locked = base / "home"
        (locked / ".config" / "warroom").mkdir(parents=True)
        locked.chmod(0o000)
        env = {**_env(base), "HOME": str(locked)}
        for args, expected in (
            (("check-config",), "warroom check-config: no config found"),
            (
                ("--config", str(locked / "warroom.toml")),
                f"warroom: {locked / 'warroom.toml'}: permission denied",
            ),
        ):
            result = subprocess.run(
                as_user([sys.executable, "-m", "tui", *args]),
                cwd=base,
                env=env,
                capture_output=True,
                text=True,
                timeout=30,
                stdin=subprocess.DEVNULL,
            )
            assert result.returncode == 2, result.stderr
            assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
            assert result.stderr.startswith(expected), result.stderr
