"""The LaTeX printer of the shared operations: one dispatch on a step's operation.

``show(view, name)`` writes step ``name`` as display lines: its symbol (the kind's notation,
``view.NOTATION``), the operation written out with its operands' printed numbers, "=" or "≈",
and the result.  The printer of an operation (``EXPRESSIONS``) writes one entry of its result
(a group for a reduction); how the entries are laid out (one line with a matrix of expressions,
or a line per entry) and which relation each line gets is decided here, for every operation the
same way:

- "=" where the printed result is exact and, in display mode, every operand entry the line is
  computed from (``Op.depends``) is printed exactly; in carry mode the printed operands are the
  carried values, so "=" where rounding the result changed nothing;
- in display mode a line prints its rounded operands with the least number of extra digits for
  which the result recomputed from them lands within a unit of its last printed digit (the
  operand-digit rule of ``generator.operands``), by recomputing the operation itself.

A second printer (HTML, MathML) is another table like ``EXPRESSIONS`` and another ``show``."""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np

from ..latex import join_terms
from ..operands import MAX_EXTRA, finer, holds, printed
from ..engine import grid
from .graph import OPS, Elementwise, Product, Reduce, Window

APPROX = r"\approx"


class Line:
    """What the printer of one step sees: its operands, printed at the digits the line needs."""

    def __init__(self, view, name: str):
        self.view = view
        self.name = name
        self.entry = view.t.entries[name]
        self.op = OPS[self.entry.op]
        self.params = self.entry.params or {}
        self.operands = self.entry.operands
        self.fine = view
        self.again = None

    # --- numbers ------------------------------------------------------------------------------

    def arg(self, k: int, index=(), factor: bool = True) -> str:
        """Operand ``k`` at ``index`` (a whole scalar with ``()``), as the line prints it."""
        name = self.operands[k]
        value = np.asarray(self.fine.t.dec(name), dtype=object)
        kind = self.fine._kind(name)
        fmt = self.fine.fmt
        if value.ndim == 0:
            return (fmt.factor if factor else fmt.num)(value.item(), kind)
        return fmt.cell(value, tuple(index), kind, factor=factor)

    def args(self, k: int, index) -> list[str]:
        """Operand ``k``'s entries at ``index`` (with slices), in order."""
        value = np.asarray(self.fine.t.dec(self.operands[k]), dtype=object)
        if value.ndim == 0:
            return [self.arg(k)]
        at = np.arange(value.size).reshape(value.shape)[tuple(index)]
        return [self.arg(k, np.unravel_index(int(n), value.shape)) for n in np.ravel(at)]

    def count(self) -> str:
        return self.view.fmt.num(self.params["count"])

    def result(self, index=()) -> str:
        value = self.view.t.dec(self.name)
        return self.view.fmt.cell(value, tuple(index), self.view._kind(self.name))

    # --- relation and digits -----------------------------------------------------------------

    def _shapes(self):
        return [np.shape(self.view.t.dec(n)) for n in self.operands]

    def _printed_result(self):
        kind = self.view._kind(self.name)
        return np.asarray(printed(self.view.t.dec(self.name),
                                  None if kind is None else self.view.fmt.policy.precision(kind)), dtype=object)

    def _recompute(self, extra: int):
        """The result recomputed from the operands as printed with ``extra`` more digits (computed
        once per number of digits: a step laid out a line per entry asks for each entry)."""
        cache = self.__dict__.setdefault("_recomputed", {})
        if extra not in cache:
            cache[extra] = self._recompute_now(extra)
        return cache[extra]

    def _recompute_now(self, extra: int):
        view, policy = self.view, self.view.fmt.policy
        values = []
        for n in self.operands:
            k = view._kind(n)
            values.append(printed(view.t.dec(n), None if k is None else finer(policy, extra).precision(k)))
        with localcontext() as ctx:
            ctx.prec = 60
            try:
                return np.asarray(self.op.compute(values, self.params), dtype=object)
            except ArithmeticError:    # division by 0, an invalid operation: not at these digits
                return None

    def rel(self, indices) -> str:
        """"=" where every entry of ``indices``, recomputed from the operands exactly as the line
        prints them, is exactly the printed result; else "≈"."""
        if self.again is None:
            return APPROX
        shown = self._printed_result()
        return "=" if all(np.all(np.asarray(self.again[i] == shown[i])) for i in indices) else APPROX

    def settle(self, indices) -> None:
        """Print the operands with the digits the entries ``indices`` need: in display mode the
        least ``e`` for which the result recomputed from them is within a unit of the last printed
        digit (carry mode: the printed operands are the carried values, ``e`` = 0)."""
        view = self.view
        kind = view._kind(self.name)
        rprec = None if kind is None else view.fmt.policy.precision(kind)
        result = np.asarray(view.t.dec(self.name), dtype=object)
        top = 0 if view.fmt.policy.mode == "carry" else MAX_EXTRA
        for e in range(top + 1):
            again = self._recompute(e)
            if again is not None and all(holds(np.ravel(again[i]), np.ravel(result[i]), rprec) for i in indices):
                break
        self.fine, self.again = view.finer(e), again


_terms = join_terms      # a + b − c from written terms, as every matrix of the documents writes them


