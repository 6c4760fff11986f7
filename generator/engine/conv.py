"""2-D convolution (cross-correlation, as in deep learning) and pooling, forward and backward,
written as the direct loops a person follows by hand, in exact decimal arithmetic (``exact``).
Values go through ``observe``."""

from __future__ import annotations

import numpy as np

from . import exact


def out_size(n: int, k: int, s: int, p: int) -> int:
    return (n + 2 * p - k) // s + 1


def convolve(problem, observe):
    """Output, windows, products; with an upstream gradient the gradients of kernel, input, bias."""
    x, k, s, p = exact.array(problem.input), exact.array(problem.kernel), problem.stride, problem.padding
    C, H, W = x.shape
    _, kh, kw = k.shape
    xp = observe("padded_input", _pad(x, p, exact.ZERO, axes=(1, 2)), "preactivation", "zero padding",
                 sample_axis=0, rounded=False, given=True)
    oh, ow = out_size(H, kh, s, p), out_size(W, kw, s, p)
    windows = exact.full((oh, ow, C, kh, kw))
    for i in range(oh):
        for j in range(ow):
            windows[i, j] = xp[:, i * s:i * s + kh, j * s:j * s + kw]
    windows = observe("windows", windows, "preactivation", "window (i, j) of the padded input",
                      sample_axis=2, rounded=False, given=True)
    products = observe("products", windows * k[None, None], "preactivation", "window ⊙ kernel",
                       sample_axis=2, rounded=False, given=True)
    out = products.sum(axis=(2, 3, 4))
    if problem.bias is not None:
        out = out + exact.D(problem.bias)
    out = observe("output", out, "preactivation", "z_ij = sum(window_ij ⊙ kernel) (+ b)")
    routes = None
    G = None if problem.upstream is None else exact.array(problem.upstream)
    if G is not None:
        gk = exact.full(k.shape)
        gxp = exact.full(xp.shape)
        routes = [[[[] for _ in range(W)] for _ in range(H)] for _ in range(C)]
        for i in range(oh):
            for j in range(ow):
                gk += G[i, j] * windows[i, j]
                gxp[:, i * s:i * s + kh, j * s:j * s + kw] += G[i, j] * k
                for c in range(C):
                    for a in range(kh):
                        for b in range(kw):
                            r, q = i * s + a - p, j * s + b - p
                            if 0 <= r < H and 0 <= q < W:
                                routes[c][r][q].append([i, j, a, b])
        observe("upstream", G, "gradient", "dL/dz (given)", rounded=False, given=True)
        observe("grad.kernel", gk, "gradient", "dL/dw_ab = sum_ij dL/dz_ij x_pad[i s + a, j s + b]",
                sample_axis=0)
        observe("grad.input", gxp[:, p:p + H, p:p + W], "gradient",
                "dL/dx_rc = sum over windows covering (r, c) of dL/dz_ij w_ab", sample_axis=0)
        if problem.bias is not None:
            observe("grad.bias", G.sum(), "gradient", "dL/db = sum_ij dL/dz_ij")
    return {"out_h": oh, "out_w": ow, "span_h": H + 2 * p - kh, "span_w": W + 2 * p - kw,
            "routes": routes}


def pool(problem, observe):
    """Max or average pooling; with an upstream gradient, its routing back to the input.

    Ties in max pooling: the first maximum in reading order (row by row) takes the gradient,
    decided on the exact values.  Padding: max pooling pads with −∞ (never chosen), average
    pooling with zeros that count."""
    x, (kh, kw), s, p = exact.array(problem.input), problem.window, problem.stride, problem.padding
    H, W = x.shape
    is_max = problem.mode == "max"
    pad = np.zeros((H + 2 * p, W + 2 * p), dtype=bool)     # True where a position is padding
    pad[:p, :], pad[H + p:, :], pad[:, :p], pad[:, W + p:] = True, True, True, True
    xp = _pad(x, p, exact.ZERO, axes=(0, 1))
    if p:
        observe("padded_input", xp, "activation", "padding", rounded=False, given=True)
    oh, ow = out_size(H, kh, s, p), out_size(W, kw, s, p)
    windows = np.stack([np.stack([xp[i * s:i * s + kh, j * s:j * s + kw] for j in range(ow)])
                        for i in range(oh)])
    observe("windows", windows, "activation", "window (i, j)", rounded=False, given=True)
    argmax = np.zeros((oh, ow, 2), dtype=int)
    out = exact.full((oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = windows[i, j]
            if is_max:
                cells = [(a, b) for a in range(kh) for b in range(kw) if not pad[i * s + a, j * s + b]]
                a, b = max(cells, key=lambda ab: (win[ab], -ab[0] * kw - ab[1]))   # first maximum
                argmax[i, j] = (i * s + a - p, j * s + b - p)
                out[i, j] = win[a, b]
            else:
                out[i, j] = win.sum() / exact.D(kh * kw)
    out = observe("output", out, "activation", f"{problem.mode} of each window")
    if is_max:
        observe("argmax", argmax, "activation", "position of the maximum (row, column)", rounded=False, given=True)
    G = None if problem.upstream is None else exact.array(problem.upstream)
    if G is not None:
        observe("upstream", G, "gradient", "dL/dp (given)", rounded=False, given=True)
        gx = exact.full((H + 2 * p, W + 2 * p))
        for i in range(oh):
            for j in range(ow):
                if is_max:
                    r, q = argmax[i, j]
                    gx[r + p, q + p] += G[i, j]
                else:
                    gx[i * s:i * s + kh, j * s:j * s + kw] += G[i, j] / exact.D(kh * kw)
        observe("grad.input", gx[p:p + H, p:p + W], "gradient",
                "max: to the arg-max of each window; average: spread evenly")
    padding = [[pad[i * s:i * s + kh, j * s:j * s + kw].tolist() for j in range(ow)] for i in range(oh)]
    return {"out_h": oh, "out_w": ow, "span_h": H + 2 * p - kh, "span_w": W + 2 * p - kw,
            "padding_cells": padding if p else None}


def _pad(a: np.ndarray, p: int, fill, axes) -> np.ndarray:
    """``a`` with ``p`` entries of ``fill`` around it along ``axes`` (an object array stays one)."""
    shape = list(a.shape)
    for ax in axes:
        shape[ax] += 2 * p
    out = exact.full(tuple(shape), fill)
    index = tuple(slice(p, p + a.shape[ax]) if ax in axes else slice(None) for ax in range(a.ndim))
    out[index] = a
    return out
