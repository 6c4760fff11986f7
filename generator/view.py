"""What a template sees of one solved exercise (``View``): named trace values, formatted at their
kind.  Each exercise kind extends it with the helpers its templates use (``kinds/<kind>/views.py``);
nothing here computes a value."""

from __future__ import annotations

import copy

import numpy as np


class View:
    """What a template sees of one solved problem: named trace values, formatted at their kind.

    ``p.m("it1.z1")`` a matrix or column, ``p.n(...)`` a number, ``p.rel(...)`` '=' or
    '\\approx', ``p.v(...)`` the raw value for indexing; nothing here computes a value."""

    #: The kind's notation of its steps: {trace name: (the whole value, one entry as a pattern of
    #: its 1-based indices)}, what ``show`` writes before "=".
    NOTATION: dict = {}

    def __init__(self, model, problem, fmt, show_weights: bool = False):
        self.model = model
        self.t = problem
        self.fmt = fmt
        self.info = problem.info
        self.show_weights = show_weights

    def _kind(self, name):
        """The kind whose precision a value is shown at; None: shown as it is (a given value, an
        exact intermediate that carry mode keeps with all its digits)."""
        entry = self.t.entries[name]
        return None if entry.kind == "given" or entry.full else entry.kind

    def show(self, name, **options):
        """Step ``name`` written out by its operation's printer (``generator.ops.latex``): its
        symbol, the operation with its printed operands, "=" or "≈" and the result."""
        from .ops.latex import show
        return show(self, name, **options)

    def state(self, name, symbol=None, at=()):
        """Step ``name`` (its block ``at``) stated as its value, for a summary: ``symbol = value``
        or ``symbol ≈ value`` (the kind's notation unless ``symbol`` is given)."""
        from .ops.latex import state
        return state(self, name, symbol, at)

    def value_of(self, name):
        """A recalled value after a symbol the template writes: "= 0.25" where it is shown
        exactly, "≈ 0.2513" where it is rounded (``state`` without the symbol)."""
        return self.state(name, "").strip()

    def has(self, name):
        return name in self.t

    def v(self, name):
        return self.t.dec(name)

    def rel(self, name, *index):
        """'=' where the value (entry ``index``, else all of it) is shown exactly, else '≈'."""
        mask = self.t.entries[name].exact_mask
        for i in index:
            mask = mask[i]
        return "=" if np.all(mask) else r"\approx"

    def rel_all(self, *names, index=()):
        """'=' where every one of ``names`` (entry ``index`` of each) is shown exactly: a line
        whose operand was rounded too (f(z) with z rounded for display), or that skips a step."""
        return "=" if all(self.rel(n, *index) == "=" for n in names) else r"\approx"

    def rel_from(self, name, *operands, index=()):
        """The relation of a line ``f(operands) rel name``: in display mode an operand printed
        rounded makes the line approximate too; in carry mode the printed operand is the value."""
        if self.rel(name, *index) != "=":
            return r"\approx"
        if self.t.info.get("mode", "display") == "carry":
            return "="
        shape = np.shape(self.t.entries[name].exact_mask)
        # an operand of another shape (a product's factor) counts as a whole
        return "=" if all(self.rel(op, *(index if np.shape(self.t.entries[op].exact_mask) == shape else ()))
                          == "=" for op in operands) else r"\approx"

    def fit(self, result, formula, *operands):
        """This view, or a copy that prints rounded values with more digits: what the display-mode
        line ``result ≈ formula(operands)`` needs to follow from its printed operands
        (generator.operands); ``operands`` are trace names in the order the line prints them."""
        from .operands import extra_digits
        kind = self._kind(result)
        e = extra_digits(self.fmt.policy, formula, self.t.dec(result),
                         None if kind is None else self.fmt.policy.precision(kind),
                         [(self.t.dec(n), self._kind(n)) for n in operands])
        return self.finer(e)

    def rel_sum(self, result, name, n=1, terms=None):
        """The relation of a line ``result (rel) (1/n)·Σ name``: '=' where the entries of ``name`` as
        ``terms`` (a view, default this one) prints them, summed and over ``n``, are exactly the
        result as this view prints it; else '≈'."""
        from .operands import printed as _printed
        terms = terms or self
        kind, tkind = self._kind(result), terms._kind(name)
        shown = _printed(self.t.dec(result), None if kind is None else self.fmt.policy.precision(kind))
        parts = _printed(self.t.dec(name), None if tkind is None else terms.fmt.policy.precision(tkind))
        return "=" if np.asarray(parts, dtype=object).sum() / int(n) == shown.item() else r"\approx"

    def finer(self, extra: int):
        """This view (``extra`` 0), or a copy printing every rounded value with ``extra`` more digits."""
        from .latex import Formatter
        from .operands import finer
        if extra == 0:
            return self
        clone = copy.copy(self)
        clone.fmt = Formatter(finer(self.fmt.policy, extra))
        return clone

    def rel_at(self, name, index, *operands):
        """The relation of entry ``index`` of ``name`` computed from ``operands``: each a trace name
        (the whole value), a (name, index) pair (that entry or row) or None (skipped); in display
        mode ≈ where one of them is printed rounded."""
        if self.rel(name, *index) != "=":
            return r"\approx"
        if self.t.info.get("mode", "display") == "carry":
            return "="
        for op in operands:
            if op is None:
                continue
            op_name, op_index = (op, ()) if isinstance(op, str) else op
            if self.rel(op_name, *op_index) != "=":
                return r"\approx"
        return "="

    def n(self, name, *index):
        value = self.t.dec(name)
        for i in index:
            value = value[i]
        return self.fmt.num(value, self._kind(name))

    def fac(self, name, *index):
        value = self.t.dec(name)
        for i in index:
            value = value[i]
        return self.fmt.factor(value, self._kind(name))

    def entrywise(self, pattern: str, *names, zero_over: str | None = None):
        """A matrix whose entry (i, j) is ``pattern`` filled with entry (i, j) of each value in
        ``names`` (as factors), e.g. ``\\sqrt{{{0}}} + {1}``; a name may be a given constant, the
        same in every entry.  One number format per matrix.  ``zero_over``: a denominator; where
        its entry is 0 (carried rounding; the engine's step over an exactly-0 numerator is 0) the
        entry is written 0, never 0/0."""
        values = [np.asarray(self.t.dec(n), dtype=object) for n in names]
        shape = max((v.shape for v in values), key=len)
        den = None if zero_over is None else np.asarray(self.t.dec(zero_over), dtype=object)
        cells = []
        for idx in np.ndindex(shape if shape else (1,)):
            if den is not None and (den[idx] if den.shape else den.item()) == 0:
                cells.append("0")
                continue
            args = [self.fmt.cell(v, idx, self._kind(n), factor=True) if v.shape else
                    self.fmt.factor(v.item(), self._kind(n)) for v, n in zip(values, names)]
            cells.append(pattern.format(*args))
        if not shape:
            return cells[0]
        rows = shape[0] if len(shape) == 2 else shape[0]
        cols = shape[1] if len(shape) == 2 else 1
        return self.fmt.matrix([cells[r * cols:(r + 1) * cols] for r in range(rows)])

    def m(self, name):
        return self.fmt.mat(self.t.dec(name), self._kind(name))

    def mf(self, name):
        """A value as an operand: like ``m``, with a negative number in parentheses."""
        a = self.t.dec(name)
        return self.fac(name, *([0] * getattr(a, "ndim", 0))) if getattr(a, "size", 1) == 1 else self.m(name)

    def tmf(self, name):
        """The transpose as an operand."""
        a = self.t.dec(name)
        return self.mf(name) if getattr(a, "size", 1) == 1 else self.tm(name)

    def rowterms(self, name):
        """A column whose entry i is the sum of row i written out (the batch sum of a bias gradient)."""
        a = self.t.dec(name)
        return self.fmt.matrix([[self.fmt.terms(row, self._kind(name))] for row in a])

    def fits(self, *parts) -> bool:
        """Whether these pieces of display math, side by side, fit on one line of the page."""
        from .latex import LINE_UNITS, width
        return sum(width(p) for p in parts) <= LINE_UNITS

    def terms_at(self, name, *index):
        """The entries of ``name[index]`` (a window, its products) as a sum, row by row."""
        value = self.t.dec(name)
        for i in index:
            value = value[i]
        return self.fmt.terms(np.asarray(value, dtype=object).ravel(order="C"), self._kind(name))

    def row(self, name):
        return self.fmt.rowvec(self.t.dec(name), self._kind(name))

    def tm(self, name):
        return self.fmt.tmat(self.t.dec(name), self._kind(name))

    def sums(self, name):
        return self.fmt.sum_cells(self.t.dec(name), self._kind(name))

    def terms(self, name):
        return self.fmt.terms(self.t.dec(name), self._kind(name))

    # --- rows, and matrix products written out entry by entry (batchnorm, attention, RNN, CNN) ---

    def frow(self, name, i):
        """Row i (feature i) of a features × samples value, as a row vector."""
        return self.fmt.rowvec(self.t.dec(name)[i], self._kind(name))

    def fterms(self, name, i):
        """The entries of row i as a sum."""
        return self.fmt.terms(self.t.dec(name)[i], self._kind(name))

    def products(self, a, b, i):
        """Σ_j a_ij · b_ij written out for row i."""
        A, B = self.t.dec(a)[i], self.t.dec(b)[i]
        return " + ".join(f"{{{self.fmt.factor(u, self._kind(a))} \\cdot {self.fmt.factor(v, self._kind(b))}}}"
                          for u, v in zip(A, B))

    def _as2(self, name, transpose=False):
        """A value as a 2-D array of Decimals: a vector is a column; ``transpose`` its transpose."""
        a = np.asarray(self.t.dec(name), dtype=object)
        if a.ndim == 0:
            a = a.reshape(1, 1)
        elif a.ndim == 1:
            a = a[:, None]
        return a.T if transpose else a

    def prod_shape(self, a, b, ta=False, tb=False):
        """(rows, columns, inner length) of the product of ``a`` and ``b`` (transposed as asked)."""
        A, B = self._as2(a, ta), self._as2(b, tb)
        return A.shape[0], B.shape[1], A.shape[1]

    def prod1(self, a, b, i, j, ta=False, tb=False):
        """Entry (i, j) of the product A·B written out: ``{a_i1 · b_1j} + …``."""
        A, B = self._as2(a, ta), self._as2(b, tb)
        ka, kb = self._kind(a), self._kind(b)
        return " + ".join(f"{{{self.fmt.factor(A[i, k], ka)} \\cdot {self.fmt.factor(B[k, j], kb)}}}"
                          for k in range(A.shape[1]))

    def prodm(self, a, b, ta=False, tb=False):
        """The product A·B as a matrix of written-out entries (one entry: the sum alone)."""
        rows, cols, _ = self.prod_shape(a, b, ta, tb)
        if rows == cols == 1:
            return self.prod1(a, b, 0, 0, ta, tb)
        return self.fmt.matrix([[self.prod1(a, b, i, j, ta, tb) for j in range(cols)] for i in range(rows)])

    def e2(self, name, i, j=0):
        """Entry (i, j) of a value seen as a matrix (a vector as a column)."""
        return self.fmt.cell(self._as2(name), (i, j), self._kind(name))     # as its matrix prints it

    def rel2(self, name, i, j, *operands):
        """The relation of entry (i, j) of a value seen as a matrix (a vector as a column), computed
        from ``operands`` of other shapes (a product's factors): in display mode ≈ where any
        operand is printed rounded anywhere."""
        nd = np.ndim(self.t.dec(name))
        index = () if nd == 0 else ((i,) if nd == 1 else (i, j))
        return self.rel_at(name, index, *operands)

    def _mask2(self, name, transpose=False):
        m = np.asarray(self.t.entries[name].exact_mask, dtype=bool)
        m = m.reshape(1, 1) if m.ndim == 0 else (m[:, None] if m.ndim == 1 else m)
        return m.T if transpose else m

    def rel_prod(self, r, i, j, a, b, ta=False, tb=False):
        """The relation of entry (i, j) of the product ``r`` = A·B written out: in display mode ≈
        where an entry of row i of A or of column j of B is printed rounded."""
        if self.rel2(r, i, j) != "=":
            return r"\approx"
        if self.t.info.get("mode", "display") == "carry":
            return "="
        ok = self._mask2(a, ta)[i, :].all() and self._mask2(b, tb)[:, j].all()
        return "=" if ok else r"\approx"

    def _vec(self, name):
        return list(np.asarray(self.t.dec(name), dtype=object).ravel())

    def _products(self, row_of, wname, vname, i):
        W, v = np.asarray(self.t.dec(wname), dtype=object), self._vec(vname)
        row = W[:, i] if row_of == "column" else W[i]
        return [f"{{{self.fmt.factor(w, self._kind(wname))} \\cdot {self.fmt.factor(a, self._kind(vname))}}}"
                for w, a in zip(row, v)]

    def affine(self, i, *pairs, bias=None, transpose=False):
        """Entry i of W₁ v₁ + W₂ v₂ + … + b written out; ``pairs`` are (W name, vector name);
        ``transpose``: the rows of Wᵀ (columns of W)."""
        terms = []
        for wname, vname in pairs:
            terms += self._products("column" if transpose else "row", wname, vname, i)
        if bias is not None:
            terms.append(self.fmt.factor(self._vec(bias)[i], self._kind(bias)))
        return " + ".join(terms)

    # --- loss terms written out (RNN, CNN) ---------------------------------------------------

    def _pairs(self, yhat, target):
        Y = list(np.asarray(self.t.dec(yhat), dtype=object).ravel())
        T = list(np.asarray(self.t.dec(target), dtype=object).ravel())
        return [(self.fmt.num(a, self._kind(yhat)), self.fmt.factor(y, self._kind(target))) for a, y in zip(Y, T)]

    def sq_terms(self, yhat, target):
        """(ŷ_i − y_i)² for every output, as a sum."""
        return " + ".join(f"({a} - {y})^{{2}}" for a, y in self._pairs(yhat, target))

    def bce_terms(self, yhat, target):
        """y_i · ln ŷ_i + (1 − y_i) · ln(1 − ŷ_i) for every output, as a sum."""
        return " + ".join(f"{y} \\cdot \\ln {a} + (1 - {y}) \\cdot \\ln (1 - {a})" for a, y in self._pairs(yhat, target))

    def cce_terms(self, yhat, target):
        """y_i · ln ŷ_i for every output, as a sum."""
        return " + ".join(f"{y} \\cdot \\ln {a}" for a, y in self._pairs(yhat, target))
