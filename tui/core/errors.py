"""The errors that mean "bad input": the CLI prints their one line and exits 2."""

from __future__ import annotations


class UserError(Exception):
    """One line naming the file or flag, the key path and what was expected."""
