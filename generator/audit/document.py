"""A worked solution to audit: its text (LaTeX, Markdown with ``$…$`` math, or a PDF's text) and
where each of its lines is in the original (``line 12``, or ``page 2, line 5`` for a PDF)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import SpecError

# A decimal comma (0,658) in a line that writes no decimal point: the comma is the separator.
_COMMA_NUMBER = re.compile(r"(?<![0-9.])(?<![0-9],)([0-9]+),([0-9]+)(?![0-9]|[.,][0-9])")
_POINT_NUMBER = re.compile(r"[0-9]\.[0-9]")
_MAX_BYTES = 20 * 1024 * 1024


@dataclass
class Document:
    path: str
    text: str                   # as the audit reads it (decimal commas written 0{,}5)
    original: str               # as given (for the annotated copy)
    wheres: list[str]           # where line k + 1 of ``text`` is in the original
    comma: bool                 # whether the document writes decimal commas
    converted: frozenset = frozenset()   # 0-based lines whose decimal commas were rewritten
    newline: str = "\n"                  # the document's line ending, for the annotated copy
    bom: bool = False

    def restore(self, text: str) -> str:
        """``text`` (the audit's reading, edited on the same lines) with the decimal commas the
        document wrote."""
        lines = text.split("\n")
        return ("\ufeff" if self.bom else "") + self.newline.join(
            line.replace("{,}", ",") if k in self.converted else line for k, line in enumerate(lines))

    def where(self, line: int) -> str:
        return self.wheres[line - 1] if 0 < line <= len(self.wheres) else f"line {line}"


def _commas(text: str) -> tuple[str, frozenset]:
    out, converted = [], set()
    for k, line in enumerate(text.split("\n")):
        if not _POINT_NUMBER.search(line) and "{,}" not in line and _COMMA_NUMBER.search(line):
            line = _COMMA_NUMBER.sub(r"\1{,}\2", line)
            converted.add(k)
        out.append(line)
    return "\n".join(out), frozenset(converted)


def read(path: str | Path) -> Document:
    """The document at ``path`` (.pdf through its text; anything else as LaTeX/Markdown text)."""
    p = Path(path)
    if not p.is_file():
        raise SpecError("not a file" if p.exists() else "no such file", where=str(p))
    if p.stat().st_size > _MAX_BYTES:
        raise SpecError(f"the document is larger than {_MAX_BYTES // 2 ** 20} MB", where=str(p))
    bom, newline = False, "\n"
    if p.suffix.lower() == ".pdf":
        from .pdf import pdf_text
        original, wheres = pdf_text(p)
    else:
        raw = p.read_bytes()
        try:
            original = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SpecError("not a UTF-8 text document (LaTeX, Markdown or PDF expected)", where=str(p)) from None
        if "\x00" in original:
            raise SpecError("a binary file, not a text document (LaTeX, Markdown or PDF expected)", where=str(p))
        bom = original.startswith("\ufeff")
        newline = "\r\n" if "\r\n" in original else "\r" if "\r" in original else "\n"
        original = original.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        wheres = [f"line {k + 1}" for k in range(original.count("\n") + 1)]
    text, converted = _commas(original)
    return Document(str(p), text, original, wheres, bool(converted), converted, newline, bom)
