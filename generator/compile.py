"""Compile LaTeX to PDF: pdflatex in a temporary directory, no shell escape, files confined to
that directory, under a timeout; the PDF is moved into place only when complete."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import LatexError, ToolMissingError
from .files import write_atomic

TIMEOUT = 120  # seconds for one pdflatex pass


def pdflatex() -> str:
    exe = shutil.which("pdflatex")
    if not exe:
        raise ToolMissingError("pdflatex is not installed: run 'bash scripts/setup.sh tex' "
                               "(needs root), or render with --format tex")
    return exe


def _env(workdir: str) -> dict:
    env = dict(os.environ)
    env.update({"openin_any": "p", "openout_any": "p", "shell_escape": "f",
                "TEXMFOUTPUT": workdir, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"})
    return env


def first_error(log: str, tex: str) -> tuple[str, int | None, str]:
    """LaTeX's first error message, its line number in the source, and that source line."""
    message, line = "unknown error (see the log)", None
    lines = log.splitlines()
    for i, text in enumerate(lines):
        if text.startswith("!"):
            message = text[1:].strip()
            for follow in lines[i + 1:i + 30]:
                m = re.match(r"l\.(\d+)", follow)
                if m:
                    line = int(m.group(1))
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


def compile_pdf(tex: str, pdf_path: Path, *, keep_tex_on_error: Path | None = None,
                timeout: int = TIMEOUT) -> str:
    """Compile ``tex`` and write the PDF to ``pdf_path`` atomically; raise LatexError on failure
    (then the source is written to ``keep_tex_on_error`` for inspection, and no PDF is written).
    Returns LaTeX's log."""
    exe = pdflatex()
    with tempfile.TemporaryDirectory(prefix="dryrun-") as work:
        Path(work, "doc.tex").write_text(tex, encoding="utf-8")
        cmd = [exe, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"]
        for _ in range(2):
            try:
                proc = subprocess.run(cmd, cwd=work, env=_env(work), stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
            except subprocess.TimeoutExpired:
                _fail(f"pdflatex did not finish within {timeout} s", tex, "", keep_tex_on_error)
            log = _read(Path(work, "doc.log")) or proc.stdout.decode("utf-8", "replace")
            pdf = Path(work, "doc.pdf")
            if proc.returncode != 0 or not pdf.is_file():
                message, line, source = first_error(log, tex)
                where = f" at line {line}: {source}" if line else ""
                _fail(f"LaTeX error: {message}{where}", tex, log, keep_tex_on_error)
            if "Rerun to get" not in log:
                break
        write_atomic(pdf_path, pdf.read_bytes())
        return log


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def _fail(message: str, tex: str, log: str, keep: Path | None):
    if keep is not None:
        write_atomic(keep, tex.encode("utf-8"))
        message += f" (source kept in {keep})"
    raise LatexError(message, log_excerpt=log[-3000:], tex_path=str(keep or ""))


def overfull_boxes(log: str) -> list[str]:
    """The overfull-box warnings of a LaTeX log (something ran off the page)."""
    return [l for l in log.splitlines() if l.startswith("Overfull")]
