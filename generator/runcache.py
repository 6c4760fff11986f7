"""Whole-run cache of batch commands: when a run's inputs (spec, options, templates, dryrun's own
code, the TeX engine) are unchanged and its outputs are all still there, byte for byte, nothing is
done again — not even the drawing and rendering that would lead to cached PDFs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .files import write_atomic

PACKAGE = Path(__file__).resolve().parent


#: Larger inputs are never hashed (they are refused later, with a clear message).
_MAX_HASHED = 64 * 1024 * 1024


def _digest(path: Path) -> str:
    """The hash of a regular file's content; of its size and time for one too large to hash,
    and of its name only for anything else (a device or a FIFO is never read here)."""
    import stat
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):
        return f"not-a-file:{path}"
    if st.st_size > _MAX_HASHED:
        return f"large:{st.st_size}:{st.st_mtime_ns}"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return [f"{p.relative_to(folder)}:{_digest(p)}" for p in sorted(folder.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts]


def run_key(*, files=(), folders=(), options=()) -> str:
    """A key for a run: the given files' and folders' contents, the options, and dryrun itself."""
    from .compile import engine_version
    from .render import TEMPLATES

    h = hashlib.sha256()
    parts = [engine_version(), *map(str, options)]
    parts += [f"{f}:{_digest(Path(f))}" for f in files if f]
    for folder in (PACKAGE, TEMPLATES, *[Path(f) for f in folders if f]):
        parts += _tree(Path(folder))
    for p in parts:
        h.update(p.encode("utf-8", "surrogateescape"))
        h.update(b"\0")
    return h.hexdigest()


def _manifest_path(key: str) -> Path:
    from .compile import cache_dir
    return cache_dir() / "runs" / f"{key}.json"


def unchanged(key: str, out_dir: Path) -> str | None:
    """The recorded summary when every output of the run ``key`` is still in ``out_dir`` as written."""
    path = _manifest_path(key)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        for name, digest in manifest["files"].items():
            if _digest(out_dir / name) != digest:
                return None
        return manifest["summary"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def recorded_files(key: str) -> list[str]:
    """The names of the files the run ``key`` wrote."""
    try:
        return sorted(json.loads(_manifest_path(key).read_text(encoding="utf-8"))["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return []


def record(key: str, out_dir: Path, names, summary: str) -> None:
    files = {n: _digest(out_dir / n) for n in sorted(names)}
    data = json.dumps({"files": files, "summary": summary}, indent=1).encode()
    write_atomic(_manifest_path(key), data)
