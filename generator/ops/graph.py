"""The operations and the graph that records them.

An operation (``Op``) knows three things: how to compute its result from its operands' values
(exact decimals), which entries of its operands one entry of its result depends on (``depends``:
what decides "=" or "≈" of a printed line, and which operands a line prints), and the plain-text
formula of the JSON trace.  ``Graph`` applies operations to named steps and records each result
with its operands (``trace.Recorder``): in carry mode the recorder returns the rounded value and the
next operation goes on with it, exactly what a student would have written down.

Operand layouts.  An operand is a step name, or ``(name, axes)``: the result axes the operand
spans (a per-row value of a matrix operation spans axis 0, a per-column value axis 1, a given
constant none).  Every operation of the library is one of four shapes:

- ``Elementwise``: each result entry from the matching entries of its operands (x − μ, γx̂ + β,
  σ(z), a⊙b + c⊙d, w − ηg …);
- ``Reduce``: each entry from the entries of its operands along one axis (a sum, a mean, a
  variance, Σ a·b, a loss over its outputs);
- ``Product``: Σ_k W_k v_k (+ b), Σ_k W_kᵀ d_k and Σ_k d_k v_kᵀ, the matrix–vector shapes of a
  layer, its backward pass and its weight gradient;
- ``Window``: each entry from windows of a grid (``engine.grid``): a convolution, its kernel and
  input gradients, max and average pooling, the routing of a gradient back through them; an
  entry's terms (``Window.terms``) are what its printer writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

import numpy as np

from ..engine import exact, grid

ONE = Decimal(1)


def _arr(v) -> np.ndarray:
    return np.asarray(v, dtype=object)


@dataclass(frozen=True)
class Op:
    """One shared operation, named as its printer knows it."""
    name: str
    formula: str

    def compute(self, values: list, params: dict) -> np.ndarray:
        raise NotImplementedError

    def depends(self, index: tuple, shapes: list, params: dict) -> list[tuple[int, tuple]]:
        """(operand position, index into it — slices allowed) of every operand entry that result
        entry ``index`` is computed from."""
        raise NotImplementedError


def _spans(params: dict, k: int):
    axes = params.get("axes")
    return None if axes is None else axes[k]


@dataclass(frozen=True)
class Elementwise(Op):
    fn: Callable = field(default=None, compare=False)

    def compute(self, values, params):
        shape = params["shape"]
        aligned = []
        for k, v in enumerate(values):
            spans = _spans(params, k)
            a = _arr(v)
            if spans is not None:
                a = a.reshape(tuple(shape[d] if d in spans else 1 for d in range(len(shape))))
            aligned.append(a)
        return _arr(self.fn(*aligned, **{k: v for k, v in params.items() if k in ("count", "groups")}))

    def depends(self, index, shapes, params):
        out = []
        for k in range(len(shapes)):
            spans = _spans(params, k)
            out.append((k, tuple(index) if spans is None else tuple(index[d] for d in spans)))
        return out


def _along(a: np.ndarray, axis, fn):
    return fn(a) if axis is None else np.apply_along_axis(fn, axis, a) if a.ndim > 1 else _arr(fn(a))


@dataclass(frozen=True)
class Reduce(Op):
    """Entry g from the entries of its full operands along ``axis`` (None: all of them); an operand
    with ``axes`` given is per group (μ of a variance) and contributes its entry g."""
    fn: Callable = field(default=None, compare=False)

    def compute(self, values, params):
        axis = params.get("axis")
        full = [_arr(v) for k, v in enumerate(values) if _spans(params, k) is None]
        shape = full[0].shape
        per = [(k, _arr(v)) for k, v in enumerate(values) if _spans(params, k) is not None]
        if axis is None:
            groups = [()]
        else:
            groups = list(np.ndindex(tuple(s for d, s in enumerate(shape) if d != axis)))
        out = np.empty(len(groups), dtype=object)
        for n, g in enumerate(groups):
            sl = _slice(g, axis, len(shape))
            args = []
            fi = iter(full)
            pi = iter(per)
            for k in range(len(values)):
                if _spans(params, k) is None:
                    args.append(next(fi)[sl])
                else:
                    args.append(next(pi)[1][g] if g else next(pi)[1].item())
            out[n] = self.fn(*args, **{k: v for k, v in params.items() if k in ("count",)})
        if axis is None:
            return _arr(out[0])
        return out.reshape(tuple(s for d, s in enumerate(shape) if d != axis))

    def depends(self, index, shapes, params):
        axis = params.get("axis")
        out = []
        for k, shape in enumerate(shapes):
            if _spans(params, k) is None:
                out.append((k, (slice(None),) * len(shape) if axis is None else _slice(index, axis, len(shape))))
            else:
                out.append((k, tuple(index)))
        return out


def _slice(group: tuple, axis, ndim: int) -> tuple:
    """The index of group ``group`` along ``axis``: the group's indices with a slice at ``axis``."""
    if axis is None:
        return (slice(None),) * ndim
    g = list(group)
    g.insert(axis, slice(None))
    return tuple(g)


def _col(v) -> np.ndarray:
    a = _arr(v)
    return a.reshape(-1)


