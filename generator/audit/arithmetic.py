"""Check every printed line of a rendered worked solution by hand, from the LaTeX alone.

This module reads only the rendered LaTeX text and imports nothing from ``generator``:
it is an independent second opinion on the numbers the generator prints.

Every displayed chain ``A = B \\approx C ...`` is split into segments at its top-level
relations; each segment made only of numbers and operators is evaluated in exact decimal
arithmetic (``decimal`` at ``PRECISION`` digits, exp/ln/sin/cos at that precision), and
each relation between two *adjacent evaluable* segments is asserted:

* ``=``        both sides equal exactly (entry by entry; a 1x1 matrix equals a number);
* ``\\approx``  mode ``"carry"`` with a plain printed right side: each printed entry is the
  left value rounded half away from zero at the decimals printed, and not already equal;
  otherwise (mode ``"display"``, or a right side that is itself an expression) the interval
  rule: a printed non-integer may be a rounding and stands for +-1/2 unit of its last digit,
  both sides are evaluated as intervals, and they must overlap within a further 1/2 unit of
  the last digit of the right side.  Two refinements keep the intervals tight: in carry mode
  the left side's numbers are exact (they are the carried values themselves), and a number
  with fewer decimals than the shortest rounded result of the document (a plain number after
  ``\\approx``) is exact, e.g. a target 0.9 next to activations printed as 0.651.

Segments with any symbol (``z^{(1)}``, ``\\hat{y}``, ``\\frac{\\partial L}{...}``, ``\\text``)
are not evaluable; a relation touching one is counted as skipped (``Report.skipped`` counts
relations).  Segments of numbers only that have no value (shapes that do not match, division
by zero) make their relations fail.  ``explain()`` lists every relation with its status and
reason, for debugging.

Understood: numbers ``0.5``, ``0{,}5``, ``(-0.5)``; ``+ - \\cdot \\times \\odot /``, unary minus,
implicit multiplication; ``( ) [ ] \\{ \\}`` with ``\\left \\right \\bigl \\Bigr``...; ``\\frac``,
``\\tfrac``, ``\\frac12``; ``^2 ^{2} ^{\\odot 2} ^{T}``; ``e^{x}``, ``\\exp \\log \\ln \\sigma \\tanh
\\sin \\cos \\sqrt``, ``\\operatorname{ReLU / id / sum / mean / softmax}``, ``\\max \\min``, the
derivatives ``\\sigma' \\tanh' \\operatorname{id}'``, ``\\tanh^2(x)``, ``\\lfloor \\rfloor``, ``\\pi``;
``bmatrix``/``pmatrix`` with expression cells, matrix products by juxtaposition or ``\\cdot``,
broadcasting of 1x1, row and column vectors.  The leaky ReLU is evaluated only when the
document defines its slope (``LReLU(z) = \\begin{cases} z & z > 0 \\\\ 0.1\\, z & ...``).
Not evaluated (skipped): ReLU' and LReLU' (conventions at 0), ``\\sum`` with limits, ``cases``,
matrix powers, absolute values.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from decimal import (ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, DivisionByZero,
                     InvalidOperation, Overflow, localcontext)
from typing import Iterator

PRECISION = 60
# Display wrappers whose (first, brace-balanced) argument is display math.
BOX_MACROS = ("eqbox", "eqlines")
# Display environments whose body is display math (rows joined by \\, & ignored).
DISPLAY_ENVS = ("dmath*", "dmath", "equation*", "equation", "align*", "align", "gather*",
                "gather", "multline*", "displaymath")
# Environments inside a display that only arrange rows: unwrapped, rows joined by \\.
ROW_ENVS = ("aligned", "split", "gathered", "alignedat")
MATRIX_ENVS = ("bmatrix", "pmatrix", "matrix", "Bmatrix", "smallmatrix", "bmatrix*", "pmatrix*", "array")

_TOL = Decimal("1e-40")          # "exactly equal" up to the working precision's noise
_WIDE = Decimal("1e40")          # stands for an unbounded interval end


# ----------------------------------------------------------------------------- results

@dataclass
class Failure:
    line: str
    left: str
    rel: str
    right: str
    why: str


@dataclass
class Report:
    checked: int
    skipped: int
    failures: list[Failure]


@dataclass
class Relation:
    """One relation ``left rel right`` of a chain, as found by ``explain``."""
    line: str
    left: str
    rel: str
    right: str
    status: str        # "ok", "fail" or "skip"
    why: str


class Symbolic(Exception):
    """The segment contains a symbol (or is not a formula): not evaluable, skipped."""


class Malformed(Exception):
    """Numbers only, but no value: shapes do not match, division by zero, log of <= 0."""


# ----------------------------------------------------------------------------- tokens

@dataclass(frozen=True)
class Tok:
    kind: str       # num ch cmd func sym text rel sep row amp begin end
    text: str
    start: int
    end: int


_SKIP_CMDS = {"hline", "underline", "overline", "boxed", "left", "right", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl",
              "Biggr", "big", "Big", "bigg", "Bigg", "middle", "displaystyle", "textstyle",
              "scriptstyle", "limits", "nolimits", "nonumber", "notag", "mathstrut", "strut",
              "allowbreak", "hfill", "enspace", "thinspace", "medspace", "thickspace"}
_SKIP_WITH_ARG = {"hspace", "vspace", "phantom", "hphantom", "vphantom", "label", "tag", "mspace"}
_TEXT_CMDS = {"text", "textrm", "textit", "textbf", "textsf", "texttt", "mbox", "emph",
              "intertext", "textnormal"}
_NAME_CMDS = {"operatorname", "operatorname*", "mathrm", "mathit", "mathsf", "mathbf", "mathcal",
              "boldsymbol", "bm", "mathbb", "hat", "tilde", "bar", "vec", "dot"}
_FUNC_CMDS = {"sigma": "sigma", "tanh": "tanh", "exp": "exp", "log": "log", "ln": "log",
              "sin": "sin", "cos": "cos", "max": "max", "min": "min"}
_FUNC_NAMES = {"relu": "relu", "lrelu": "lrelu", "leakyrelu": "lrelu", "id": "id",
               "sigmoid": "sigma", "sigma": "sigma", "softmax": "softmax",
               "sum": "sum", "mean": "mean", "tanh": "tanh", "exp": "exp", "log": "log",
               "ln": "log", "max": "max", "min": "min", "sin": "sin", "cos": "cos"}
_FRACS = {r"\frac", r"\tfrac", r"\dfrac", r"\cfrac"}
_NUM_RE = re.compile(r"[0-9]+(?:\{,\}[0-9]+|\.[0-9]+)?|\.[0-9]+")   # .752: written by hand without its 0
_DIGITS = frozenset("0123456789")     # str.isdigit() is true of ² and ٣ too
_MAX_PRODUCT = 100_000                # multiplications of one printed matrix product
_SPACE_SYMBOLS = set(",;:! >")
_ROW_OPTION_RE = re.compile(r"\s*\[[^\]]*\]")          # \\[2pt]
_COMMAND_RE = re.compile(r"\\([A-Za-z]+\*?)")


def _brace_end(s: str, i: int) -> int:
    """Index just past the group opened by the '{' at s[i] (len(s) if unbalanced)."""
    depth = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(s)


def _skip_ws(s: str, i: int) -> int:
    while i < len(s) and s[i].isspace():
        i += 1
    return i


def tokenize(s: str, base: int = 0) -> list[Tok]:
    """Math-mode LaTeX -> tokens (positions relative to ``base``)."""
    out: list[Tok] = []
    i, n = 0, len(s)
    single = 0                       # how many following tokens are single characters (^2, \frac12)

    def add(kind, text, a, b):
        out.append(Tok(kind, text, base + a, base + b))

    while i < n:
        c = s[i]
        if c.isspace():
            i += 1
            continue
        if single and c in _DIGITS:
            add("num", c, i, i + 1)
            i, single = i + 1, single - 1
            continue
        single = 0
        if c in _DIGITS or (c == "." and s[i + 1:i + 2] in _DIGITS and s[i + 1:i + 2] and
                             not (i and s[i - 1] in _DIGITS)):
            m = _NUM_RE.match(s, i)
            add("num", m.group().replace("{,}", "."), i, m.end())
            i = m.end()
        elif c == "%":
            while i < n and s[i] != "\n":
                i += 1
        elif c == "&":
            add("amp", c, i, i + 1)
            i += 1
        elif c == "=":
            add("rel", "=", i, i + 1)
            i += 1
        elif c in "^_":
            add("ch", c, i, i + 1)
            j = _skip_ws(s, i + 1)
            if j < n and s[j] not in "{\\":
                kind = "num" if s[j] in _DIGITS else "ch"
                add(kind, s[j], j, j + 1)
                j += 1
            i = j
        elif c == "~":
            i += 1
        elif c != "\\":
            add("ch", c, i, i + 1)
            i += 1
        elif s.startswith("\\\\", i):
            add("row", "\\\\", i, i + 2)
            m = _ROW_OPTION_RE.match(s, i + 2)
            i = m.end() if m else i + 2
        else:
            m = _COMMAND_RE.match(s, i)
            if not m:                                    # control symbol: \, \; \{ \| ...
                sym = s[i + 1:i + 2]
                if sym not in _SPACE_SYMBOLS:
                    add("ch", "\\" + sym, i, i + 2)
                i += 2
                continue
            name, j = m.group(1), m.end()
            if name.endswith("*") and name != "operatorname*":
                name, j = name[:-1], j - 1
            i = _command(s, name, i, j, add)
            if name in ("frac", "tfrac", "dfrac", "cfrac"):
                single = 2
    return out


def _command(s: str, name: str, i: int, j: int, add) -> int:
    """Emit the token(s) of the command \\name found at s[i:j]; return the index after it."""
    if name in _SKIP_CMDS:
        k = _skip_ws(s, j)
        return k + 1 if name in ("left", "right") and s[k:k + 1] == "." else j
    if name in ("quad", "qquad", "eqsep"):
        add("sep", "\\" + name, i, j)
        return j
    if name == "EN":                                # \eqlines rows (dryrun's base template)
        add("row", "\\\\", i, j)
        return j
    if name == "EA":                                # \eqlines alignment point
        add("amp", "&", i, j)
        return j
    if name == "approx":
        add("rel", r"\approx", i, j)
        return j
    if name in _FUNC_CMDS:
        add("func", _FUNC_CMDS[name], i, j)
        return j
    k = _skip_ws(s, j)
    has_arg = s[k:k + 1] == "{"
    end = _brace_end(s, k) if has_arg else j
    if name in _SKIP_WITH_ARG and has_arg:
        return end
    if name in _TEXT_CMDS and has_arg:
        add("text", s[k + 1:end - 1], i, end)
        return end
    if name in ("begin", "end") and has_arg:
        env = s[k + 1:end - 1].strip()
        if name == "begin" and env in ("alignedat", "array"):   # \begin{alignedat}{2}, {array}{|c|c|}
            k2 = _skip_ws(s, end)
            if s[k2:k2 + 1] == "{":
                end = _brace_end(s, k2)
        add(name, env, i, end)
        return end
    if name in _NAME_CMDS and has_arg:
        arg = s[k + 1:end - 1].strip()
        if name.startswith(("operatorname", "mathrm")) and arg.lower() in _FUNC_NAMES:
            add("func", _FUNC_NAMES[arg.lower()], i, end)
        elif name == "mathrm" and arg == "e":
            add("ch", "e", i, end)
        else:
            add("sym", arg if name in ("mathrm", "mathsf") else s[i:end], i, end)
        return end
    add("cmd", "\\" + name, i, j)
    return j


# ----------------------------------------------------------------------------- values

@dataclass(frozen=True)
class Num:
    """A value with its interval [lo, hi] under the rounding of the printed numbers."""
    mid: Decimal
    lo: Decimal
    hi: Decimal
    ulp: Decimal | None = None     # finest last-printed-digit unit of the numbers it came from
    lit: int | None = None         # decimals printed, if it is a printed number itself


@dataclass
class Arr:
    """A matrix of Nums; ``scalar`` for values that were never a matrix."""
    rows: list[list[Num]]
    scalar: bool = False

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.rows[0])

    def cells(self) -> list[Num]:
        return [x for row in self.rows for x in row]

    def map(self, f) -> "Arr":
        return Arr([[f(x) for x in row] for row in self.rows], self.scalar)


def _exact(x: Decimal) -> Num:
    return Num(x, x, x)


def _scalar(x: Num) -> Arr:
    return Arr([[x]], True)


def _literal(text: str, places: int | None) -> Num:
    """A printed number; with at least ``places`` decimals it may be a rounding: +-1/2 unit."""
    d = Decimal(text)
    if "." not in text:
        return Num(d, d, d, None, 0)
    decimals = len(text.split(".")[1])
    unit = Decimal(1).scaleb(-decimals)
    half = unit / 2 if places is not None and decimals >= places else Decimal(0)
    return Num(d, d - half, d + half, unit, decimals)


def _ulp(*xs: Num) -> Decimal | None:
    units = [x.ulp for x in xs if x.ulp is not None]
    return min(units) if units else None


def _neg(a: Num) -> Num:
    return Num(-a.mid, -a.hi, -a.lo, a.ulp, a.lit)


def _add(a: Num, b: Num) -> Num:
    return Num(a.mid + b.mid, a.lo + b.lo, a.hi + b.hi, _ulp(a, b))


def _sub(a: Num, b: Num) -> Num:
    return Num(a.mid - b.mid, a.lo - b.hi, a.hi - b.lo, _ulp(a, b))


def _mul(a: Num, b: Num) -> Num:
    ps = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]
    return Num(a.mid * b.mid, min(ps), max(ps), _ulp(a, b))


def _div(a: Num, b: Num) -> Num:
    if b.mid == 0:
        raise Malformed("division by zero")
    if b.lo <= 0 <= b.hi:
        return Num(a.mid / b.mid, -_WIDE, _WIDE, _ulp(a, b))
    qs = [a.lo / b.lo, a.lo / b.hi, a.hi / b.lo, a.hi / b.hi]
    return Num(a.mid / b.mid, min(qs), max(qs), _ulp(a, b))


def _ipow(a: Num, n: int) -> Num:
    if n < 0:
        return _div(_exact(Decimal(1)), _ipow(a, -n))
    ends = [a.lo ** n, a.hi ** n]
    lo = Decimal(0) if n % 2 == 0 and a.lo < 0 < a.hi else min(ends)
    return Num(a.mid ** n, lo, max(ends), a.ulp)


def _monotone(f):
    """f non-decreasing: the interval maps end to end."""
    def g(a: Num) -> Num:
        return Num(f(a.mid), f(a.lo), f(a.hi), a.ulp)
    return g


def _lipschitz(f, bound: str):
    """f with |f'| <= bound: the interval around f(mid) grows by bound * radius."""
    def g(a: Num) -> Num:
        y, r = f(a.mid), Decimal(bound) * max(a.mid - a.lo, a.hi - a.mid)
        return Num(y, y - r, y + r, a.ulp)
    return g


