"""Running a command as an ordinary user, so file permissions are enforced even when the tests
run as root (root reads a mode-000 file and writes a read-only directory)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.servers.needs import missing

NOBODY = 65534  # uid and gid of nobody/nogroup on Debian


def as_user(argv: list[str]) -> list[str]:
    """`argv` as is for an ordinary user; for root, under `setpriv` as nobody (no groups, no
    capabilities). Fails in CI when setpriv is missing (util-linux has it), skips elsewhere."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        missing("setpriv is not on PATH (util-linux): needed to test permissions as root")
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--inh-caps=-all", *argv]


@contextmanager
def shared_dir() -> Iterator[Path]:
    """A fresh directory that the user of `as_user` can enter (pytest's tmp_path under
    /tmp/pytest-of-root is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="warroom-perm-"))
    try:
        path.chmod(0o755)
        yield path
    finally:
        for root, dirs, _files in os.walk(path):  # give back what a test made read-only
            for name in dirs:
                (Path(root) / name).chmod(0o755)
        shutil.rmtree(path, ignore_errors=True)
