"""Filters that turn trace values into LaTeX math: numbers, matrices, expanded sums.

They format, never compute: every number they print is a value they were given."""

from __future__ import annotations

import re

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


def typesettable(ch: str) -> bool:
    """Whether pdflatex with T1 fonts prints ``ch`` (directly, or through the maps above)."""
    o = ord(ch)
    return (ch in _UNICODE or ch in "\n\t" or 32 <= o < 0x7f or 0xa0 <= o <= 0x17f
            or ch in "ȘșȚț")


def _invisible(ch: str) -> bool:
    """A control or format character (bidi overrides, zero-width spaces): dropped, never printed."""
    import unicodedata
    return ord(ch) < 32 or 0x7f <= ord(ch) < 0xa0 or unicodedata.category(ch) == "Cf"


def untypesettable(text: str) -> str | None:
    """The first character of ``text`` that cannot be printed (Cyrillic, CJK …), or None."""
    for ch in str(text):
        if not typesettable(ch) and not _invisible(ch):
            return ch
    return None


def escape_latex(text) -> str:
    """User text, printed literally: every TeX special character escaped, no ligature formed,
    control characters dropped, typographic punctuation, Greek letters and a few symbols mapped;
    a character no font here has (checked when a spec is loaded) is printed as '?'."""
    text = str(text)
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
        elif not typesettable(ch):
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
        """One format per matrix, where padding claims no precision the values do not have: for
        exact values and decimal places, not for significant figures (0.555 is not 0.5550)."""
        if kind is not None and self.policy.precision(kind).style == "significant":
            return cells
        return uniform(cells)

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
        out = ""
        for n, v in enumerate(np.asarray(values, dtype=object).ravel(order="F")):
            text = self.num(v, kind)
            if n == 0:
                out = text
            elif text.startswith("-"):
                out += " - " + text[1:]
            else:
                out += " + " + text
        return out

    def fn_cells(self, value, fn: str, kind=None) -> str:
        """Each entry wrapped in a function: ``\\sigma(0.3)``."""
        a = np.asarray(value, dtype=object)
        if a.size == 1:
            return f"{fn}({self.num(a.ravel()[0], kind)})"
        if a.ndim == 1:
            a = a[:, None]
        cells = self._uniform([[self.num(v, kind) for v in row] for row in a], kind)
        return self.matrix([[f"{fn}({c})" for c in row] for row in cells])


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


def filters(policy: RoundingPolicy) -> dict:
    f = Formatter(policy)
    return {"num": f.num, "factor": f.factor, "mat": f.mat, "rowvec": f.rowvec, "tmat": f.tmat,
            "dot_cells": f.dot_cells, "sum_cells": f.sum_cells, "terms": f.terms,
            "fn_cells": f.fn_cells, "e": escape_latex, "paragraphs": paragraphs}
