"""The tokenizer of the drafter: one side of an equation as signed terms of atoms (numbers, symbols
with their scripts and accents, vectors and matrices, groups, fractions, functions, words), and
the literal value of an atom or a side.  Reading only: it never evaluates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .latex import matching, plain_formula, split_top, vocabulary


@dataclass
class Atom:
    kind: str                     # num sym mat vec group frac func word other
    text: str = ""                # a number's text, a symbol's base, a function's or word's name
    sub: str = ""
    sup: str = ""
    accent: str = ""
    prime: bool = False
    rows: list | None = None      # mat/vec: rows of cell strings
    raw: str = ""                 # group/func: the inside; frac: numerator
    den: str = ""                 # frac: denominator
    power: str = ""               # num/group/mat/vec/func: a superscript that is not an index


@dataclass
class Term:
    sign: str
    atoms: list


_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "iota", "kappa",
          "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "varphi", "chi", "psi", "omega",
          "Delta", "Gamma", "Theta", "Lambda", "Sigma", "Phi", "Psi", "Omega", "partial", "nabla", "ell"}
_FUNCS = {"sin", "cos", "tan", "exp", "log", "ln", "tanh", "max", "min", "sum", "prod", "sqrt", "arg", "det"}
_SKIP = {"left", "right", "quad", "qquad", "displaystyle", "limits", "nolimits", "hline", "cdot", "times",
         "odot", "ast", "circ", "otimes", "bullet", "mathstrut", "nonumber", "notag", "cline", "vline"}
_BOLD = {"mathbf", "boldsymbol", "bm", "vec", "mathit", "mathbb", "pmb", "bold"}
_ACCENTS = {"hat": "hat", "widehat": "hat", "tilde": "tilde", "widetilde": "tilde", "bar": "bar",
            "overline": "bar", "dot": "dot", "mathcal": "cal", "mathscr": "cal"}
_TEXTS = {"text", "textrm", "mathrm", "operatorname", "textbf", "textit", "mbox", "textsf", "mathsf", "texttt"}
_MATRIX_ENVS = {"bmatrix", "pmatrix", "matrix", "vmatrix", "Bmatrix", "Vmatrix", "smallmatrix", "array",
                "cases", "bmatrix*", "pmatrix*"}
_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")


class _Parser:
    """Splits one side of an equation into signed terms of atoms.  Reading only: it never evaluates."""

    def __init__(self, s: str):
        self.s = s
        self.i = 0

    def _arg(self) -> str:
        """The next argument: a braced group's inside, a command, or one character."""
        s = self.s
        while self.i < len(s) and s[self.i] == " ":
            self.i += 1
        if self.i >= len(s):
            return ""
        if s[self.i] == "{":
            j = matching(s, self.i)
            got = s[self.i + 1:j]
            self.i = j + 1
            return got
        if s[self.i] == "\\":
            m = re.match(r"\\(?:[A-Za-z]+|.)", s[self.i:], re.S)
            if m is None:                       # a backslash at the very end
                self.i += 1
                return ""
            self.i += m.end()
            return m.group(0)
        self.i += 1
        return s[self.i - 1]

    def terms(self) -> list[Term]:
        s = self.s
        terms = [Term("+", [])]
        while self.i < len(s):
            c = s[self.i]
            if c.isspace() or c in "&~!":
                self.i += 1
                continue
            if c in "+-":
                if terms[-1].atoms:
                    terms.append(Term(c, []))
                elif c == "-":
                    terms[-1].sign = "-" if terms[-1].sign == "+" else "+"
                self.i += 1
                continue
            if c in "^_":
                self.i += 1
                arg = self._arg()
                self._script(terms[-1].atoms, c, arg)
                continue
            if c == "'":
                self.i += 1
                if terms[-1].atoms:
                    terms[-1].atoms[-1].prime = True
                continue
            atom = self._atom()
            if atom is not None:
                terms[-1].atoms.append(atom)
        return [t for t in terms if t.atoms] or []

    def _script(self, atoms, which, arg):
        if not atoms:
            return
        a = atoms[-1]
        arg = arg.strip()
        if "'" in arg or r"\prime" in arg:
            a.prime = True
            arg = arg.replace("'", "").replace(r"\prime", "").strip()
        if which == "_":
            if a.kind in ("sym", "word", "func"):
                a.sub = arg
        else:
            if a.kind in ("sym",) and not a.sup:
                a.sup = arg
            elif a.kind in ("word",) and not a.sup:
                a.sup = arg
            else:
                a.power = arg

    def _atom(self) -> Atom | None:
        s = self.s
        c = s[self.i]
        m = _NUMBER.match(s, self.i)
        if m:
            self.i = m.end()
            return Atom("num", m.group(0))
        if c.isalpha():
            m = re.match(r"[A-Za-z]+", s[self.i:])
            word = m.group(0)
            if word.lower() in vocabulary()[0] and len(word) > 1:
                self.i += len(word)
                return self._maybe_call(Atom("word", word))
            self.i += 1
            return Atom("sym", c)
        if c == "\\":
            return self._command()
        if c in "([":
            close = ")" if c == "(" else "]"
            j = matching(s, self.i, c, close)
            inside = s[self.i + 1:j]
            self.i = j + 1
            if c == "[":
                vec = _vector_cells(inside)
                if vec is not None:
                    return Atom("vec", rows=[vec], raw=inside)
            return Atom("group", raw=inside, text=c)
        if c == "{":
            j = matching(s, self.i)
            inside = s[self.i + 1:j]
            self.i = j + 1
            sub = _Parser(inside).terms()
            if len(sub) == 1 and len(sub[0].atoms) == 1 and sub[0].sign == "+":
                return sub[0].atoms[0]
            return Atom("group", raw=inside, text="{")
        if c in "*/":
            self.i += 1
            return None if c == "*" else Atom("other", "/")
        self.i += 1
        return Atom("other", c)

    def _maybe_call(self, atom: Atom) -> Atom:
        """``name(…)``: a function applied to its argument."""
        s = self.s
        k = self.i
        while k < len(s) and s[k] == " ":
            k += 1
        if k < len(s) and s[k] == "(":
            j = matching(s, k, "(", ")")
            self.i = j + 1
            return Atom("func", atom.text, raw=s[k + 1:j], sub=atom.sub)
        return atom

    def _command(self) -> Atom | None:
        s = self.s
        m = re.match(r"\\([A-Za-z]+\*?|.)", s[self.i:], re.S)
        if m is None:                           # a backslash at the very end
            self.i += 1
            return None
        name = m.group(1)
        self.i += m.end()
        if name in (",", ";", ":", "!", " ", "\\", "&", "$", "%", "#", "_"):
            return None
        if name == "|":                                  # a norm ‖…‖
            j = s.find(r"\|", self.i)
            j = len(s) if j < 0 else j
            inside = s[self.i:j]
            self.i = min(len(s), j + 2)
            return Atom("group", raw=inside, text="|")
        if name in ("{", "}"):
            return None
        if name in ("lVert", "lvert"):
            j = s.find("\\r" + name[1:], self.i)
            j = len(s) if j < 0 else j
            inside = s[self.i:j]
            self.i = min(len(s), j + len(name) + 1)
            return Atom("group", raw=inside, text="|")
        if name == "begin":
            env = self._arg()
            end = s.find(r"\end{" + env + "}", self.i)
            end = len(s) if end < 0 else end
            body = s[self.i:end]
            self.i = min(len(s), end + len(env) + 6)
            if env.rstrip("*") == "array" or env == "array":
                body = re.sub(r"^\s*\{[^}]*\}", "", body)
            if env in _MATRIX_ENVS:
                return Atom("mat", env, rows=_matrix_cells(body), raw=body)
            return Atom("group", raw=body, text=env)
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            num = self._arg()
            den = self._arg()
            return Atom("frac", raw=num, den=den)
        if name == "sqrt":
            if self.i < len(s) and s[self.i] == "[":
                self.i = matching(s, self.i, "[", "]") + 1
            return Atom("func", "sqrt", raw=self._arg())
        if name in _SKIP:
            return None
        if name in _BOLD:
            arg = self._arg()
            if _NUMBER.fullmatch(arg.strip() or "x"):
                return Atom("num", arg.strip())
            inner = _Parser(arg).terms()
            if len(inner) == 1 and len(inner[0].atoms) == 1:
                return inner[0].atoms[0]
            return Atom("group", raw=arg, text="{")
        if name in _ACCENTS:
            arg = self._arg()
            inner = _Parser(arg).terms()
            if len(inner) == 1 and len(inner[0].atoms) == 1 and inner[0].atoms[0].kind == "sym":
                a = inner[0].atoms[0]
                a.accent = _ACCENTS[name]
                return a
            return Atom("group", raw=arg, text="{")
        if name in _TEXTS:
            arg = self._arg().strip()
            if _NUMBER.fullmatch(arg or "x"):
                return Atom("num", arg)
            if not arg:
                return None
            return self._maybe_call(Atom("word", arg))
        if name in _GREEK:
            return self._maybe_call(Atom("sym", name)) if name == "sigma" else Atom("sym", name)
        if name in _FUNCS:
            return self._maybe_call(Atom("func" if name != "sum" else "word", name))
        return Atom("other", name)


