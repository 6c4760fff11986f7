"""Filters that turn trace values into LaTeX math: numbers, matrices, expanded sums.

They format, never compute: every number they print is a value they were given."""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

import jinja2
import numpy as np

from .numbers import RoundingPolicy, format_number

_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}", '"': r"\textquotedbl{}",
    "[": "{[}", "]": "{]}",        # never an optional argument (after \\ or a macro)
}
_ESCAPE_RE = re.compile("|".join(re.escape(k) for k in _ESCAPES))
_UNICODE = {"σ": r"$\sigma$", "η": r"$\eta$", "δ": r"$\delta$", "Σ": r"$\Sigma$", "∂": r"$\partial$",
            "×": r"$\times$", "·": r"$\cdot$", "−": "-", "≈": r"$\approx$", "→": r"$\to$",
            "²": r"\textsuperscript{2}", "³": r"\textsuperscript{3}", "ŷ": r"$\hat{y}$",
            "∇": r"$\nabla$", "⊙": r"$\odot$", "≤": r"$\le$", "≥": r"$\ge$", "≠": r"$\ne$",
            "∞": r"$\infty$", "∑": r"$\Sigma$", "√": r"$\surd$", "±": r"$\pm$",
            # punctuation, as typesetters write it
            "’": "'", "‘": "`", "“": "``", "”": "''", "„": ",,", "–": "--", "—": "---",
            "…": r"\ldots{}", "€": r"\texteuro{}", "•": r"\textbullet{}", "\u00a0": "~",
            "«": r"\guillemotleft{}", "»": r"\guillemotright{}", "‰": r"\textperthousand{}",
            "′": "'", "″": "''"}
# Greek letters, as math
_GREEK = "αβγδεζηθικλμνξπρστυφχψω"
_GREEK_NAMES = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho "
                "sigma tau upsilon phi chi psi omega").split()
_UNICODE.update({c: f"$\\{n}$" for c, n in zip(_GREEK, _GREEK_NAMES)})
_UNICODE.update({c: f"$\\{n}$" for c, n in zip("ΓΔΘΛΞΠΣΥΦΨΩ", ("Gamma Delta Theta Lambda Xi Pi Sigma "
                                                             "Upsilon Phi Psi Omega").split())})
_UNICODE.update({"ς": r"$\varsigma$", "ο": "o", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I",
                 "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Χ": "X"})
# TeX's font ligatures that would change literal text: -- ``  '' ,, !` ?`
_LIGATURES = re.compile(r"(?<=-)(?=-)|(?<=')(?=')|(?<=,)(?=,)")


def _t1(ch: str) -> bool:
    """Whether pdflatex with T1 fonts prints ``ch`` (directly, or through the maps above)."""
    o = ord(ch)
    return (ch in _UNICODE or ch in "\n\t" or 32 <= o < 0x7f or 0xa0 <= o <= 0x17f
            or ch in "ȘșȚț")


#: The scripts printed beyond T1 when TeX Live has their fonts: per encoding, the files that must
#: all be found (the encoding, the fonts of the lmodern families or their substitutes, Type 1
#: outlines so the PDF's text can be searched and copied), the .dfu listing the characters it
#: has, and the code points of the script it is used for.
SCRIPT_FILES = {
    "T2A": ("t2aenc.def", "t2acmr.fd", "cm-super-t2a.enc", "t2aenc.dfu"),      # Cyrillic: texlive-lang-cyrillic, cm-super
    "LGR": ("lgrenc.def", "lgrlmr.fd", "grmn1000.pfb", "lgrenc.dfu"),           # Greek: texlive-lang-greek
    "T5": ("t5enc.def", "t5lmr.fd", "t5enc.dfu"),                               # Vietnamese: texlive-lang-other (vntex)
    "CJK": ("CJKutf8.sty", "c70gbsn.fd", "gbsnu4e.pfb"),                        # Chinese: latex-cjk-chinese(-arphic-gbsn00lp)
}
_SCRIPT_RANGES = {"T2A": ((0x400, 0x52f),), "LGR": ((0x370, 0x3ff), (0x1f00, 0x1fff)),
                  "T5": ((0xc0, 0x24f), (0x1ea0, 0x1eff)),
                  "CJK": ((0x3000, 0x30ff), (0x3400, 0x4dbf), (0x4e00, 0x9fff), (0xff01, 0xff5e))}