@dataclass(frozen=True)
class MatMul(Op):
    """A Bᵀ-style matrix product: entry (i, j) = Σ_k A_ik B_kj, ``ta``/``tb`` transposing the
    operands first (params); vectors are columns."""

    @staticmethod
    def _two(v, t):
        a = _arr(v)
        a = a.reshape(1, 1) if a.ndim == 0 else (a[:, None] if a.ndim == 1 else a)
        return a.T if t else a

    def compute(self, values, params):
        A, B = self._two(values[0], params.get("ta")), self._two(values[1], params.get("tb"))
        out = np.empty((A.shape[0], B.shape[1]), dtype=object)
        for i in range(A.shape[0]):
            for j in range(B.shape[1]):
                out[i, j] = _sum(*[A[i, k] * B[k, j] for k in range(A.shape[1])])
        return out

    def depends(self, index, shapes, params):
        i, j = (tuple(index) + (0, 0))[:2]
        row = (slice(None), i) if params.get("ta") else (i, slice(None))
        col = (j, slice(None)) if params.get("tb") else (slice(None), j)
        return [(0, row[:len(shapes[0])] if len(shapes[0]) == 2 else (slice(None),)),
                (1, col[:len(shapes[1])] if len(shapes[1]) == 2 else (slice(None),))]


@dataclass(frozen=True)
class MaskedMatMul(MatMul):
    """``MatMul`` of its first two operands whose third is a mask of the result's shape: an entry
    where the mask is not 1 is written as its symbol (−∞, a masked score) and recorded as computed."""

    def compute(self, values, params):
        return MatMul.compute(self, values[:2], params)

    def depends(self, index, shapes, params):
        return MatMul.depends(self, index, shapes[:2], params) + [(2, tuple(index))]


@dataclass(frozen=True)
class Product(Op):
    """``affine``: Σ_k W_k v_k (+ b) (operands W_1, v_1, W_2, v_2 …, then b with ``bias``);
    ``transposed``: Σ_k W_kᵀ d_k (+ g, a last operand added as it is with ``bias``: an RNN's
    ∂L/∂h_t = W_hhᵀ δ_{t+1} + the upstream gradient of h_t); ``outer``: Σ_k d_k v_kᵀ."""
    shape_of: str = "affine"

    def compute(self, values, params):
        pairs = len(values) // 2
        if self.shape_of == "affine":
            out = sum((np.dot(_arr(values[2 * k]), _col(values[2 * k + 1])) for k in range(pairs)),
                      start=np.zeros(np.shape(values[0])[0], dtype=object) * exact.ZERO)
            if params.get("bias"):
                out = out + _col(values[-1])
            return _arr(out)
        if self.shape_of == "transposed":
            out = _arr(sum((np.dot(_arr(values[2 * k]).T, _col(values[2 * k + 1])) for k in range(pairs)),
                           start=np.zeros(np.shape(values[0])[1], dtype=object) * exact.ZERO))
            return _arr(out + _col(values[-1])) if params.get("bias") else out
        return _arr(sum((np.multiply.outer(_col(values[2 * k]), _col(values[2 * k + 1])) for k in range(pairs)),
                        start=np.zeros((np.size(values[0]), np.size(values[1])), dtype=object) * exact.ZERO))

    def depends(self, index, shapes, params):
        out = []
        pairs = len(shapes) // 2
        for k in range(pairs):
            if self.shape_of == "affine":
                out += [(2 * k, (index[0], slice(None))), (2 * k + 1, (slice(None),))]
            elif self.shape_of == "transposed":
                out += [(2 * k, (slice(None), index[0])), (2 * k + 1, (slice(None),))]
            else:
                out += [(2 * k, (index[0],)), (2 * k + 1, (index[1],))]
        if self.shape_of in ("affine", "transposed") and params.get("bias"):
            out.append((len(shapes) - 1, (index[0],)))
        return out


@dataclass(frozen=True)
class Stack(Op):
    """Row r is operand r as it is: the values of several steps gathered into one table (ŷ_1 …
    ŷ_T as the rows of a matrix)."""

    def compute(self, values, params):
        return _arr(np.stack([_arr(v) for v in values]))

    def depends(self, index, shapes, params):
        return [(index[0], tuple(index[1:]))]


@dataclass(frozen=True)
class Window(Op):
    """Each entry from windows of a grid (``engine.grid``: a convolution and its two gradients,
    pooling and its gradient, the sum over a grid).  Params: ``stride``, ``padding``, ``size``
    (kh, kw) of a pooling window, ``filters`` (a kernel per output map), ``shape`` (of a result
    the operands do not tell), ``bias`` (a last operand added to each entry)."""
    fn: Callable = field(default=None, compare=False)
    terms_of: Callable = field(default=None, compare=False)
    keys: tuple = ("stride", "padding")

    def compute(self, values, params):
        return _arr(self.fn(*values, **{k: params[k] for k in self.keys if k in params}))

    def terms(self, index, values, params) -> tuple[list[list[tuple]], list[tuple]]:
        """(groups, tail) of result entry ``index``: the terms of its sum, each a tuple of its
        factors (operand position, index), in groups (a channel each); ``tail``: entries added
        as they are (a bias).  ``values``: the operands (None: their shapes only, a superset)."""
        return self.terms_of(tuple(int(i) for i in index), values, params)

    def depends(self, index, shapes, params):
        groups, tail = self.terms(index, [np.empty(s, dtype=object) for s in shapes]
                                  if self.name != "max_pool_grad" else None, params)
        if groups is None:
            return [(k, (slice(None),) * len(s)) for k, s in enumerate(shapes)]
        return [factor for group in groups for term in group for factor in term] + tail


def _xi(ndim: int, c: int, r: int, q: int) -> tuple:
    """The index of grid entry (r, q) of channel c in an operand of ``ndim`` axes."""
    return (c, r, q) if ndim == 3 else (r, q)


def _ki(ndim: int, filters: bool, f: int, c: int, a: int, b: int) -> tuple:
    """The index of entry (a, b) of channel c of kernel f in a kernel operand of ``ndim`` axes."""
    if filters:
        return (f, c, a, b) if ndim == 4 else (f, a, b)
    return (c, a, b) if ndim == 3 else (a, b)


