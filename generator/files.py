"""Atomic file output: a temporary file beside the target, then a rename.  The result has the
permissions a plain ``open(path, "w")`` would give it: an existing file keeps its mode, a new one
gets 0666 less the umask (0644 under the usual 022), never the 0600 of a temporary file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def output_mode(path: Path) -> int:
    """The mode ``path`` should have: its current one, else 0666 less the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the whole new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = output_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