#: What each script needs on a Debian-like machine (scripts/setup.sh installs them).
SCRIPT_PACKAGES = {"T2A": "texlive-lang-cyrillic and cm-super", "LGR": "texlive-lang-greek",
                   "T5": "texlive-lang-other", "CJK": "latex-cjk-chinese and latex-cjk-chinese-arphic-gbsn00lp"}
SCRIPT_NAMES = {"T2A": "Cyrillic", "LGR": "Greek", "T5": "Vietnamese", "CJK": "Chinese"}


@functools.lru_cache(maxsize=1)
def available_scripts() -> dict:
    """{encoding: frozenset of the code points it prints} for the scripts whose TeX packages are
    installed here (asked of kpsewhich once); {} without TeX."""
    import shutil
    import subprocess
    if shutil.which("kpsewhich") is None:
        return {}
    names = sorted({f for files in SCRIPT_FILES.values() for f in files})
    try:
        found = subprocess.run(["kpsewhich", *names], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    paths = {Path(line).name: Path(line) for line in found.splitlines() if line.strip()}
    out = {}
    for enc, files in SCRIPT_FILES.items():
        if not all(f in paths for f in files):
            continue
        if enc == "CJK":                     # the Arphic GB font: the characters of GB 2312
            chars = set()
            for lo, hi in _SCRIPT_RANGES[enc]:
                for o in range(lo, hi + 1):
                    try:
                        chr(o).encode("gb2312")
                        chars.add(o)
                    except UnicodeEncodeError:
                        pass
        else:
            try:
                text = paths[files[-1]].read_text(encoding="latin-1")
            except OSError:
                continue
            chars = {int(h, 16) for h in re.findall(r"\\DeclareUnicodeCharacter\{([0-9A-Fa-f]+)\}", text)}
            chars = {o for o in chars if any(lo <= o <= hi for lo, hi in _SCRIPT_RANGES[enc])
                     and not (o <= 0x17f or chr(o) in "ȘșȚț")}
        if chars:
            out[enc] = frozenset(chars)
    return out


def script_of(ch: str) -> str | None:
    """The encoding beyond T1 that prints ``ch`` here ('T2A', 'LGR', 'T5', 'CJK'), or None."""
    o = ord(ch)
    if o < 0xc0:
        return None
    for enc, chars in available_scripts().items():
        if o in chars:
            return enc
    return None


def typesettable(ch: str) -> bool:
    """Whether pdflatex prints ``ch``: with T1 fonts (directly, or through the maps above), or in
    a script whose fonts are installed here (``available_scripts``)."""
    return _t1(ch) or script_of(ch) is not None


def _invisible(ch: str) -> bool:
    """A control or format character (bidi overrides, zero-width spaces): dropped, never printed."""
    import unicodedata
    return ord(ch) < 32 or 0x7f <= ord(ch) < 0xa0 or unicodedata.category(ch) == "Cf"


def untypesettable(text: str) -> str | None:
    """The first character of ``text`` that cannot be printed (a script whose fonts are not
    installed, an emoji …), or None."""
    for ch in unicodedata.normalize("NFC", str(text)):
        if not typesettable(ch) and not _invisible(ch):
            return ch
    return None


def missing_script(ch: str) -> str:
    """What printing ``ch`` needs, for a warning: 'Cyrillic (install texlive-lang-cyrillic and
    cm-super)', or 'no font here' for a script dryrun does not typeset."""
    o = ord(ch)
    for enc, ranges in _SCRIPT_RANGES.items():
        if enc != "T5" and any(lo <= o <= hi for lo, hi in ranges):
            return f"{SCRIPT_NAMES[enc]} (install {SCRIPT_PACKAGES[enc]})"
    if 0x1a0 <= o <= 0x1b0 or 0x1ea0 <= o <= 0x1eff:
        return f"Vietnamese (install {SCRIPT_PACKAGES['T5']})"
    return "no font here"


_GREEK_RUN = re.compile("[\u0370-\u03ff\u1f00-\u1fff]+")
_WORD = re.compile(r"\w+")


def _segments(text: str):
    """``text`` cut into (encoding, piece): None for T1 text, else the script encoding of the piece.
    Cyrillic and Chinese go by character; a Greek word of two letters or more (or with an accent)
    is Greek text, a single Greek letter stays a math symbol (σ, η); a word with a Vietnamese
    letter T1 lacks is set whole in T5."""
    scripts = available_scripts()
    marks: list = [None] * len(text)
    for i, ch in enumerate(text):
        enc = script_of(ch)
        if enc in ("T2A", "CJK"):
            marks[i] = enc
    if "LGR" in scripts:
        for m in _GREEK_RUN.finditer(text):
            run = m.group()
            if (len(run) > 1 or run not in _UNICODE) and all(ord(c) in scripts["LGR"] or c in "ς"
                                                              for c in run):
                marks[m.start():m.end()] = ["LGR"] * len(run)
    if "T5" in scripts:
        for m in _WORD.finditer(text):
            word = m.group()
            if any(ord(c) in scripts["T5"] for c in word) and \
                    all(ord(c) in scripts["T5"] or (c.isascii() and c.isalnum()) or _t1(c) and c.isalpha()
                        for c in word):
                marks[m.start():m.end()] = ["T5"] * len(word)
    out: list = []
    for ch, enc in zip(text, marks):
        if out and out[-1][0] == enc:
            out[-1][1] += ch
        else:
            out.append([enc, ch])
    # spaces between two pieces of one script join them: one group, one font switch
    merged: list = []
    for enc, piece in out:
        if len(merged) >= 2 and enc is not None and merged[-2][0] == enc and merged[-1][0] is None \
                and merged[-1][1].strip(" ") == "":
            space = merged.pop()[1]
            merged[-1][1] += space + piece
        else:
            merged.append([enc, piece])
    return [(enc, piece) for enc, piece in merged]


def _script_piece(enc: str, piece: str) -> str:
    if enc == "CJK":
        return r"\dryruncjk{" + piece + "}"
    return r"\dryrunscript{" + enc + "}{" + piece + "}"


def escape_latex(text) -> str:
    """User text, printed literally: every TeX special character escaped, no ligature formed,
    control characters dropped, typographic punctuation, Greek letters and a few symbols mapped;
    Cyrillic, Greek words, Vietnamese and Chinese in their own fonts where TeX Live has them
    (``available_scripts``; the preamble's ``script_setup``); a character no font here has
    (checked when a spec or roster is loaded) is printed as '?'."""
    text = unicodedata.normalize("NFC", str(text))
    if all(ord(c) < 0x370 for c in text) or not available_scripts():
        return _escape_t1(text)
    return "".join(_escape_t1(piece) if enc is None else _script_piece(enc, piece)
                   for enc, piece in _segments(text))


def scripts_in(text) -> set:
    """The script encodings that ``escape_latex(text)`` switches to."""
    text = unicodedata.normalize("NFC", str(text))
    if all(ord(c) < 0x370 for c in text) or not available_scripts():
        return set()
    return {enc for enc, _ in _segments(text) if enc is not None}


def _escape_t1(text: str) -> str:
    text = _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group()], text)
    text = text.replace("`", r"\textasciigrave{}")
    text = _LIGATURES.sub("{}", text)
    out = []
    for ch in text:
        if ch in _UNICODE:
            out.append(_UNICODE[ch])
        elif ch == "\n" or ch == "\t":
            out.append(" ")
        elif _invisible(ch):
            continue
        elif not _t1(ch):
            out.append("?")
        else:
            out.append(ch)
    return "".join(out)


