"""The shared operations (generator/ops), each proven two ways:

- its value against a second implementation written here in floats from the textbook formula;
- its printed line (ops.latex.show) read back by the independent hand-checker (tests.handcheck,
  strict in display mode): "=" only where the printed numbers give the printed result exactly,
  "≈" where they round to it, in both modes, at decimals and at significant figures."""

from __future__ import annotations

import math
import random
from decimal import Decimal

import numpy as np
import pytest

from generator.engine import exact
from generator.latex import Formatter
from generator.numbers import Precision, RoundingPolicy
from generator.ops import OPS, Graph
from generator.trace import ProblemTrace, Recorder
from generator.view import View
from tests.handcheck import check_tex

sig = lambda z: 1 / (1 + math.exp(-z))      # noqa: E731


def _sq(a, b):
    return float(((np.asarray(a) - np.asarray(b)) ** 2).sum())


def _xlny(y, a):
    return sum(0.0 if u == 0 else u * math.log(v) for u, v in zip(np.ravel(y), np.ravel(a)))


# name: (operand maker(rng) -> [(name, value, axes)], params, float reference(*values) -> array)
def _vec(rng, n=3, lo=-2, hi=2):
    return np.round(rng.uniform(lo, hi, n), 1)


def _mat(rng, r=2, c=3, lo=-2, hi=2):
    return np.round(rng.uniform(lo, hi, (r, c)), 1)


def _grid(rng, *shape):
    return np.round(rng.uniform(-2, 2, shape), 1)


def _windows(x, size, s, p, fill=0.0):
    """Every window of the grid(s) ``x`` padded by ``p`` (``fill``), with stride ``s``."""
    from numpy.lib.stride_tricks import sliding_window_view
    pad = ((0, 0),) * (x.ndim - 2) + ((p, p), (p, p))
    win = sliding_window_view(np.pad(x, pad, constant_values=fill), size, axis=(-2, -1))
    return win[..., ::s, ::s, :, :]


def _correlated(x, k):
    return np.einsum("chwab,cab->hw", _windows(x, k.shape[1:], 1, 1), k)


def _input_grad(g, k, s=2, p=1):
    out = np.zeros((k.shape[0], 3 + 2 * p, 3 + 2 * p))
    for i, j in np.ndindex(g.shape):
        out[:, i * s:i * s + k.shape[1], j * s:j * s + k.shape[2]] += g[i, j] * k
    return out[:, p:-p, p:-p]


def _argmax(x):
    w = _windows(x, (2, 2), 2, 0)
    return np.array([[divmod(int(np.argmax(w[i, j])), 2) for j in range(w.shape[1])] for i in range(w.shape[0])]) \
        + np.array([[[2 * i, 2 * j] for j in range(w.shape[1])] for i in range(w.shape[0])])


def _routed(g, at):
    out = np.zeros((4, 4))
    for i, j in np.ndindex(g.shape):
        out[tuple(int(v) for v in at[i, j])] += g[i, j]
    return out


def _spread(g):
    out = np.zeros((4, 4))
    for i, j in np.ndindex(g.shape):
        out[i:i + 2, j:j + 2] += g[i, j] / 4
    return out


def _softmaxed(rng, n=3, m=None):
    """A softmax output as written down (2 decimals): a probability vector, or one per column."""
    z = rng.uniform(-2, 2, (n,) if m is None else (n, m))
    return np.round(np.exp(z) / np.exp(z).sum(axis=0), 2)


def _jacobian(a):
    """∂a_i/∂z_j = a_i (δ_ij − a_j) of a softmax output a."""
    n = len(a)
    return np.array([[a[i] * ((1.0 if i == j else 0.0) - a[j]) for j in range(n)] for i in range(n)])


def _onehot(rng, n=3, m=None):
    if m is None:
        return np.eye(n)[rng.integers(n)]
    return np.eye(n)[:, rng.integers(n, size=m)]


def _logs(rng, y, complement=False, n=3):
    """ln ŷ (ln(1 − ŷ)) as written, to 4 decimals, for a ŷ in (0, 1); 0 where its factor y (1 − y) is 0."""
    a = rng.uniform(0.05, 0.95, np.shape(y))
    logs = np.round(np.log(1 - a if complement else a), 4)
    return np.where((1 - y if complement else y) == 0, 0.0, logs)


def _labels(rng, shape):
    """Targets of a binary cross-entropy: 0, 1 and a soft label."""
    return rng.choice([0.0, 1.0, 0.5], shape)


def _step_operands(rng):
    """η, a gradient with an exact zero, and a denominator √s + ε that is 0 there (s = 0, ε = 0)."""
    g = _vec(rng, 3)
    g[1] = 0.0
    den = _vec(rng, 3, 0.5, 2)
    den[1] = 0.0
    return [("lr", 0.1, ()), ("g", g, None), ("den", den, None)]