_MAX_SIDE = 4000          # characters of one side of an equation that are read


def terms(side: str) -> list[Term]:
    if len(side) > _MAX_SIDE:
        return []
    try:
        return _Parser(side).terms()
    except RecursionError:                     # braces nested beyond reason: not a given
        return []


def _vector_cells(inside: str) -> list[str] | None:
    """A bracketed list of numbers (``1, 2``, ``1 \\quad -1``, ``0 \\ 1 \\ 1``) as its cells, else None."""
    if not inside.strip():
        return None
    text = re.sub(r"\\(quad|qquad|,|;|:| )", " ", inside)
    parts = [p.strip() for p in re.split(r"[,\s]+(?![^{]*\})", text) if p.strip()]
    if not parts:
        return None
    cells = []
    for p in parts:
        if _literal_cell(p) is None:
            return None
        cells.append(p)
    return cells


def _matrix_cells(body: str) -> list[list[str]]:
    rows = []
    for _, row in split_top(body, (r"\\",)):
        if not row.strip():
            continue
        rows.append([c.strip() for _, c in split_top(row, ("&",))])
    return rows


# --------------------------------------------------------------------------- values


def num(text: str) -> str | None:
    """A number's canonical text (``-.23`` → ``-0.23``, ``1.`` → ``1``), or None."""
    t = text.replace(" ", "")
    if not re.fullmatch(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)", t):
        return None
    digits = t.lstrip("+-")
    if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():
        return None                                     # 0011: not a number as written
    try:
        d = Decimal(t)
    except InvalidOperation:
        return None
    if t.endswith("."):
        t = t[:-1]
    t = t.lstrip("+")
    neg = t.startswith("-")
    body = t.lstrip("-")
    if body.startswith("."):
        body = "0" + body
    return ("-" if neg and d != 0 else "") + body