def _gi(shape, pooled, c: int, i: int, j: int) -> tuple:
    """The index of output entry (i, j) of map c in an upstream operand of ``shape``: in the
    ``pooled`` shape (maps first) or flat in its order."""
    if len(shape) == 1:
        return (int(np.ravel_multi_index((c, i, j), pooled)),)
    return (c, i, j) if len(shape) == 3 else (i, j)


def _correlate_terms(index, values, params):
    filters, s, p = params.get("filters", False), params["stride"], params["padding"]
    f, i, j = index if filters else (0,) + index
    x, k = values[0], values[1]
    _, C, kh, kw = grid.kernels(k, filters).shape
    groups = [[((0, _xi(x.ndim, c, r, q)), (1, _ki(k.ndim, filters, f, c, a, b)))
               for a, b, r, q in grid.cells(i, j, (kh, kw), s, p) if grid.inside(r, q, x.shape)] for c in range(C)]
    return groups, ([(2, (f,) if filters else ())] if params.get("bias") else [])


def _kernel_grad_terms(index, values, params):
    filters, s, p, shape = params.get("filters", False), params["stride"], params["padding"], params["shape"]
    g, x = values
    full = grid.kernels(np.empty(shape, dtype=object), filters).shape
    f, c, a, b = (int(n) for n in np.unravel_index(np.ravel_multi_index(index, shape), full))
    oh, ow = g.shape[-2:]
    return [[((0, (f, i, j) if filters else (i, j)), (1, _xi(x.ndim, c, i * s + a - p, j * s + b - p)))
             for i in range(oh) for j in range(ow) if grid.inside(i * s + a - p, j * s + b - p, x.shape)]], []


def _input_grad_terms(index, values, params):
    filters, s, p, shape = params.get("filters", False), params["stride"], params["padding"], params["shape"]
    g, k = values
    c, r, q = index if len(shape) == 3 else (0,) + index
    F, _, kh, kw = grid.kernels(k, filters).shape
    oh, ow = g.shape[-2:]
    terms = [((0, (f, i, j) if filters else (i, j)), (1, _ki(k.ndim, filters, f, c, r + p - i * s, q + p - j * s)))
             for i in range(oh) for j in range(ow) for f in range(F)
             if 0 <= r + p - i * s < kh and 0 <= q + p - j * s < kw]
    return [terms], []


def _pool_terms(index, values, params):
    x = values[0]
    c, i, j = index if x.ndim == 3 else (0,) + index
    cells = grid.cells(i, j, params["size"], params["stride"], params["padding"])
    return [[((0, _xi(x.ndim, c, r, q)),) for _, _, r, q in cells if grid.inside(r, q, x.shape)]], []


def _max_pool_grad_terms(index, values, params):
    if values is None:
        return None, []
    g, at = values[0], np.asarray(values[1], dtype=int)
    shape = params["shape"]
    c, r, q = index if len(shape) == 3 else (0,) + index
    at = at if at.ndim == 4 else at[None]
    return [[((0, _gi(g.shape, at.shape[:-1], c, i, j)),) for i in range(at.shape[1]) for j in range(at.shape[2])
             if tuple(at[c, i, j]) == (r, q)]], []


def _average_pool_grad_terms(index, values, params):
    g, shape, s, p, size = values[0], params["shape"], params["stride"], params["padding"], params["size"]
    c, r, q = index if len(shape) == 3 else (0,) + index
    oh, ow = grid.out_size(shape[-2], size[0], s, p), grid.out_size(shape[-1], size[1], s, p)
    pooled = (len(shape) == 3 and shape[0] or 1, oh, ow)
    return [[((0, _gi(g.shape, pooled, c, i, j)),) for i in range(oh) for j in range(ow)
             if 0 <= r + p - i * s < size[0] and 0 <= q + p - j * s < size[1]]], []


def _grid_sum_terms(index, values, params):
    g = values[0]
    return [[((0, tuple(index) + (i, j)),) for i in range(g.shape[-2]) for j in range(g.shape[-1])]], []


def _argmax_terms(index, values, params):
    return _pool_terms(tuple(index)[:-1], values, params)


def _padded_terms(index, values, params):
    """Entry (c, r, q) of the padded grid: input entry (r − p, q − p), or none (padding)."""
    x, p = values[0], params["padding"]
    c, r, q = index if x.ndim == 3 else (0,) + index
    return [[((0, _xi(x.ndim, c, r - p, q - p)),)] if grid.inside(r - p, q - p, x.shape) else []], []


def _windows_terms(index, values, params):
    """Entry (i, j, [c,] a, b) of the windows: the input entry window (i, j) covers, or none."""
    x, (i, j), (a, b), s, p = values[0], index[:2], index[-2:], params["stride"], params["padding"]
    c = index[2] if x.ndim == 3 else 0
    r, q = i * s + a - p, j * s + b - p
    return [[((0, _xi(x.ndim, c, r, q)),)] if grid.inside(r, q, x.shape) else []], []


def _reshape_terms(index, values, params):
    """The operand's entry at the same position in reading order."""
    x = values[0]
    shape = np.empty(x.shape, dtype=object).reshape(params["shape"]).shape
    n = int(np.ravel_multi_index(index, shape)) if shape else 0
    return [[((0, tuple(int(i) for i in np.unravel_index(n, x.shape))),)]], []


def _of_sample(values, batched: tuple, n: int) -> list:
    """The operands of sample ``n``: entry ``n`` of each operand at a position in ``batched`` (those
    with a leading sample axis), the others as they are (shared by every sample)."""
    return [v[n] if k in batched else v for k, v in enumerate(values)]