def _step(lr, g, den):
    """η g / (√s + ε); a zero gradient takes no step (0, not 0/0)."""
    return np.array([0.0 if z and lr * u == 0 else lr * u / v for u, v, z in zip(g, den, STEP_ZEROS)])


#: Where the gradient of the optimizer-step case is exactly 0 (its denominator is 0 there too).
STEP_ZEROS = np.array([False, True, False])


CASES = {
    "difference": (lambda r: [("a", _vec(r), None), ("b", _vec(r), None)], {}, lambda a, b: a - b),
    "sum": (lambda r: [("a", _vec(r), None), ("b", _vec(r), None), ("c", _vec(r), None)], {},
            lambda a, b, c: a + b + c),
    "product": (lambda r: [("a", _vec(r), None), ("b", _vec(r), None)], {}, lambda a, b: a * b),
    "quotient": (lambda r: [("a", _vec(r), None), ("b", _vec(r, lo=0.5, hi=3), None)], {}, lambda a, b: a / b),
    "standardize": (lambda r: [("x", _mat(r), None), ("mu", _vec(r, 2), (0,)), ("s", _vec(r, 2, 0.5, 2), (0,))], {},
                    lambda x, mu, s: (x - mu[:, None]) / s[:, None]),
    "scale_shift": (lambda r: [("x", _mat(r), None), ("g", _vec(r, 3), (1,)), ("b", _vec(r, 3), (1,))], {},
                    lambda x, g, b: g[None, :] * x + b[None, :]),
    "sqrt_sum": (lambda r: [("v", _vec(r, 3, 0, 4), None), ("e", 0.01, ())], {}, lambda v, e: np.sqrt(v + e)),
    "norm_inner": (lambda r: [("d", _mat(r), None), ("x", _mat(r), None), ("s1", _vec(r, 2), (0,)),
                              ("s2", _vec(r, 2), (0,))], {"count": 3},
                   lambda d, x, s1, s2: 3 * d - s1[:, None] - x * s2[:, None]),
    "norm_grad": (lambda r: [("a", _mat(r), None), ("s", _vec(r, 2, 0.5, 2), (0,))], {"count": 3},
                  lambda a, s: a / (3 * s[:, None])),
    "mix": (lambda r: [(n, _vec(r), None) for n in "abcd"], {}, lambda a, b, c, d: a * b + c * d),
    "interpolate": (lambda r: [("z", _vec(r, 3, 0, 1), None), ("n", _vec(r), None), ("h", _vec(r), None)], {},
                    lambda z, n, h: (1 - z) * n + z * h),
    "complement": (lambda r: [("a", _vec(r, 3, 0, 1), None)], {}, lambda a: 1 - a),
    "sum_of_products": (lambda r: [(n, _vec(r), None) for n in "abc"], {"groups": (1, 2)},
                        lambda a, b, c: a + b * c),
    "exp": (lambda r: [("z", _vec(r), None)], {}, np.exp),
    "sigmoid": (lambda r: [("z", _vec(r), None)], {}, lambda z: 1 / (1 + np.exp(-z))),
    "tanh": (lambda r: [("z", _vec(r), None)], {}, np.tanh),
    "sigmoid_slope": (lambda r: [("a", _vec(r, 3, 0, 1), None)], {}, lambda a: a * (1 - a)),
    "tanh_slope": (lambda r: [("a", _vec(r, 3, -1, 1), None)], {}, lambda a: 1 - a * a),
    "relu": (lambda r: [("z", np.append(_vec(r), 0.0), None)], {}, lambda z: np.maximum(z, 0)),
    "relu_slope": (lambda r: [("z", np.append(_vec(r), 0.0), None)], {}, lambda z: (z > 0).astype(float)),
    "sqrt": (lambda r: [("a", _vec(r, 3, 0, 4), None)], {}, np.sqrt),
    "times_difference": (lambda r: [(n, _mat(r), None) for n in "ab"] + [("c", _vec(r, 2), (0,))], {},
                         lambda a, b, c: a * (b - c[:, None])),
    "quotient_masked": (lambda r: [("a", _mat(r), None), ("b", 1.4, ()), ("m", np.ones((2, 3)), None)], {},
                        lambda a, b, m: a / b),
    "product_masked": (lambda r: [("c", 0.5, ()), ("a", _mat(r), None), ("m", np.ones((2, 3)), None)], {},
                       lambda c, a, m: c * a),
    "squared_error": (lambda r: [("a", _vec(r), None), ("y", _vec(r), None)], {}, lambda a, y: (a - y) ** 2),
    # NAdam's momentum schedule (torch.optim.NAdam's documented formulas): μ_t = β(1 − ½·0.96^{tψ}), the
    # product μ_1 ⋯ μ_t, and the weights (1 − μ_t)/(1 − Π_t) and μ_{t+1}/(1 − Π_{t+1}) of m̂
    "nadam_mu": (lambda r: [("b", 0.9, ()), ("psi", 0.004, ())], {"count": 3},
                 lambda b, psi: b * (1 - 0.5 * 0.96 ** (3 * psi))),
    "nadam_mu_product": (lambda r: [("b", 0.9, ()), ("psi", 0.004, ())], {"count": 3},
                         lambda b, psi: np.prod([b * (1 - 0.5 * 0.96 ** (i * psi)) for i in (1, 2, 3)])),
    "over_complement": (lambda r: [("a", _vec(r, 3, 0, 1), None), ("b", _vec(r, 3, 0, 0.9), None)], {},
                        lambda a, b: a / (1 - b)),
    "complement_over_complement": (lambda r: [("a", _vec(r, 3, 0, 1), None), ("b", _vec(r, 3, 0, 0.9), None)], {},
                                   lambda a, b: (1 - a) / (1 - b)),
    # the multiclass hinge: 3 classes × 2 samples, the true class's score per sample, one-hot targets
    "hinge_terms": (lambda r: (lambda y, s: [("s", s, None), ("sc", (s * y).sum(axis=0), (1,)), ("y", y, None)])(
        _onehot(r, 3, 2), _mat(r, 3, 2)), {},
        lambda s, sc, y: np.where(y == 0, np.maximum(0, s - sc[None, :] + 1), 0)),
    "positive_indicator": (lambda r: [("a", np.append(_vec(r), 0.0), None)], {}, lambda a: (a > 0).astype(float)),
    "hinge_grad": (lambda r: (lambda y: [("act", np.where(y == 0, r.integers(0, 2, (3, 2)), 0).astype(float), None),
                                         ("y", y, None), ("n", np.array([1.0, 2.0]), (1,))])(_onehot(r, 3, 2)),
                   {"count": 2}, lambda act, y, n: (act - y * n[None, :]) / 2),
    "bce_terms": (lambda r: [("a", _vec(r, 3, 0.1, 0.9), None), ("y", np.array([0., 1., 0.5]), None)], {},
                  lambda a, y: -(y * np.log(a) + (1 - y) * np.log(1 - a))),
    "cce_terms": (lambda r: [("a", _vec(r, 3, 0.1, 0.9), None), ("y", np.array([0., 1., 0.]), None)], {},
                  lambda a, y: -y * np.log(a)),
    "squared_error_sigmoid_grad": (lambda r: [("a", _vec(r, 3, 0.1, 0.9), None), ("y", _vec(r), None)],
                                   {"count": 3}, lambda a, y: 2 * (a - y) / 3 * a * (1 - a)),
    "stack": (lambda r: [("a", _vec(r), None), ("b", _vec(r), None)], {}, lambda a, b: np.stack([a, b])),
    "identity_slope": (lambda r: [("z", _vec(r), None)], {}, lambda z: np.ones_like(z)),
    # windows of a grid: one kernel over two channels, stride 1, padding 1; pooling 2×2
    "correlate": (lambda r: [("x", _grid(r, 2, 3, 3), None), ("k", _grid(r, 2, 2, 2), None), ("b", 0.5, ())],
                  {"stride": 1, "padding": 1, "bias": True}, lambda x, k, b: _correlated(x, k) + b),
    "correlate_kernel_grad": (lambda r: [("g", _grid(r, 4, 4), None), ("x", _grid(r, 2, 3, 3), None)],
                              {"stride": 1, "padding": 1, "shape": (2, 2, 2)},
                              lambda g, x: np.einsum("chwab,hw->cab", _windows(x, (2, 2), 1, 1), g)),
    "correlate_input_grad": (lambda r: [("g", _grid(r, 2, 2), None), ("k", _grid(r, 2, 2, 2), None)],
                             {"stride": 2, "padding": 1, "shape": (2, 3, 3)}, _input_grad),
    "max_pool": (lambda r: [("x", _grid(r, 4, 5), None)], {"size": (2, 2), "stride": 1, "padding": 1},
                 lambda x: _windows(x, (2, 2), 1, 1, -np.inf).max(axis=(2, 3))),
    "average_pool": (lambda r: [("x", _grid(r, 4, 5), None)], {"size": (2, 2), "stride": 2, "padding": 1},
                     lambda x: _windows(x, (2, 2), 2, 1).mean(axis=(2, 3))),
    "window_argmax": (lambda r: [("x", _grid(r, 4, 4), None)], {"size": (2, 2), "stride": 2, "padding": 0},
                      lambda x: _argmax(x)),
    "max_pool_grad": (lambda r: (lambda x: [("g", _grid(r, 2, 2), None), ("at", _argmax(x), None)])(_grid(r, 4, 4)),
                      {"shape": (4, 4)}, _routed),
    "average_pool_grad": (lambda r: [("g", _grid(r, 3, 3), None)], {"size": (2, 2), "stride": 1, "padding": 0,
                                                                    "shape": (4, 4)}, _spread),
    "grid_sum": (lambda r: [("g", _grid(r, 2, 2, 3), None)], {}, lambda g: g.sum(axis=(1, 2))),
    "pad": (lambda r: [("x", _grid(r, 3, 4), None)], {"padding": 1}, lambda x: np.pad(x, 1)),
    "windows": (lambda r: [("x", _grid(r, 3, 3), None)], {"size": (2, 2), "stride": 1, "padding": 0},
                lambda x: _windows(x, (2, 2), 1, 0)),
    "reshape": (lambda r: [("x", _grid(r, 2, 3), None)], {"shape": (3, 2)}, lambda x: x.reshape(3, 2)),
    # the same over a batch: two samples of two channels, three kernels (the sample axis first)
    "pad_samples": (lambda r: [("x", _grid(r, 2, 2, 2, 3), None)], {"padding": 1},
                    lambda x: np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))),
    "windows_samples": (lambda r: [("x", _grid(r, 2, 3, 3), None)], {"size": (2, 2), "stride": 1, "padding": 0},
                        lambda x: np.stack([_windows(xn, (2, 2), 1, 0) for xn in x])),
    "correlate_samples": (lambda r: [("x", _grid(r, 2, 2, 3, 3), None), ("k", _grid(r, 3, 2, 2, 2), None),
                                     ("b", _vec(r, 3), None)],
                          {"stride": 1, "padding": 1, "bias": True, "filters": True},
                          lambda x, k, b: np.stack([np.einsum("chwab,fcab->fhw", _windows(xn, (2, 2), 1, 1), k)
                                                    for xn in x]) + b[None, :, None, None]),
    "correlate_kernel_grad_samples": (lambda r: [("g", _grid(r, 2, 3, 4, 4), None), ("x", _grid(r, 2, 2, 3, 3), None)],
                                      {"stride": 1, "padding": 1, "shape": (3, 2, 2, 2), "filters": True},
                                      lambda g, x: sum(np.einsum("chwab,fhw->fcab", _windows(x[n], (2, 2), 1, 1), g[n])
                                                       for n in range(2))),
    "correlate_input_grad_samples": (lambda r: [("g", _grid(r, 2, 3, 2, 2), None), ("k", _grid(r, 3, 2, 2, 2), None)],
                                     {"stride": 2, "padding": 1, "shape": (2, 3, 3), "filters": True},
                                     lambda g, k: np.stack([sum(_input_grad(g[n, f], k[f]) for f in range(3))
                                                            for n in range(2)])),
    "grid_sum_samples": (lambda r: [("g", _grid(r, 2, 3, 2, 2), None)], {}, lambda g: g.sum(axis=(0, 2, 3))),
    "sgd": (lambda r: [("w", _mat(r), None), ("g", _mat(r), None), ("lr", 0.1, ())], {},
            lambda w, g, lr: w - lr * g),
    "half_sse_grad": (lambda r: [("a", _vec(r), None), ("y", _vec(r), None)], {}, lambda a, y: a - y),
    "sse_grad": (lambda r: [("a", _vec(r), None), ("y", _vec(r), None)], {}, lambda a, y: 2 * (a - y)),
    "mse_grad": (lambda r: [("a", _vec(r), None), ("y", _vec(r), None)], {"count": 3},
                 lambda a, y: 2 * (a - y) / 3),
    "half_mse_grad": (lambda r: [("a", _vec(r), None), ("y", _vec(r), None)], {"count": 3},
                      lambda a, y: (a - y) / 3),
    "square_grad": (lambda r: [("a", _vec(r), None)], {}, lambda a: 2 * a),
    "bce_grad": (lambda r: [("a", _vec(r, 3, 0.1, 0.9), None), ("y", np.array([0., 1., 1.]), None)], {},
                 lambda a, y: (a - y) / (a * (1 - a))),
    "cce_grad": (lambda r: [("a", _vec(r, 3, 0.1, 0.9), None), ("y", np.array([0., 1., 0.]), None)], {},
                 lambda a, y: -y / a),
    "sum_along": (lambda r: [("x", _mat(r), None)], {"axis": 1}, lambda x: x.sum(axis=1)),
    "mean_along": (lambda r: [("x", _mat(r), None)], {"axis": 0, "count": 2}, lambda x: x.mean(axis=0)),
    "variance_along": (lambda r: [("x", _mat(r), None), ("mu", _vec(r, 2), (0,))], {"axis": 1, "count": 3},
                       lambda x, mu: ((x - mu[:, None]) ** 2).mean(axis=1)),
    "dot_along": (lambda r: [("a", _mat(r), None), ("b", _mat(r), None)], {"axis": 1},
                  lambda a, b: (a * b).sum(axis=1)),
    "half_sse": (lambda r: [("a", _vec(r), None), ("y", _vec(r), None)], {}, lambda a, y: _sq(a, y) / 2),
    "sse": (lambda r: [("a", _vec(r), None), ("y", _vec(r), None)], {}, _sq),
    "mse": (lambda r: [("a", _vec(r), None), ("y", _vec(r), None)], {"count": 3}, lambda a, y: _sq(a, y) / 3),
    "half_mse": (lambda r: [("a", _vec(r), None), ("y", _vec(r), None)], {"count": 3},
                 lambda a, y: _sq(a, y) / 6),
    "square": (lambda r: [("a", _vec(r), None)], {}, lambda a: float((a * a).sum())),
    "bce": (lambda r: [("a", _vec(r, 3, 0.1, 0.9), None), ("y", np.array([0., 1., 1.]), None)], {"count": 3},
            lambda a, y: -(_xlny(y, a) + _xlny(1 - y, 1 - a)) / 3),
    "cce": (lambda r: [("a", _vec(r, 3, 0.1, 0.9), None), ("y", np.array([0., 1., 0.]), None)], {"count": 1},
            lambda a, y: -_xlny(y, a)),
    "matmul": (lambda r: [("A", _mat(r, 2, 3), None), ("B", _mat(r, 2, 3), None)], {"tb": True},
               lambda A, B: A @ B.T),
    "matmul_masked": (lambda r: [("A", _mat(r, 2, 3), None), ("B", _mat(r, 2, 3), None),
                                 ("m", np.ones((2, 2)), None)], {"tb": True}, lambda A, B, m: A @ B.T),
    "affine": (lambda r: [("W", _mat(r, 2, 3), None), ("x", _vec(r, 3), None), ("U", _mat(r, 2, 2), None),
                          ("h", _vec(r, 2), None), ("b", _vec(r, 2), None)], {"bias": True},
               lambda W, x, U, h, b: W @ x + U @ h + b),
    "transposed": (lambda r: [("W", _mat(r, 2, 3), None), ("d", _vec(r, 2), None)], {}, lambda W, d: W.T @ d),
    "outer": (lambda r: [("d", _vec(r, 2), None), ("x", _vec(r, 3), None), ("e", _vec(r, 2), None),
                         ("v", _vec(r, 3), None)], {}, lambda d, x, e, v: np.outer(d, x) + np.outer(e, v)),
    # carried on as it is, gathered: no arithmetic, but a value all the same
    "identity": (lambda r: [("a", _mat(r), None)], {}, lambda a: a),
    "columns": (lambda r: [("x", _mat(r, 2, 4), None)], {"cols": (2, 0, 3)}, lambda x: x[:, [2, 0, 3]]),
    "constant": (lambda r: [], {"value": np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])},
                 lambda: np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])),
    "one_minus": (lambda r: [], {"c": Decimal("0.2")}, lambda: 1 - 0.2),       # keep rate 1 − p of dropout
    # a dense layer: the terms W_ij a_j, leaky ReLU, slopes with a value at the kink, dropout, softmax
    "matmul_terms": (lambda r: [("W", _mat(r, 2, 3), None), ("a", _vec(r, 3), None)], {},
                     lambda W, a: np.array([[W[i, k] * a[k] for k in range(3)] for i in range(2)])),
    "leaky_relu_by": (lambda r: [("z", np.append(_vec(r), 0.0), None)], {"slope": Decimal("0.01")},
                      lambda z: np.where(z > 0, z, 0.01 * z)),
    "relu_slope_at": (lambda r: [("z", np.append(_vec(r), 0.0), None)], {"at": Decimal("0.5")},
                      lambda z: np.where(z > 0, 1.0, np.where(z < 0, 0.0, 0.5))),
    "leaky_relu_slope_at": (lambda r: [("z", np.append(_vec(r), 0.0), None)],
                            {"slope": Decimal("0.01"), "at": Decimal("0")},
                            lambda z: np.where(z > 0, 1.0, np.where(z < 0, 0.01, 0.0))),
    "product_over": (lambda r: [("f", _vec(r, 4), None), ("M", r.integers(0, 2, 4).astype(float), None),
                                ("keep", float(r.choice([0.5, 0.6, 0.7, 0.75, 0.8, 0.9])), ())], {},
                     lambda f, M, keep: f * M / keep),
    "broadcast_product": (lambda r: [("dy", _mat(r, 1, 3), None), ("s", _mat(r, 2, 3), None)], {},
                          lambda dy, s: np.array([[dy[0, j] * s[i, j] for j in range(3)] for i in range(2)])),
    "softmax_jacobian": (lambda r: [("a", _softmaxed(r), None)], {}, _jacobian),
    "stacked_transposed": (lambda r: [("J", _grid(r, 2, 3, 3), None), ("d", _mat(r, 3, 2), None)], {},
                           lambda J, d: np.stack([J[s].T @ d[:, s] for s in range(2)], axis=1)),
    "sum_keep": (lambda r: [("a", _mat(r, 2, 3), None)], {"axis": 0},
                 lambda a: np.array([[a[0, j] + a[1, j] for j in range(3)]])),
    "over_count": (lambda r: [("a", _mat(r), None)], {"count": 3}, lambda a: a / 3),
    "scale": (lambda r: [("W", _mat(r), None)], {"factor": Decimal("0.05")}, lambda W: 0.05 * W),
    # losses from written logarithms, a mean of squares, the L2 penalty λ/2 Σ w²
    "ln_where": (lambda r: [("a", _vec(r, 3, 0.05, 0.95), None), ("y", np.array([1.0, 0.5, 1.0]), None)], {},
                 lambda a, y: np.where(y == 0, 0.0, np.log(a))),
    "ln_complement_where": (lambda r: [("a", _vec(r, 3, 0.05, 0.95), None),
                                       ("y", np.array([0.0, 0.5, 0.0]), None)], {},
                            lambda a, y: np.where(y == 1, 0.0, np.log(1 - a))),
    "bce_log_terms": (lambda r: (lambda y: [("y", y, None), ("l1", _logs(r, y), None),
                                            ("l2", _logs(r, y, True), None)])(_labels(r, 3)), {},
                      lambda y, l1, l2: -(y * l1 + (1 - y) * l2)),
    "cce_log_terms": (lambda r: (lambda y: [("y", y, None), ("l1", _logs(r, y), None)])(_onehot(r)), {},
                      lambda y, l1: -y * l1),
    "bce_of_logs": (lambda r: (lambda y: [("y", y, None), ("l1", _logs(r, y), None),
                                          ("l2", _logs(r, y, True), None)])(_labels(r, (2, 2))), {"count": 2},
                    lambda y, l1, l2: -float((y * l1 + (1 - y) * l2).sum()) / 2),
    "cce_of_logs": (lambda r: (lambda y: [("y", y, None), ("l1", _logs(r, y), None)])(_onehot(r, 3, 2)),
                    {"count": 2}, lambda y, l1: -float((y * l1).sum()) / 2),
    "mean_square": (lambda r: [("a", _mat(r, 2, 3), None)], {"count": 3}, lambda a: float((a * a).sum()) / 3),
    "sum_of_squares": (lambda r: [("W1", _mat(r, 2, 3), None), ("W2", _mat(r, 1, 2), None)], {},
                       lambda W1, W2: float((W1 ** 2).sum() + (W2 ** 2).sum())),
    "l2_penalty": (lambda r: [("W1", _mat(r, 2, 3), None), ("W2", _mat(r, 1, 2), None)], {"lam": Decimal("0.01")},
                   lambda W1, W2: 0.01 / 2 * float((W1 ** 2).sum() + (W2 ** 2).sum())),
    # optimizer steps: Adam's moments and bias correction, RMSprop/Adagrad squares, the step, AdamW's decay
    "mix_square": (lambda r: (lambda b2: [("b2", b2, ()), ("v", _vec(r, 3, 0, 2), None), ("c", round(1 - b2, 3), ()),
                                          ("g", _vec(r), None)])(float(r.choice([0.9, 0.99, 0.999]))), {},
                   lambda b2, v, c, g: b2 * v + (1 - b2) * g ** 2),
    "scaled_square": (lambda r: [("c", float(r.choice([0.1, 0.01, 0.001])), ()), ("g", _vec(r), None)], {},
                      lambda c, g: c * g ** 2),
    "squared": (lambda r: [("g", _vec(r), None)], {}, lambda g: g ** 2),
    "add_square": (lambda r: [("s", _vec(r, 3, 0, 2), None), ("g", _vec(r), None)], {}, lambda s, g: s + g ** 2),
    "sqrt_plus": (lambda r: [("v", _vec(r, 3, 0, 4), None), ("eps", 0.001, ())], {},
                  lambda v, eps: np.sqrt(v) + eps),
    "scaled_quotient": (_step_operands, {"zeros": STEP_ZEROS}, _step),
    "decay": (lambda r: [("w", _mat(r), None), ("c", float(r.choice([0.01, 0.05, 0.1])), ())], {},
              lambda w, c: (1 - c) * w),
    "complement_power": (lambda r: [("beta", np.round(r.uniform(0.5, 0.99, 2), 2), None)], {"count": 3},
                         lambda beta: 1 - beta * beta * beta),
    # the numerators of a masked softmax: e^z where the mask allows, else 0
    "exp_where": (lambda r: [("z", _vec(r, 4), None), ("m", np.array([1.0, 0.0, 1.0, 1.0]), None)], {},
                  lambda z, m: np.where(m == 1, np.exp(z), 0.0)),
    # a layer's output size ⌊(n + 2p − k)/s⌋ + 1 (a stride that does not divide: rounded down), and
    # a skip-gram pair's loss −ln σ(u_oᵀv_c) − Σ_k ln σ(−u_kᵀv_c) from its probabilities
    "out_size": (lambda r: [("n", r.integers(3, 40, 4), None)], {"size": 3, "stride": 2, "padding": 1},
                 lambda n: np.floor((n + 2 * 1 - 3) / 2) + 1),
    "neg_ln_sum": (lambda r: [("a", float(np.round(r.uniform(0.06, 0.94), 2)), ()), ("b", _vec(r, 3, 0.06, 0.94), None)],
                   {}, lambda a, b: -(np.log(a) + np.log(b).sum())),
}

