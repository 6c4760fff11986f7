"""Max and average pooling, forward and the routing of an upstream gradient back, in exact
decimal arithmetic (``exact``).  Values go through ``observe``."""

from __future__ import annotations

import numpy as np

from ...engine import exact
from ...engine.grid import out_size, pad
from ...trace import ProblemTrace, Recorder


def solve(problem, policy, overrides=None) -> ProblemTrace:
    pt = ProblemTrace(id=problem.id, kind=problem.kind,
                      info={"stride": problem.stride, "padding": problem.padding})
    rec = Recorder(pt, policy, batch=False)
    with exact.arithmetic():
        pt.info.update(pool(problem, rec))
    return pt


def pool(problem, observe):
    """Max or average pooling; with an upstream gradient, its routing back to the input.

    Ties in max pooling: the first maximum in reading order (row by row) takes the gradient,
    decided on the exact values.  Padding: max pooling pads with −∞ (never chosen), average
    pooling with zeros that count."""
    x, (kh, kw), s, p = exact.array(problem.input), problem.window, problem.stride, problem.padding
    H, W = x.shape
    is_max = problem.mode == "max"
    is_pad = np.zeros((H + 2 * p, W + 2 * p), dtype=bool)     # True where a position is padding
    is_pad[:p, :], is_pad[H + p:, :], is_pad[:, :p], is_pad[:, W + p:] = True, True, True, True
    xp = pad(x, p, exact.ZERO, axes=(0, 1))
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
                cells = [(a, b) for a in range(kh) for b in range(kw) if not is_pad[i * s + a, j * s + b]]
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
    padding = [[is_pad[i * s:i * s + kh, j * s:j * s + kw].tolist() for j in range(ow)] for i in range(oh)]
    return {"out_h": oh, "out_w": ow, "span_h": H + 2 * p - kh, "span_w": W + 2 * p - kw,
            "padding_cells": padding if p else None}
