"""What the kinds' draft hooks share: values written in the header and in YAML, the learning rate
and the loss a document states, and the calls of a windowed operation (``f(X, …, stride = 1)``)
with the matrices they apply to."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .facts import Facts, Sym
from .latex import normalize
from .parse import single_symbol, terms


# --------------------------------------------------------------------------- values


def show(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(show(x) for x in v) + "]"
    if isinstance(v, tuple):
        return v[1]
    return str(v)


def to_yaml(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(to_yaml(x) for x in v) + "]"
    if isinstance(v, tuple):
        return '"' + v[1] + '"'
    return str(v)


def is_number_tree(v) -> bool:
    if isinstance(v, list):
        return all(is_number_tree(x) for x in v)
    return isinstance(v, str)


def flat(v):
    """A vector as a flat list (a column or a row matrix), a matrix as it is."""
    if isinstance(v, list) and v and isinstance(v[0], list):
        if len(v[0]) == 1:
            return [r[0] for r in v]
        if len(v) == 1:
            return list(v[0])
    return v


def quote(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def guessed(line: str, why: str) -> str:
    """A line of YAML, marked ``# guessed: why`` where ``why`` says it is not stated."""
    return line + (f"  # guessed: {why}" if why else "")


# --------------------------------------------------------------------------- the learning rate and the loss


def is_rate(s: Sym) -> bool:
    """η, α, lr (without scripts or accents): a learning rate."""
    return (s.base in ("eta", "alpha") or s.base.lower() == "lr") and not s.sup and not s.sub and not s.accent


_LOSS_LHS = re.compile(r"^(?:L|C|J|E|\\mathcal\{L\}|\\ell|loss|Loss|cost|Cost|\\text\{\s*(?:loss|Loss|cost|Cost)\s*\}|"
                       r"L_2\s*\\text\{\s*loss\}|L_\{?\w+\}?|\\mathcal\{L\}_\{?\w+\}?)$")


def _loss_from_formula(rhs: str):
    """(half, mean, form) of a loss formula's right side, or None: form is sse, square, bce or cce."""
    t = normalize(rhs).replace(" ", "")
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


def infer_loss(d, batch: bool, units: int, output_act: str):
    """The loss the document uses: (loss, line, source, guess-why), or None.  ``batch``: the input is
    several samples; ``units``: the outputs of one sample; ``output_act``: the output's activation."""
    f, prose = d.facts, d.prose
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


# --------------------------------------------------------------------------- windowed operations


def latest_before(f: Facts, name: str, line: int):
    """The last matrix plain symbol ``name`` is given at or before ``line`` (else the first after
    it): its ``Event``, or None."""
    best = None
    for e in f.events:
        if e.how == "computed" or e.sym.base != name or e.sym.sub or e.sym.sup or e.sym.accent:
            continue
        if not (isinstance(e.value, list) and e.value and isinstance(e.value[0], list) and is_number_tree(e.value)):
            continue
        if e.line <= line:
            best = e
        elif best is None:
            return e
    return best


def _plain(text: str) -> str:
    t = normalize(text)
    t = re.sub(r"\\(?:text|mathrm|operatorname|mathbf|boldsymbol|bm|textbf)\{([^}]*)\}", r"\1", t)
    return t


def _calls(f: Facts, pattern) -> list[tuple[int, re.Match, str | None]]:
    """Every call ``pattern`` matches in the document: (line, match, the symbol it is assigned to)."""
    out = []
    for c in f.chains:
        for k, (_, side) in enumerate(c.sides):
            for m in pattern.finditer(_plain(side)):
                lhs = single_symbol(terms(c.sides[0][1])) if k > 0 and c.sides[0][1] else None
                out.append((c.lines[k], m, lhs.text if lhs is not None else None))
    return out


def _grid_stride(d, f: Facts, names, x, window, pad) -> tuple[int | None, str]:
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


@dataclass
class Call:
    """One call of a windowed operation in the document."""
    line: int                  # where it is written
    match: re.Match            # the pattern's match: its groups are the call's arguments
    lhs: str | None            # the symbol it is assigned to
    options: dict              # its ``, name = value`` options (padding, stride)


def grid_calls(d, pattern, grid: int) -> list[tuple[list[Call], object]]:
    """Every call ``pattern`` (a regular expression whose last group is the ``, name = value``
    options) matches in the document's equations, grouped by their arguments and options, in the
    order they are first written; each group with the matrix its argument ``grid`` (a group of
    ``pattern``) last holds before the first call (its ``Event``).  A group whose grid has no value
    is left out."""
    groups: dict = {}
    for line, m, lhs in _calls(d.facts, pattern):
        opts = _options(m.groups()[-1])
        groups.setdefault((*m.groups()[:-1], tuple(sorted(opts.items()))), []).append(Call(line, m, lhs, opts))
    out = []
    for calls in groups.values():
        x = latest_before(d.facts, calls[0].match.group(grid), calls[0].line)
        if x is not None:
            out.append((calls, x))
    return out


def stride_padding(d, calls: list[Call], x, window, default: tuple[int, str]) -> tuple[int, str, int, str]:
    """(stride, why, padding, why) of a group of calls of a windowed operation over the grid ``x``:
    as the calls state them; else the stride that gives the output the document prints (window
    ``window``), else ``default`` (stride, why), and no padding; why is '' when stated."""
    opts = calls[0].options
    names = {c.lhs for c in calls if c.lhs}
    pad = opts.get("padding", 0)
    stride, why = (opts["stride"], "") if "stride" in opts else _grid_stride(d, d.facts, names, x, window, pad)
    if stride is None:
        stride, why = default
    elif why:
        why = f"not stated; {why}"
    return stride, why, pad, "" if "padding" in opts else "not stated; no padding"