def _group_terms(line: Line, index, pattern: str, *ks: int, plain: bool = False) -> str:
    cols = [line.args(k, idx) for k, idx in line.op.depends(index, line._shapes(), line.params) if k in ks]
    if plain:
        return _terms([pattern.format(*c) for c in zip(*cols)])
    return " + ".join(pattern.format(*c) for c in zip(*cols))


def _elementwise(pattern: str, plain: tuple = ()):
    """Entry ``index`` as ``pattern`` of the operands' entries (``plain``: the positions printed
    without parentheses, a numerator)."""
    return lambda line, index: pattern.format(*[line.arg(k, idx, factor=k not in plain) for k, idx in
                                                line.op.depends(index, line._shapes(), line.params)],
                                              N=line.count() if "count" in line.params else "")


def _reduce_variance(line, index):
    x = [line.args(0, idx) for k, idx in line.op.depends(index, line._shapes(), line.params) if k == 0][0]
    mu = line.arg(1, tuple(index)) if np.ndim(line.view.t.dec(line.operands[1])) else line.arg(1)
    return rf"\frac{{1}}{{{line.count()}}} \Bigl( " + " + ".join(f"{{({v} - {mu})^{{2}}}}" for v in x) + r" \Bigr)"


def _loss(scale: str):
    def write(line, index):
        body = _group_terms(line, index, "({0} - {1})^{{2}}", 0, 1)
        if scale == "":
            return body
        n = "2" if scale == "half" else line.count() if scale == "mean" else rf"2 \cdot {line.count()}"
        return rf"\frac{{1}}{{{n}}} \Bigl( {body} \Bigr)"
    return write


def _cross_entropy(line, index, pattern: str) -> str:
    """−(1/n)·Σ of the terms (a term whose factor y is 0 is written all the same: 0 · ln ŷ)."""
    body = _group_terms(line, index, pattern, 0, 1)
    n = line.count()
    return (r"-\Bigl( " if n == "1" else rf"-\frac{{1}}{{{n}}} \Bigl( ") + body + r" \Bigr)"


def _hinge_terms(line, index) -> str:
    """max(0, s_j − s_c + 1) for a class j that is not the true one; 0 for the true class."""
    (_, si), (_, ci), (_, yi) = line.op.depends(index, line._shapes(), line.params)
    if np.asarray(line.view.t.dec(line.operands[2]), dtype=object)[yi] != 0:
        return "0"
    return rf"\max\bigl(0,\ {line.arg(0, si, factor=False)} - {line.arg(1, ci)} + 1\bigr)"


def _hinge_grad(line, index) -> str:
    """(1[ℓ_j > 0] − y_j · n_active) / m: the count of active terms for the true class."""
    (_, ai), (_, yi), (_, ni) = line.op.depends(index, line._shapes(), line.params)
    body = f"{line.arg(0, ai, factor=False)} - {line.arg(1, yi)} \\cdot {line.arg(2, ni)}"
    n = line.count()
    return body if n == "1" else rf"\frac{{{body}}}{{{n}}}"


def _product(line, index):
    parts = []
    deps = line.op.depends(index, line._shapes(), line.params)
    for (k, a), (_, b) in zip(deps[0::2], deps[1::2]):
        if line.op.shape_of == "outer":
            parts.append(rf"{{{line.arg(k, a)} \cdot {line.arg(k + 1, b)}}}")
        else:
            parts += [rf"{{{u} \cdot {v}}}" for u, v in zip(line.args(k, a), line.args(k + 1, b))]
    if line.op.shape_of in ("affine", "transposed") and line.params.get("bias"):
        parts.append(line.arg(deps[-1][0], deps[-1][1], factor=False))
    return _terms(parts)


def _two_over(count) -> str:
    """The factor 2/n of a squared error's gradient, reduced ("2 · ", "", "1/3 · " …)."""
    f = Fraction(2) / Fraction(str(count))
    if f.denominator == 1:
        return "" if f == 1 else rf"{f.numerator} \cdot "
    return rf"\frac{{{f.numerator}}}{{{f.denominator}}} \cdot "


#: Entries an operation writes as a symbol instead of a number, whatever their recorded value
#: ({operation: entries(line) → {index: symbol}}): a masked score is −∞.
VOID = {"quotient_masked": lambda line: {i: r"-\infty" for i, m in np.ndenumerate(
    np.asarray(line.view.t.dec(line.operands[2]), dtype=object)) if m != 1}}
VOID["product_masked"] = VOID["matmul_masked"] = VOID["quotient_masked"]     # the mask: operand 2
VOID["ln_where"] = lambda line: _skipped(line, 0)            # ln ŷ where y is 0: not needed
VOID["ln_complement_where"] = lambda line: _skipped(line, 1)  # ln(1 − ŷ) where y is 1: not needed


def _log_terms(line, index, complement: bool) -> str:
    """−(1/n)·Σ of a cross-entropy's terms from its written logarithms (operands y, ln ŷ [,
    ln(1 − ŷ)]): y·ln ŷ where y is not 0 and (1 − y)·ln(1 − ŷ) where y is not 1; a term with a
    factor 0 is 0, and left out."""
    y = np.asarray(line.view.t.dec(line.operands[0]), dtype=object)
    terms = []
    for idx in np.ndindex(y.shape):
        if y[idx] != 0:
            terms.append(rf"{{{line.arg(0, idx)} \cdot {line.arg(1, idx)}}}")
        if complement and y[idx] != 1:
            terms.append(rf"{{(1 - {line.arg(0, idx)}) \cdot {line.arg(2, idx)}}}")
    n = line.count()
    return (r"-\Bigl( " if n == "1" else rf"-\frac{{1}}{{{n}}} \Bigl( ") + (" + ".join(terms) or "0") + r" \Bigr)"