def paragraphs(text) -> list[str]:
    """Free text split at blank lines, each paragraph escaped and cut into source lines short
    enough for TeX's input buffer (a 20,000-character line of escapes would overflow it)."""
    parts = re.split(r"\n\s*\n", str(text).strip())
    return [source_lines(escape_latex(p)) for p in parts if p.strip()]


def source_lines(tex: str, width: int = 500) -> str:
    """``tex`` with a line break at least every ``width`` characters: at a space (a space either
    way) or after a closing brace (with ``%`` so that no space is added); never inside a command."""
    out, line = [], ""
    for piece in re.split(r"(?<=[ }])", tex):
        if len(line) + len(piece) > width and line:
            out.append(line[:-1] if line.endswith(" ") else line + "%")
            line = ""
        line += piece
    out.append(line)
    return "\n".join(out)


class Formatter:
    """Number and matrix filters bound to one rounding policy."""

    def __init__(self, policy: RoundingPolicy):
        self.policy = policy
        self._cache: dict = {}

    def num(self, x, kind: str | None = None) -> str:
        x = _scalar(x)
        key = (type(x), x, kind)
        text = self._cache.get(key)
        if text is None:
            plain = format_number(x, self.policy, kind)
            if "e" in plain:                    # 1.2e-20 -> 1.2 \cdot 10^{-20}
                mantissa, exponent = plain.split("e")
                plain = f"{mantissa} \\cdot 10^{{{exponent}}}"
            text = self._cache[key] = plain.replace(",", "{,}")
        return text

    def _uniform(self, cells, kind):
        """One format per matrix of rounded values at decimal places (0.58 beside 0.561 is 0.580),
        where padding claims no precision the values do not have.  Not for significant figures
        (0.555 is not 0.5550), nor for values printed as they are (``kind=None``: a given value
        prints as given, 2 and 0 beside 0.5 stay 2 and 0, not 2.0 and 0.0)."""
        if kind is None or self.policy.precision(kind).style == "significant":
            return cells
        return uniform(cells)

    def cell(self, value, index, kind: str | None = None, factor: bool = False) -> str:
        """Entry ``index`` of the matrix ``value`` as ``mat`` prints it (one format per matrix:
        the 0.90 of [0.90 −0.39], not 0.9), for the lines that take a matrix entry by entry;
        ``factor``: a negative entry in parentheses."""
        a = np.asarray(value, dtype=object)
        if a.size == 1:
            return (self.factor if factor else self.num)(a.ravel()[0], kind)
        flat = [_scalar(v) for v in a.ravel()]
        key = ("cells", a.shape, tuple((type(v), v) for v in flat), kind)
        texts = self._cache.get(key)
        if texts is None:
            texts = self._cache[key] = np.array(self._uniform([[self.num(v, kind) for v in flat]], kind)[0],
                                                dtype=object).reshape(a.shape)
        text = texts[index]
        return f"({text})" if factor and text.startswith("-") else text

    def factor(self, x, kind: str | None = None) -> str:
        """A number as a factor of a product: negative values in parentheses."""
        text = self.num(x, kind)
        return f"({text})" if text.startswith("-") else text

    def matrix(self, cells: list[list[str]]) -> str:
        body = r" \\ ".join(" & ".join(row) for row in cells)
        return r"\begin{bmatrix} " + body + r" \end{bmatrix}"

    def mat(self, value, kind: str | None = None) -> str:
        """A matrix (list of rows) or a column vector (flat list) as a bmatrix, every entry with
        the same number of decimals."""
        a = np.asarray(value, dtype=object)
        if a.size == 1:           # a 1×1 matrix is written as a number
            return self.num(a.ravel()[0], kind)
        if a.ndim == 1:
            a = a[:, None]
        return self.matrix(self._uniform([[self.num(v, kind) for v in row] for row in a], kind))

    def rowvec(self, value, kind: str | None = None) -> str:
        """A vector written as one row (for transposes)."""
        a = np.atleast_1d(np.asarray(value, dtype=object)).ravel()
        return self.matrix(self._uniform([[self.num(v, kind) for v in a]], kind))

    def tmat(self, value, kind: str | None = None) -> str:
        """The transpose of a matrix (a flat vector becomes one row)."""
        a = np.asarray(value, dtype=object)
        return self.rowvec(a, kind) if a.ndim <= 1 else self.mat(a.T, kind)

    def dot_cells(self, W, A, wkind=None, akind=None, transpose=False) -> str:
        """Cell (i, s) is the expanded dot product Σ_j W_ij · A_js (Wᵀ with ``transpose``),
        each factor as given."""
        W = np.atleast_2d(np.asarray(W, dtype=object))
        if transpose:
            W = W.T
        A = np.asarray(A, dtype=object)
        if A.ndim == 1:
            A = A[:, None]
        if W.shape[0] == 1 and A.shape[1] == 1:
            return " + ".join(f"{{{self.factor(W[0, j], wkind)} \\cdot {self.factor(A[j, 0], akind)}}}"
                              for j in range(W.shape[1]))
        return self.matrix([[" + ".join(f"{{{self.factor(W[i, j], wkind)} \\cdot {self.factor(A[j, s], akind)}}}"
                                        for j in range(W.shape[1])) for s in range(A.shape[1])]
                            for i in range(W.shape[0])])

    def sum_cells(self, P, kind=None) -> str:
        """Cell (i, s) is the sum of the terms P[i, s, :] (P[i, :] for a single sample)."""
        P = np.asarray(P, dtype=object)
        if P.ndim == 2:
            P = P[:, None, :]
        if P.shape[0] == 1 and P.shape[1] == 1:
            return self.terms(P[0, 0], kind)
        return self.matrix([[self.terms(P[i, s], kind) for s in range(P.shape[1])]
                            for i in range(P.shape[0])])

    def terms(self, values, kind=None) -> str:
        """``v1 + v2 - v3`` from a list of terms."""
        return join_terms([self.num(v, kind) for v in np.asarray(values, dtype=object).ravel(order="F")])

    def fn_cells(self, value, fn: str, kind=None) -> str:
        """Each entry wrapped in a function: ``\\sigma(0.3)``."""
        a = np.asarray(value, dtype=object)
        if a.size == 1:
            return f"{fn}({self.num(a.ravel()[0], kind)})"
        if a.ndim == 1:
            a = a[:, None]
        cells = self._uniform([[self.num(v, kind) for v in row] for row in a], kind)
        return self.matrix([[f"{fn}({c})" for c in row] for row in cells])


