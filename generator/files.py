"""Atomic file output: a temporary file beside the target, then a rename.  The result has the
permissions a plain ``open(path, "w")`` would give it: an existing file keeps its mode, a new one
gets 0666 less the umask (0644 under the usual 022), never the 0600 of a temporary file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def output_mode(path: Path) -> int:
    """The mode ``path`` should have: its current one (permission bits only, never setuid, setgid or
    sticky; a symlink's target is not looked at, the link is replaced), else 0666 less the umask."""
    import stat as stat_mod
    try:
        st = os.lstat(path)
        if stat_mod.S_ISREG(st.st_mode):
            return st.st_mode & 0o777
        raise FileNotFoundError(path)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def read_limited(path, limit: int, what: str, limit_name: str = "max_input_bytes") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (no device, FIFO or huge file)."""
    from .errors import SpecError
    p = Path(path)
    try:
        st = p.stat()
    except OSError as e:
        raise SpecError(f"cannot read the {what}: {e.strerror or e}", where=str(path)) from None
    import stat as stat_mod
    if not stat_mod.S_ISREG(st.st_mode):
        raise SpecError(f"the {what} is not a regular file", where=str(path))
    if st.st_size > limit:
        raise SpecError(f"the {what} is larger than {limit} bytes (limit {limit_name})", where=str(path))
    with open(p, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise SpecError(f"the {what} is larger than {limit} bytes (limit {limit_name})", where=str(path))
    return data


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
    except BaseException as e:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(e, OSError) and not isinstance(e, FileNotFoundError):
            raise OSError(e.errno, e.strerror or str(e), str(path)) from None    # name the file
        raise


@contextlib.contextmanager
def output_lock(folder: Path):
    """One writer per output folder: an exclusive lock on ``folder/.dryrun.lock`` for the whole
    run; a second run into the same folder stops at once with a clear message."""
    import fcntl

    folder = Path(folder)
    made = [p for p in (folder, *folder.parents) if not p.exists()]    # what this run creates
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ".dryrun.lock"
    try:       # never through a symlink planted as the lock file (truncate() would hit its target)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
    except OSError as e:
        from .errors import UsageError
        raise UsageError(f"cannot lock the output folder {folder}: {path.name} is not a plain file "
                         f"({e.strerror or e}); remove it") from None
    with os.fdopen(fd, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip()
            from .errors import BusyError
            raise BusyError(f"another dryrun run{f' (pid {holder})' if holder else ''} is writing into "
                              f"{folder}; wait for it to finish or choose another folder") from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            path.unlink(missing_ok=True)     # leave no file behind; the lock goes with it
            fcntl.flock(fh, fcntl.LOCK_UN)
            for created in made:             # a run that wrote nothing leaves no empty folders
                try:
                    created.rmdir()
                except OSError:
                    break