#: Second shapes of an operation ("operation#shape"), checked like CASES: a matrix of samples where the
#: case has a vector, a vector where it has a matrix.
VARIANTS = {
    "softmax_jacobian#samples": (lambda r: [("a", _softmaxed(r, 3, 2), None)], {},
                                 lambda a: np.stack([_jacobian(a[:, s]) for s in range(2)])),
    "matmul_terms#matrix": (lambda r: [("W", _mat(r, 2, 3), None), ("A", _mat(r, 3, 2), None)], {},
                            lambda W, A: np.array([[[W[i, k] * A[k, j] for k in range(3)] for j in range(2)]
                                                   for i in range(2)])),
    "sum_keep#vector": (lambda r: [("a", _vec(r, 3), None)], {"axis": 0}, lambda a: np.array([a[0] + a[1] + a[2]])),
    "over_count#vector": (lambda r: [("a", _vec(r, 3), None)], {"count": 7}, lambda a: a / 7),
    # a batch with one kernel (no kernel axis): the samples of one channel, and their bias gradient a number
    "correlate_kernel_grad_samples#one kernel": (
        lambda r: [("g", _grid(r, 3, 2, 2), None), ("x", _grid(r, 3, 1, 3, 3), None)],
        {"stride": 2, "padding": 1, "shape": (2, 2)},
        lambda g, x: sum(np.einsum("chwab,hw->ab", _windows(x[n], (2, 2), 2, 1), g[n]) for n in range(3))),
    "correlate_samples#one kernel": (
        lambda r: [("x", _grid(r, 3, 1, 3, 3), None), ("k", _grid(r, 2, 2), None)], {"stride": 2, "padding": 1},
        lambda x, k: np.stack([np.einsum("chwab,ab->hw", _windows(xn, (2, 2), 2, 1), k) for xn in x])),
    "grid_sum_samples#one kernel": (lambda r: [("g", _grid(r, 3, 2, 2), None)], {}, lambda g: g.sum()),
}
ALL = sorted(CASES) + sorted(VARIANTS)