#: How a matrix writes an entry that is not computed because nothing needs it (a logarithm whose
#: factor in the loss is 0); a line per entry leaves it out.
NOT_NEEDED = r"\text{--}"


def _skipped(line, value) -> dict:
    """The entries of a logarithm a loss does not need (its factor y, or 1 − y, is 0): not computed."""
    y = np.asarray(line.view.t.dec(line.operands[1]), dtype=object)
    return {i: NOT_NEEDED for i, v in np.ndenumerate(y) if v == value}


def _jacobian_entry(line, index):
    """J_ij = a_i (1 − a_i) on the diagonal, −a_i a_j off it."""
    (_, ai), (_, aj) = line.op.depends(index, line._shapes(), line.params)
    if index[-1] == index[-2]:
        return rf"{line.arg(0, ai)} \cdot (1 - {line.arg(0, ai)})"
    return rf"-{line.arg(0, ai)} \cdot {line.arg(0, aj)}"


def _squares(line, index) -> str:
    """Every entry of every operand squared, as a sum."""
    return " + ".join(f"{v}^{{2}}" for k, idx in line.op.depends(index, line._shapes(), line.params)
                      for v in line.args(k, idx))


def _quotient_or_zero(line, index) -> str:
    """a · b / c, or 0 where the step is exactly 0 without a division (a zero gradient)."""
    (_, ia), (_, ib), (_, ic) = line.op.depends(index, line._shapes(), line.params)
    zeros = np.asarray(line.params["zeros"], dtype=bool)
    if (zeros[tuple(index)] if zeros.shape else bool(zeros)) and (_is_zero(line, 0, ia) or _is_zero(line, 1, ib)):
        return "0"
    return rf"\frac{{{line.arg(0, ia)} \cdot {line.arg(1, ib)}}}{{{line.arg(2, ic, factor=False)}}}"


def _nadam_mu(line, index, n: str) -> str:
    """β · (1 − 0.5 · 0.96^{n · ψ}): NAdam's μ_n with its operands β and ψ (``n`` the step)."""
    (_, ib), (_, ip) = line.op.depends(index, line._shapes(), line.params)
    num = line.view.fmt.num
    return (rf"{line.arg(0, ib)} \cdot \bigl(1 - {num(Decimal('0.5'))} \cdot {num(Decimal('0.96'))}^{{{n} \cdot "
            rf"{line.arg(1, ip)}}}\bigr)")


def _void(line) -> dict:
    return VOID[line.entry.op](line) if line.entry.op in VOID else {}


def _mat(view, name: str, value, void: dict) -> str:
    """The result as a matrix, its ``void`` entries written as their symbol."""
    kind = view._kind(name)
    if not void:
        return view.fmt.mat(value, kind)
    rows = [[(i, j) for j in range(value.shape[1])] for i in range(value.shape[0])] if value.ndim == 2 \
        else [[(i,)] for i in range(value.shape[0])]
    return view.fmt.matrix([[void.get(i) or view.fmt.cell(value, i, kind) for i in row] for row in rows])


def _is_zero(line, k: int, index) -> bool:
    """Whether operand ``k``'s entry ``index`` is exactly 0 (as computed and as printed)."""
    value = np.asarray(line.view.t.dec(line.operands[k]), dtype=object)
    return (value.item() if value.ndim == 0 else value[tuple(index)]) == 0


def _out_size(line, index) -> str:
    """⌊(n + 2·p − k)/s⌋ + 1 with the layer's window size k, stride s and padding p."""
    num = line.view.fmt.num
    n = line.arg(0, tuple(index), factor=False)
    k, s, p = (num(line.params[key]) for key in ("size", "stride", "padding"))
    return rf"\left\lfloor \frac{{{n} + 2 \cdot {p} - {k}}}{{{s}}} \right\rfloor + 1"


def _neg_ln_sum(line, index) -> str:
    """−ln a − ln b − …: every entry of every operand, in order."""
    values = [v for k, idx in line.op.depends(index, line._shapes(), line.params) for v in line.args(k, idx)]
    return "-" + " - ".join(rf"\ln {v}" for v in values)


def _window_terms(line, index):
    """The terms of a window sum (``Window.terms``) written out: a product ``{x \\cdot w}``, a
    single entry as it is; each group (a channel) in brackets where there are several; a product
    with a factor exactly 0 left out (what a teacher writes; the remark says so)."""
    values = [np.asarray(line.view.t.dec(n), dtype=object) for n in line.operands]
    groups, tail = line.op.terms(index, values, line.params)
    written, dropped = [], ""
    for group in groups:
        kept = [t for t in group if not any(_is_zero(line, k, i) for k, i in t)]
        if len(kept) < len(group):
            dropped = "the other products are 0" if len(group[0]) > 1 else "the other entries are 0"
        parts = [line.arg(*t[0], factor=False) if len(t) == 1 else
                 "{" + r" \cdot ".join(line.arg(k, i) for k, i in t) + "}" for t in kept]
        if parts:
            several = len(groups) > 1 and len(parts) > 1
            written.append(r"\bigl(" + _terms(parts) + r"\bigr)" if several else _terms(parts))
    written = (written or ["0"]) + [line.arg(k, i, factor=False) for k, i in tail]
    return _terms(written), dropped


