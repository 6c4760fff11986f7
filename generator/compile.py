"""Compile LaTeX to PDF: pdflatex in a temporary directory, no shell escape, files confined to
that directory, under a timeout; the PDF is moved into place only when complete.

Two caches make batches fast (both content-addressed, both keyed by the TeX engine's version):
the preamble precompiled into a format (``pdflatex -ini … \\dump``), and finished PDFs keyed by the
hash of their LaTeX source, so an unchanged document is never compiled twice."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import DryrunError, LatexError, ToolMissingError
from .files import write_atomic

TIMEOUT = 120  # seconds for one pdflatex pass
BEGIN = "\\begin{document}"


def pdflatex() -> str:
    exe = shutil.which("pdflatex")
    if not exe:
        raise ToolMissingError("pdflatex is not installed: run 'bash scripts/setup.sh tex' "
                               "(needs root), or render with --format tex")
    return exe


@functools.lru_cache(maxsize=None)
def engine_version() -> str:
    out = subprocess.run([pdflatex(), "--version"], capture_output=True, text=True, timeout=30)
    return out.stdout.splitlines()[0] if out.stdout else "unknown"


def cache_dir() -> Path:
    """$DRYRUN_CACHE, else $XDG_CACHE_HOME/dryrun, else ~/.cache/dryrun."""
    if os.environ.get("DRYRUN_CACHE"):
        return Path(os.environ["DRYRUN_CACHE"]).resolve()      # relative to where dryrun started
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return (Path(base) / "dryrun").resolve()


#: The PDF cache is kept below this size; the least recently written entries go first.
MAX_CACHE_BYTES = 512 * 1024 * 1024


def caching() -> bool:
    """Whether the caches are used (``dryrun --no-cache`` or DRYRUN_NO_CACHE=1 turns them off)."""
    return os.environ.get("DRYRUN_NO_CACHE", "") in ("", "0")


def checked_cache_dir() -> Path:
    """The cache folder, created private (0700); one that another user owns, or that others
    may write to, is refused as ssh refuses such a key file: what is in it would be trusted."""
    folder = cache_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = folder.stat()
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise DryrunError(f"the cache folder {folder} belongs to another user: not used "
                          "(run with --no-cache, or set DRYRUN_CACHE to a folder of your own)")
    if st.st_mode & 0o022:
        raise DryrunError(f"the cache folder {folder} is writable by others: not used "
                          f"(chmod go-w {folder}, run with --no-cache, or set DRYRUN_CACHE)")
    return folder


def _pdf_ok(data: bytes) -> bool:
    """A whole PDF: its header, and a trailer that ends the file."""
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]


def _cached_pdf(cached: Path) -> bytes | None:
    """The cached PDF if it is whole and matches the hash recorded when it was written; a damaged
    or planted entry is removed (and the document compiled again)."""
    digest = cached.with_suffix(".sha256")
    try:
        data = cached.read_bytes()
        ok = _pdf_ok(data) and digest.read_text().strip() == hashlib.sha256(data).hexdigest()
    except OSError:
        return None
    if not ok:
        for p in (cached, digest, cached.with_suffix(".log")):
            p.unlink(missing_ok=True)
        return None
    return data


def _evict(folder: Path, limit: int = MAX_CACHE_BYTES) -> None:
    """Keep the PDF cache below ``limit`` bytes, removing the oldest entries first."""
    entries = []
    for pdf in folder.glob("*.pdf"):
        try:
            st = pdf.stat()
        except OSError:
            continue
        entries.append((st.st_mtime, st.st_size, pdf))
    total = sum(size for _, size, _ in entries)
    for _, size, pdf in sorted(entries):
        if total <= limit:
            break
        for p in (pdf, pdf.with_suffix(".sha256"), pdf.with_suffix(".log")):
            p.unlink(missing_ok=True)
        total -= size


def verify_cache(repair: bool = True) -> tuple[int, list[str]]:
    """(entries checked, problems found) of the whole cache; with ``repair`` bad entries go."""
    folder = cache_dir()
    problems, count = [], 0
    for pdf in sorted((folder / "pdf").glob("*.pdf")):
        count += 1
        if _cached_pdf(pdf) is None if repair else not _pdf_ok(pdf.read_bytes()):
            problems.append(f"{pdf}: damaged or not the PDF recorded for it" + (" (removed)" if repair else ""))
    for fmt in sorted((folder / "fmt").glob("*.fmt")):
        count += 1
        digest = fmt.with_suffix(".sha256")
        good = digest.is_file() and hashlib.sha256(fmt.read_bytes()).hexdigest() == digest.read_text().strip()
        if not good:
            problems.append(f"{fmt}: does not match its recorded hash" + (" (removed)" if repair else ""))
            if repair:
                fmt.unlink(missing_ok=True)
    return count, problems


def clear_cache() -> int:
    """Remove every cached format and PDF; the number of files removed."""
    folder, n = cache_dir(), 0
    for sub in ("pdf", "fmt"):
        for p in (folder / sub).glob("*"):
            if p.is_file():
                p.unlink()
                n += 1
    return n


def _key(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def _env(workdir: str) -> dict:
    env = dict(os.environ)
    env.update({"openin_any": "p", "openout_any": "p", "shell_escape": "f",
                "TEXMFOUTPUT": workdir, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"})
    return env


def first_error(log: str, tex: str, offset: int = 0) -> tuple[str, int | None, str]:
    """LaTeX's first error message, its line number in the source, and that source line.
    ``offset``: lines of the source that the compiled file did not contain (a precompiled preamble)."""
    message, line = "unknown error (see the log)", None
    lines = log.splitlines()
    for i, text in enumerate(lines):
        if text.startswith("!"):
            message = text[1:].strip()
            for follow in lines[i + 1:i + 30]:
                m = re.match(r"l\.(\d+)", follow)
                if m:
                    line = int(m.group(1)) + offset
                    break
            break
    source = ""
    if line is not None:
        src = tex.splitlines()
        if 0 < line <= len(src):
            source = src[line - 1].strip()
            if len(source) > 160:
                source = source[:160] + "…"
    return message, line, source


def _run(cmd, work, timeout):
    return subprocess.run(cmd, cwd=work, env=_env(work), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)


def _format(preamble: str, timeout: int, folder: Path | None = None) -> Path | None:
    """The cached format of ``preamble`` (built on first use), or None if it cannot be built;
    ``folder``: where to build and keep it (default: the cache)."""
    key = _key(engine_version(), preamble)[:24]
    folder = folder or checked_cache_dir() / "fmt"
    fmt = folder / f"p{key}.fmt"
    digest = folder / f"p{key}.sha256"
    if fmt.is_file() and digest.is_file():
        if hashlib.sha256(fmt.read_bytes()).hexdigest() == digest.read_text().strip():
            return fmt
        fmt.unlink()        # damaged or foreign: never used, built again
    if key in _FAILED_FORMATS:         # failed in this process: retried by the next run, not forever
        return None
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dryrun-fmt-") as work:
        Path(work, "fmt.tex").write_text(preamble + "\\dump\n", encoding="utf-8")
        try:
            proc = _run([pdflatex(), "-ini", "-interaction=nonstopmode", "-halt-on-error",
                         "-no-shell-escape", f"-jobname=p{key}", "&pdflatex", "fmt.tex"], work, timeout)
        except subprocess.TimeoutExpired:
            proc = None
        built = Path(work, f"p{key}.fmt")
        if proc is None or proc.returncode != 0 or not built.is_file():
            _FAILED_FORMATS.add(key)
            return None
        data = built.read_bytes()
        write_atomic(fmt, data)
        write_atomic(digest, hashlib.sha256(data).hexdigest().encode())
    return fmt


_FAILED_FORMATS: set[str] = set()


def compile_pdf(tex: str, pdf_path: Path, *, keep_tex_on_error: Path | None = None,
                timeout: int = TIMEOUT, cache: bool | None = None) -> str:
    """Compile ``tex`` and write the PDF to ``pdf_path`` atomically; raise LatexError on failure
    (then the source is written to ``keep_tex_on_error`` for inspection, and no PDF is written).
    Returns LaTeX's log.  With ``cache``, an unchanged source is copied from the PDF cache.
    Paths may be ``str`` or ``Path``."""
    pdf_path = Path(pdf_path)
    keep_tex_on_error = Path(keep_tex_on_error) if keep_tex_on_error else None
    exe = pdflatex()
    cache = caching() if cache is None else cache
    key = _key(engine_version(), tex) if cache else ""
    cached = (checked_cache_dir() / "pdf" / f"{key}.pdf") if cache else None
    data = _cached_pdf(cached) if cache else None
    if data is not None:
        write_atomic(pdf_path, data)
        log = cached.with_suffix(".log")
        return log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
    preamble, sep, body = tex.partition(BEGIN)
    with tempfile.TemporaryDirectory(prefix="dryrun-") as work:
        # the same format with or without the cache, so the PDF's bytes do not depend on it
        fmt = _format(preamble, timeout, None if cache else Path(work, "fmt")) if sep else None
        if fmt is not None:
            os.symlink(fmt, Path(work, fmt.name))
            Path(work, "doc.tex").write_text(sep + body, encoding="utf-8")
            cmd = [exe, f"-fmt={fmt.stem}", "-interaction=nonstopmode", "-halt-on-error",
                   "-no-shell-escape", "doc.tex"]
            offset = preamble.count("\n")
        else:
            Path(work, "doc.tex").write_text(tex, encoding="utf-8")
            cmd = [exe, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"]
            offset = 0
        for _ in range(2):
            try:
                proc = _run(cmd, work, timeout)
            except subprocess.TimeoutExpired:
                _fail(f"pdflatex did not finish within {timeout} s", tex, "", keep_tex_on_error)
            log = _read(Path(work, "doc.log")) or proc.stdout.decode("utf-8", "replace")
            pdf = Path(work, "doc.pdf")
            if proc.returncode != 0 or not pdf.is_file():
                message, line, source = first_error(log, tex, offset)
                where = f" at line {line}: {source}" if line else ""
                _fail(f"LaTeX error: {message}{where}", tex, log, keep_tex_on_error)
            if "Rerun to get" not in log:
                break
        data = pdf.read_bytes()
        if cache:
            write_atomic(cached.with_suffix(".log"), log.encode("utf-8"))
            write_atomic(cached, data)
            write_atomic(cached.with_suffix(".sha256"), hashlib.sha256(data).hexdigest().encode())
            _evict(cached.parent)
        write_atomic(pdf_path, data)
        return log


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def _fail(message: str, tex: str, log: str, keep: Path | None):
    if keep is not None:
        write_atomic(keep, tex.encode("utf-8"))
        if log:
            write_atomic(keep.with_suffix(".log"), log.encode("utf-8"))
            message += f" (source kept in {keep}, LaTeX's log in {keep.with_suffix('.log')})"
        else:
            message += f" (source kept in {keep})"
    raise LatexError(message, log_excerpt=log[-3000:], tex_path=str(keep or ""))


def overfull_boxes(log: str) -> list[str]:
    """The overfull-box warnings of a LaTeX log (something ran off the page)."""
    return [l for l in log.splitlines() if l.startswith("Overfull")]
