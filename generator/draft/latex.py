"""LaTeX as the drafter reads it: normalized (Unicode signs, decimal commas, decorations), split into
rows and equations outside brackets, each equation a chain of (relation, side) pairs; and a formula
in the grammar of a spec's formulas.  Reading only: nothing is evaluated."""

from __future__ import annotations

import re
from functools import cache

#: Words the tokenizer reads whole (any other run of letters is a product of one-letter symbols).
_WORDS = frozenset("lr loss cost mse sse bce relu sigmoid softmax tanh max min true new old target label mean sum "
                   "log ln exp sin cos tan sqrt gradient grad output input using apply if otherwise and where for "
                   "all out in".split())
#: Words of formulas, not of prose ("loss" in ``loss = …``).
_FORMULA_WORDS = frozenset("sin cos tan exp log ln tanh max min sum sqrt relu sigmoid softmax loss cost lr mse sse "
                           "true target label".split())


@cache
def vocabulary() -> tuple[frozenset, frozenset]:
    """(the words the tokenizer reads whole, the words that mark a formula rather than prose): the
    generic ones and those the kinds' draft hooks declare (``WORDS``, ``FORMULA_WORDS``: the name
    and the options of an operation a kind's formulas write, ``f(x, w, stride = 1)``)."""
    from ..kinds import KINDS, kind_draft
    words, formula = set(_WORDS), set(_FORMULA_WORDS)
    for hook in filter(None, map(kind_draft, KINDS)):
        words |= set(getattr(hook, "WORDS", ()))
        formula |= set(getattr(hook, "FORMULA_WORDS", ()))
    return frozenset(words), frozenset(formula)


# --------------------------------------------------------------------------- normalization


_UNWRAP = ("underline", "boxed", "fbox", "overline", "displaystyle", "textstyle", "mathstrut")
_DEC_COMMA = re.compile(r"(?<![\d,.{_^])(\d+),(\d+)(?!\d)(?!,\d)")


def matching(s: str, i: int, open_: str = "{", close: str = "}") -> int:
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


def normalize(s: str) -> str:
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
            j = matching(s, k + len(pat))
            s = s[:k] + " " + s[k + len(pat) + 1:j] + " " + s[j + 1:]
    s = re.sub(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![A-Za-z])\s*\.?", " ", s)
    s = re.sub(r"\\(?:tag|label|color)\{[^}]*\}", " ", s)
    s = s.replace(r"\nonumber", " ").replace(r"\notag", " ").replace(r"\hline", " ")
    return s


def split_top(s: str, seps: tuple[str, ...]) -> list[tuple[str, str]]:
    """``s`` split at the separators that stand outside brackets and environments: (separator
    before, piece) pairs, the first with separator ''."""
    out, depth, env, k, start, sep = [], 0, 0, 0, 0, ""
    while k < len(s):
        c = s[k]
        if s.startswith(r"\begin{", k):
            env += 1
            k = matching(s, k + 6) + 1
            continue
        if s.startswith(r"\end{", k):
            env = max(0, env - 1)
            k = matching(s, k + 4) + 1
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


# --------------------------------------------------------------------------- equations


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
    for _, row in split_top(s, (r"\\",)):
        row = " ".join(p for _, p in split_top(row, ("&",)))
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


def _trim_prose(first: str, last: str) -> tuple[str, str]:
    """A line of prose with math in it (a PDF's text): "Learning rate: η" → "η", "0.001 is the rate." →
    "0.001"."""
    formula_words = vocabulary()[1]
    if ":" in first:
        pieces = split_top(first, (":",))
        if len(pieces) > 1 and not pieces[-1][1].lstrip().startswith("="):
            first = pieces[-1][1]
    first = first.strip()
    m = _LEAD_WORDS.match(first)
    if m and not any(w.lower() in formula_words for w in m.group(0).split()):
        first = first[m.end():]
    m = _TRAIL_WORDS.search(last)
    if m and m.start() > 0 and not any(w.lower() in formula_words for w in re.findall(r"[A-Za-z]+", m.group(0))):
        last = last[:m.start()]
    return first.strip(), re.sub(r"(?:\s*[.:,;])+\s*$", "", last).strip()


def chains(text: str) -> list[list[tuple[str, str]]]:
    """Every equation of a math segment as its chain of (relation before, side) pairs."""
    out = []
    for row in _rows(normalize(text)):
        for _, eq in split_top(row, _EQ_SEPARATORS):
            sides = [(rel, side.strip()) for rel, side in split_top(eq, _RELATIONS)]
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


# --------------------------------------------------------------------------- formulas


#: The functions of a spec's formula grammar.
FORMULA_FUNCS = ("sin", "cos", "tan", "exp", "log", "ln", "sqrt", "tanh", "sigmoid", "relu", "abs")


def plain_formula(tex: str) -> str | None:
    """A LaTeX formula in the grammar of a spec's formulas (``\\sin(\\mathbf{w}^T \\mathbf{x}) - b`` →
    ``sin(w^T x) - b``), or None when it uses something the grammar does not have."""
    t = normalize(tex)
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
                and out[-1] not in FORMULA_FUNCS and out[-1] != "^T":
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
