"""What a test needs from the machine: missing, it fails in CI (where `make test` must have
installed it) and is skipped elsewhere, with the same message."""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest


def missing(message: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def program(name: str, why: str = "make test installs it") -> str:
    """The path of the program `name` on PATH, or fail (CI) / skip (elsewhere)."""
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not on PATH ({why})")
    return path