def _window_max(line, index):
    """max of the window's entries (padding left out: it is never the maximum), with where the
    first maximum stands when the kind has a symbol for the grid's entries."""
    values = [np.asarray(line.view.t.dec(n), dtype=object) for n in line.operands]
    (cells,), _ = line.op.terms(index, values, line.params)
    exact_values = [values[0][tuple(i)] for (_, i), in cells]
    remark = ["padding left out"] if len(cells) < line.params["size"][0] * line.params["size"][1] else []
    (_, at), = cells[grid.first_max(exact_values)]
    note = (line.view.t.entries[line.operands[0]].params or {}).get("note")
    if (note[0] if note else line.operands[0]) in line.view.NOTATION:
        remark.append("at $" + symbol(line.view, line.operands[0], at) + "$")
    return (r"\max(" + ", ".join(line.arg(0, i, factor=False) for (_, i), in cells) + ")", "; ".join(remark))


def _window_mean(line, index):
    """(1/(kh kw)) Σ of the window's entries, the padding (zeros) left out."""
    values = [np.asarray(line.view.t.dec(n), dtype=object) for n in line.operands]
    (cells,), _ = line.op.terms(index, values, line.params)
    area = line.params["size"][0] * line.params["size"][1]
    body = _terms([line.arg(0, i, factor=False) for (_, i), in cells])
    return (rf"\frac{{1}}{{{area}}} \Bigl( {body} \Bigr)", "the padding adds 0" if len(cells) < area else "")


def _window_spread(line, index):
    """Σ g / (kh kw) over the windows that cover the entry."""
    values = [np.asarray(line.view.t.dec(n), dtype=object) for n in line.operands]
    (cells,), _ = line.op.terms(index, values, line.params)
    if not cells:
        return "0"
    area = line.params["size"][0] * line.params["size"][1]
    return rf"\frac{{{_terms([line.arg(0, i, factor=False) for (_, i), in cells])}}}{{{area}}}"


def _window_entry(line, index):
    """The operand's entry the result entry is (0 for padding)."""
    values = [np.asarray(line.view.t.dec(n), dtype=object) for n in line.operands]
    (cells,), _ = line.op.terms(index, values, line.params)
    return line.arg(*cells[0][0], factor=False) if cells else "0"


def _window_position(line, index):
    """Row (last index 0) or column (1) of the first maximum of the window."""
    values = [np.asarray(line.view.t.dec(n), dtype=object) for n in line.operands]
    (cells,), _ = line.op.terms(index, values, line.params)
    which = "row" if index[-1] == 0 else "column"
    return rf"\operatorname{{{which}}}\,\operatorname{{argmax}}(" + ", ".join(
        line.arg(0, i, factor=False) for (_, i), in cells) + ")"


def _written(text) -> tuple[str, str]:
    """(expression, remark) of what an expression writer returned."""
    return text if isinstance(text, tuple) else (text, "")


def _aside(remark: str) -> str:
    return rf" \quad \text{{({remark})}}" if remark else ""


def _block_symbol(view, name: str, at: tuple) -> str:
    """The kind's notation of block ``at`` of step ``name`` (map k of a stack of maps, channel c of
    kernel k: ``view.BLOCKS`` {note key: pattern of the block's 1-based indices and the note's
    parameters}), else of the whole step."""
    note = (view.t.entries[name].params or {}).get("note")
    key, args = note if note else (name, {})
    pattern = getattr(view, "BLOCKS", {}).get(key)
    if at and key not in view.NOTATION:          # no notation: its name, with the block's index
        return symbol(view, name, at)
    if not at or pattern is None:
        return symbol(view, name)
    return pattern.format(*[int(a) + 1 for a in at], **args)


#: Operations whose entries are their operand's entries (a new shape): written as their value.
AS_VALUE = {"reshape"}
#: Entrywise operations a grid of values is written with as a whole: f(M), M ⊙ (1 − M), M ⊙ N …
#: (the operands' blocks as matrices, ``str.format`` fields); "product" joins its operands with ⊙.
MATRIX_FORMS = {
    "identity": r"\operatorname{{id}}\left({0}\right)",
    "relu": r"\operatorname{{ReLU}}\left({0}\right)",
    "leaky_relu_by": r"\operatorname{{LReLU}}\left({0}\right)",
    "sigmoid": r"\sigma\left({0}\right)",
    "tanh": r"\tanh\left({0}\right)",
    "identity_slope": r"\operatorname{{id}}'\left({0}\right)",
    "relu_slope": r"\operatorname{{ReLU}}'\left({0}\right)",
    "relu_slope_at": r"\operatorname{{ReLU}}'\left({0}\right)",
    "leaky_relu_slope_at": r"\operatorname{{LReLU}}'\left({0}\right)",
    "sigmoid_slope": r"{0} \odot \left(1 - {0}\right)",
    "tanh_slope": r"1 - {0}^{{\odot 2}}",
    "product": None,
}