def _exp(x: Decimal) -> Decimal:
    if x > 100000:
        return _WIDE
    return Decimal(0) if x < -100000 else x.exp()


def _ln(x: Decimal) -> Decimal:
    return x.ln() if x > 0 else -_WIDE


def _sigma(x: Decimal) -> Decimal:
    return 1 / (1 + _exp(-x))


def _tanh(x: Decimal) -> Decimal:
    if abs(x) > 1000:
        return Decimal(1).copy_sign(x)
    e2 = (2 * x).exp()
    return (e2 - 1) / (e2 + 1)


def _pi() -> Decimal:
    with localcontext() as ctx:
        ctx.prec = PRECISION + 10
        lasts, t, s, n, na, d, da = 0, Decimal(3), Decimal(3), 1, 0, 0, 24
        while s != lasts:                      # the decimal module's documented recipe
            lasts = s
            n, na = n + na, na + 8
            d, da = d + da, da + 32
            t = (t * n) / d
            s += t
        return s


_PI = _pi()


def _series(x: Decimal, sine: bool) -> Decimal:
    """sin or cos by Taylor series after reduction to [-pi, pi]."""
    x -= 2 * _PI * (x / (2 * _PI)).to_integral_value()
    term = x if sine else Decimal(1)
    total, k = term, 1 if sine else 0
    while True:
        term = -term * x * x / ((k + 1) * (k + 2))
        k += 2
        if total + term == total:
            return total
        total += term


