"""``dryrun init --from DOCUMENT``: draft a spec from the givens a hand-written worked solution states.

The document is Markdown with ``$…$``/``$$…$$`` math (as the seed documents), LaTeX (``.tex``) or a
PDF (through its text).  Its math is read by a small tokenizer over LaTeX (nothing is evaluated, no
text is run as code):

- a given is a symbol set to a literal (``W^{(1)} = \\begin{bmatrix}…\\end{bmatrix}``, ``\\eta = 0.1``,
  ``y = 1``), or a symbol paired with a number where a symbolic line and a numeric line of the same
  shape follow each other (``w_{11}^1 \\cdot x_1 + … + b_1^1 = 0.1 \\cdot 0.5 + … + 0.2``;
  ``Z = Wx + b`` then ``Z = [..] \\cdot [..] + [..]``): the first value a symbol gets is its given;
  a symbol whose first value is computed (``\\hat y = \\sigma(2) \\approx 0.881``) is not a given;
- activation and loss words, in prose and in formulas (ReLU, σ, tanh, softmax, ½ Σ (y − ŷ)², 1/n,
  cross-entropy, ``L = y^2``), bound to layers where the document says which (``ReLU(z^{(1)})``,
  "the output uses a sigmoid");
- the number of iterations where the document says it ("two iterations"), else the number of times
  it works out a gradient of the loss with numbers (marked as a guess);
- convolutions ``conv(x, w, stride = s, padding = p)`` and poolings ``max(x, 2 × 2)``, and a model
  formula with functions (``y = \\sin(\\mathbf{w}^T \\mathbf{x}) - b``) whose names all have values.

The draft is YAML text with a header that names the document, lists every given found with the line
it came from, and marks every field that had to be guessed (``# guessed: …``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .errors import SpecError
from .kinds import DEFAULT_KIND

MAX_BYTES = 20 * 1024 * 1024         # a PDF of a worked solution is a few pages; refuse anything huge
MAX_TEXT = 2_000_000                 # characters of text (a document's, a PDF's) that are read
_MAX_SEGMENT = 20_000                # characters of one math segment that are read
_CONTINUE_LINES = 6                  # a line starting with "=" continues a chain this close above


class DraftError(SpecError):
    """The document cannot be read, or states no givens: one line naming the file (exit 2)."""


# --------------------------------------------------------------------------- reading


@dataclass
class _Doc:
    path: str
    lines: list[str]                 # the text as read (a PDF: its text, numeric lines in $$…$$)
    wheres: list[str]                # where line k + 1 is in the original ("line 12", "page 2, line 5")
    tex: bool = False

    def where(self, line: int) -> str:
        return self.wheres[line - 1] if 0 < line <= len(self.wheres) else f"line {line}"


def _read(path: str) -> _Doc:
    p = Path(path)
    if not p.exists():
        raise DraftError("no such file", where=path)
    if not p.is_file():
        raise DraftError("not a file", where=path)
    if p.stat().st_size > MAX_BYTES:
        raise DraftError(f"the document is larger than {MAX_BYTES // 2 ** 20} MB", where=path)
    if p.suffix.lower() == ".pdf":
        text, wheres = _pdf(p)
    else:
        raw = p.read_bytes()
        if b"\0" in raw:
            raise DraftError("a binary file; expected Markdown, LaTeX or a PDF", where=path)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise DraftError(f"not UTF-8 text (byte {e.start}); expected Markdown, LaTeX or a PDF",
                             where=path) from None
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        wheres = None
    if len(text) > MAX_TEXT:
        raise DraftError(f"the document's text is longer than {MAX_TEXT} characters; a worked solution is "
                         "shorter", where=path)
    lines = text.split("\n")
    if wheres is None or len(wheres) != len(lines):
        wheres = [f"line {k + 1}" for k in range(len(lines))]
    return _Doc(path, lines, wheres, tex=p.suffix.lower() in (".tex", ".latex", ".ltx"))


def _pdf(p: Path) -> tuple[str, list[str] | None]:
    """A PDF's text: generator/audit/pdf.py's reader where it is there, else pypdf directly."""
    try:
        from .audit.pdf import pdf_text
    except ImportError:
        pdf_text = None
    try:
        if pdf_text is not None:
            got = pdf_text(p)
            if isinstance(got, tuple):
                return got[0], list(got[1])
            return got, None
        return _pypdf_text(p)
    except DraftError:
        raise
    except SpecError as e:
        raise DraftError(e.detail, where=str(p)) from None
    except Exception as e:                              # a malformed or encrypted PDF
        raise DraftError(f"not a readable PDF ({type(e).__name__})", where=str(p)) from None


def _pypdf_text(p: Path) -> tuple[str, list[str]]:
    """Each page's text through pypdf, a line with a digit wrapped as ``$$…$$`` (the contract of
    generator/audit/pdf.py's ``pdf_text``, which reads sub- and superscripts and matrices as well).
    TODO(issue 23): remove once generator/audit/pdf.py is committed; ``_pdf`` prefers it already."""
    import pypdf
    reader = pypdf.PdfReader(str(p))
    if reader.is_encrypted:
        raise DraftError("the PDF is encrypted", where=str(p))
    out, wheres = [], []
    for pno, page in enumerate(reader.pages, start=1):
        for k, line in enumerate((page.extract_text() or "").split("\n"), start=1):
            line = line.replace("−", "-").replace("·", r" \cdot ")
            out.append(f"$${line}$$" if re.search(r"\d", line) else line)
            wheres.append(f"page {pno}, line {k}")
    return "\n".join(out), wheres


# --------------------------------------------------------------------------- math segments


@dataclass
class _Seg:
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


def _segments(doc: _Doc) -> tuple[list[_Seg], list[str]]:
    """The math segments in order, and the prose of every line (math replaced by a space)."""
    text = "\n".join(doc.lines)
    if doc.tex:
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
    out = [_Seg(line_of(pos), body, prose[line_of(pos) - 1]) for pos, body in segs]
    return out, prose


# --------------------------------------------------------------------------- LaTeX normalization


_UNWRAP = ("underline", "boxed", "fbox", "overline", "displaystyle", "textstyle", "mathstrut")
_DEC_COMMA = re.compile(r"(?<![\d,.{_^])(\d+),(\d+)(?!\d)(?!,\d)")


def _matching(s: str, i: int, open_: str = "{", close: str = "}") -> int:
    """The index of the bracket closing the one at ``s[i]`` (or len(s))."""
    depth = 0
    k = i
    while k < len(s):
        c = s[k]
        if c == "\\":
            k += 2
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return k
        k += 1
    return len(s)


def _normalize(s: str) -> str:
    s = (s.replace("−", "-").replace("–", "-").replace("·", r" \cdot ").replace("×", r" \times ")
         .replace("≈", r" \approx ").replace("←", r" \leftarrow ").replace("η", r"\eta ")
         .replace("σ", r"\sigma ").replace("α", r"\alpha ").replace("π", r"\pi ").replace("\u2009", " ")
         .replace("\u00a0", " "))
    s = re.sub(r"(\d)\{,\}(\d)", r"\1.\2", s)
    if not re.search(r"\d\.\d", s):
        s = _DEC_COMMA.sub(r"\1.\2", s)
    # \underline{…}, \boxed{…}: keep what they wrap (a relation may sit inside)
    for name in _UNWRAP:
        pat = "\\" + name
        while True:
            k = s.find(pat + "{")
            if k < 0:
                k2 = s.find(pat)
                if k2 >= 0 and not s[k2 + len(pat):k2 + len(pat) + 1].isalpha():
                    s = s[:k2] + s[k2 + len(pat):]
                    continue
                break
            j = _matching(s, k + len(pat))
            s = s[:k] + " " + s[k + len(pat) + 1:j] + " " + s[j + 1:]
    s = re.sub(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![A-Za-z])\s*\.?", " ", s)
    s = re.sub(r"\\(?:tag|label|color)\{[^}]*\}", " ", s)
    s = s.replace(r"\nonumber", " ").replace(r"\notag", " ").replace(r"\hline", " ")
    return s


def _split_top(s: str, seps: tuple[str, ...]) -> list[tuple[str, str]]:
    """``s`` split at the separators that stand outside brackets and environments: (separator
    before, piece) pairs, the first with separator ''."""
    out, depth, env, k, start, sep = [], 0, 0, 0, 0, ""
    while k < len(s):
        c = s[k]
        if s.startswith(r"\begin{", k):
            env += 1
            k = _matching(s, k + 6) + 1
            continue
        if s.startswith(r"\end{", k):
            env = max(0, env - 1)
            k = _matching(s, k + 4) + 1
            continue
        if c == "\\" and k + 1 < len(s) and s[k + 1] in "{}[]()|":
            k += 2
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and env == 0:
            hit = next((t for t in seps if s.startswith(t, k)
                        and not (t[0] == "\\" and t[-1].isalpha() and k + len(t) < len(s) and s[k + len(t)].isalpha())),
                       None)
            if hit:
                out.append((sep, s[start:k]))
                sep, start = hit, k + len(hit)
                k += len(hit)
                continue
        k += 1
    out.append((sep, s[start:]))
    return out


_RELATIONS = (r"\leftarrow", r"\gets", r"\approx", r"\simeq", ":=", "=")
_EQ_SEPARATORS = (r"\qquad", r"\quad", ",", ";", r"\longrightarrow", r"\rightarrow", r"\Rightarrow",
                  r"\implies", r"\therefore", r"\text{ and }", r"\text{and}", r"\text{where}")
_ROW_ENVS = ("aligned", "align", "align*", "split", "gathered", "gather", "gather*", "eqnarray", "eqnarray*",
             "alignedat", "multline", "multline*")


def _rows(s: str) -> list[str]:
    """The logical rows of a math segment: aligned rows, a row starting with "=" joined to the one
    before."""
    for env in _ROW_ENVS:
        s = s.replace(r"\begin{" + env + "}", " ").replace(r"\end{" + env + "}", " ")
    s = re.sub(r"\\begin\{alignedat\}\{\d+\}", " ", s)
    rows = []
    for _, row in _split_top(s, (r"\\",)):
        row = " ".join(p for _, p in _split_top(row, ("&",)))
        row = row.strip()
        if not row:
            continue
        if rows and re.match(r"(=|\\approx|\\leftarrow)", row):
            rows[-1] = rows[-1] + " " + row
        else:
            rows.append(row)
    return rows


_LEAD_WORDS = re.compile(r"^(?:\\bullet\s*|[-•*]\s+)?(?:[A-Za-z]{2,}\s+)+(?=\\?[A-Za-z])")
_TRAIL_WORDS = re.compile(r"(?:\s+[A-Za-z]{2,}){2,}\s*[.:]?\s*$|\s+[A-Za-z]{4,}\s*[.:]?\s*$")
#: Words of formulas, not of prose ("loss", "stride", "conv" in ``conv(x, w, stride = 1)``).
_MATH_WORDS = set("sin cos tan exp log ln tanh max min sum sqrt relu sigmoid softmax loss cost lr mse sse conv "
                  "stride padding pad true target label".split())


def _trim_prose(first: str, last: str) -> tuple[str, str]:
    """A line of prose with math in it (a PDF's text): "Learning rate: η" → "η", "0.001 is the rate." →
    "0.001"."""
    if ":" in first:
        pieces = _split_top(first, (":",))
        if len(pieces) > 1 and not pieces[-1][1].lstrip().startswith("="):
            first = pieces[-1][1]
    first = first.strip()
    m = _LEAD_WORDS.match(first)
    if m and not any(w.lower() in _MATH_WORDS for w in m.group(0).split()):
        first = first[m.end():]
    m = _TRAIL_WORDS.search(last)
    if m and m.start() > 0 and not any(w.lower() in _MATH_WORDS for w in re.findall(r"[A-Za-z]+", m.group(0))):
        last = last[:m.start()]
    return first.strip(), re.sub(r"(?:\s*[.:,;])+\s*$", "", last).strip()


def _chains(text: str) -> list[list[tuple[str, str]]]:
    """Every equation of a math segment as its chain of (relation before, side) pairs."""
    out = []
    for row in _rows(_normalize(text)):
        for _, eq in _split_top(row, _EQ_SEPARATORS):
            sides = [(rel, side.strip()) for rel, side in _split_top(eq, _RELATIONS)]
            if len(sides) >= 2:
                first, last = _trim_prose(sides[0][1], sides[-1][1])
                sides[0] = (sides[0][0], first)
                sides[-1] = (sides[-1][0], last)
            if len(sides) < 2 and not sides[0][1]:
                continue
            # an empty side ("… = \\ &= …") is dropped, but an empty first side marks a continuation
            first_empty = not sides[0][1]
            sides = [sides[0]] + [s for s in sides[1:] if s[1]]
            if first_empty:
                sides[0] = ("", "")
            if len(sides) >= 2 or sides[0][1]:
                out.append(sides)
    return out


# --------------------------------------------------------------------------- atoms


@dataclass
class _Atom:
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
class _Term:
    sign: str
    atoms: list


_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "iota", "kappa",
          "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "varphi", "chi", "psi", "omega",
          "Delta", "Gamma", "Theta", "Lambda", "Sigma", "Phi", "Psi", "Omega", "partial", "nabla", "ell"}
_FUNCS = {"sin", "cos", "tan", "exp", "log", "ln", "tanh", "max", "min", "sum", "prod", "sqrt", "arg", "det"}
#: Words the tokenizer reads whole (any other run of letters is a product of one-letter symbols).
_WORDS = set("lr loss cost mse sse bce relu sigmoid softmax tanh max min conv stride padding pad true new old "
             "target label avg mean maxpool avgpool sum log ln exp sin cos tan sqrt gradient grad pool output "
             "input using apply if otherwise and where for all out in".split())
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
            j = _matching(s, self.i)
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

    def terms(self) -> list[_Term]:
        s = self.s
        terms = [_Term("+", [])]
        while self.i < len(s):
            c = s[self.i]
            if c.isspace() or c in "&~!":
                self.i += 1
                continue
            if c in "+-":
                if terms[-1].atoms:
                    terms.append(_Term(c, []))
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

    def _atom(self) -> _Atom | None:
        s = self.s
        c = s[self.i]
        m = _NUMBER.match(s, self.i)
        if m:
            self.i = m.end()
            return _Atom("num", m.group(0))
        if c.isalpha():
            m = re.match(r"[A-Za-z]+", s[self.i:])
            word = m.group(0)
            if word.lower() in _WORDS and len(word) > 1:
                self.i += len(word)
                return self._maybe_call(_Atom("word", word))
            self.i += 1
            return _Atom("sym", c)
        if c == "\\":
            return self._command()
        if c in "([":
            close = ")" if c == "(" else "]"
            j = _matching(s, self.i, c, close)
            inside = s[self.i + 1:j]
            self.i = j + 1
            if c == "[":
                vec = _vector_cells(inside)
                if vec is not None:
                    return _Atom("vec", rows=[vec], raw=inside)
            return _Atom("group", raw=inside, text=c)
        if c == "{":
            j = _matching(s, self.i)
            inside = s[self.i + 1:j]
            self.i = j + 1
            sub = _Parser(inside).terms()
            if len(sub) == 1 and len(sub[0].atoms) == 1 and sub[0].sign == "+":
                return sub[0].atoms[0]
            return _Atom("group", raw=inside, text="{")
        if c in "*/":
            self.i += 1
            return None if c == "*" else _Atom("other", "/")
        self.i += 1
        return _Atom("other", c)

    def _maybe_call(self, atom: _Atom) -> _Atom:
        """``name(…)``: a function applied to its argument."""
        s = self.s
        k = self.i
        while k < len(s) and s[k] == " ":
            k += 1
        if k < len(s) and s[k] == "(":
            j = _matching(s, k, "(", ")")
            self.i = j + 1
            return _Atom("func", atom.text, raw=s[k + 1:j], sub=atom.sub)
        return atom

    def _command(self) -> _Atom | None:
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
            return _Atom("group", raw=inside, text="|")
        if name in ("{", "}"):
            return None
        if name in ("lVert", "lvert"):
            j = s.find("\\r" + name[1:], self.i)
            j = len(s) if j < 0 else j
            inside = s[self.i:j]
            self.i = min(len(s), j + len(name) + 1)
            return _Atom("group", raw=inside, text="|")
        if name == "begin":
            env = self._arg()
            end = s.find(r"\end{" + env + "}", self.i)
            end = len(s) if end < 0 else end
            body = s[self.i:end]
            self.i = min(len(s), end + len(env) + 6)
            if env.rstrip("*") == "array" or env == "array":
                body = re.sub(r"^\s*\{[^}]*\}", "", body)
            if env in _MATRIX_ENVS:
                return _Atom("mat", env, rows=_matrix_cells(body), raw=body)
            return _Atom("group", raw=body, text=env)
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            num = self._arg()
            den = self._arg()
            return _Atom("frac", raw=num, den=den)
        if name == "sqrt":
            if self.i < len(s) and s[self.i] == "[":
                self.i = _matching(s, self.i, "[", "]") + 1
            return _Atom("func", "sqrt", raw=self._arg())
        if name in _SKIP:
            return None
        if name in _BOLD:
            arg = self._arg()
            if _NUMBER.fullmatch(arg.strip() or "x"):
                return _Atom("num", arg.strip())
            inner = _Parser(arg).terms()
            if len(inner) == 1 and len(inner[0].atoms) == 1:
                return inner[0].atoms[0]
            return _Atom("group", raw=arg, text="{")
        if name in _ACCENTS:
            arg = self._arg()
            inner = _Parser(arg).terms()
            if len(inner) == 1 and len(inner[0].atoms) == 1 and inner[0].atoms[0].kind == "sym":
                a = inner[0].atoms[0]
                a.accent = _ACCENTS[name]
                return a
            return _Atom("group", raw=arg, text="{")
        if name in _TEXTS:
            arg = self._arg().strip()
            if _NUMBER.fullmatch(arg or "x"):
                return _Atom("num", arg)
            if not arg:
                return None
            return self._maybe_call(_Atom("word", arg))
        if name in _GREEK:
            return self._maybe_call(_Atom("sym", name)) if name == "sigma" else _Atom("sym", name)
        if name in _FUNCS:
            return self._maybe_call(_Atom("func" if name != "sum" else "word", name))
        return _Atom("other", name)


_MAX_SIDE = 4000          # characters of one side of an equation that are read


def _terms(side: str) -> list[_Term]:
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
    for _, row in _split_top(body, (r"\\",)):
        if not row.strip():
            continue
        rows.append([c.strip() for _, c in _split_top(row, ("&",))])
    return rows


# --------------------------------------------------------------------------- values


_SIGNED = re.compile(r"[-+]?\s*(?:\d+(?:\.\d*)?|\.\d+)")


def _num(text: str) -> str | None:
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
    plain = _plain_formula(text)
    if plain is None or not re.fullmatch(r"(?:pi|sqrt|[-+*/() 0-9.])+", plain):
        return None
    return plain


def _literal_cell(text: str):
    """A cell's value: canonical number text, ``("const", text)`` for a π expression, or None."""
    n = _num(text)
    if n is not None:
        return n
    c = _const(text)
    if c is not None:
        return ("const", c)
    return None


def _atom_value(a: _Atom):
    """A literal atom's value: number text, a list (vector) or a list of rows; None if not literal."""
    if a.kind == "num" and not a.power:
        return _num(a.text)
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


def _side_value(terms: list[_Term]):
    """The value of a side that is one literal (``0.5``, ``-1``, a matrix), else None."""
    if len(terms) != 1 or len(terms[0].atoms) != 1:
        return None
    v = _atom_value(terms[0].atoms[0])
    if v is None:
        return None
    return _negate(v) if terms[0].sign == "-" else v


def _has_numbers(terms: list[_Term]) -> bool:
    for t in terms:
        for a in t.atoms:
            if a.kind == "num" or (a.kind in ("vec", "mat") and _atom_value(a) is not None):
                return True
            if a.kind in ("group", "func") and a.raw and _has_numbers(_terms(a.raw)):
                return True
            if a.kind == "frac" and (_has_numbers(_terms(a.raw)) or _has_numbers(_terms(a.den))):
                return True
            if a.kind == "mat" and any(_has_numbers(_terms(c)) for row in a.rows or () for c in row):
                return True
    return False


def _symbolic(terms: list[_Term]) -> bool:
    return bool(terms) and not _has_numbers(terms) and any(a.kind == "sym" for t in terms for a in t.atoms)


def _single_symbol(terms: list[_Term]) -> _Atom | None:
    if len(terms) == 1 and terms[0].sign == "+" and len(terms[0].atoms) == 1:
        a = terms[0].atoms[0]
        if a.kind == "sym" or (a.kind == "word" and a.text.lower() in ("lr", "loss", "target")):
            return a
    return None


# --------------------------------------------------------------------------- symbols


def _clean_script(s: str) -> str:
    s = re.sub(r"\\(?:text|mathrm|mathit|textrm|mathbf)\{([^}]*)\}", r"\1", s)
    return s.replace("{", "").replace("}", "").replace(" ", "").replace("\\", "")


def _layer(sup: str) -> int | None:
    m = re.fullmatch(r"[(\[]?(\d{1,2})[)\]]?", _clean_script(sup))
    return int(m.group(1)) if m else None


def _indices(sub: str) -> tuple[int, ...] | None:
    t = _clean_script(sub)
    if re.fullmatch(r"\d{1,2},\d{1,2}", t):
        return tuple(int(x) for x in t.split(","))
    if re.fullmatch(r"\d+", t):
        return tuple(int(x) for x in t) if len(t) <= 2 else None
    return None


@dataclass(frozen=True)
class _Sym:
    base: str
    accent: str
    sub: str
    sup: str

    def show(self) -> str:
        """The symbol as the header writes it: ŷ, ỹ, η, W^{(2)}, w_{11}^{1}."""
        base = {"eta": "η", "alpha": "α", "lambda": "λ"}.get(self.base, self.base)
        base += {"hat": "\u0302", "tilde": "\u0303", "bar": "\u0304"}.get(self.accent, "")
        return base + (f"_{{{self.sub}}}" if self.sub else "") + (f"^{{{self.sup}}}" if self.sup else "")


def _sym(a: _Atom) -> _Sym:
    return _Sym(a.text, a.accent, _clean_script(a.sub), _clean_script(a.sup))


# --------------------------------------------------------------------------- facts


@dataclass
class _Event:
    sym: _Sym
    value: object        # number text / list / rows, or None for "computed"
    line: int
    how: str             # literal, paired, computed
    source: str = ""


@dataclass
class _Facts:
    events: list = field(default_factory=list)
    chains: list = field(default_factory=list)       # every _Chain in order

    def first(self, pred, skip_computed: bool = False):
        """The first event of each symbol matching ``pred``, where it gives a value: a symbol whose
        first value is worked out (ŷ = σ(2) ≈ 0.881) is left out, unless ``skip_computed``."""
        seen = {}
        for e in self.events:
            if pred(e.sym) and e.sym not in seen and not (skip_computed and e.how == "computed"):
                seen[e.sym] = e
        return {s: e for s, e in seen.items() if e.how != "computed"}


def _pair(sym_terms: list[_Term], num_terms: list[_Term], line: int, source: str, out: list, depth: int = 0):
    """Symbols of a symbolic side paired with the literals of a numeric side of the same shape."""
    if depth > 3 or len(sym_terms) != len(num_terms):
        return
    for st, nt in zip(sym_terms, num_terms):
        if st.sign != nt.sign or len(st.atoms) != len(nt.atoms):
            continue
        for sa, na in zip(st.atoms, nt.atoms):
            if sa.kind == "sym" and not sa.prime:
                v = _atom_value(na)
                if v is not None:
                    out.append(_Event(_sym(sa), v, line, "paired", source))
            elif sa.kind == "group" and na.kind == "group" and sa.text == na.text:
                _pair(_terms(sa.raw), _terms(na.raw), line, source, out, depth + 1)


@dataclass
class _Chain:
    """One equation ``a = b ≈ c ← d``: its sides with the relation before each, and the line of each."""
    sides: list                # [(relation before, side text)]
    lines: list                # the line of each side
    prose: str                 # the prose of the line it starts on
    own: bool = True           # False: it goes on from an equation above ("= …" on the next line)

    @property
    def line(self) -> int:
        return self.lines[0]

    def text(self) -> str:
        return " = ".join(side for _, side in self.sides)


def _facts(segs: list[_Seg]) -> _Facts:
    f = _Facts()
    for seg in segs:
        for sides in _chains(seg.text):
            c = _Chain(sides, [seg.line] * len(sides), seg.prose)
            last = f.chains[-1] if f.chains else None
            if not sides[0][1] and last is not None and seg.line - last.lines[-1] <= _CONTINUE_LINES:
                c = _Chain(last.sides + sides[1:], last.lines + c.lines[1:], last.prose, False)
            elif sides[0][1] and len(sides) >= 2:
                lhs = sides[0][1].replace(" ", "")
                for prev in reversed(f.chains[-8:]):
                    if seg.line - prev.lines[-1] > _CONTINUE_LINES:
                        break
                    if prev.sides[0][1].replace(" ", "") == lhs and len(prev.sides) >= 2:
                        if _symbolic(_terms(prev.sides[-1][1])) and _has_numbers(_terms(sides[1][1])):
                            # "Z = Wx + b", then "Z = [..] [..] + [..]": one equation
                            c = _Chain(prev.sides + sides[1:], prev.lines + c.lines[1:], prev.prose, False)
                        break
            _chain_events(c, f.events, len(c.sides) - len(sides) if not c.own else 0)
            f.chains.append(c)
    return f


def _chain_events(c: _Chain, events, start: int = 0):
    """The events of an equation; of one continued from above, those of the sides from ``start`` on
    (the pairs before were read with the equation above)."""
    chain, lines, source = c.sides, c.lines, c.text()
    sides = [_terms(side) for _, side in chain]
    # literal assignments: a symbol, then (after symbolic sides only) a literal
    for i in range(max(0, start - 1), len(sides) - 1):
        a = _single_symbol(sides[i])
        if a is None or a.prime or chain[i + 1][0] in (r"\leftarrow", r"\gets"):
            continue
        v = _side_value(sides[i + 1])
        if v is not None and all(not _has_numbers(s) for s in sides[:i + 1]):
            events.append(_Event(_sym(a), v, lines[i + 1], "literal", source))
    # a symbol on the left whose value is worked out: computed, not given
    lhs = _single_symbol(sides[0]) if sides and chain[0][1] else None
    if lhs is not None and not any(_has_numbers(s) for s in sides[:start]):
        for j in range(1, len(sides)):
            if _has_numbers(sides[j]):
                if _side_value(sides[j]) is None or chain[j][0] in (r"\leftarrow", r"\gets"):
                    events.append(_Event(_sym(lhs), None, lines[j], "computed", source))
                break
    # symbolic side followed by a numeric side of the same shape
    for i in range(max(0, start - 1), len(sides) - 1):
        if _symbolic(sides[i]) and _has_numbers(sides[i + 1]):
            _pair(sides[i], sides[i + 1], lines[i + 1], source, events)


# --------------------------------------------------------------------------- roles


def _is_weight(s: _Sym) -> bool:
    """W, W^{(2)}, W_1, w_{11}^1 (not W_{new}, not W^T)."""
    return s.base in ("W", "w") and not s.accent and not re.search(r"[A-Za-z]", s.sub + s.sup)


def _is_bias(s: _Sym) -> bool:
    return s.base == "b" and s.accent == "" and not re.search(r"[a-z]", s.sub)


def _is_input(s: _Sym) -> bool:
    if s.base in ("x", "X") and s.accent == "":
        return s.sup in ("", "(0)", "0", "[0]") and not re.search(r"[a-z]", s.sub)
    return s.base in ("a", "h") and s.sup in ("(0)", "0", "[0]") and s.accent == ""


_TARGET_WORDS = ("true", "target", "label", "gt")


def _is_target(s: _Sym) -> bool:
    if s.base in ("y", "Y", "t"):
        if s.sup and _layer(s.sup) is not None:
            return False
        if s.base == "t" and s.accent:
            return False
        return not s.sub or _indices(s.sub) is not None or any(w in s.sub.lower() for w in _TARGET_WORDS)
    return s.base.lower() in ("target", "label")


def _is_rate(s: _Sym) -> bool:
    return (s.base in ("eta", "alpha") or s.base.lower() == "lr") and not s.sup and not s.sub and not s.accent


# --------------------------------------------------------------------------- the draft


@dataclass
class _Given:
    what: str
    value: str
    where: str
    source: str


@dataclass
class _Draft:
    doc: _Doc
    givens: list = field(default_factory=list)
    guesses: dict = field(default_factory=dict)     # field path → why

    def given(self, what, value, line, source):
        src = " ".join(str(source).split())
        if len(src) > 90:
            src = src[:87] + "..."
        where = line if isinstance(line, str) else self.doc.where(line)
        self.givens.append(_Given(what, value, where, src))


def _show(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    if isinstance(v, tuple):
        return v[1]
    return str(v)


def _yaml(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_yaml(x) for x in v) + "]"
    if isinstance(v, tuple):
        return '"' + v[1] + '"'
    return str(v)


def _is_number_tree(v) -> bool:
    if isinstance(v, list):
        return all(_is_number_tree(x) for x in v)
    return isinstance(v, str)


def _flat(v):
    """A vector as a flat list (a column or a row matrix), a matrix as it is."""
    if isinstance(v, list) and v and isinstance(v[0], list):
        if len(v[0]) == 1:
            return [r[0] for r in v]
        if len(v) == 1:
            return list(v[0])
    return v


def _words(prose: list[str], segs: list[_Seg]):
    """(line, text) of every line: its prose and its math, for words."""
    out = [(k + 1, p) for k, p in enumerate(prose) if p.strip()]
    out += [(s.line, s.text) for s in segs]
    return sorted(out, key=lambda t: t[0])


_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "a single": 1, "single": 1}
#: (activation, its words in prose (any case), its LaTeX (case as written))
_ACTS = [("leaky_relu", r"leaky[\s_-]*relu", None),
         ("relu", r"(?<!leaky )(?<!leaky_)(?<!leaky-)\brelu\b|rectified linear", None),
         ("sigmoid", r"sigmoid|logistic\s+(?:function|activation)", r"\\sigma\b|\\frac\{1\}\{1\s*\+\s*e\^"),
         ("tanh", r"\btanh\b", None), ("softmax", r"softmax", None),
         ("identity", r"\b(?:linear|identity)\s+(?:activation|output\s+(?:unit|layer))", None)]


def _acts_in(text: str) -> list[tuple[str, int]]:
    """(activation, position) of every activation named in ``text``."""
    out = []
    for act, words, tex in _ACTS:
        out += [(act, m.start()) for m in re.finditer(words, text, re.I)]
        if tex:
            out += [(act, m.start()) for m in re.finditer(tex, text)]
    return sorted(out, key=lambda t: t[1])


def _activation_mentions(lines):
    return [(act, line, pos, text) for line, text in lines for act, pos in _acts_in(text)]


def _z_layer(text: str, pos: int) -> int | None:
    """The layer of the pre-activation an activation is applied to: σ(z^{(2)}), ReLU(z_1^1)."""
    tail = _normalize(text[pos:pos + 80])
    tail = re.sub(r"\\(?:text|mathrm|operatorname)\{([^}]*)\}", r"\1", tail)
    m = re.match(r"\\?[A-Za-z]+\}?'?\s*\(\s*[zZ](?:_\{?[^}^()]*\}?)?\s*\^\s*\{?\s*[(\[]?(\d)[)\]]?\s*\}?", tail)
    return int(m.group(1)) if m else None


def _clauses(text: str) -> list[str]:
    return [c for c in re.split(r"[,;.]|\band\b", text) if c.strip()]


def _snippet(text: str, pos: int) -> str:
    """The clause or equation of ``text`` around ``pos``."""
    start = end = None
    for m in re.finditer(r",\s|;\s|\.\s|\\q?quad", text):
        if m.end() <= pos:
            start = m.end()
        elif m.start() > pos and end is None:
            end = m.start()
    piece = text[start or 0:end or len(text)].strip()
    return piece if len(piece) <= 100 else text[max(0, pos - 40):pos + 40].strip()


def _infer_activations(d: _Draft, segs, prose, n_layers: int, sum_output: bool) -> list[tuple]:
    """(activation, where, guess-why, what the document says) per layer; guess-why is '' when the
    document says which activation the layer uses."""
    lines = _words(prose, segs)
    mentions = _activation_mentions(lines)
    kinds = list(dict.fromkeys(act for act, *_ in mentions))
    if not kinds:
        return [("sigmoid", "", "no activation is named in the document", "")] * n_layers
    if len(kinds) == 1:                                 # one activation named: every layer has it
        act, line, pos, text = mentions[0]
        return [(act, d.doc.where(line), "", _snippet(text, pos))] * n_layers
    by_layer, hidden, output = {}, None, None
    for act, line, pos, text in mentions:               # σ(z^{(2)}), ReLU(z_1^1): the layer of its z
        z = _z_layer(text, pos)
        if z is not None and 1 <= z <= n_layers:
            by_layer.setdefault(z, (act, d.doc.where(line), "", _snippet(text, pos)))
    for line, text in lines:                            # "hidden units use ReLU", "the output a sigmoid"
        for clause in _clauses(text):
            low = clause.lower()
            acts = list(dict.fromkeys(a for a, _ in _acts_in(clause)))
            if len(acts) != 1:
                continue
            if "hidden" in low and hidden is None:
                hidden = (acts[0], d.doc.where(line), "", clause.strip())
            elif "output" in low and output is None:
                output = (acts[0], d.doc.where(line), "", clause.strip())
    out = []
    for layer in range(1, n_layers + 1):
        last = layer == n_layers and not sum_output
        if layer in by_layer:
            out.append(by_layer[layer])
        elif last and output:
            out.append(output)
        elif not last and hidden:
            out.append(hidden)
        else:
            out.append((kinds[-1] if last else kinds[0], "", "the document names several activations and "
                        "does not say which layer uses which", ""))
    return out


_LOSS_LHS = re.compile(r"^(?:L|C|J|E|\\mathcal\{L\}|\\ell|loss|Loss|cost|Cost|\\text\{\s*(?:loss|Loss|cost|Cost)\s*\}|"
                       r"L_2\s*\\text\{\s*loss\}|L_\{?\w+\}?|\\mathcal\{L\}_\{?\w+\}?)$")


def _loss_from_formula(rhs: str):
    """(half, mean, form) of a loss formula's right side, or None: form is sse, square, bce or cce."""
    t = _normalize(rhs).replace(" ", "")
    t = re.sub(r"\\(?:text|mathrm)\{([^}]*)\}", r"\1", t)
    if re.search(r"\\log|\\ln|log\(|\blog", t):
        if re.search(r"\(1-", t) and re.search(r"log", t):
            return (False, False, "bce")
        if re.search(r"^-?\\sum", t) or "-\\sum" in t:
            return (False, False, "cce")
        return None
    sq = re.search(r"(\\\||\\rVert|\)|\|)\^\{?2\}?", t)
    if sq:
        before = t[:sq.start()]
        if "-" not in t[:sq.start() + 1] and "-" not in before:
            return None
        half = bool(re.search(r"\\frac\{1\}\{2\w*\}|\\frac12|\\tfrac\{1\}\{2|1/2|0\.5|\\frac\{1\}\{2\}", t))
        mean = bool(re.search(r"\\frac\{1\}\{2?\s*[nmNM]\w*\}|1/\(?2?[nmNM]|\\frac\{1\}\{\|", t))
        return (half, mean, "sse")
    if re.fullmatch(r"-?\\?(?:hat\{?y\}?|y|\\hat\{y\}|a(?:_\w+)?|o)\^\{?2\}?", t) or \
            re.fullmatch(r"\\sum\S*(?:\\hat\{y\}|y|a)_?\w*\^\{?2\}?", t):
        return (False, False, "square")
    return None


def _infer_loss(d: _Draft, f: _Facts, prose, segs, batch: bool, units: int, output_act: str):
    """(loss, where, source, guess-why)."""
    cands = []                              # (strength, order, loss, line, source)
    order = 0
    for c in f.chains:
        chain = c.sides
        for i in range(len(chain) - 1):
            lhs = chain[i][1].strip()
            rhs = chain[i + 1][1]
            line = c.lines[i + 1]
            strong = bool(_LOSS_LHS.match(lhs.replace(" ", "")) or _LOSS_LHS.match(lhs))
            named = re.fullmatch(r"\\?(?:text\{)?\s*(MSE|SSE|RSS)\s*\}?", lhs)
            if not (strong or named):
                continue
            got = _loss_from_formula(rhs)
            if got is None:
                continue
            order += 1
            if named and not strong:
                half, mean, form = got
                cands.append((2, order, (half, named.group(1) == "MSE" or mean, form), line,
                              f"{lhs} = {rhs}"))
            else:
                cands.append((3, order, got, line, f"{lhs} = {rhs}"))
    for c in f.chains:            # a bare formula next to the word "loss"
        if len(c.sides) == 1 and re.search(r"\b(?:loss|cost)\b", c.prose, re.I):
            got = _loss_from_formula(c.sides[0][1])
            if got:
                order += 1
                cands.append((3, order, got, c.line, c.sides[0][1]))
    for k, p in enumerate(prose, start=1):
        low = p.lower()
        word = None
        if re.search(r"binary\s+cross[\s-]*entropy|log[\s-]+loss|\bbce\b", low):
            word = (False, False, "bce")
        elif re.search(r"cross[\s-]*entropy", low):
            word = (False, False, "cce" if output_act == "softmax" else "bce")
        elif re.search(r"mean\s+squared?\s+error|\bmse\b", low):
            word = (False, True, "sse")
        elif re.search(r"sum\s+of\s+(?:the\s+)?squared?\s+errors?|squared?\s+error", low):
            word = (False, False, "sse")
        elif re.search(r"hinge|multiclass svm|svm loss", low):
            word = (False, False, "multiclass_hinge")
        if word:
            order += 1
            cands.append((1, order, word, k, p.strip()))
    if not cands:
        return None

    def name(got):
        half, mean, form = got
        if form != "sse":
            return form
        per_output_mean = mean and not batch and units > 1     # 1/n over n outputs of one sample
        return ("half_" if half else "") + ("mse" if per_output_mean else "sse")

    best = max(c[0] for c in cands)
    top = [(name(c[2]), c) for c in cands if c[0] == best]
    counts = {}
    for n, _ in top:
        counts[n] = counts.get(n, 0) + 1
    most = max(counts.values())
    chosen = [n for n, _ in top if counts[n] == most][-1]      # a tie: the one written last
    first = next(c for n, c in top if n == chosen)
    why = ""
    if len(counts) > 1:
        why = "the document writes more than one loss; this is the one it uses most"
    elif best == 1:
        why = "read from a word, not from a formula"
    return chosen, first[3], first[4], why


def _infer_iterations(d: _Draft, f: _Facts, prose, segs):
    """(count, where, source, guess-why)."""
    for line, text in _words(prose, segs):
        low = " ".join(text.lower().split())
        m = re.search(r"\b(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|a single|single)\s+"
                      r"(?:more\s+|training\s+|full\s+|gradient[\s-]+descent\s+)?(iterations?|epochs?|steps?|updates?)\b",
                      low)
        if m and not (m.group(2).startswith("step") and "descent" not in low and "gradient" not in low
                      and "update" not in low and "training" not in low):
            n = int(m.group(1)) if m.group(1).isdigit() else _NUMBER_WORDS[m.group(1)]
            if 1 <= n <= 1000:
                return n, line, text.strip(), ""
    counts, first = {}, {}
    for c in f.chains:
        if not c.own:
            continue
        chain, line = c.sides, c.line
        lhs = chain[0][1]
        m = re.fullmatch(r"\s*\\frac\{\s*(?:\\partial|d)\s*(?:\\mathcal\{L\}|\\text\{[^}]*\}|[LCJE]|\\ell)\s*\}"
                         r"\{\s*(?:\\partial|d)\s*(.+?)\}\s*", lhs)
        if not m or len(chain) < 2:
            continue
        target = _clean_script(m.group(1)).replace("mathbf", "")
        if not re.match(r"[Wwb]", target):
            continue
        rest = [_terms(s) for _, s in chain[1:]]
        if any(_has_numbers(t) and not _only_mean_factor(s) for t, (_, s) in zip(rest, chain[1:])):
            key = target
            if (key, line) not in first:
                first[(key, line)] = True
                counts.setdefault(key, []).append(line)
    if counts:
        key = max(counts, key=lambda k: len(counts[k]))
        lines = counts[key]
        return (len(lines), lines[0], f"the loss gradient with respect to {key} is worked out with numbers "
                f"{len(lines)} time{'s' if len(lines) > 1 else ''} (" + ", ".join(d.doc.where(x) for x in lines)
                + ")", "the number of iterations is not stated")
    return 1, 0, "", "the number of iterations is not stated, nor any gradient with numbers"


def _only_mean_factor(side: str) -> bool:
    t = re.sub(r"\\frac\{1\}\{\s*2?\s*[nmNM]\s*\}", "", side)
    t = re.sub(r"[_^]\{[^}]*\}|[_^]\\?\w", "", t)
    return not re.search(r"\d", t)


# --------------------------------------------------------------------------- network


def _network(d: _Draft, f: _Facts, segs, prose) -> list[str] | None:
    """The ``network:`` section's lines, or None when the document gives no weights."""
    weights = f.first(_is_weight)
    # whole matrices (W, W^{(2)}, W_1) and entries (w_{11}^1) of weights
    whole = {s: e for s, e in weights.items() if isinstance(e.value, list) and _is_number_tree(e.value)
             and (not s.sub or len(_clean_script(s.sub)) == 1)}
    entries = {s: e for s, e in weights.items() if isinstance(e.value, str) and _indices(s.sub)
               and len(_indices(s.sub)) == 2}
    layers = {}               # layer key → (matrix, [(line, source)], from entries, symbol)
    for s, e in whole.items():
        key = _layer(s.sup) if s.sup else (_indices(s.sub)[0] if s.sub and _indices(s.sub) else None)
        if key in layers:
            continue
        m = e.value if isinstance(e.value[0], list) else [e.value]
        layers[key] = (m, [(e.line, e.source)], False, s)
    by_layer = {}
    for s, e in entries.items():
        by_layer.setdefault(_layer(s.sup) if s.sup else None, {})[_indices(s.sub)] = e
    for key, cells in by_layer.items():
        if key in layers:
            continue
        rows = max(i for i, _ in cells)
        cols = max(j for _, j in cells)
        if len(cells) != rows * cols:
            continue
        m = [[cells[(i, j)].value for j in range(1, cols + 1)] for i in range(1, rows + 1)]
        lines = sorted({(e.line, e.source) for e in cells.values()})
        layers[key] = (m, lines, True, next(iter(cells)))
    if not layers:                                # one unit: w_1, w_2, … (and b)
        single = {}
        for s, e in weights.items():
            idx = _indices(s.sub)
            if idx and len(idx) == 1 and isinstance(e.value, str) and not s.sup:
                single.setdefault(idx[0], e)
        if single and sorted(single) == list(range(1, max(single) + 1)):
            m = [[single[k].value for k in sorted(single)]]
            layers[None] = (m, sorted({(e.line, e.source) for e in single.values()}), False, _Sym("w", "", "", ""))
    if not layers:
        return None
    unnumbered = None
    if None in layers:                            # "W" beside "W^2": W is the first free layer number
        unnumbered = next(n for n in range(1, 100) if n not in layers)
        layers[unnumbered] = layers.pop(None)
    order = sorted(layers)

    # input
    inputs = f.first(_is_input)
    x_whole = [(s, e) for s, e in inputs.items() if not s.sub and isinstance(e.value, list) and _is_number_tree(e.value)]
    x_whole += [(s, e) for s, e in inputs.items() if not s.sub and isinstance(e.value, str)]
    x_whole.sort(key=lambda t: t[1].line)
    first_w = layers[order[0]][0]
    n_in = len(first_w[0])
    x_val, x_note = None, ""
    if x_whole:
        s, e = x_whole[0]
        v = e.value if isinstance(e.value, list) else [e.value]
        if isinstance(v[0], list):
            r, c = len(v), len(v[0])
            if c == 1 or r == 1:
                v = _flat(v)
            elif r != n_in and c == n_in:
                v = [list(col) for col in zip(*v)]
                x_note = "the document writes one sample per row; dryrun takes one per column"
        x_val = v
        d.given("input " + s.show(), _show(x_val), e.line, e.source)
    else:
        ents = {}
        for s, e in inputs.items():
            idx = _indices(s.sub)
            if idx and len(idx) == 1 and isinstance(e.value, str):
                ents.setdefault(idx[0], e)
        if ents and sorted(ents) == list(range(1, max(ents) + 1)):
            x_val = [ents[k].value for k in sorted(ents)]
            for k in sorted(ents):
                d.given(f"input x_{k}", ents[k].value, ents[k].line, ents[k].source)
    if x_val is None:
        x_val = ["1"] * n_in
        x_note = "no input values found; replace these"
    batch = isinstance(x_val[0], list)

    # layers: check the chain of sizes (transpose a weight matrix written in × out)
    mats = []
    prev = len(x_val)
    for n, key in enumerate(order):
        m, lines, from_entries, s = layers[key]
        note = ""
        if len(m[0]) != prev and len(m) == prev:
            m = [list(col) for col in zip(*m)]
            note = "the document's matrix is inputs × units; dryrun's W is units × inputs (transposed)"
        mats.append((key, m, lines, from_entries, s, note))
        prev = len(m)
    units_out = len(mats[-1][1])

    biases = f.first(_is_bias)
    b_whole = {}
    for s, e in sorted(biases.items(), key=lambda t: t[1].line):
        whole_b = not s.sub or (len(s.sub) == 1 and isinstance(e.value, list))     # b, b^{(2)}, b_1 = [...]
        if whole_b and _is_number_tree(e.value):
            key = _layer(s.sup) if s.sup else (_layer(s.sub) if s.sub else None)     # b, b^{(2)}, b_1
            if key is None:                       # an unnumbered b goes with the unnumbered W
                key = unnumbered if unnumbered is not None else (order[0] if len(order) == 1 else None)
            if key is not None:
                b_whole.setdefault(key, []).append(e)     # earliest first; the first of the right size wins
    b_entries = {}
    for s, e in biases.items():
        idx = _indices(s.sub)
        if idx and len(idx) == 1 and isinstance(e.value, str):          # b_1^1, b_2^1: one entry each
            b_entries.setdefault(_layer(s.sup) if s.sup else None, {}).setdefault(idx[0], e)

    # output, activations, loss
    words = _words(prose, segs)
    sum_output = any(re.search(r"^\s*[yo]\s*=\s*\\sum", s.text.replace("{", "").replace("}", "")) and
                     re.search(r"a_|h_", s.text) for s in segs) or \
        any(re.search(r"\bsum(?:ming)?\s+(?:of\s+)?(?:the\s+)?(?:hidden\s+)?(?:layer\s+)?(?:activations|outputs)", t, re.I)
            for _, t in words)
    acts = _infer_activations(d, segs, prose, len(mats), sum_output)
    loss = _infer_loss(d, f, prose, segs, batch, units_out, acts[-1][0])

    # target
    tgt = None
    if not (loss and loss[0] == "square"):
        cands = sorted(((s, e) for s, e in f.first(_is_target).items()
                        if not s.sub or any(w in s.sub.lower() for w in _TARGET_WORDS)),
                       key=lambda t: (0 if any(w in t[0].sub.lower() for w in _TARGET_WORDS)
                                      or t[0].accent == "tilde" else 1, t[1].line))
        cands = [(s, e) for s, e in cands if _is_number_tree(e.value)]
        if cands:
            s, e = cands[0]
            v = e.value
            if isinstance(v, list):
                v = _flat(v)
                if isinstance(v[0], list) and len(v) != units_out and len(v[0]) == units_out:
                    v = [list(col) for col in zip(*v)]
            tgt = (v, e.line, e.source, s)
        else:
            ents = {}
            for s, e in f.first(_is_target).items():
                idx = _indices(s.sub)
                if idx and len(idx) == 1 and isinstance(e.value, str) and s.base in ("y", "Y", "t"):
                    ents.setdefault((s.base, s.accent), {}).setdefault(idx[0], e)
            for key, es in ents.items():
                if sorted(es) == list(range(1, units_out + 1)):
                    tgt = ([es[k].value for k in sorted(es)], min(e.line for e in es.values()),
                           "; ".join(sorted({e.source for e in es.values()}))[:200], None)
                    break

    rate = sorted(f.first(_is_rate, skip_computed=True).items(), key=lambda t: t[1].line)
    rate = [(s, e) for s, e in rate if isinstance(e.value, str)]
    if not rate:
        for k, p in enumerate(prose, start=1):
            m = re.search(r"learning\s+rate\s*(?:of|is|=|:)?\s*(\d*\.?\d+)", p, re.I)
            if m and _num(m.group(1)):
                rate = [(None, _Event(_Sym("eta", "", "", ""), _num(m.group(1)), k, "literal", p.strip()))]
                break
    iters = _infer_iterations(d, f, prose, segs)

    # ---- write
    out = []
    scalar = all(m[3] for m in mats) and not batch
    out.append(f"{DEFAULT_KIND}:")
    if scalar:
        out.append("  notation: scalar              # guessed: the document works neuron by neuron "
                   "(w_{jk}^l, one line per unit)")
    out.append(f"  input: {_yaml(x_val)}" + (f"  # guessed: {x_note}" if x_note else ""))
    if tgt is not None:
        v, line, source, s = tgt
        d.given("target " + (s.show() if s else "y"), _show(v), line, source)
        out.append(f"  target: {_yaml(v)}")
    elif not (loss and loss[0] == "square"):
        out.append(f"  target: {_yaml(['0'] * units_out if units_out > 1 else '0')}"
                   "  # guessed: no target value found; replace it")
    out.append("  layers:")
    for n, (key, m, lines, from_entries, s, note) in enumerate(mats, start=1):
        act, where, why, said = acts[n - 1]
        what = f"weights of layer {n} (" + ("w_{jk}^" + str(key) + " entry by entry" if from_entries else s.show()) + ")"
        d.given(what, _show(m), ", ".join(dict.fromkeys(d.doc.where(l) for l, _ in lines)) if len(lines) > 1
                else lines[0][0], lines[0][1] if len(lines) == 1 else "; ".join(src for _, src in lines[:3]))
        out.append(f"    - activation: {act}" + (f"  # guessed: {why}" if why else ""))
        if not why and where:
            d.given(f"activation of layer {n}", act, where, said)
        if len(m) == 1:
            out.append(f"      weights: {_yaml(m)}" + (f"  # guessed: {note}" if note else ""))
        else:
            out.append("      weights:" + (f"  # guessed: {note}" if note else ""))
            for row in m:
                out.append(f"        - {_yaml(row)}")
        b = None
        for e in b_whole.get(key, ()):
            bv = _flat(e.value) if isinstance(e.value, list) else [e.value]
            if bv and not isinstance(bv[0], list) and len(bv) == len(m):
                b = bv
                d.given(f"bias of layer {n}", _show(b), e.line, e.source)
                break
        if b is None:
            es = b_entries.get(key) or (b_entries.get(None) if key == unnumbered or len(mats) == 1 else None)
            if es and sorted(es) == list(range(1, len(m) + 1)):
                b = [es[k].value for k in sorted(es)]
                d.given(f"bias of layer {n} (b_j^{key} entry by entry)", _show(b),
                        ", ".join(dict.fromkeys(d.doc.where(e.line) for e in es.values())), "")
        if b is not None:
            out.append(f"      bias: {_yaml(b)}")
        else:
            out.append("      # no bias found for this layer: a layer without bias (add bias: [...] if it has one)")
    if sum_output:
        out.append("  output: sum                   # the output is the sum of the last layer's activations")
    if loss:
        name, line, source, why = loss
        if not why:
            d.given("loss", name, line, source)
        out.append(f"  loss: {name}" + (f"  # guessed: {why} ({d.doc.where(line)})" if why else ""))
    else:
        out.append("  loss: half_sse  # guessed: no loss is named in the document")
    if rate:
        s, e = rate[0]
        d.given("learning rate " + (s.show() if s else ""), e.value, e.line, e.source)
        out.append(f"  learning_rate: {e.value}")
    else:
        out.append("  learning_rate: 0.1  # guessed: no learning rate is stated")
    n, line, source, why = iters
    if why:
        out.append(f"  iterations: {n}  # guessed: {why}" + (f"; {source}" if source else ""))
    else:
        d.given("iterations", str(n), line, source)
        out.append(f"  iterations: {n}")
    return out


# --------------------------------------------------------------------------- parts: conv, pool, formula


def _latest_before(f: _Facts, name: str, line: int):
    best = None
    for e in f.events:
        if e.how == "computed" or e.sym.base != name or e.sym.sub or e.sym.sup or e.sym.accent:
            continue
        if not (isinstance(e.value, list) and e.value and isinstance(e.value[0], list) and _is_number_tree(e.value)):
            continue
        if e.line <= line:
            best = e
        elif best is None:
            return e
    return best


def _plain(text: str) -> str:
    t = _normalize(text)
    t = re.sub(r"\\(?:text|mathrm|operatorname|mathbf|boldsymbol|bm|textbf)\{([^}]*)\}", r"\1", t)
    return t


_CONV_CALL = re.compile(r"\bconv(?:2d)?\s*\(\s*\\?([A-Za-z]+)\s*,\s*\\?([A-Za-z]+)\s*((?:,\s*[a-z]+\s*=\s*\d+\s*)*)\)")
_POOL_CALL = re.compile(r"\b(max|avg|average|mean)(?:[\s_-]*pool(?:ing)?(?:2d)?)?\s*\(\s*\\?([A-Za-z]+)\s*,\s*"
                        r"(\d+)\s*(?:\\times|x|\*)\s*(\d+)\s*((?:,\s*[a-z]+\s*=\s*\d+\s*)*)\)")


def _calls(f: _Facts, pattern) -> list[tuple[int, re.Match, str | None]]:
    """Every ``conv(…)`` / ``max(…)`` in the document: (line, match, the symbol it is assigned to)."""
    out = []
    for c in f.chains:
        for k, (_, side) in enumerate(c.sides):
            for m in pattern.finditer(_plain(side)):
                lhs = _single_symbol(_terms(c.sides[0][1])) if k > 0 and c.sides[0][1] else None
                out.append((c.lines[k], m, lhs.text if lhs is not None else None))
    return out


def _grid_stride(d: _Draft, f: _Facts, names, x, window, pad) -> tuple[int | None, str]:
    """The stride that gives the output the document prints for one of ``names`` (its shape), or None."""
    for e in f.events:
        if e.sym.base in names and e.how != "computed" and isinstance(e.value, list) and e.value \
                and isinstance(e.value[0], list):
            oh, ow = len(e.value), len(e.value[0])
            h, w = len(x), len(x[0])
            fits = [s for s in range(1, 17) if (h + 2 * pad - window[0]) // s + 1 == oh
                    and (w + 2 * pad - window[1]) // s + 1 == ow]
            if fits:
                return fits[0], f"stride {fits[0]} gives the {oh}×{ow} output the document prints ({d.doc.where(e.line)})"
    return None, ""


def _options(text: str) -> dict:
    """``, stride = 1, pad = 0`` → {stride: 1, padding: 0}."""
    out = {}
    for name, value in re.findall(r"([a-z]+)\s*=\s*(\d+)", text):
        out[{"pad": "padding", "s": "stride", "p": "padding"}.get(name, name)] = int(value)
    return out


def _conv_pool_parts(d: _Draft, f: _Facts) -> list[tuple[int, list[str]]]:
    parts, groups = [], {}
    for line, m, lhs in _calls(f, _CONV_CALL):
        opts = _options(m.group(3))
        key = ("c", m.group(1), m.group(2), tuple(sorted(opts.items())))
        groups.setdefault(key, []).append((line, m, lhs, opts))
    for line, m, lhs in _calls(f, _POOL_CALL):
        opts = _options(m.group(5))
        key = ("p", m.group(1), m.group(2), m.group(3), m.group(4), tuple(sorted(opts.items())))
        groups.setdefault(key, []).append((line, m, lhs, opts))
    for key, calls in groups.items():
        line, m, _, opts = calls[0]
        names = {lhs for _, _, lhs, _ in calls if lhs}
        pad = opts.get("padding", 0)
        x = _latest_before(f, m.group(1) if key[0] == "c" else m.group(2), line)
        if x is None:
            continue
        if key[0] == "c":
            w = _latest_before(f, m.group(2), line)
            if w is None:
                continue
            window = (len(w.value), len(w.value[0]))
        else:
            window = (int(m.group(3)), int(m.group(4)))
        stride, why = (opts["stride"], "") if "stride" in opts else _grid_stride(d, f, names, x.value, window, pad)
        if stride is None:
            stride, why = (1, "not stated; 1") if key[0] == "c" else \
                (window[0], "not stated; the window size (PyTorch's default)")
        elif why:
            why = f"not stated; {why}"
        pad_why = "" if "padding" in opts else "not stated; no padding"
        if key[0] == "c":
            d.given(f"convolution input {m.group(1)}", _show(x.value), x.line, x.source)
            d.given(f"convolution kernel {m.group(2)}", _show(w.value), w.line, w.source)
            d.given("convolution", f"stride {stride}, padding {pad}", line, m.group(0))
            lines = ["  - kind: conv", f"    id: conv-s{stride}p{pad}",
                     f'    title: "Convolution, stride {stride}, padding {pad}"',
                     f"    input: {_yaml(x.value)}", f"    kernel: {_yaml(w.value)}"]
        else:
            mode = "max" if m.group(1) == "max" else "average"
            kh, kw = window
            d.given(f"pooling input {m.group(2)}", _show(x.value), x.line, x.source)
            d.given("pooling", f"{mode}, window {kh}×{kw}", line, m.group(0))
            lines = ["  - kind: pool", f"    id: {'maxpool' if mode == 'max' else 'avgpool'}",
                     f'    title: "{"Max" if mode == "max" else "Average"} pooling {kh}x{kw}"',
                     f"    input: {_yaml(x.value)}", f"    mode: {mode}",
                     f"    window: {kh if kh == kw else f'[{kh}, {kw}]'}"]
        lines.append(f"    stride: {stride}" + (f"  # guessed: {why}" if why else ""))
        if key[0] == "c" or pad:
            lines.append(f"    padding: {pad}" + (f"  # guessed: {pad_why}" if pad_why else ""))
        parts.append((line, lines))
    return parts


_FORMULA_FUNCS = ("sin", "cos", "tan", "exp", "log", "ln", "sqrt", "tanh", "sigmoid", "relu", "abs")


def _plain_formula(tex: str) -> str | None:
    """A LaTeX formula in the expression grammar (``\\sin(\\mathbf{w}^T \\mathbf{x}) - b`` →
    ``sin(w^T x) - b``), or None when it uses something the grammar does not have."""
    t = _normalize(tex)
    for _ in range(10):
        new = re.sub(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}", r"((\1)/(\2))", t)
        new = re.sub(r"\\sqrt\{([^{}]*)\}", r"sqrt(\1)", new)
        new = re.sub(r"\\(?:mathbf|boldsymbol|bm|vec|mathit|text|mathrm|operatorname)\{([^{}]*)\}", r"\1", new)
        if new == t:
            break
        t = new
    t = re.sub(r"\^\{?\s*(?:T|\\top|\\intercal)\s*\}?", "^T ", t)
    t = re.sub(r"\\(sin|cos|tan|exp|log|ln|tanh)\b", r"\1", t)
    t = re.sub(r"\\sigma\b", "sigmoid", t)
    t = re.sub(r"\\pi\b", "pi", t)
    t = re.sub(r"\\(?:cdot|times|ast)\b", "*", t)
    t = re.sub(r"\\[,;:! ]", " ", t)
    t = t.replace("{", "(").replace("}", ")")
    if "\\" in t or re.search(r"[^A-Za-z0-9_.+\-*/^() ]", t):
        return None
    # implicit products: 2pi, 2 x, ) (
    t = re.sub(r"(\d)\s*(pi|[A-Za-z(])", r"\1*\2", t)
    t = re.sub(r"\)\s*\(", ")*(", t)
    t = re.sub(r"\s+", " ", t).strip()
    toks = re.findall(r"\^T|[A-Za-z]+|\d+\.?\d*|\S", t)
    out = []
    for tok in toks:
        if out and re.fullmatch(r"[A-Za-z]+|\d+\.?\d*|\(", tok) and (re.fullmatch(r"[A-Za-z]+|\d+\.?\d*|\)", out[-1])) \
                and out[-1] not in _FORMULA_FUNCS and out[-1] != "^T":
            out.append("*")
        out.append(tok)
    text = ""
    for k, tok in enumerate(out):
        if tok == "^T":
            text += "^T "
        elif tok in "+-" and k:
            text += f" {tok} "
        else:
            text += tok
    return re.sub(r"\s+", " ", text).strip()


def _formula_part(d: _Draft, f: _Facts, segs, prose) -> tuple[int, list[str]] | None:
    for c in f.chains:
        chain, line = c.sides, c.line
        if len(chain) < 2:
            continue
        lhs = _single_symbol(_terms(chain[0][1]))
        rhs = chain[1][1]
        if lhs is None or lhs.sub or lhs.sup or _has_numbers(_terms(rhs)):
            continue
        text = _plain_formula(rhs)
        if text is None or not (re.search(r"\b(?:" + "|".join(_FORMULA_FUNCS) + r")\(", text) or "^T" in text):
            continue
        names = [n for n in dict.fromkeys(re.findall(r"[A-Za-z]+", text.replace("^T", " ")))
                 if n not in _FORMULA_FUNCS and n not in ("pi", "e")]
        values = {}
        for n in names:
            ev = next((e for e in f.events if e.how == "literal" and e.sym.base == n and not e.sym.sub
                       and not e.sym.sup and not e.sym.accent and e.line >= line - 40), None)
            if ev is None:
                break
            v = _flat(ev.value) if isinstance(ev.value, list) else ev.value
            if isinstance(v, list) and v and isinstance(v[0], list):
                break
            values[n] = (v, ev)
        if len(values) != len(names) or not names:
            continue
        out_name = lhs.text
        d.given("model formula", f"{out_name} = {text}", line, chain[0][1] + " = " + rhs)
        inputs = {n: v for n, v in values.items() if n.lower() == "x" or n.lower().startswith("x")}
        params = {n: v for n, v in values.items() if n not in inputs}
        for n, (v, ev) in values.items():
            d.given(("input " if n in inputs else "parameter ") + n, _show(v), ev.line, ev.source)
        lines = ["  - kind: expression", "    id: model"]
        title = _heading_before(d, line)
        if title:
            lines.append(f"    title: {_quote(title)}")
        lines.append(f'    formula: "{out_name} = {text}"')
        if inputs:
            lines.append("    inputs: {" + ", ".join(f"{n}: {_yaml(v)}" for n, (v, _) in inputs.items()) + "}")
        if params:
            lines.append("    parameters: {" + ", ".join(f"{n}: {_yaml(v)}" for n, (v, _) in params.items()) + "}")
        tg = [(s, e) for s, e in f.first(lambda s: s.base in ("y", "t") and s.accent in ("tilde", "hat", "")
                                         and not s.sub and not s.sup).items()
              if isinstance(e.value, (str, tuple)) and s.base != out_name or (s.accent and isinstance(e.value, str))]
        tg.sort(key=lambda t: (0 if t[0].accent == "tilde" else 1, t[1].line))
        loss = _infer_loss(d, f, prose, segs, False, 1, "")
        if tg:
            s, e = tg[0]
            d.given("target " + s.show(), _show(e.value), e.line, e.source)
            lines.append(f"    target: {_yaml(e.value)}")
        if loss:
            name, lline, source, why = loss
            if not why:
                d.given("loss", name, lline, source)
            lines.append(f"    loss: {name}" + (f"  # guessed: {why}" if why else ""))
        rate = sorted(((s, e) for s, e in f.first(_is_rate, skip_computed=True).items() if isinstance(e.value, str)),
                      key=lambda t: t[1].line)
        if rate:
            s, e = rate[0]
            d.given("learning rate " + s.show(), e.value, e.line, e.source)
            lines.append(f"    learning_rate: {e.value}")
        trained = []
        for c2 in f.chains:
            a = _single_symbol(_terms(c2.sides[0][1])) if c2.sides[0][1] else None
            if a is not None and a.text in params and re.search(r"i\+1|t\+1|new|k\+1", _clean_script(a.sub)) \
                    and a.text not in trained:
                trained.append(a.text)
                d.given(f"updated parameter {a.text}", "trained", c2.line, c2.text())
        if trained and len(trained) < len(params):
            lines.append(f"    train: [{', '.join(trained)}]")
        return line, lines
    return None


def _quote(s: str) -> str:
    import json
    return json.dumps(s, ensure_ascii=False)


def _heading_before(d: _Draft, line: int) -> str:
    for k in range(min(line, len(d.doc.lines)) - 1, -1, -1):
        m = re.match(r"\s*#{1,6}\s+(.+?)\s*#*\s*$", d.doc.lines[k]) or \
            re.match(r"\s*\\(?:sub)*section\*?\{(.+)\}", d.doc.lines[k])
        if m:
            return _clean_title(m.group(1))
    return ""


def _clean_title(t: str) -> str:
    t = re.sub(r"\$[^$]*\$", "", t)
    t = re.sub(r"[*_`\\{}]", "", t).strip()
    t = re.sub(r"^(?:\d+(?:\.\d+)*\.?|[IVX]+\.)\s+", "", t).strip()       # "2. Math problem." → "Math problem."
    return t[:200]


def _title(d: _Draft) -> str:
    for line in d.doc.lines:
        m = re.match(r"\s*#{1,6}\s+(.+?)\s*#*\s*$", line) or \
            re.match(r"\s*\\(?:title|(?:sub)*section\*?)\{(.+)\}", line)
        if m:
            t = _clean_title(m.group(1))
            if t:
                return t
    return ""


# --------------------------------------------------------------------------- entry point


def draft_spec(path: str) -> str:
    """The draft spec (YAML text) read from the worked solution at ``path``; a DraftError (exit 2)
    naming the file when it cannot be read or states no givens."""
    doc = _read(str(path))
    segs, prose = _segments(doc)
    facts = _facts(segs)
    d = _Draft(doc)
    parts = []
    formula = _formula_part(d, facts, segs, prose)
    if formula:
        parts.append(formula)
    parts += _conv_pool_parts(d, facts)
    body = []
    net = None
    if not parts:
        net = _network(d, facts, segs, prose)
    if net is not None:
        body = net
    elif parts:
        body = ["parts:"]
        for _, lines in sorted(parts, key=lambda p: p[0]):
            body += lines
    else:
        raise DraftError("no givens found (no weight matrix, kernel or model formula with values); "
                         "write the spec by hand (dryrun init network prints a starter)", where=str(path))
    title = _title(d)
    head = [f"# Draft spec read from {_one_line(str(path))} by `dryrun init --from`.",
            "# Check every value against the document before you use it: the givens below were read from",
            "# its text, and a field marked '# guessed:' is not stated there. Rounding is not read (default:",
            "# 4 decimals); set rounding: to the document's precision.",
            "# Givens found:"]
    for g in d.givens:
        src = f"   <- {_one_line(g.source)}" if g.source and g.source != g.value else ""
        head.append(f"#   {g.where}: {_one_line(g.what)} = {_one_line(g.value)}{src}")
    text = "\n".join(head) + "\n" + (f"title: {_quote(title)}\n" if title else "") + "\n".join(body) + "\n"
    problem = _check(text, str(path))
    if problem:
        text = f"# NOT VALID YET: {_one_line(problem)}\n" + text
    return text


def _one_line(s: str) -> str:
    s = "".join(ch if ch.isprintable() else " " for ch in str(s))
    s = " ".join(s.split())
    return s if len(s) <= 160 else s[:157] + "..."


def _check(text: str, where: str) -> str:
    """Why the draft does not load as a spec ('' when it does)."""
    from .spec import parse_yaml, spec_from_data
    try:
        spec_from_data(parse_yaml(text, where), where)
    except SpecError as e:
        return str(e.located("draft"))
    return ""