def _const(text: str) -> str | None:
    """A constant expression with π (``\\pi/2``, ``\\frac{\\pi}{2}``, ``2\\pi``) in the formula grammar."""
    if "pi" not in text:
        return None
    plain = plain_formula(text)
    if plain is None or not re.fullmatch(r"(?:pi|sqrt|[-+*/() 0-9.])+", plain):
        return None
    return plain


def _literal_cell(text: str):
    """A cell's value: canonical number text, ``("const", text)`` for a π expression, or None."""
    n = num(text)
    if n is not None:
        return n
    c = _const(text)
    if c is not None:
        return ("const", c)
    return None


def atom_value(a: Atom):
    """A literal atom's value: number text, a list (vector) or a list of rows; None if not literal."""
    if a.kind == "num" and not a.power:
        return num(a.text)
    if a.kind in ("vec", "mat") and a.rows:
        rows = []
        for row in a.rows:
            vals = [_literal_cell(c) for c in row]
            if any(v is None for v in vals) or not vals:
                return None
            rows.append(vals)
        if len({len(r) for r in rows}) != 1:
            return None
        t = a.power.strip().replace(" ", "") if a.power else ""
        if t in ("T", r"\top", r"\intercal", "{T}"):
            rows = [list(col) for col in zip(*rows)]
        elif t:
            return None
        return rows if a.kind == "mat" else (rows[0] if len(rows) == 1 else rows)
    return None


def _negate(v):
    if isinstance(v, list):
        return [_negate(x) for x in v]
    if isinstance(v, tuple):
        return ("const", f"-({v[1]})")
    return v[1:] if v.startswith("-") else ("-" + v if Decimal(v) != 0 else v)


def side_value(ts: list[Term]):
    """The value of a side that is one literal (``0.5``, ``-1``, a matrix), else None."""
    if len(ts) != 1 or len(ts[0].atoms) != 1:
        return None
    v = atom_value(ts[0].atoms[0])
    if v is None:
        return None
    return _negate(v) if ts[0].sign == "-" else v


def has_numbers(ts: list[Term]) -> bool:
    for t in ts:
        for a in t.atoms:
            if a.kind == "num" or (a.kind in ("vec", "mat") and atom_value(a) is not None):
                return True
            if a.kind in ("group", "func") and a.raw and has_numbers(terms(a.raw)):
                return True
            if a.kind == "frac" and (has_numbers(terms(a.raw)) or has_numbers(terms(a.den))):
                return True
            if a.kind == "mat" and any(has_numbers(terms(c)) for row in a.rows or () for c in row):
                return True
    return False


def symbolic(ts: list[Term]) -> bool:
    return bool(ts) and not has_numbers(ts) and any(a.kind == "sym" for t in ts for a in t.atoms)


def single_symbol(ts: list[Term]) -> Atom | None:
    if len(ts) == 1 and ts[0].sign == "+" and len(ts[0].atoms) == 1:
        a = ts[0].atoms[0]
        if a.kind == "sym" or (a.kind == "word" and a.text.lower() in ("lr", "loss", "target")):
            return a
    return None