def _sin(x: Decimal) -> Decimal:
    return _series(x, True)


def _cos(x: Decimal) -> Decimal:
    return _series(x, False)


def _log(a: Num) -> Num:
    if a.mid <= 0:
        raise Malformed("logarithm of a number <= 0")
    return _monotone(_ln)(a)


def _sqrt(a: Num) -> Num:
    if a.mid < 0:
        raise Malformed("square root of a negative number")
    return _monotone(lambda x: max(x, Decimal(0)).sqrt())(a)


def _clip(a: Num, lo: Decimal, hi: Decimal) -> Num:
    return Num(a.mid, max(a.lo, lo), min(a.hi, hi), a.ulp)


_SCALAR_FUNCS = {
    "sigma": _monotone(_sigma),
    "tanh": _monotone(_tanh),
    "exp": _monotone(_exp),
    "log": _log,
    "relu": _monotone(lambda x: max(x, Decimal(0))),
    "id": lambda a: a,
    "sin": lambda a: _clip(_lipschitz(_sin, "1")(a), Decimal(-1), Decimal(1)),
    "cos": lambda a: _clip(_lipschitz(_cos, "1")(a), Decimal(-1), Decimal(1)),
}
_DERIVATIVES = {                     # only the unambiguous ones: sigma' = s(1-s), tanh' = 1-t^2
    "sigma": _lipschitz(lambda x: _sigma(x) * (1 - _sigma(x)), "0.1"),
    "tanh": _lipschitz(lambda x: 1 - _tanh(x) ** 2, "0.77"),
    "id": lambda a: _exact(Decimal(1)),
}
_LRELU_DEFINITION = re.compile(r"\\operatorname\{LReLU\}\(z\)\s*=\s*\\begin\{cases\}\s*z\s*&\s*z\s*>\s*0"
                               r"\s*\\\\\s*(\d+(?:\.\d+)?)\s*(?:\\,)?\s*z\s*&")