@dataclass(frozen=True)
class Samples(Window):
    """A window operation over a batch of samples: the operation ``inner`` (a ``Window`` of ``OPS``)
    applied sample by sample, with the step's own parameters.  Operand k in ``batched`` has a leading
    sample axis (each sample its own grid, its own upstream gradient); the others (the kernels, a
    bias) are shared by every sample.  The result is the samples' results stacked along a new
    leading axis, or with ``summed`` added in sample order (Σ_n: the gradient of what the samples
    share, a kernel or a bias).  An entry's terms are the inner operation's, each factor of a
    batched operand at its sample; summed, one group per sample (its bracket on the page)."""
    inner: str = ""
    batched: tuple = (0,)
    summed: bool = False

    def _samples(self, values) -> int:
        return len(values[self.batched[0]])

    def compute(self, values, params):
        op = OPS[self.inner]
        each = [op.compute(_of_sample(values, self.batched, n), params) for n in range(self._samples(values))]
        return _arr(_sum(*each)) if self.summed else _arr(np.stack(each))

    def terms(self, index, values, params):
        op, index = OPS[self.inner], tuple(int(i) for i in index)
        at = index if self.summed else index[1:]
        groups, tail = [], []
        for n in (range(self._samples(values)) if self.summed else index[:1]):
            inner, last = op.terms(at, _of_sample(values, self.batched, n), params)
            lift = lambda factor, n=n: (factor[0], (n,) + tuple(factor[1]) if factor[0] in self.batched  # noqa: E731
                                        else factor[1])
            lifted = [[tuple(lift(f) for f in term) for term in group] for group in inner]
            groups += [[term for group in lifted for term in group]] if self.summed else lifted
            tail = [lift(f) for f in last]
        return groups, tail