def join_terms(parts: list[str]) -> str:
    """``a + b - c`` from written terms (a term's leading minus joins it with −)."""
    out = ""
    for n, t in enumerate(parts):
        if n == 0:
            out = t
        elif t.startswith("-"):
            out += " - " + t[1:]
        else:
            out += " + " + t
    return out


#: About how many digits fit on a line of the page (16.6 cm of 11 pt type).
LINE_UNITS = 80

_MATRIX = re.compile(r"\\begin\{([bp]matrix)\}(.*?)\\end\{\1\}", re.S)
_OPERATOR = re.compile(r"\\cdot|\\approx|\\odot|[-+=]")
_COMMAND = re.compile(r"\\[A-Za-z]+|[{}&^_]")


def width(tex: str) -> float:
    """A rough width of one line of display math, in digit widths: enough to tell whether a
    matrix of expanded sums (which LaTeX cannot break) fits on the line."""
    def matrix(m):
        rows = [[width(c) for c in r.split("&")] for r in m.group(2).split(r"\\")]
        cols = max(len(r) for r in rows)
        widths = [max((r[c] for r in rows if c < len(r)), default=0) for c in range(cols)]
        return "x" * int(sum(widths) + 2 * cols + 1)
    text = _MATRIX.sub(matrix, tex)
    text = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", lambda m: "x" * int(max(width(m.group(1)), width(m.group(2)))), text)
    ops = len(_OPERATOR.findall(text))
    text = _OPERATOR.sub("", text)
    text = _COMMAND.sub("", text)
    return len(text.replace(" ", "")) + 2.5 * ops