POLICIES = [RoundingPolicy(mode=m, default=p) for m in ("display", "carry")
            for p in (Precision("decimals", 2), Precision("decimals", 4), Precision("significant", 3))]


def _build(name, rng, policy):
    make, params, ref = CASES[name] if name in CASES else VARIANTS[name]
    name = name.split("#")[0]
    operands = make(rng)
    pt = ProblemTrace(id="t", kind="test", info={"mode": policy.mode})
    g = Graph(Recorder(pt, policy, batch=True))
    for n, v, _ in operands:
        g.given(n, v, n)
    g.apply(name, "out", [n if a is None else (n, a) for n, _, a in operands], "activation",
            **{k: (exact.D(v) if k == "count" else v) for k, v in params.items()})
    return pt, operands, ref


#: Operations whose lines the hand-checker skips by design: a convention at a kink (ReLU', LReLU'),
#: a position, entries only moved (no arithmetic).
UNCHECKED = {"relu_slope", "relu_slope_at", "leaky_relu_slope_at", "window_argmax", "reshape",
             "positive_indicator",       # 1[a > 0], the hinge's subgradient convention at a = 0
             # 0.96^{t ψ}: a power with a non-integer exponent the hand-checker does not evaluate; the
             # lines are recomputed from their printed numbers in tests/test_optimizer_options.py
             "nadam_mu", "nadam_mu_product"}