def _matrix_form(line, at: tuple) -> str:
    """Block ``at`` of an entrywise step written with its operands' blocks as matrices."""
    mats = []
    for k, name in enumerate(line.operands):
        value = np.asarray(line.fine.t.dec(name), dtype=object)
        kind = line.fine._kind(name)
        mats.append(line.fine.fmt.mat(value[tuple(at)], kind) if value.ndim > len(at) else
                    line.fine.fmt.factor(value.item(), kind))
    form = MATRIX_FORMS[line.entry.op]
    return r" \odot ".join(mats) if form is None else form.format(*mats)


def _show_grid(view, line, value, whole: bool) -> str:
    """``show`` for a step of grids (maps of a convolution, kernels, windows): block by block
    (every index but the last two), each laid out like a matrix step — one line with a matrix
    of written-out entries where it fits, else a line per entry — with the remark an expression
    writer may add ("the other products are 0", where a maximum stands), the result on a line
    of its own where the two do not fit on one; ``whole``: a block written a line per entry ends
    with the block as a matrix.  An operation that only reshapes (``AS_VALUE``) is stated as its
    value; an entrywise function of a grid is written with whole matrices (``MATRIX_FORMS``)."""
    name, write = line.name, EXPRESSIONS.get(line.entry.op)
    kind = view._kind(name)
    out = []
    for at in (np.ndindex(*value.shape[:-2]) if value.ndim > 2 else [()]):
        block = np.asarray(value[at], dtype=object)
        indices = [tuple(at) + i for i in np.ndindex(block.shape)]
        head = _block_symbol(view, name, at)
        if line.entry.op in AS_VALUE:
            out.append(rf"\eqbox{{{state(view, name, at=at)}}}")
            continue
        if block.ndim and line.entry.op in MATRIX_FORMS and isinstance(line.op, Elementwise):
            line.settle(indices)
            text = f"{head} = {_matrix_form(line, at)} {line.rel(indices)} {view.fmt.mat(block, kind)}"
            out.append(rf"\eqbox{{{text}}}")
            continue
        if block.ndim == 0:
            line.settle(indices)
            text, remark = _written(write(line, ()))
            out.append(rf"\eqbox{{{head} = {text} {line.rel(indices)} {line.result()}{_aside(remark)}}}")
            continue
        if not isinstance(line.op, Reduce):
            line.settle(indices)
            rows = [[tuple(at) + (i, j) for j in range(block.shape[1])] for i in range(block.shape[0])] \
                if block.ndim == 2 else [[tuple(at) + (i,)] for i in range(block.shape[0])]
            cells = [[_written(write(line, i)) for i in row] for row in rows]
            remarks = {r for row in cells for _, r in row if r}
            left = f"{head} = {_cells(view, [[t for t, _ in row] for row in cells])}"
            right = f"{line.rel(indices)} {view.fmt.mat(block, kind)}"
            # the line breaks before "=" or "≈" where it must: each side has to fit
            if len(remarks) <= 1 and view.fits(left) and view.fits("xxxx", right, *remarks):
                out.append(rf"\eqbox{{{left} {right}{_aside(next(iter(remarks), ''))}}}")
                continue
        lines = []
        for i in indices:
            line.settle([i])
            text, remark = _written(write(line, i))
            if text == "0" and np.asarray(view.t.dec(name), dtype=object)[tuple(i)] == 0:
                # nothing reaches this entry (no window routes to it, or only zeros do): it is 0
                lines.append((i[:-1] if block.ndim == 2 else i, f"{symbol(view, name, i)} = 0"))
                continue
            lines.append((i[:-1] if block.ndim == 2 else i,
                          f"{symbol(view, name, i)} = {text} {line.rel([i])} {line.result(i)}{_aside(remark)}"))
        out += [r"\eqbox{" + r" \eqsep ".join(group) + "}" for group in _packed(view, lines)]
        if whole:
            out.append(rf"\eqbox{{{state(view, name, at=at)}}}")
    return "\n".join(out)


def state(view, name: str, symbol: str | None = None, at: tuple = ()) -> str:
    """Step ``name`` (its block ``at``) stated as its value, for a summary: ``symbol = value``, "≈"
    where the printed value is rounded (its rounding lost something); ``symbol``: the kind's
    notation unless given."""
    value = np.asarray(view.t.dec(name), dtype=object)[tuple(at)]
    exact = np.asarray(view.t.entries[name].exact_mask)[tuple(at)]
    symbol = _block_symbol(view, name, tuple(at)) if symbol is None else symbol
    return f"{symbol} {'=' if np.all(exact) else APPROX} {view.fmt.mat(value, view._kind(name))}"