def _decimals(text: str) -> int:
    for sep in (".", "{,}"):
        if sep in text:
            return len(text.split(sep, 1)[1])
    return 0


def uniform(cells: list[list[str]]) -> list[list[str]]:
    """The printed numbers of one matrix padded with zeros to the same number of decimals
    (0.58 beside 0.561 becomes 0.580; 1 beside 0.8000 becomes 1.0000): one format per matrix."""
    flat = [c for row in cells for c in row]
    places = max((_decimals(c) for c in flat), default=0)
    if places == 0:
        return cells
    sep = "{,}" if any("{,}" in c for c in flat) else "."

    def pad(c):
        have = _decimals(c)
        if have == places:
            return c
        return (c + sep if have == 0 else c) + "0" * (places - have)
    return [[pad(c) for c in row] for row in cells]


def _scalar(x):
    """A number from a Decimal, a float, an int or a 0-d array."""
    if isinstance(x, np.ndarray):
        x = x.item()
    if isinstance(x, (np.floating, np.integer)):
        x = x.item()
    return x


def column_name(name) -> str:
    """An answer's column name ('part/final.W1[1,2]') in typewriter type, breakable after '.',
    '/', ',' and '[' so that a long name wraps inside its table cell instead of running past it."""
    out = []
    for ch in str(name):
        out.append(escape_latex(ch))
        if ch in "./,[_-":
            out.append(r"\allowbreak{}")
    return r"\texttt{" + "".join(out) + "}"