#: Functions a document defines for the hand-checker (it evaluates LReLU only with its slope
#: defined), as the worked solution states them: the slope is the case's.
DEFINITIONS = {"leaky_relu_by": r"$\operatorname{LReLU}(z) = \begin{cases} z & z > 0 \\ 0.01\, z & z \le 0 "
                                r"\end{cases}$" + "\n"}

#: Operations without a case here, each with its reason (none: every operation has one).
EXEMPT: set[str] = set()


def test_every_operation_has_a_case_and_a_printer():
    from generator.ops.latex import EXPRESSIONS
    missing = sorted(set(OPS) - set(CASES) - EXEMPT)
    assert not missing, f"operations without an independent check: {missing}"
    assert set(OPS) <= set(EXPRESSIONS), "an operation without a printer"


@pytest.mark.parametrize("name", ALL)
def test_operation_values_match_the_textbook_formula(name):
    rng = np.random.default_rng(ALL.index(name))
    for _ in range(10):
        pt, operands, ref = _build(name, rng, RoundingPolicy(mode="display", default=Precision("decimals", 4)))
        want = np.asarray(ref(*[np.asarray(v, dtype=float) for _, v, _ in operands]), dtype=float)
        assert np.allclose(np.asarray(pt["out"], dtype=float), want, rtol=1e-12, atol=1e-12), name