def _bound(op, params) -> Callable:
    """``op.fn`` with the constants ``op.keys`` of the step's parameters bound, a number as the
    decimal a person reads (``exact.D``: 0.1, not the binary float's expansion)."""
    extra = {k: exact.D(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
             for k, v in ((k, params[k]) for k in op.keys)}
    return lambda *a, **kw: op.fn(*a, **kw, **extra)


@dataclass(frozen=True)
class Constants(Elementwise):
    """``Elementwise`` whose formula also takes constants of the step's parameters (``keys``): a
    slope, the value at a kink, a factor, the entries of a quotient that are exactly 0, a value
    the exercise fixes."""
    keys: tuple = ()

    def compute(self, values, params):
        return Elementwise(self.name, self.formula, fn=_bound(self, params)).compute(values, params)


@dataclass(frozen=True)
class ReduceConstants(Reduce):
    """``Reduce`` whose formula also takes constants of the step's parameters (``keys``): the λ of
    an L2 penalty."""
    keys: tuple = ()

    def compute(self, values, params):
        return Reduce(self.name, self.formula, fn=_bound(self, params)).compute(values, params)


@dataclass(frozen=True)
class ReduceKeep(Reduce):
    """``Reduce`` along ``axis`` keeping that axis with length 1 (numpy's ``keepdims``): the sums
    of the columns of a matrix as a 1 × columns row, of a vector as a vector of one entry."""

    def compute(self, values, params):
        return _arr(np.expand_dims(Reduce.compute(self, values, params), params["axis"]))

    def depends(self, index, shapes, params):
        return Reduce.depends(self, tuple(i for d, i in enumerate(index) if d != params["axis"]), shapes, params)


@dataclass(frozen=True)
class Broadcast(Elementwise):
    """``Elementwise`` over operands with the result's axes where an axis of length 1 stands for
    every entry along it (numpy's broadcasting): ∂L/∂y (1 × samples) times ∂y/∂a (units × samples)."""

    def depends(self, index, shapes, params):
        return [(k, tuple(0 if n == 1 else i for i, n in zip(index, shape))) for k, shape in enumerate(shapes)]


@dataclass(frozen=True)
class Terms(Op):
    """The terms A_ik B_k(j) of the matrix product A B before they are summed, the inner index k
    last: A (r × n) and a vector B (n) give r × n; a matrix B (n × c) gives r × c × n."""

    def compute(self, values, params):
        A, B = _arr(values[0]), _arr(values[1])
        return _arr(A * B[None, :]) if B.ndim == 1 else _arr(A[:, None, :] * B.T[None, :, :])

    def depends(self, index, shapes, params):
        return [(0, (index[0], index[-1])), (1, (index[-1],) if len(shapes[1]) == 1 else (index[-1], index[1]))]


@dataclass(frozen=True)
class Columns(Op):
    """The columns ``cols`` (params) of a matrix, in that order: the samples of a mini-batch."""

    def compute(self, values, params):
        return _arr(_arr(values[0])[:, list(params["cols"])])

    def depends(self, index, shapes, params):
        return [(0, (index[0], params["cols"][index[1]]))]


def _softmax_jacobian(a):
    n = a.shape[0]
    eye = exact.where(np.eye(n, dtype=bool), ONE, exact.ZERO)
    return a[:, None] * (eye - a[None, :])


@dataclass(frozen=True)
class SoftmaxJacobian(Op):
    """J_ij = ∂a_i/∂z_j = a_i (δ_ij − a_j) of a softmax output a: a vector gives n × n, a matrix
    (one sample per column) samples × n × n."""

    def compute(self, values, params):
        a = _arr(values[0])
        return _softmax_jacobian(a) if a.ndim == 1 else _arr(np.stack([_softmax_jacobian(c) for c in a.T]))

    def depends(self, index, shapes, params):
        s = () if len(shapes[0]) == 1 else (index[0],)
        return [(0, (index[-2],) + s), (0, (index[-1],) + s)]


@dataclass(frozen=True)
class StackedTransposed(Op):
    """Entry (i, s) = Σ_k J[s]_ki d_ks: per sample s (a column of d) the transpose of its own matrix
    J[s] (J: samples × n × n) times that column."""

    def compute(self, values, params):
        J, d = _arr(values[0]), _arr(values[1])
        return _arr(np.stack([J[s].T @ d[:, s] for s in range(d.shape[1])], axis=1))

    def depends(self, index, shapes, params):
        i, s = index
        return [(0, (s, slice(None), i)), (1, (slice(None), s))]


def _ln_where(x, factor):
    """ln x entry by entry where ``factor`` is not 0, else 0 (that term of a loss is 0)."""
    factor = _arr(factor)
    return exact.where(factor == 0, exact.ZERO, exact.ln(exact.where(factor == 0, ONE, x)))


def _quotient_zeros(a, b, c, zeros):
    """a b / c entry by entry; exactly 0 where ``zeros`` and a b is 0 (no division there)."""
    num, den = _arr(a * b), _arr(c)
    num, den, zeros = np.broadcast_arrays(num, den, np.asarray(zeros, dtype=bool))
    out = np.empty(num.shape, dtype=object)
    for idx in np.ndindex(num.shape):
        out[idx] = exact.ZERO if zeros[idx] and num[idx] == 0 else num[idx] / den[idx]
    return out


def _sum(*xs):
    out = xs[0]
    for x in xs[1:]:
        out = out + x
    return out


def _prod(*xs):
    out = xs[0]
    for x in xs[1:]:
        out = out * x
    return out


def _each(fn):
    return lambda a: _arr(fn(_arr(a)))


def _times_ln(factor, x):
    """factor · ln x entry by entry, 0 where the factor is 0 (that term needs no logarithm)."""
    f, x = _arr(factor), _arr(x)
    out = np.empty(f.shape, dtype=object)
    for i, v in np.ndenumerate(f):
        out[i] = exact.ZERO if v == 0 else v * exact.ln(x[i])
    return out


def _hinge(s, sc):
    """max(0, s − s_c + 1), entry by entry."""
    margin = _arr(s) - _arr(sc) + ONE
    return exact.where(margin > 0, margin, exact.ZERO)


def _nadam_mu(b, psi, n):
    """μ_n = b (1 − ½·0.96^{nψ}), entry by entry (NAdam's momentum schedule)."""
    return _arr(b) * (ONE - Decimal("0.5") * Decimal("0.96") ** (n * _arr(psi)))


def _sq_sum(a, b):
    d = _arr(a) - _arr(b)
    return (d * d).sum()


def _out_size(n, size, stride, padding):
    """⌊(n + 2p − k)/s⌋ + 1 entry by entry: the positions of a window of size k with stride s over
    n entries padded by p on each side (PyTorch's output size of a convolution or a pooling)."""
    from decimal import ROUND_FLOOR
    out = np.empty(np.shape(n), dtype=object)
    for i, v in np.ndenumerate(_arr(n)):
        out[i] = ((v + 2 * padding - size) / stride).to_integral_value(rounding=ROUND_FLOOR) + ONE
    return out


def _neg_ln_sum(*xs):
    """−Σ ln x over every entry of every operand (a skip-gram pair's loss from its probabilities)."""
    return -sum((_arr(exact.ln(_arr(x))).sum() for x in xs), start=exact.ZERO)


#: Every operation, by the name its printers know it.
OPS: dict[str, Op] = {op.name: op for op in (
    # elementwise
    Elementwise("difference", "a - b", fn=lambda a, b: a - b),
    Elementwise("sum", "a + b + ...", fn=_sum),
    Elementwise("product", "a * b * ...", fn=_prod),
    Elementwise("quotient", "a / b", fn=lambda a, b: a / b),
    Elementwise("standardize", "(x - mu) / s", fn=lambda x, mu, s: (x - mu) / s),
    Elementwise("scale_shift", "gamma x + beta", fn=lambda x, g, b: g * x + b),
    Elementwise("sqrt_sum", "sqrt(a + b)", fn=lambda a, b: exact.sqrt(a + b)),
    Elementwise("norm_inner", "N d - s1 - x s2", fn=lambda d, x, s1, s2, count: count * d - s1 - x * s2),
    Elementwise("norm_grad", "a / (N s)", fn=lambda a, s, count: a / (count * s)),
    Elementwise("mix", "a b + c d", fn=lambda a, b, c, d: a * b + c * d),
    Elementwise("interpolate", "(1 - z) n + z h", fn=lambda z, n, h: (ONE - z) * n + z * h),
    Elementwise("complement", "1 - a", fn=lambda a: ONE - a),
    Elementwise("identity", "a (the value carried on as it is)", fn=lambda a: _arr(a).copy()),
    Elementwise("sum_of_products", "a b + c d e + ...", fn=lambda *xs, groups: _sum(*[
        _prod(*xs[sum(groups[:n]):sum(groups[:n + 1])]) for n in range(len(groups))])),
    Elementwise("exp", "e^z", fn=exact.exp),
    Elementwise("exp_where", "e^z where allowed (mask 1), else 0",
                fn=lambda z, mask: _arr(exact.where(_arr(mask) == 1, exact.exp(exact.where(_arr(mask) == 1, z,
                                                                                          exact.ZERO)), exact.ZERO))),
    Elementwise("sigmoid", "sigma(z)", fn=exact.sigmoid),
    Elementwise("tanh", "tanh(z)", fn=exact.tanh),
    Elementwise("sigmoid_slope", "a (1 - a)", fn=lambda a: a * (ONE - a)),
    Elementwise("tanh_slope", "1 - a^2", fn=lambda a: ONE - a * a),
    Elementwise("relu", "max(z, 0)", fn=lambda z: exact.where(_arr(z) > 0, z, exact.ZERO)),
    Elementwise("relu_slope", "1 where z > 0, else 0 (0 at the kink z = 0)",
                fn=lambda z: exact.where(_arr(z) > 0, ONE, exact.ZERO)),
    Elementwise("identity_slope", "1", fn=lambda z: exact.full(np.shape(z), ONE)),
    Elementwise("sqrt", "sqrt(a)", fn=exact.sqrt),
    Elementwise("times_difference", "a (b - c)", fn=lambda a, b, c: a * (b - c)),
    Elementwise("quotient_masked", "a / b where mask is 1, -inf elsewhere (recorded as a / b)",
                fn=lambda a, b, mask: a / b),
    Elementwise("product_masked", "a b where mask is 1, -inf elsewhere (recorded as a b)",
                fn=lambda a, b, mask: a * b),
    Elementwise("squared_error", "(yhat - y)^2", fn=lambda a, y: (a - y) * (a - y)),
    Elementwise("bce_terms", "-[y ln yhat + (1 - y) ln(1 - yhat)]",
                fn=lambda a, y: -(_times_ln(y, a) + _times_ln(ONE - _arr(y), ONE - _arr(a)))),
    Elementwise("cce_terms", "-y ln yhat", fn=lambda a, y: -_times_ln(y, a)),
    Elementwise("squared_error_sigmoid_grad", "2 (yhat - y) / n * yhat (1 - yhat)",
                fn=lambda a, y, count: 2 * (a - y) * (a * (ONE - a)) / count),
    Elementwise("sgd", "w - eta g", fn=lambda w, g, lr: w - lr * g),
    Elementwise("half_sse_grad", "yhat - y", fn=lambda a, y: a - y),
    Elementwise("sse_grad", "2 (yhat - y)", fn=lambda a, y: 2 * (a - y)),
    Elementwise("mse_grad", "2 (yhat - y) / n", fn=lambda a, y, count: 2 * (a - y) / count),
    Elementwise("half_mse_grad", "(yhat - y) / n", fn=lambda a, y, count: (a - y) / count),
    Elementwise("square_grad", "2 yhat", fn=lambda a: 2 * a),
    Elementwise("bce_grad", "(yhat - y) / (yhat (1 - yhat))", fn=lambda a, y: (a - y) / (a * (ONE - a))),
    Elementwise("cce_grad", "-y / yhat", fn=lambda a, y: -y / a),
    # the multiclass hinge (SVM) loss with margin 1, y one-hot: the terms max(0, s_j − s_c + 1) of
    # the other classes j (s_c the true class's score), which terms are active (0 at the hinge),
    # and ∂ℓ/∂s: 1 for an active term's class, minus their count for the true class, over m
    Elementwise("hinge_terms", "max(0, s_j - s_c + 1) for j not the class, 0 for the class",
                fn=lambda s, sc, y: exact.where(_arr(y) == 0, _hinge(s, sc), exact.ZERO)),
    Elementwise("positive_indicator", "1 where a > 0, else 0 (0 at the hinge a = 0)",
                fn=lambda a: exact.where(_arr(a) > 0, ONE, exact.ZERO)),
    Elementwise("hinge_grad", "(active - y count_active) / m",
                fn=lambda act, y, n, count: (_arr(act) - _arr(y) * _arr(n)) / count),
    # reductions along an axis
    Reduce("sum_along", "sum x", fn=lambda x: _arr(x).sum()),
    Reduce("mean_along", "sum x / N", fn=lambda x, count: _arr(x).sum() / count),
    Reduce("variance_along", "sum (x - mu)^2 / N", fn=lambda x, mu, count: _sq_sum(x, mu) / count),
    Reduce("dot_along", "sum a b", fn=lambda a, b: (_arr(a) * _arr(b)).sum()),
    Reduce("half_sse", "1/2 sum (yhat - y)^2", fn=lambda a, y: _sq_sum(a, y) / 2),
    Reduce("sse", "sum (yhat - y)^2", fn=_sq_sum),
    Reduce("mse", "sum (yhat - y)^2 / n", fn=lambda a, y, count: _sq_sum(a, y) / count),
    Reduce("half_mse", "sum (yhat - y)^2 / (2n)", fn=lambda a, y, count: _sq_sum(a, y) / (2 * count)),
    Reduce("square", "sum yhat^2", fn=lambda a: (_arr(a) * _arr(a)).sum()),
    Reduce("bce", "-sum [y ln yhat + (1 - y) ln(1 - yhat)] / n",
           fn=lambda a, y, count: -(_times_ln(y, a) + _times_ln(ONE - _arr(y), ONE - _arr(a))).sum() / count),
    Reduce("cce", "-sum y ln yhat / n", fn=lambda a, y, count: -_times_ln(y, a).sum() / count),
    # matrix–vector shapes
    MatMul("matmul", "A B (A^T, B^T as asked)"),
    MaskedMatMul("matmul_masked", "A B where mask is 1, -inf elsewhere (recorded as A B)"),
    Product("affine", "W1 v1 + W2 v2 + ... + b", shape_of="affine"),
    Product("transposed", "W1^T d1 + W2^T d2 + ...", shape_of="transposed"),
    Product("outer", "d1 v1^T + d2 v2^T + ...", shape_of="outer"),
    # a dense layer: the terms of W a, ∂a/∂z at kinks by convention, dropout, the softmax Jacobian
    Terms("matmul_terms", "A_ik B_k(j), the terms of A B"),
    Columns("columns", "x[:, cols]"),
    Constants("constant", "a value the exercise fixes (a dropout mask)", fn=lambda value: exact.array(value),
              keys=("value",)),
    Constants("one_minus", "1 - c, c a setting (the keep rate 1 - p of dropout)", fn=lambda c: ONE - c, keys=("c",)),
    Constants("leaky_relu_by", "z where z > 0, else s z", fn=lambda z, slope: exact.where(_arr(z) > 0, z, slope * z),
              keys=("slope",)),
    Constants("relu_slope_at", "1 where z > 0, 0 where z < 0, c at z = 0",
              fn=lambda z, at: exact.where(_arr(z) > 0, ONE, exact.where(_arr(z) < 0, exact.ZERO, at)), keys=("at",)),
    Constants("leaky_relu_slope_at", "1 where z > 0, s where z < 0, c at z = 0",
              fn=lambda z, slope, at: exact.where(_arr(z) > 0, ONE, exact.where(_arr(z) < 0, slope, at)),
              keys=("slope", "at")),
    Elementwise("product_over", "a b / c", fn=lambda a, b, c: a * b / c),
    Broadcast("broadcast_product", "a b (an axis of length 1 repeated)", fn=_prod),
    SoftmaxJacobian("softmax_jacobian", "a_i (delta_ij - a_j)"),
    StackedTransposed("stacked_transposed", "J[s]^T d_s for each sample s"),
    ReduceKeep("sum_keep", "sum x (the summed axis kept, of length 1)", fn=lambda x: _arr(x).sum()),
    Elementwise("over_count", "a / N", fn=lambda a, count: a / count),
    Constants("scale", "c a", fn=lambda a, factor: factor * a, keys=("factor",)),
    # losses from written logarithms, a mean of squares, an L2 penalty with its squares
    Elementwise("ln_where", "ln x where y is not 0, else 0", fn=_ln_where),
    Elementwise("ln_complement_where", "ln(1 - x) where y is not 1, else 0",
                fn=lambda x, y: _ln_where(ONE - _arr(x), ONE - _arr(y))),
    Elementwise("bce_log_terms", "-(y l + (1 - y) l'), l = ln yhat, l' = ln(1 - yhat) as written",
                fn=lambda y, l1, l2: -(y * l1) - (ONE - y) * l2),
    Elementwise("cce_log_terms", "-y l, l = ln yhat as written", fn=lambda y, l1: -(y * l1)),
    Reduce("bce_of_logs", "-sum [y l + (1 - y) l'] / n, l = ln yhat, l' = ln(1 - yhat) as written",
           fn=lambda y, l1, l2, count: (-(_arr(y) * _arr(l1)) - (ONE - _arr(y)) * _arr(l2)).sum() / count),
    Reduce("cce_of_logs", "-sum y l / n, l = ln yhat as written",
           fn=lambda y, l1, count: (-(_arr(y) * _arr(l1))).sum() / count),
    Reduce("mean_square", "sum yhat^2 / n", fn=lambda a, count: (_arr(a) * _arr(a)).sum() / count),
    Reduce("sum_of_squares", "sum of w^2 over every entry of every operand",
           fn=lambda *ws: sum((_arr(w) * _arr(w)).sum() for w in ws)),
    ReduceConstants("l2_penalty", "lambda / 2 sum w^2 over every entry of every operand",
                    fn=lambda *ws, lam: lam / 2 * sum((_arr(w) * _arr(w)).sum() for w in ws), keys=("lam",)),
    # optimizer steps: moments, accumulated squares, the denominator, the step, decoupled decay
    Elementwise("mix_square", "a b + c d^2", fn=lambda a, b, c, d: a * b + c * d * d),
    Elementwise("scaled_square", "c d^2", fn=lambda c, d: c * d * d),
    Elementwise("squared", "a^2", fn=lambda a: a * a),
    Elementwise("add_square", "a + b^2", fn=lambda a, b: a + b * b),
    Elementwise("sqrt_plus", "sqrt(a) + b", fn=lambda a, b: exact.sqrt(a) + b),
    Constants("scaled_quotient", "a b / c (exactly 0 where marked and a b is 0: a zero gradient)",
              fn=_quotient_zeros, keys=("zeros",)),
    Elementwise("decay", "w - c w", fn=lambda w, c: w - c * w),
    Elementwise("complement_power", "1 - a^n", fn=lambda a, count: ONE - a ** count),
    # NAdam's momentum schedule (torch.optim.NAdam, ψ its momentum decay): μ_n = β(1 − ½·0.96^{nψ}),
    # the product μ_1 ⋯ μ_n, and the weights of its m̂, μ/(1 − Π) and (1 − μ)/(1 − Π)
    Elementwise("nadam_mu", "b (1 - 0.5 * 0.96^(n psi))", fn=lambda b, psi, count: _nadam_mu(b, psi, count)),
    Elementwise("nadam_mu_product", "prod_{i=1..n} b (1 - 0.5 * 0.96^(i psi))",
                fn=lambda b, psi, count: _prod(*[_nadam_mu(b, psi, i) for i in range(1, int(count) + 1)])),
    Elementwise("over_complement", "a / (1 - b)", fn=lambda a, b: a / (ONE - b)),
    Elementwise("complement_over_complement", "(1 - a) / (1 - b)", fn=lambda a, b: (ONE - a) / (ONE - b)),
    # the size of a layer's output along one axis (a window of size k, stride s, padding p), and the
    # loss of a skip-gram pair with negative sampling: −ln of every probability, summed
    Constants("out_size", "floor((n + 2 p - k) / s) + 1", fn=lambda n, size, stride, padding: _out_size(
        n, size, stride, padding), keys=("size", "stride", "padding")),
    Reduce("neg_ln_sum", "-(ln a + ln b + ...) over every entry of every operand", fn=_neg_ln_sum),
    # gathering
    Stack("stack", "rows a, b, ... (each as it is)"),
    # windows of a grid (engine.grid)
    Window("correlate", "z_ij = sum_c sum_ab k_cab x_c[i s + a - p, j s + b - p] (+ b)", fn=grid.correlate,
           terms_of=_correlate_terms, keys=("stride", "padding", "filters")),
    Window("correlate_kernel_grad", "dL/dk_cab = sum_ij g_ij x_c[i s + a - p, j s + b - p]", fn=grid.kernel_grad,
           terms_of=_kernel_grad_terms, keys=("stride", "padding", "filters", "shape")),
    Window("correlate_input_grad", "dL/dx_c[r, q] = sum over the windows reaching (r, q) of g_ij k_cab",
           fn=grid.input_grad, terms_of=_input_grad_terms, keys=("stride", "padding", "filters", "shape")),
    Window("max_pool", "max of each window (the first maximum; padding never)",
           fn=lambda x, **kw: grid.pool(x, mode="max", **kw), terms_of=_pool_terms, keys=("size", "stride", "padding")),
    Window("average_pool", "sum of each window / (kh kw) (padding counts as 0)",
           fn=lambda x, **kw: grid.pool(x, mode="average", **kw), terms_of=_pool_terms,
           keys=("size", "stride", "padding")),
    Window("window_argmax", "(row, column) of the first maximum of each window", fn=grid.argmax,
           terms_of=_argmax_terms, keys=("size", "stride", "padding")),
    Window("max_pool_grad", "g_ij added at the maximum of window (i, j)", fn=grid.max_pool_grad,
           terms_of=_max_pool_grad_terms, keys=("shape",)),
    Window("average_pool_grad", "g_ij / (kh kw) added at every position of window (i, j)",
           fn=grid.average_pool_grad, terms_of=_average_pool_grad_terms, keys=("size", "stride", "padding", "shape")),
    Window("grid_sum", "sum_ij g_ij (of each map)", fn=grid.grid_sum, terms_of=_grid_sum_terms, keys=()),
    Window("pad", "the grid with p zeros on every side", fn=grid.padded, terms_of=_padded_terms, keys=("padding",)),
    Window("windows", "the window of each output position (padding as 0)", fn=grid.windows, terms_of=_windows_terms,
           keys=("size", "stride", "padding")),
    Window("reshape", "the entries in reading order, in another shape (flattened, folded into maps)",
           fn=lambda x, shape: _arr(x).reshape(shape), terms_of=_reshape_terms, keys=("shape",)),
    # the same window operations over a batch of samples (operand 0, and the upstream gradient, with a
    # leading sample axis): a result per sample, or the gradient of what every sample shares summed
    # over the samples; ``shape`` of an input gradient is one sample's
    Samples("pad_samples", "each sample's grid with p zeros on every side", inner="pad"),
    Samples("windows_samples", "the window of each output position of each sample (padding as 0)",
            inner="windows"),
    Samples("correlate_samples", "z_n = sum_c sum_ab k_cab x_n,c[i s + a - p, j s + b - p] (+ b) for each sample n",
            inner="correlate"),
    Samples("correlate_kernel_grad_samples", "dL/dk_cab = sum_n sum_ij g_n,ij x_n,c[i s + a - p, j s + b - p]",
            inner="correlate_kernel_grad", batched=(0, 1), summed=True),
    Samples("correlate_input_grad_samples", "dL/dx_n,c[r, q] = sum over the windows reaching (r, q) of g_n,ij k_cab",
            inner="correlate_input_grad"),
    Samples("grid_sum_samples", "sum_n sum_ij g_n,ij (of each map)", inner="grid_sum", summed=True),
)}


class Graph:
    """The steps of one exercise: ``given`` values and ``apply``'d operations, recorded in order
    through ``record`` (a ``trace.Recorder``).  Each returns the step's name, the handle later
    operations take as an operand; ``value(name)`` is what later steps compute with (in carry mode
    the rounded value)."""

    def __init__(self, record):
        self.record = record
        self._values: dict[str, object] = {}

    def value(self, name: str):
        return self._values[name]

    def given(self, name: str, value, formula: str) -> str:
        v = exact.D(value) if np.ndim(value) == 0 else exact.array(value)
        self.record.given(name, v, formula)
        self._values[name] = v
        return name

    def apply(self, op: str, name: str, operands: list, kind: str, *, formula: str | None = None,
              rounded: bool = True, given: bool = False, note: tuple | None = None, **params) -> str:
        """Record ``name`` = operation ``op`` of ``operands`` (names, or (name, axes): see the
        module); ``params``: the operation's (``axis``, ``count``, ``bias`` …); ``note``: the
        kind's notation of the step, (key, {parameter: value}) — e.g. ("gate", {"t": 2}) — which
        its printer looks up in the kind's notation table (the step's name is never parsed)."""
        if note is not None:
            params["note"] = note
        operation = OPS[op]
        names, axes = [], []
        for o in operands:
            n, a = (o, None) if isinstance(o, str) else o
            names.append(n)
            axes.append(a)
        if any(a is not None for a in axes):
            params["axes"] = tuple(axes)
        if isinstance(operation, Elementwise):
            params["shape"] = next((np.shape(self._values[n]) for n, a in zip(names, axes) if a is None), ())
        result = operation.compute([self._values[n] for n in names], params)
        value = result.item() if result.ndim == 0 else result
        out = self.record(name, value, kind, formula or operation.formula, rounded=rounded, given=given,
                          op=op, operands=tuple(names), params=params)
        self._values[name] = out
        return name