def _context_texts(context, budget: int = 200_000):
    """The strings a document is made of, as far as its context shows them: the context's text
    values, lists and dicts of them (a key's variant labels), and a spec's title, description and
    raw data (every text of its exercises)."""
    stack, seen = list(context.get_all().values()), 0
    while stack and seen < budget:
        x = stack.pop()
        seen += 1
        if isinstance(x, str):
            yield x
        elif isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
        elif hasattr(x, "problems") and hasattr(x, "data"):          # a Spec
            stack.extend([getattr(x, "title", None) or "", getattr(x, "description", None) or "", x.data])


def _document_scripts(context) -> list:
    found: set = set()
    if available_scripts():
        for text in _context_texts(context):
            if any(ord(c) >= 0x370 for c in text):
                found |= scripts_in(text)
                found |= {e for e in ("T2A", "LGR", "T5") if "\\dryrunscript{" + e + "}" in text}
                if "\\dryruncjk{" in text:
                    found.add("CJK")
    return [e for e in ("T2A", "LGR", "T5", "CJK") if e in found]


@jinja2.pass_context
def script_encodings(context, _=None) -> str:
    """The font encodings beyond T1 this document needs, for fontenc's options: 'T2A,LGR,' or ''."""
    return "".join(f"{e}," for e in _document_scripts(context) if e != "CJK")


@jinja2.pass_context
def script_setup(context, _=None) -> str:
    """The preamble lines that print names and texts in other scripts (``escape_latex``): '' for a
    document in Latin script only, so that its LaTeX is what it always was."""
    used = _document_scripts(context)
    if not used:
        return ""
    lines = ["", r"\newcommand{\dryrunscript}[2]{{\fontencoding{#1}\selectfont #2}}"]
    if "T2A" in used:            # Latin Modern has no Cyrillic: Computer Modern's (cm-super)
        lines += [rf"\DeclareFontFamilySubstitution{{T2A}}{{{lm}}}{{{cm}}}"
                  for lm, cm in (("lmr", "cmr"), ("lmss", "cmss"), ("lmtt", "cmtt"))]
    if "CJK" in used:
        # pdftex maps the Arphic glyphs (uni4E00 …) to Unicode itself: CJKutf8's own map would repeat it
        lines += [r"\usepackage{CJKutf8}", r"\expandafter\def\csname CJK@addcmap\endcsname#1{}",
                  r"\newcommand{\dryruncjk}[1]{\begin{CJK*}{UTF8}{gbsn}#1\end{CJK*}}"]
    return "\n".join(lines)


def filters(policy: RoundingPolicy) -> dict:
    f = Formatter(policy)
    return {"num": f.num, "factor": f.factor, "mat": f.mat, "rowvec": f.rowvec, "tmat": f.tmat,
            "dot_cells": f.dot_cells, "sum_cells": f.sum_cells, "terms": f.terms,
            "fn_cells": f.fn_cells, "e": escape_latex, "paragraphs": paragraphs,
            "column_name": column_name, "script_encodings": script_encodings, "script_setup": script_setup}
