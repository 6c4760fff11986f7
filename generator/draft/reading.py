"""The document a draft is read from: its lines (through ``generator/audit/document.py``, the audit's
reader of LaTeX, Markdown and PDF documents), its math segments and the prose around them, its
title and headings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..audit.document import Document, read
from ..errors import SpecError

MAX_TEXT = 2_000_000                 # characters of text (a document's, a PDF's) that are read
_MAX_SEGMENT = 20_000                # characters of one math segment that are read
_TEX_SUFFIXES = (".tex", ".latex", ".ltx")


class DraftError(SpecError):
    """The document cannot be read, or states no givens: one line naming the file (exit 2)."""


def read_document(path: str) -> tuple[Document, list[str], bool]:
    """The document at ``path`` (its lines are ``Document.where``'s), its lines as read (a PDF: its
    text, numeric lines in ``$$…$$``), and whether it is LaTeX (its ``%`` comments are not read)."""
    p = Path(path)
    doc = read(p)               # one line naming the file for a directory, binary bytes, a bad PDF …
    text = doc.original
    if len(text) > MAX_TEXT:
        raise DraftError(f"the document's text is longer than {MAX_TEXT} characters; a worked solution is "
                         "shorter", where=path)
    return doc, text.split("\n"), p.suffix.lower() in _TEX_SUFFIXES


# --------------------------------------------------------------------------- math segments


@dataclass
class Seg:
    line: int          # 1-based line where it starts
    text: str          # the math, without delimiters
    prose: str         # the prose of that line (for words such as "loss")


_OPENER = re.compile(r"(?<!\\)\$\$|\\\[|\\\(|\\begin\{(equation|align|alignat|gather|multline|displaymath|eqnarray|"
                     r"flalign)(\*?)\}|(?<!\\)\$")


def _math_spans(text: str) -> list[tuple[int, int, int, int]]:
    """(start, body start, body end, end) of every math span: $$…$$, \\[…\\], \\(…\\), an equation-like
    environment, $…$ within a line.  One pass: an opener without its closer is left as text."""
    spans, pos, closed = [], 0, set()          # closed: openers already known to have no closer after
    while True:
        m = _OPENER.search(text, pos)
        if not m:
            return spans
        tok = m.group(0)
        if m.group(1):
            close = "\\end{" + m.group(1) + m.group(2) + "}"
        else:
            close = {"$$": "$$", "\\[": "\\]", "\\(": "\\)", "$": "$"}[tok]
        if tok == "$":                          # inline math ends on its own line
            eol = text.find("\n", m.end())
            eol = len(text) if eol < 0 else eol
            k = text.find("$", m.end(), eol)
            while k > 0 and text[k - 1] == "\\":
                k = text.find("$", k + 1, eol)
        elif close in closed:
            k = -1
        else:
            k = text.find(close, m.end())
            if k < 0:
                closed.add(close)
        if k < 0 or k == m.end():
            pos = m.end()
            continue
        spans.append((m.start(), m.end(), k, k + len(close)))
        pos = k + len(close)


def _strip_tex_comments(text: str) -> str:
    return "\n".join(re.sub(r"(?<!\\)%.*", "", line) for line in text.split("\n"))


def segments(lines: list[str], tex: bool) -> tuple[list[Seg], list[str]]:
    """The math segments in order, and the prose of every line (math replaced by a space)."""
    text = "\n".join(lines)
    if tex:
        text = _strip_tex_comments(text)
    starts = [0]
    for k, ch in enumerate(text):
        if ch == "\n":
            starts.append(k + 1)

    def line_of(pos: int) -> int:
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= pos:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    prose_chars = list(text)
    segs = []
    for start, body_start, body_end, end in _math_spans(text):
        segs.append((start, text[body_start:min(body_end, body_start + _MAX_SEGMENT)]))
        for k in range(start, end):
            if prose_chars[k] != "\n":
                prose_chars[k] = " "
    prose = "".join(prose_chars).split("\n")
    out = [Seg(line_of(pos), body, prose[line_of(pos) - 1]) for pos, body in segs]
    return out, prose


# --------------------------------------------------------------------------- headings


_HEADING = re.compile(r"\s*#{1,6}\s+(.+?)\s*#*\s*$")


def _clean_title(t: str) -> str:
    t = re.sub(r"\$[^$]*\$", "", t)
    t = re.sub(r"[*_`\\{}]", "", t).strip()
    t = re.sub(r"^(?:\d+(?:\.\d+)*\.?|[IVX]+\.)\s+", "", t).strip()       # "2. Math problem." → "Math problem."
    return t[:200]


def heading_before(lines: list[str], line: int) -> str:
    """The nearest heading (Markdown ``#``, LaTeX ``\\section``) at or above line ``line``, or ''."""
    for k in range(min(line, len(lines)) - 1, -1, -1):
        m = _HEADING.match(lines[k]) or re.match(r"\s*\\(?:sub)*section\*?\{(.+)\}", lines[k])
        if m:
            return _clean_title(m.group(1))
    return ""


def title(lines: list[str]) -> str:
    """The document's first heading or ``\\title``, or ''."""
    for line in lines:
        m = _HEADING.match(line) or re.match(r"\s*\\(?:title|(?:sub)*section\*?)\{(.+)\}", line)
        if m:
            t = _clean_title(m.group(1))
            if t:
                return t
    return ""