#: How each operation writes one entry of its result (a group of a reduction).
EXPRESSIONS = {
    "difference": _elementwise("{0} - {1}"),
    "sum": lambda line, i: _terms([line.arg(k, idx, factor=False) for k, idx in
                                   line.op.depends(i, line._shapes(), line.params)]),
    "product": lambda line, i: r" \cdot ".join(line.arg(k, idx) for k, idx in
                                               line.op.depends(i, line._shapes(), line.params)),
    "quotient": _elementwise(r"\frac{{{0}}}{{{1}}}", plain=(0, 1)),
    "standardize": _elementwise(r"\frac{{{0} - {1}}}{{{2}}}"),
    "scale_shift": _elementwise(r"{1} \cdot {0} + {2}"),
    "sqrt_sum": _elementwise(r"\sqrt{{{0} + {1}}}"),
    "norm_inner": _elementwise(r"{N} \cdot {0} - {2} - {1} \cdot {3}"),
    "norm_grad": _elementwise(r"\frac{{{0}}}{{{N} \cdot {1}}}", plain=(0,)),
    "mix": _elementwise(r"{0} \cdot {1} + {2} \cdot {3}"),
    "interpolate": _elementwise(r"(1 - {0}) \cdot {1} + {0} \cdot {2}"),
    "complement": _elementwise(r"1 - {0}"),
    "identity": _elementwise("{0}", plain=(0,)),
    "sum_of_products": lambda line, i: _terms([r" \cdot ".join(factors) for factors in _split(
        [line.arg(k, idx, factor=line.params["groups"][_group_of(line, k)] > 1) for k, idx in
         line.op.depends(i, line._shapes(), line.params)], line.params["groups"])]),
    "exp": _elementwise(r"e^{{{0}}}", plain=(0,)),
    "sigmoid": _elementwise(r"\sigma({0})", plain=(0,)),
    "tanh": _elementwise(r"\tanh({0})", plain=(0,)),
    "sigmoid_slope": _elementwise(r"{0} \cdot (1 - {0})"),
    "tanh_slope": _elementwise(r"1 - {0}^{{2}}"),
    "relu": _elementwise(r"\operatorname{{ReLU}}({0})", plain=(0,)),
    "relu_slope": _elementwise(r"\operatorname{{ReLU}}'({0})", plain=(0,)),
    "identity_slope": _elementwise(r"\operatorname{{id}}'({0})", plain=(0,)),
    "sqrt": _elementwise(r"\sqrt{{{0}}}", plain=(0,)),
    "times_difference": _elementwise(r"{0} \cdot ({1} - {2})", plain=(1,)),
    "quotient_masked": lambda line, i: (_void(line).get(tuple(i)) or
                                        _elementwise(r"\frac{{{0}}}{{{1}}}", plain=(0, 1))(line, i)),
    "product_masked": lambda line, i: _void(line).get(tuple(i)) or _elementwise(r"{0} \cdot {1}")(line, i),
    "squared_error": _elementwise(r"({0} - {1})^{{2}}", plain=(0,)),
    "bce_terms": _elementwise(r"-\bigl({1} \cdot \ln {0} + (1 - {1}) \cdot \ln (1 - {0})\bigr)"),
    "cce_terms": _elementwise(r"-{1} \cdot \ln {0}"),
    "squared_error_sigmoid_grad": lambda line, i: (_two_over(line.params["count"])
                                                   + _elementwise(r"({0} - {1}) \cdot {0} \cdot (1 - {0})")(line, i)),
    "stack": lambda line, i: line.arg(i[0], tuple(i[1:]), factor=False),
    "sgd": _elementwise(r"{0} - {2} \cdot {1}"),
    "half_sse_grad": _elementwise(r"{0} - {1}"),
    "sse_grad": _elementwise(r"2 \cdot ({0} - {1})"),
    "mse_grad": _elementwise(r"\frac{{2}}{{{N}}} \cdot ({0} - {1})"),
    "half_mse_grad": _elementwise(r"\frac{{{0} - {1}}}{{{N}}}", plain=(0,)),
    "square_grad": _elementwise(r"2 \cdot {0}"),
    "bce_grad": _elementwise(r"\frac{{{0} - {1}}}{{{0} \cdot (1 - {0})}}", plain=(0,)),
    "cce_grad": _elementwise(r"-\frac{{{1}}}{{{0}}}", plain=(0, 1)),
    "hinge_terms": _hinge_terms,
    "positive_indicator": _elementwise(r"\mathbf{{1}}[{0} > 0]", plain=(0,)),
    "hinge_grad": _hinge_grad,
    "sum_along": lambda line, i: _group_terms(line, i, "{0}", 0, plain=True),
    "mean_along": lambda line, i: (rf"\frac{{1}}{{{line.count()}}} \Bigl( "
                                   + _group_terms(line, i, "{0}", 0, plain=True) + r" \Bigr)"),
    "variance_along": _reduce_variance,
    "dot_along": lambda line, i: _group_terms(line, i, r"{{{0} \cdot {1}}}", 0, 1),
    "half_sse": _loss("half"),
    "sse": _loss(""),
    "mse": _loss("mean"),
    "half_mse": _loss("half_mean"),
    "square": lambda line, i: _group_terms(line, i, "{0}^{{2}}", 0),
    "bce": lambda line, i: _cross_entropy(line, i, r"{1} \cdot \ln {0} + (1 - {1}) \cdot \ln (1 - {0})"),
    "cce": lambda line, i: _cross_entropy(line, i, r"{1} \cdot \ln {0}"),
    "matmul": lambda line, i: _terms([rf"{{{u} \cdot {v}}}" for u, v in zip(
        *[line.args(k, idx) for k, idx in line.op.depends(i, line._shapes(), line.params)])]),
    "matmul_masked": lambda line, i: _void(line).get(tuple(i)) or _terms([rf"{{{u} \cdot {v}}}" for u, v in zip(
        *[line.args(k, idx) for k, idx in line.op.depends(i, line._shapes(), line.params)[:2]])]),
    "exp_where": lambda line, i: (rf"e^{{{line.arg(0, i, factor=False)}}}"
                                  if np.asarray(line.view.t.dec(line.operands[1]))[tuple(i)] == 1 else "0"),
    "affine": _product,
    "transposed": _product,
    "outer": _product,
    "ln_where": lambda line, i: _void(line).get(tuple(i)) or rf"\ln {line.arg(0, i, factor=False)}",
    "ln_complement_where": lambda line, i: _void(line).get(tuple(i)) or rf"\ln(1 - {line.arg(0, i)})",
    "bce_of_logs": lambda line, i: _log_terms(line, i, True),
    "cce_of_logs": lambda line, i: _log_terms(line, i, False),
    "mean_square": lambda line, i: (rf"\frac{{1}}{{{line.count()}}} \Bigl( "
                                    + _group_terms(line, i, "{0}^{{2}}", 0) + r" \Bigr)"),
    "broadcast_product": lambda line, i: r" \cdot ".join(line.arg(k, idx) for k, idx in
                                                         line.op.depends(i, line._shapes(), line.params)),
    "matmul_terms": _elementwise(r"{0} \cdot {1}"),
    "columns": _elementwise("{0}", plain=(0,)),
    "constant": lambda line, i: line.result(i),
    "one_minus": lambda line, i: rf"1 - {line.view.fmt.num(line.params['c'])}",
    "leaky_relu_by": _elementwise(r"\operatorname{{LReLU}}({0})", plain=(0,)),
    "relu_slope_at": _elementwise(r"\operatorname{{ReLU}}'({0})", plain=(0,)),
    "leaky_relu_slope_at": _elementwise(r"\operatorname{{LReLU}}'({0})", plain=(0,)),
    "product_over": _elementwise(r"\frac{{{0} \cdot {1}}}{{{2}}}", plain=(2,)),
    "softmax_jacobian": _jacobian_entry,
    "stacked_transposed": lambda line, i: _terms([rf"{{{u} \cdot {v}}}" for u, v in zip(
        *[line.args(k, idx) for k, idx in line.op.depends(i, line._shapes(), line.params)])]),
    "sum_keep": lambda line, i: _group_terms(line, i, "{0}", 0, plain=True),
    "over_count": _elementwise(r"\frac{{{0}}}{{{N}}}", plain=(0,)),
    "scale": lambda line, i: rf"{line.view.fmt.num(line.params['factor'])} \cdot {line.arg(0, i)}",
    "bce_log_terms": _elementwise(r"-\bigl({0} \cdot {1} + (1 - {0}) \cdot {2}\bigr)"),
    "cce_log_terms": _elementwise(r"-{0} \cdot {1}"),
    "sum_of_squares": _squares,
    "l2_penalty": lambda line, i: (rf"\frac{{{line.view.fmt.num(line.params['lam'])}}}{{2}} \Bigl( "
                                   + _squares(line, i) + r" \Bigr)"),
    "mix_square": _elementwise(r"{0} \cdot {1} + {2} \cdot {3}^{{2}}"),
    "scaled_square": _elementwise(r"{0} \cdot {1}^{{2}}"),
    "squared": _elementwise(r"{0}^{{2}}"),
    "add_square": _elementwise(r"{0} + {1}^{{2}}", plain=(0,)),
    "sqrt_plus": _elementwise(r"\sqrt{{{0}}} + {1}", plain=(0,)),
    "scaled_quotient": _quotient_or_zero,
    "decay": lambda line, i: (lambda w, c: rf"{line.arg(0, w, factor=False)} - {line.arg(1, c)} \cdot "
                              rf"{line.arg(0, w)}")(*[idx for _, idx in line.op.depends(i, line._shapes(),
                                                                                      line.params)]),
    "complement_power": _elementwise(r"1 - {0}^{{{N}}}"),
    "nadam_mu": lambda line, i: _nadam_mu(line, i, line.count()),
    "nadam_mu_product": lambda line, i: rf"\prod_{{i=1}}^{{{line.count()}}} " + _nadam_mu(line, i, "i"),
    "over_complement": _elementwise(r"\frac{{{0}}}{{1 - {1}}}", plain=(0, 1)),
    "complement_over_complement": _elementwise(r"\frac{{1 - {0}}}{{1 - {1}}}", plain=(0, 1)),
    "out_size": _out_size,
    "neg_ln_sum": _neg_ln_sum,
    "correlate": _window_terms,
    "correlate_kernel_grad": _window_terms,
    "correlate_input_grad": _window_terms,
    "max_pool": _window_max,
    "average_pool": _window_mean,
    "window_argmax": _window_position,
    "max_pool_grad": _window_terms,
    "average_pool_grad": _window_spread,
    "grid_sum": _window_terms,
    "pad": _window_entry,
    "windows": _window_entry,
    "reshape": _window_entry,
    # the window operations over a batch of samples (graph.Samples): written as their inner operation
    "pad_samples": _window_entry,
    "windows_samples": _window_entry,
    "correlate_samples": _window_terms,
    "correlate_kernel_grad_samples": _window_terms,
    "correlate_input_grad_samples": _window_terms,
    "grid_sum_samples": _window_terms,
}