@pytest.mark.parametrize("name", ALL)
def test_every_printed_line_checks_by_hand(name):
    rng = np.random.default_rng(1000 + ALL.index(name))
    relations = {"=": 0, "approx": 0}
    for policy in POLICIES:
        for _ in range(4):
            pt, _, _ = _build(name, rng, policy)
            tex = View(None, pt, Formatter(policy)).show("out")
            tex_defined = DEFINITIONS.get(name.split("#")[0], "") + tex
            report = check_tex(tex_defined, policy.mode, strict=policy.mode == "display")
            assert not report.failures, "\n".join(f"{f.left} {f.rel} {f.right}: {f.why}" for f in report.failures)
            assert report.checked >= 1 or name.split("#")[0] in UNCHECKED, tex
            relations["="] += tex.count(" = ")
            relations["approx"] += tex.count(r"\approx")
    assert relations["approx"] or relations["="]


def test_equals_only_where_the_printed_numbers_give_the_result_exactly():
    """0 · e^0 is exactly 0 and 1 · e^1 is not: the printer decides from the printed operands."""
    policy = RoundingPolicy(mode="display", default=Precision("decimals", 2))
    pt = ProblemTrace(id="t", kind="test", info={"mode": "display"})
    g = Graph(Recorder(pt, policy, batch=True))
    g.given("a", np.array([0.0, 0.5]), "a")
    g.apply("exp", "e", ["a"], "activation")           # e^0 = 1 exactly, e^0.5 rounded (1.65)
    g.apply("product", "p", ["a", "e"], "activation")   # 0 · 1 = 0; 0.5 · 1.65 = 0.825, not 0.82
    g.apply("product", "q", ["a", "a"], "activation")   # 0 · 0 and 0.5 · 0.5: exact
    assert r"\approx \begin{bmatrix} 0.00 \\ 0.82 \end{bmatrix}" in View(None, pt, Formatter(policy)).show("p")
    assert r"= \begin{bmatrix} 0.00 \\ 0.25 \end{bmatrix}" in View(None, pt, Formatter(policy)).show("q")