def document_functions(tex: str) -> dict:
    """Functions a document defines itself: the leaky ReLU, when all its definitions
    ``LReLU(z) = {z if z > 0; k z otherwise}`` agree on the slope k."""
    slopes = set(_LRELU_DEFINITION.findall(tex))
    if len(slopes) != 1:
        return {}
    k = Decimal(slopes.pop())
    return {"lrelu": _monotone(lambda x: x if x > 0 else k * x)}


def _reduce(name: str, xs: list[Num]) -> Num:
    if name in ("sum", "mean"):
        total = xs[0]
        for x in xs[1:]:
            total = _add(total, x)
        return total if name == "sum" else _div(total, _exact(Decimal(len(xs))))
    pick = max if name == "max" else min
    return Num(pick(x.mid for x in xs), pick(x.lo for x in xs), pick(x.hi for x in xs), _ulp(*xs))


def _softmax_vector(xs: list[Num]) -> list[Num]:
    def share(i: int, own, other) -> Decimal:   # 1 / (1 + sum_j exp(x_j - x_i))
        return 1 / (1 + sum(_exp(other(y) - own(xs[i])) for j, y in enumerate(xs) if j != i))
    return [Num(share(i, lambda x: x.mid, lambda x: x.mid), share(i, lambda x: x.lo, lambda x: x.hi),
                share(i, lambda x: x.hi, lambda x: x.lo), _ulp(*xs)) for i in range(len(xs))]


def _softmax(a: Arr) -> Arr:
    """Column-wise (a single row is one vector)."""
    if a.shape[0] == 1:
        return Arr([_softmax_vector(a.rows[0])], a.scalar)
    cols = [_softmax_vector([row[j] for row in a.rows]) for j in range(a.shape[1])]
    return Arr([list(r) for r in zip(*cols)])


def _transpose(a: Arr) -> Arr:
    return Arr([list(col) for col in zip(*a.rows)], a.scalar)


def _elementwise(a: Arr, b: Arr, f) -> Arr:
    """f entry by entry; a 1x1 side, or a column (row) vector matching the rows (columns) of
    the other side, is broadcast."""
    (r1, c1), (r2, c2) = a.shape, b.shape
    ok = (r1, c1) == (r2, c2) or (r1, c1) == (1, 1) or (r2, c2) == (1, 1) \
        or (r1 == r2 and 1 in (c1, c2)) or (c1 == c2 and 1 in (r1, r2))
    if not ok:
        raise Malformed(f"shapes {r1}x{c1} and {r2}x{c2} do not match")
    rows, cols = max(r1, r2), max(c1, c2)
    return Arr([[f(a.rows[i % r1][j % c1], b.rows[i % r2][j % c2]) for j in range(cols)]
                for i in range(rows)], a.scalar and b.scalar)


def _product(a: Arr, b: Arr) -> Arr:
    """Juxtaposition, \\cdot or \\times: scaling if a side is 1x1, else the matrix product."""
    if a.shape == (1, 1) or b.shape == (1, 1):
        return _elementwise(a, b, _mul)
    (r1, c1), (r2, c2) = a.shape, b.shape
    if c1 != r2:
        raise Malformed(f"matrix product of {r1}x{c1} and {r2}x{c2}")
    if r1 * c1 * c2 > _MAX_PRODUCT:
        raise Symbolic(f"a matrix product of {r1}x{c1} and {r2}x{c2} is not a hand calculation")
    rows = []
    for i in range(r1):
        row = []
        for j in range(c2):
            acc = _mul(a.rows[i][0], b.rows[0][j])
            for k in range(1, c1):
                acc = _add(acc, _mul(a.rows[i][k], b.rows[k][j]))
            row.append(acc)
        rows.append(row)
    return Arr(rows)


# ----------------------------------------------------------------------------- parser

_CLOSERS = {"(": (")", "]"), "[": ("]", ")"), "{": ("}",), "\\{": ("\\}",)}
_BINARY = {r"\cdot": _product, r"\times": _product,
           r"\odot": lambda a, b: _elementwise(a, b, _mul),
           r"\oslash": lambda a, b: _elementwise(a, b, _div),
           "/": lambda a, b: _elementwise(a, b, _div), r"\div": lambda a, b: _elementwise(a, b, _div)}
_TRANSPOSE = {"T", r"\top", r"\intercal"}