def _group_of(line, k: int) -> int:
    """The group (product) operand ``k`` of a sum of products belongs to."""
    groups, n = line.params["groups"], 0
    for g, size in enumerate(groups):
        n += size
        if k < n:
            return g
    raise IndexError(k)


def _split(items: list, sizes) -> list[list]:
    out, n = [], 0
    for size in sizes:
        out.append(items[n:n + size])
        n += size
    return out


def symbol(view, name: str, index=None) -> str:
    """The kind's notation of step ``name`` (entry ``index``, 1-based in the text): the step's
    declared note (key, {parameter: value}) looked up in ``view.NOTATION``, else its name there.
    The entry form is a ``str.format`` pattern of the indices and the parameters; the whole form
    one of the parameters where the note has any, else plain LaTeX."""
    note = (view.t.entries[name].params or {}).get("note")
    key, args = note if note else (name, {})
    plain = rf"\text{{{key}}}"
    whole, entry = view.NOTATION.get(key, (plain, plain.replace("{", "{{").replace("}", "}}") + "_{{{0}}}"))
    if index is None:
        return whole.format(**args) if args else whole
    numbers = [i if isinstance(i, str) else int(i) + 1 for i in index]
    if key not in view.NOTATION and len(numbers) > 1:
        return plain + "_{" + ",".join(map(str, numbers)) + "}"
    return entry.format(*numbers, **args)