def test_masked_entries_print_as_minus_infinity_and_leave_the_relation_alone():
    """A masked score is −∞ in the written-out matrix and in the result; the relation of the line
    is decided by the other entries (here exact: 0.3/1.5 = 0.2 …)."""
    policy = RoundingPolicy(mode="display", default=Precision("decimals", 2))
    pt = ProblemTrace(id="t", kind="test", info={"mode": "display"})
    g = Graph(Recorder(pt, policy, batch=True))
    g.given("a", np.array([[0.3, 0.1], [0.6, 0.9]]), "a")
    g.given("b", 1.5, "b")
    g.given("m", np.array([[1, 0], [1, 1]]), "m")
    g.apply("quotient_masked", "s", ["a", ("b", ()), "m"], "activation")
    tex = View(None, pt, Formatter(policy)).show("s")
    assert tex.count(r"-\infty") == 2 and r"\frac{0.1}" not in tex and " = " in tex.split("end{bmatrix}", 1)[1], tex
    assert abs(float(pt["s"][0][1]) - 0.1 / 1.5) < 1e-12          # recorded unmasked


@pytest.mark.parametrize("name, unneeded, ref", [
    ("ln_where", 0.0, lambda a, y: np.where(y == 0, 0.0, np.log(a))),
    ("ln_complement_where", 1.0, lambda a, y: np.where(y == 1, 0.0, np.log(1 - a))),
])
def test_logarithms_the_loss_does_not_need_are_zero_and_printed_as_a_dash(name, unneeded, ref):
    """ln ŷ where y = 0 (ln(1 − ŷ) where y = 1) has the factor 0 in the cross-entropy: recorded 0,
    written "--" in both matrices of the line, the other entries computed."""
    policy = RoundingPolicy(mode="display", default=Precision("decimals", 2))
    pt = ProblemTrace(id="t", kind="test", info={"mode": "display"})
    g = Graph(Recorder(pt, policy, batch=True))
    a, y = np.array([0.3, 0.6, 0.8]), np.array([0.0, 1.0, 0.5])
    g.given("a", a, "a")
    g.given("y", y, "y")
    g.apply(name, "out", ["a", "y"], "loss")
    assert np.allclose(np.asarray(pt["out"], dtype=float), ref(a, y), rtol=1e-12, atol=1e-12)
    tex = View(None, pt, Formatter(policy)).show("out")
    dash = [i for i, v in enumerate(y) if v == unneeded]
    rows = [r.split(r" \\ ") for r in tex.split(r"\begin{bmatrix} ")[1:]]
    assert len(rows) == 2 and all(len(r) == 3 for r in rows), tex
    for written, result in zip(*rows):
        assert (written == r"\text{--}") == (result.split(r" \end")[0] == r"\text{--}"), tex
    assert [i for i, w in enumerate(rows[0]) if w == r"\text{--}"] == dash, tex
    assert [i for i, w in enumerate(rows[1]) if w.startswith(r"\text{--}")] == dash, tex
