"""One escaping function per medium that user text (a spec's title, a student's name, a file name, an
answer cell) can reach: the terminal, CSV for spreadsheets, XML (text and attributes), HTML inside an LMS
question, and names inside a zip archive. LaTeX has its own in ``latex.escape_latex``.

Each function takes any text and returns text that the medium shows as it is, never obeys: no terminal
escape sequence, no spreadsheet formula, no character that XML 1.0 forbids, no path outside an archive.
"""

from __future__ import annotations

import html
import re
import unicodedata

__all__ = ["terminal", "csv_cell", "xml_text", "xml_attr", "html_text", "zip_name", "moodle_text"]

# XML 1.0 allows #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]; of those it
# discourages DEL and the C1 controls (#x7F-#x9F, section 2.2), which some readers refuse: written out too.
_XML_FORBIDDEN = re.compile("[^\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# names Windows reserves for devices, with any extension ("con.png"): an archive unpacked there fails
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}


def terminal(text: str) -> str:
    """``text`` with control characters (a terminal escape from a spec, say) shown as ``\\xNN``, not obeyed.

    Newlines and tabs stay; C0 controls, DEL and C1 controls (U+0080–U+009F) are written out."""
    return "".join(ch if ch in "\n\t" or (ord(ch) >= 32 and ord(ch) != 127) and not 0x80 <= ord(ch) < 0xa0
                   else f"\\x{ord(ch):02x}" for ch in str(text))


def csv_cell(cell) -> str:
    """A CSV cell a spreadsheet shows as text: a leading =, +, -, @, tab or CR (a formula to Excel, LibreOffice
    and Google Sheets) is prefixed with an apostrophe unless the cell is a plain number such as -0.25.
    NUL is dropped (no spreadsheet or CSV reader keeps it)."""
    text = str(cell).replace("\0", "")
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(text.replace(",", "."))
            return text                    # a number such as -0.25
        except ValueError:
            return "'" + text
    return text


def _xml_clean(text: str) -> str:
    return _XML_FORBIDDEN.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else "\ufffd",
                              str(text))


def xml_text(text) -> str:
    """Character data for XML 1.0: &, < and > escaped; characters XML forbids (form feed, NUL, other control
    characters, lone surrogates) written out as ``\\xNN`` so that every parser reads the file."""
    return _xml_clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attr(text) -> str:
    """An XML attribute value with its double quotes: ``"…"``; tabs and newlines kept as references."""
    body = xml_text(text).replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")
    return f'"{body}"'


def html_text(text) -> str:
    """Text for an HTML fragment that is itself stored inside XML (an LMS question): HTML-escaped, with the
    characters XML forbids written out."""
    return html.escape(_xml_clean(text), quote=True)


def moodle_text(text) -> str:
    """HTML text for a Moodle cloze question: like ``html_text``, and braces written as HTML entities so that
    a description such as ``{1:NUMERICAL:=42}`` is shown, never made into a graded field."""
    return html_text(text).replace("{", "&#123;").replace("}", "&#125;")


def zip_name(name: str, fallback: str = "file") -> str:
    """One path component safe inside a zip archive (and a manifest): letters, digits, '.', '-' and '_' only;
    no separators ('/' or '\\'), no '..', no leading dot; accents transliterated, never empty, at most
    100 characters, never a name Windows reserves for a device (``con.png`` becomes ``con_.png``).
    The same for ``fallback``: ``zip_name(x) == zip_name(zip_name(x))``."""
    def clean(raw: str) -> str:
        text = unicodedata.normalize("NFKD", str(raw)).encode("ascii", "ignore").decode("ascii")
        text = re.sub(r"[^A-Za-z0-9._-]+", "-", text)
        text = re.sub(r"\.{2,}", ".", text).strip(".-")[:100].strip(".-")
        stem, dot, ext = text.partition(".")
        if stem.upper() in _WINDOWS_DEVICES:
            text = f"{stem}_{dot}{ext}"
        return text
    return clean(name) or clean(fallback) or "file"
