"""Independent float64 reference for the convolution kind (deep learning's convolution: the
cross-correlation of ``torch.nn.functional.conv2d``, zero padding, a stride).

Standalone on purpose: it imports nothing from ``generator`` and is written straight from the
definition with plain loops, so it can check the engine rather than repeat it.

The exercise part holds one input (``input``: a matrix H × W, or C matrices) or a list of N samples
(``inputs``), one kernel (``kernel``: kh × kw, or C of them) or a list of F kernels (``kernels``),
an optional ``bias`` (a number; with ``kernels`` one per kernel), ``stride`` (default 1),
``padding`` (default 0) and optionally ``upstream`` = ∂L/∂z of the output's shape.  With x_pad the
sample padded by p zeros on every side:

    z[n, f]_ij = Σ_c Σ_ab w[f, c]_ab · x_pad[n, c][i s + a, j s + b] + b[f]          (``output``)

With an upstream gradient g = ∂L/∂z (L = Σ g ⊙ z, see :func:`loss`):

    ∂L/∂w[f, c]_ab = Σ_n Σ_ij g[n, f]_ij · x_pad[n, c][i s + a, j s + b]              (``grad.kernel``)
    ∂L/∂b[f]       = Σ_n Σ_ij g[n, f]_ij                                               (``grad.bias``)
    ∂L/∂x[n, c]_rq = Σ_f Σ_ij Σ_ab g[n, f]_ij w[f, c]_ab [i s + a − p = r, j s + b − p = q]
                                                                                       (``grad.input``)

Values come back in the trace's shapes: a sample axis only with ``inputs``, a kernel axis only
with ``kernels``, a channel axis where there are several channels or a list was given."""

from __future__ import annotations

import numpy as np


def _grids(value, many: bool) -> np.ndarray:
    """n × C × H × W from one grid (H × W or C × H × W) or, ``many``, a list of them."""
    items = value if many else [value]
    out = []
    for item in items:
        a = np.asarray(item, dtype=np.float64)
        out.append(a[None] if a.ndim == 2 else a)
    return np.stack(out)


def _parse(part: dict):
    samples, filters = "inputs" in part, "kernels" in part
    x = _grids(part["inputs"] if samples else part["input"], samples)
    w = _grids(part["kernels"] if filters else part["kernel"], filters)
    F = w.shape[0]
    bias = part.get("bias")
    b = np.zeros(F) if bias is None else np.asarray(bias, dtype=np.float64).reshape(F)
    s, p = int(part.get("stride", 1)), int(part.get("padding", 0))
    return samples, filters, x, w, b, s, p


def _shapes(x, w, s, p):
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    return N, C, F, kh, kw, (H + 2 * p - kh) // s + 1, (W + 2 * p - kw) // s + 1


def _pad(x, p):
    N, C, H, W = x.shape
    out = np.zeros((N, C, H + 2 * p, W + 2 * p))
    for n in range(N):
        for c in range(C):
            for r in range(H):
                for q in range(W):
                    out[n, c, r + p, q + p] = x[n, c, r, q]
    return out


def _forward(x, w, b, s, p):
    N, C, F, kh, kw, oh, ow = _shapes(x, w, s, p)
    xp = _pad(x, p)
    z = np.zeros((N, F, oh, ow))
    for n in range(N):
        for f in range(F):
            for i in range(oh):
                for j in range(ow):
                    total = b[f]
                    for c in range(C):
                        for a in range(kh):
                            for bb in range(kw):
                                total += w[f, c, a, bb] * xp[n, c, i * s + a, j * s + bb]
                    z[n, f, i, j] = total
    return z


def _upstream(part, samples, filters, shape):
    g = np.asarray(np.ones(shape) if part["upstream"] == "ones" else part["upstream"], dtype=np.float64)
    if not samples:
        g = g[None]
    if not filters:
        g = np.expand_dims(g, 1)
    return g.reshape(shape)


def _as_given(a, many: bool, channels: bool):
    """A value of n × C × … in the trace's shape: without the first axis unless ``many``, without
    the channel axis of one grid unless ``channels``."""
    return a if many else (a[0] if channels else a[0, 0])


def solve(part: dict) -> dict:
    """{trace name: float64 array}: ``output`` and, with an upstream gradient, ``grad.kernel``,
    ``grad.input`` and (with a bias) ``grad.bias``."""
    samples, filters, x, w, b, s, p = _parse(part)
    N, C, F, kh, kw, oh, ow = _shapes(x, w, s, p)
    z = _forward(x, w, b, s, p)
    out = {"output": z[(slice(None) if samples else 0), (slice(None) if filters else 0)]}
    if part.get("upstream") is None:
        return out
    g = _upstream(part, samples, filters, z.shape)
    xp = _pad(x, p)
    dw = np.zeros(w.shape)
    dxp = np.zeros(xp.shape)
    db = np.zeros(F)
    for n in range(N):
        for f in range(F):
            for i in range(oh):
                for j in range(ow):
                    db[f] += g[n, f, i, j]
                    for c in range(C):
                        for a in range(kh):
                            for bb in range(kw):
                                dw[f, c, a, bb] += g[n, f, i, j] * xp[n, c, i * s + a, j * s + bb]
                                dxp[n, c, i * s + a, j * s + bb] += g[n, f, i, j] * w[f, c, a, bb]
    H, W = x.shape[2:]
    out["grad.kernel"] = _as_given(dw, filters, C > 1)
    out["grad.input"] = _as_given(dxp[:, :, p:p + H, p:p + W], samples, C > 1)
    if part.get("bias") is not None:
        out["grad.bias"] = db if filters else db[0]
    return out


def loss(part: dict) -> float:
    """L = Σ upstream ⊙ z, whose gradients :func:`solve` reports (an upstream of ones without one)."""
    samples, filters, x, w, b, s, p = _parse(part)
    z = _forward(x, w, b, s, p)
    g = _upstream(part, samples, filters, z.shape) if part.get("upstream") is not None else np.ones(z.shape)
    return float((g * z).sum())