def show(view, name: str, whole: bool = False) -> str:
    """Step ``name`` as display lines (``\\eqbox``): a line with a matrix of written-out entries
    where it fits and the operation is entrywise or a product, else a line per entry (a
    reduction: a line per group).  A step of grids (more than two axes, or a window operation)
    is laid out grid by grid (``_show_grid``; ``whole``: with the grid as a matrix after its
    lines)."""
    line = Line(view, name)
    value = np.asarray(view.t.dec(name), dtype=object)
    if value.ndim > 2 or whole or isinstance(line.op, Window):
        return _show_grid(view, line, value, whole)
    write = EXPRESSIONS[line.entry.op]
    indices = list(np.ndindex(value.shape))
    void = _void(line)          # entries written as a symbol (a masked score: −∞), not computed
    live = [i for i in indices if i not in void]
    if value.ndim == 0:
        line.settle([()])
        return rf"\eqbox{{{symbol(view, name)} = {write(line, ())} {line.rel([()])} {line.result()}}}"
    if not isinstance(line.op, Reduce):
        line.settle(live)
        cells = [[write(line, (i, j)) for j in range(value.shape[1])] for i in range(value.shape[0])] \
            if value.ndim == 2 else [[write(line, (i,))] for i in range(value.shape[0])]
        whole = (f"{symbol(view, name)} = {view.fmt.matrix(cells)} {line.rel(live)} "
                 f"{_mat(view, name, value, void)}")
        if view.fits(whole):
            return rf"\eqbox{{{whole.replace(view.fmt.matrix(cells), _cells(view, cells), 1)}}}"
        if value.ndim == 2 and value.shape[0] > 1 and not void:
            rows = _rows(view, line, name, value, cells)
            if rows:
                return rows
    lines = []
    for i in indices:
        if i in void:
            if void[i] != NOT_NEEDED:      # an entry nobody needs has no line of its own
                lines.append((i[:1] if value.ndim == 2 else i, f"{symbol(view, name, i)} = {void[i]}"))
            continue
        line.settle([i])
        lines.append((i[:1] if value.ndim == 2 else i,
                      f"{symbol(view, name, i)} = {write(line, i)} {line.rel([i])} {line.result(i)}"))
    if isinstance(line.op, Reduce):
        return "\n".join(r"\eqbox{" + text + "}" for _, text in lines)
    return "\n".join(r"\eqbox{" + r" \eqsep ".join(group) + "}" for group in _packed(view, lines))


def _rows(view, line, name: str, value, cells) -> str | None:
    """A matrix step too wide for one line, a line per row (``y_{1,:}``) where every row fits;
    else None."""
    out = []
    for i, row in enumerate(cells):
        live = [(i, j) for j in range(value.shape[1])]
        line.settle(live)
        written = [EXPRESSIONS[line.entry.op](line, k) for k in live]
        text = (f"{symbol(view, name, (i, ':'))} = {view.fmt.matrix([written])} {line.rel(live)} "
                f"{view.fmt.rowvec(value[i], view._kind(name))}")
        if not view.fits(text):
            return None
        out.append(r"\eqbox{" + text.replace(view.fmt.matrix([written]), _cells(view, [written]), 1) + "}")
    return "\n".join(out)


def _cells(view, cells: list[list[str]]) -> str:
    """A matrix of written-out entries; one with fractions has them at display size and its rows a
    little apart (in a matrix a fraction is set small and the rows touch); a single entry is
    written alone, as a 1×1 result is."""
    if len(cells) == 1 and len(cells[0]) == 1:
        return cells[0][0]
    if not any(r"\frac" in c for row in cells for c in row):
        return view.fmt.matrix(cells)
    rows = [" & ".join(c.replace(r"\frac", r"\dfrac") for c in row) for row in cells]
    return r"\begin{bmatrix} " + r" \\[3ex] ".join(rows) + r" \end{bmatrix}"


def _packed(view, lines: list) -> list[list[str]]:
    """The (row, text) ``lines`` in order, as many of one row side by side as fit on a line of
    the page."""
    out: list[list[str]] = []
    last = None
    for row, text in lines:
        if out and row == last and view.fits(*out[-1], text, "xxxx" * len(out[-1])):
            out[-1].append(text)
        else:
            out.append([text])
        last = row
    return out


__all__ = ["show", "state", "EXPRESSIONS", "Elementwise", "Product"]