class _Parser:
    """Recursive descent over one segment's tokens; every value is an Arr."""

    def __init__(self, toks: list[Tok], places: int | None, funcs: dict, exact_at=frozenset()):
        self.toks, self.i, self.places, self.funcs = toks, 0, places, funcs
        self.exact_at = exact_at          # starts of printed numbers known to be exact (no rounding)

    def sub(self, toks: list[Tok]) -> Arr:
        return _Parser(toks, self.places, self.funcs, self.exact_at).parse()

    def peek(self, k: int = 0) -> Tok | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def at(self, kind: str, *texts: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t is not None and t.kind == kind and (not texts or t.text in texts)

    def take(self) -> Tok:
        self.i += 1
        return self.toks[self.i - 1]

    def parse(self) -> Arr:
        if not self.toks:
            raise Symbolic("empty")
        v = self.expr()
        if self.peek() is not None:
            raise Symbolic(f"unexpected {self.peek().text!r}")
        return v

    def expr(self) -> Arr:
        v = self.term()
        while self.at("ch", "+", "-"):
            op = self.take().text
            v = _elementwise(v, self.term(), _add if op == "+" else _sub)
        return v

    def term(self) -> Arr:
        v = self.unary()
        while (t := self.peek()) is not None:
            if t.text in _BINARY and t.kind in ("cmd", "ch"):
                self.take()
                v = _BINARY[t.text](v, self.unary())
            elif self.starts_primary(t):
                if t.kind == "num" and self.toks[self.i - 1].kind == "num":
                    raise Symbolic("two numbers side by side")
                v = _product(v, self.power())
            else:
                break
        return v

    def starts_primary(self, t: Tok) -> bool:
        return t.kind in ("num", "func", "sym", "text", "begin") or (
            t.kind == "ch" and (t.text in _CLOSERS or t.text.isalpha())) or (
            t.kind == "cmd" and t.text not in _BINARY and t.text not in (r"\rfloor", r"\rceil"))

    def unary(self) -> Arr:
        if self.at("ch", "-"):
            self.take()
            return self.unary().map(_neg)
        if self.at("ch", "+"):
            self.take()
            return self.unary()
        return self.power()

    def power(self) -> Arr:
        v = self.primary()
        while True:
            if self.at("ch", "^"):
                self.take()
                v = self.exponent(v)
            elif self.at("ch", "'", "_") or self.at("cmd", r"\prime"):
                raise Symbolic("derivative or subscript")
            else:
                return v

    def group(self) -> list[Tok]:
        """The tokens of a {...} group, or the single next token."""
        if not self.at("ch", "{"):
            if self.peek() is None:
                raise Symbolic("missing argument")
            return [self.take()]
        self.take()
        start, depth = self.i, 1
        while (t := self.peek()) is not None:
            depth += (t.kind == "ch" and t.text == "{") - (t.kind == "ch" and t.text == "}")
            if depth == 0:
                self.take()
                return self.toks[start:self.i - 1]
            self.take()
        raise Symbolic("unbalanced braces")

    def exponent(self, base: Arr) -> Arr:
        toks = self.group()
        if len(toks) == 1 and toks[0].text in _TRANSPOSE:
            return _transpose(base)
        elementwise = bool(toks) and toks[0].text == r"\odot"
        n = self.sub(toks[1:] if elementwise else toks)
        x = n.rows[0][0]
        if n.shape != (1, 1) or x.lo != x.hi or x.mid != x.mid.to_integral_value():
            raise Symbolic("exponent is not an integer")
        if not elementwise and base.shape != (1, 1):
            raise Symbolic("power of a matrix")
        return base.map(lambda a: _ipow(a, int(x.mid)))

    def close(self, opener: str) -> None:
        t = self.peek()
        if t is None or t.text not in _CLOSERS[opener]:
            raise Symbolic(f"unclosed {opener}")
        self.take()

    def primary(self) -> Arr:
        t = self.peek()
        if t is None:
            raise Symbolic("missing operand")
        if t.kind == "num":
            self.take()
            return _scalar(_literal(t.text, None if t.start in self.exact_at else self.places))
        if t.kind == "ch" and t.text in _CLOSERS:
            self.take()
            v = self.expr()
            self.close(t.text)
            return v
        if t.kind == "begin" and t.text in MATRIX_ENVS:
            return self.matrix()
        if t.kind == "func":
            return self.call()
        if t.kind == "ch" and t.text == "e" and self.at("ch", "^", k=1):
            self.i += 2
            return self.sub(self.group()).map(_SCALAR_FUNCS["exp"])
        if t.kind == "cmd":
            return self.command(t)
        raise Symbolic(f"symbol {t.text}")

    def command(self, t: Tok) -> Arr:
        self.take()
        if t.text in _FRACS:
            num = self.primary()
            return _elementwise(num, self.primary(), _div)
        if t.text in (r"\lfloor", r"\lceil"):
            v = self.expr()
            closer = r"\rfloor" if t.text == r"\lfloor" else r"\rceil"
            if not self.at("cmd", closer):
                raise Symbolic(f"unclosed {t.text}")
            self.take()
            rounding = ROUND_FLOOR if t.text == r"\lfloor" else ROUND_CEILING
            return v.map(_monotone(lambda x: x.to_integral_value(rounding)))
        if t.text == r"\pi":
            return _scalar(_exact(_PI))
        if t.text == r"\sqrt" and not self.at("ch", "["):
            return self.primary().map(_sqrt)
        raise Symbolic(f"symbol {t.text}")

    def matrix(self) -> Arr:
        env = self.take().text
        rows: list[list[Num]] = [[]]
        while not self.at("end", env):
            if self.peek() is None:
                raise Symbolic("unterminated matrix")
            cell = self.expr()
            if cell.shape != (1, 1):
                raise Symbolic("block matrix")
            rows[-1].append(cell.rows[0][0])
            if self.at("amp"):
                self.take()
            elif self.at("row"):
                self.take()
                rows.append([])
            elif not self.at("end", env):
                raise Symbolic("unterminated matrix" if self.peek() is None else
                               f"unexpected {self.peek().text!r} in matrix")
        self.take()
        rows = [r for r in rows if r]
        if not rows or len({len(r) for r in rows}) != 1:
            raise Malformed("ragged or empty matrix")
        return Arr(rows)

    def call(self) -> Arr:
        name = self.take().text
        derivative = self.at("ch", "'") or self.at("cmd", r"\prime")
        if derivative:
            self.take()
        power = 1
        if self.at("ch", "^") and not derivative:              # \tanh^2(x) = (\tanh x)^2
            self.take()
            value = self.sub(self.group())
            n = value.rows[0][0]
            if value.shape != (1, 1) or n.lo != n.hi or n.mid != n.mid.to_integral_value() or n.mid < 1:
                raise Symbolic(f"{name} to a power that is not a positive integer")
            power = int(n.mid)
        if self.at("ch", "^", "_"):
            raise Symbolic(f"decorated function {name}")
        bracketed = self.peek() is not None and self.peek().text in _CLOSERS
        if name in ("max", "min") and bracketed:
            args = self.arglist()
            if len(args) > 1:
                if any(a.shape != (1, 1) for a in args):
                    raise Symbolic(f"{name} of matrices")
                return _scalar(_reduce(name, [a.rows[0][0] for a in args]))
            arg = args[0]
        else:
            arg = self.primary() if bracketed else self.power()
        if derivative:
            if name not in _DERIVATIVES:
                raise Symbolic(f"derivative {name}'")
            return arg.map(_DERIVATIVES[name])
        if name in self.funcs:
            return arg.map(lambda a: _ipow(self.funcs[name](a), power))
        if power != 1:
            raise Symbolic(f"power of {name}")
        if name in ("sum", "mean", "max", "min"):
            return _scalar(_reduce(name, arg.cells()))
        if name == "softmax":
            return _softmax(arg)
        raise Symbolic(f"function {name}")

    def arglist(self) -> list[Arr]:
        opener = self.take().text
        args = [self.expr()]
        while self.at("ch", ","):
            self.take()
            args.append(self.expr())
        self.close(opener)
        return args


def evaluate(toks: list[Tok], places: int | None = None, funcs: dict | None = None,
             exact_at=frozenset()) -> Arr:
    """The value of one segment (printed numbers with >= ``places`` decimals taken as
    roundings; None: all exact), or Symbolic / Malformed.  ``funcs`` adds functions;
    ``exact_at``: the start offsets of printed numbers that are exact whatever their decimals."""
    try:
        return _Parser(toks, places, {**_SCALAR_FUNCS, **(funcs or {})}, exact_at).parse()
    except (InvalidOperation, DivisionByZero, Overflow) as exc:
        raise Malformed(f"arithmetic error {type(exc).__name__}") from None
    except RecursionError:
        raise Symbolic("nested too deeply") from None


# ----------------------------------------------------------------------------- comparison

def _same(x: Decimal, y: Decimal) -> bool:
    return abs(x - y) <= _TOL * max(Decimal(1), abs(x), abs(y))


def _fmt(x: Decimal) -> str:
    return format(x.normalize() if abs(x) < _WIDE else x, ".12g") if x == x else str(x)


def _round(x: Decimal, places: int) -> Decimal:
    """x rounded half away from zero to ``places`` decimals."""
    return x.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _where(shape: tuple[int, int], k: int) -> str:
    return "" if shape == (1, 1) else f"entry ({k // shape[1] + 1},{k % shape[1] + 1}): "


def compare(a: Arr, rel: str, b: Arr, mode: str, strict: bool = False) -> str | None:
    """Why ``a rel b`` does not hold as printed, or None.  ``strict`` (display mode): the rounding
    note's promise instead of the interval rule, see ``explain``."""
    if a.shape != b.shape:
        return f"shapes differ: {a.shape[0]}x{a.shape[1]} vs {b.shape[0]}x{b.shape[1]}"
    pairs = list(zip(a.cells(), b.cells()))
    if rel == "=":
        for k, (x, y) in enumerate(pairs):
            if not _same(x.mid, y.mid):
                why = f"{_where(a.shape, k)}left is {_fmt(x.mid)}, right is {_fmt(y.mid)}"
                if y.lit is None:
                    return why
                r = _round(x.mid, y.lit)
                return why + (" (a rounding: '\\approx' expected)" if r == y.mid else
                              f" (rounded to {y.lit} decimals it is {r})")
        return None
    if mode == "carry" and all(y.lit is not None for _, y in pairs):
        for k, (x, y) in enumerate(pairs):
            r = _round(x.mid, y.lit)
            if r != y.mid:
                return (f"{_where(a.shape, k)}left is {_fmt(x.mid)}, which rounds to {r} "
                        f"at {y.lit} decimals, but {_fmt(y.mid)} is printed")
        if all(_same(x.mid, y.mid) for x, y in pairs):
            return "both sides are exactly equal: '=' expected, not '\\approx'"
        return None
    if mode == "display" and strict and all(y.lit is not None for _, y in pairs):
        for k, (x, y) in enumerate(pairs):
            r, unit = _round(x.mid, y.lit), Decimal(1).scaleb(-y.lit)
            if abs(r - y.mid) > unit:
                return (f"{_where(a.shape, k)}left is {_fmt(x.mid)} from its printed numbers, which "
                        f"rounds to {r} at {y.lit} decimals, but {_fmt(y.mid)} is printed: more than "
                        f"one unit in the last digit apart")
        return None
    fallback = _ulp(*a.cells(), *b.cells()) or Decimal(0)
    for k, (x, y) in enumerate(pairs):
        slack = (y.ulp if y.ulp is not None else fallback) / 2
        if x.hi < y.lo - slack or x.lo > y.hi + slack:
            return (f"{_where(a.shape, k)}left is {_fmt(x.mid)} (within [{_fmt(x.lo)}, "
                    f"{_fmt(x.hi)}]), right is {_fmt(y.mid)} (within [{_fmt(y.lo)}, "
                    f"{_fmt(y.hi)}] +- {_fmt(slack)}): they cannot be roundings of one value")
    return None


# ----------------------------------------------------------------------------- document

@dataclass
class _Unit:
    display: bool
    start: int            # of the opening macro / delimiter
    end: int              # after the closing delimiter
    toks: list[Tok]


def _units(tex: str) -> Iterator[_Unit]:
    """Math regions in document order: boxes, display environments, \\[ \\], $$ $$, $ $, \\( \\)."""
    boxes = "|".join(re.escape(b) for b in BOX_MACROS)
    envs = "|".join(re.escape(e) for e in DISPLAY_ENVS)
    scan = re.compile(r"(?P<esc>\\[\\$%])|(?P<box>\\(?:" + boxes + r")(?![A-Za-z])\s*\{)"
                      r"|(?P<env>\\begin\{(?P<name>" + envs + r")\})|(?P<brk>\\\[)|(?P<par>\\\()"
                      r"|(?P<dd>\$\$)|(?P<d>\$)|(?P<cmt>%)")
    body = tex.find(r"\begin{document}")
    i = body + len(r"\begin{document}") if body >= 0 else 0
    while (m := scan.search(tex, i)):
        kind, i = m.lastgroup, m.end()
        if kind == "esc":
            continue
        if kind == "cmt":
            nl = tex.find("\n", i)
            i = len(tex) if nl < 0 else nl
            continue
        if kind == "box":
            end = _brace_end(tex, m.end() - 1)
            a, b, close = m.end(), end - 1, end
        else:
            closing = {"env": r"\end{%s}" % m.group("name"), "brk": r"\]", "dd": "$$", "par": r"\)"}.get(kind)
            if closing:
                a = m.end()
                b = tex.find(closing, a)
            else:
                a = m.end()
                b = a
                while True:
                    b = tex.find("$", b)
                    if b < 0 or tex[b - 1] != "\\":
                        break
                    b += 1
            if b < 0:
                return
            close = b + len(closing or "$")
        yield _Unit(kind not in ("d", "par"), m.start(), close, tokenize(tex[a:b], a))
        i = close


def _depths(toks: list[Tok]) -> list[int]:
    """Bracket depth before each token (braces, brackets, parentheses, floors, environments)."""
    out, depth = [], 0
    for t in toks:
        closing = (t.kind == "ch" and t.text in ")]}") or t.kind == "end" or \
            (t.kind == "cmd" and t.text in (r"\rfloor", r"\rceil"))
        if closing:
            depth -= 1
        out.append(depth)
        if (t.kind == "ch" and t.text in "([{") or t.kind == "begin" or \
                (t.kind == "cmd" and t.text in (r"\lfloor", r"\lceil")):
            depth += 1
    return out


def _split(toks: list[Tok], is_sep) -> list[list[Tok]]:
    parts: list[list[Tok]] = [[]]
    for t, d in zip(toks, _depths(toks)):
        if d <= 0 and is_sep(t):
            parts.append([])
        else:
            parts[-1].append(t)
    return parts


_CONTINUES = {"+", "-", r"\cdot", r"\times", r"\odot"}


def _lines(toks: list[Tok]) -> list[list[Tok]]:
    """Logical lines of a unit: row environments unwrapped, top-level '&' dropped; a row joins
    the previous one when it starts with a relation, or with '&' and an operator (aligned
    continuation), or when the previous one ends with a relation or an operator."""
    toks = [t for t in toks if not (t.kind in ("begin", "end") and t.text in ROW_ENVS)]
    lines: list[list[Tok]] = []
    for row in _split(toks, lambda t: t.kind == "row"):
        aligned = False
        while row and row[0].kind in ("sep", "amp"):
            aligned, row = aligned or row[0].kind == "amp", row[1:]
        row = [t for t, d in zip(row, _depths(row)) if not (t.kind == "amp" and d <= 0)]
        if not row:
            continue
        if lines and (row[0].kind == "rel" or (aligned and row[0].text in _CONTINUES) or
                      lines[-1][-1].kind == "rel" or lines[-1][-1].text in _CONTINUES):
            lines[-1].extend(row)
        else:
            lines.append(row)
    return lines


def _chains(line: list[Tok]) -> list[list[Tok]]:
    """A line split at top-level \\quad / \\qquad (and a ',' before one); labels and trailing
    punctuation stripped."""
    out = []
    for chain in _split(line, lambda t: t.kind == "sep"):
        while chain and (chain[-1].kind == "text" or chain[-1].text in (",", ".", ";")):
            chain = chain[:-1]
        while chain and chain[0].kind == "text":
            chain = chain[1:]
        if chain:
            out.append(chain)
    return out


@dataclass
class _Pair:
    line: str
    left: str
    rel: str
    right: str
    a: list[Tok]
    b: list[Tok]


def _pairs(tex: str) -> list[_Pair]:
    """Every relation of every chain of the document, with the tokens of its two sides."""
    starts = [0] + [m.end() for m in re.finditer("\n", tex)]

    def line_of(pos: int) -> str:
        k = bisect.bisect_right(starts, pos) - 1
        end = tex.find("\n", starts[k])
        return f"{k + 1}: {tex[starts[k]:end if end >= 0 else len(tex)].strip()}"

    def source(a: int, b: int) -> str:
        return re.sub(r"^[\s&]+|[\s&\\]+$", "", " ".join(tex[a:b].split()))

    out: list[_Pair] = []
    tail: list[Tok] = []           # last segment of the previous display unit
    prev_end = -1
    for unit in _units(tex):
        follows = unit.display and prev_end >= 0 and not tex[prev_end:unit.start].strip()
        chains = [c for line in _lines(unit.toks) for c in _chains(line)]
        if chains and chains[0][0].kind == "rel" and follows:
            chains[0] = tail + chains[0]
        for chain in chains:
            segs = _split(chain, lambda t: t.kind == "rel")
            rels = [t for t, d in zip(chain, _depths(chain)) if d <= 0 and t.kind == "rel"]
            # a segment's source runs from the relation before it to the relation after it
            bounds = [chain[0].start] + [x for r in rels for x in (r.start, r.end)] + [chain[-1].end]
            texts = [source(bounds[2 * k], bounds[2 * k + 1]) for k in range(len(segs))]
            out += [_Pair(line_of(rel.start), texts[k], rel.text, texts[k + 1], segs[k], segs[k + 1])
                    for k, rel in enumerate(rels)]
        tail = _split(chains[-1], lambda t: t.kind == "rel")[-1] if chains else []
        prev_end = unit.end if unit.display else -1
    return out


def _printed_places(seg: list[Tok]) -> list[int]:
    """Decimals of the numbers of a segment made only of printed numbers (else [])."""
    plain = all(t.kind in ("num", "amp", "row") or (t.kind == "ch" and t.text in "-()") or
                (t.kind in ("begin", "end") and t.text in MATRIX_ENVS) for t in seg)
    return [len(t.text.split(".")[1]) for t in seg if t.kind == "num" and "." in t.text] if plain else []


def explain(tex: str, mode: str, strict: bool = False) -> list[Relation]:
    """Every relation of the document with its status ("ok", "fail", "skip") and reason.

    ``strict``: a display-mode ``\\approx`` whose right side is printed numbers is held to what
    the document's rounding note promises, not to the interval rule: recomputed from the
    numbers printed on its left (as printed), the value rounded to the decimals of each
    printed result differs from it by at most one unit in the last digit.

    For the interval rule, a printed number is taken as a possible rounding when it has at
    least as many decimals as the shortest rounded result of the document (a plain number
    after \\approx); shorter ones (given values such as a target 0.9) are exact.  In carry
    mode the left side's numbers are exact: they are the carried values themselves."""
    if mode not in ("carry", "display"):
        raise ValueError(f"mode must be 'carry' or 'display', not {mode!r}")
    with localcontext() as ctx:
        ctx.prec, ctx.Emax, ctx.Emin = PRECISION, 10 ** 6, -10 ** 6
        pairs = [p for p in _pairs(tex) if p.a or p.b]       # a lone $=$ in the text is no relation
        funcs = document_functions(tex)
        places = max(1, min((p for pair in pairs if pair.rel == r"\approx"
                             for p in _printed_places(pair.b)), default=1))
        cache: dict[tuple, Arr | Exception] = {}

        def value(seg: list[Tok], pl: int | None) -> Arr | Exception:
            key = (seg[0].start, seg[-1].end, len(seg), pl) if seg else (pl,)
            if key not in cache:
                try:
                    cache[key] = evaluate(seg, pl, funcs)
                except (Symbolic, Malformed) as exc:
                    cache[key] = exc
            return cache[key]

        modes = _section_modes(tex, mode)

        def mode_of(p: _Pair) -> str:
            n = int(p.line.split(":", 1)[0])
            return modes[bisect.bisect_right([start for start, _ in modes], n) - 1][1] if modes else mode

        out = []
        for p in pairs:
            m = mode_of(p)
            out.append(_relate(p, value(p.a, None if m == "carry" else places), value(p.b, places), m,
                               strict))
        return out


#: A section that says this about itself is checked as display mode, whatever the document's mode
#: (an expression exercise computed exactly, whose decimals are roundings of exact values).
DISPLAY_ONLY = "rounded for display only"


def _section_modes(tex: str, mode: str) -> list[tuple[int, str]]:
    """(first line, mode) of every \\section of the document, in order."""
    lines = tex.split("\n")
    starts = [0] + [i + 1 for i, line in enumerate(lines) if line.lstrip().startswith("\\section")]
    out = []
    for k, start in enumerate(starts):
        end = starts[k + 1] - 1 if k + 1 < len(starts) else len(lines)
        text = "\n".join(lines[max(start - 1, 0):end])
        out.append((start, "display" if DISPLAY_ONLY in text else mode))
    return out


def _relate(p: _Pair, a: Arr | Exception, b: Arr | Exception, mode: str,
            strict: bool = False) -> Relation:
    def rel(status: str, why: str) -> Relation:
        return Relation(p.line, p.left, p.rel, p.right, status, why)
    if isinstance(a, Symbolic) or isinstance(b, Symbolic):
        return rel("skip", "; ".join(f"{side}: {v}" for side, v in (("left", a), ("right", b))
                                     if isinstance(v, Symbolic)))
    if isinstance(a, Malformed) or isinstance(b, Malformed):
        return rel("fail", f"cannot evaluate: {a if isinstance(a, Malformed) else b}")
    why = compare(a, p.rel, b, mode, strict)
    return rel("fail" if why else "ok", why or "")


def check_tex(tex: str, mode: str, strict: bool = False) -> Report:
    """Check every relation between adjacent evaluable segments of a rendered document
    (``strict``: display mode held to the rounding note, see ``explain``)."""
    rels = explain(tex, mode, strict)
    failures = [Failure(r.line, r.left, r.rel, r.right, r.why) for r in rels if r.status == "fail"]
    return Report(checked=sum(r.status != "skip" for r in rels),
                  skipped=sum(r.status == "skip" for r in rels), failures=failures)


def guess_mode(tex: str) -> str:
    """'carry' if the document says rounded values are used in the next step, else 'display'."""
    return "carry" if "rounded value is used in the next step" in tex else "display"
