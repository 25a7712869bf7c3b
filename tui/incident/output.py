"""Export files: written whole (a reader never sees half a postmortem) and never over an existing
file unless the person asked for it (`--force`, or "overwrite" in the dialog). Checking first
and then renaming into place would still clobber a file made in between; a hard link of the
finished temporary file is refused by the kernel when the name is taken, so "no" stays no."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path

# Filesystems without hard links (FAT, some network mounts): create the name exclusively instead.
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK}


def write_whole(path: Path, data: bytes, *, overwrite: bool) -> None:
    """Write `data` to `path` in one piece. Without `overwrite`, raise FileExistsError (and
    leave it as it is) when `path` exists, even if it appeared a moment ago."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if overwrite:
            os.replace(temporary, path)
            return
        try:
            os.link(temporary, path)
        except OSError as err:
            if err.errno not in _NO_LINKS:
                raise
            with open(path, "xb") as out:  # not atomic, but never over another file
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


__all__ = ["write_whole"]
