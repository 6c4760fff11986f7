"""2-D convolution (cross-correlation, as in deep learning) and pooling, forward and backward,
written as the direct loops a person follows by hand.  Values go through ``observe``."""

from __future__ import annotations

import numpy as np


def out_size(n: int, k: int, s: int, p: int) -> int:
    return (n + 2 * p - k) // s + 1


def convolve(problem, observe):
    """Output, windows, products; with an upstream gradient the gradients of kernel, input, bias."""
    x, k, s, p = problem.input, problem.kernel, problem.stride, problem.padding
    C, H, W = x.shape
    _, kh, kw = k.shape
    xp = observe("padded_input", np.pad(x, ((0, 0), (p, p), (p, p))), "preactivation", "zero padding",
                 sample_axis=0)
    oh, ow = out_size(H, kh, s, p), out_size(W, kw, s, p)
    windows = np.zeros((oh, ow, C, kh, kw))
    for i in range(oh):
        for j in range(ow):
            windows[i, j] = xp[:, i * s:i * s + kh, j * s:j * s + kw]
    windows = observe("windows", windows, "preactivation", "window (i, j) of the padded input",
                      sample_axis=2)
    products = observe("products", windows * k[None, None], "preactivation", "window ⊙ kernel",
                       sample_axis=2)
    out = products.sum(axis=(2, 3, 4))
    if problem.bias is not None:
        out = out + problem.bias
    out = observe("output", out, "preactivation", "z_ij = sum(window_ij ⊙ kernel) (+ b)")
    routes = None
    G = problem.upstream
    if G is not None:
        gk = np.zeros_like(k, dtype=float)
        gxp = np.zeros_like(xp, dtype=float)
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
        observe("upstream", G, "gradient", "dL/dz (given)")
        observe("grad.kernel", gk, "gradient", "dL/dw_ab = sum_ij dL/dz_ij x_pad[i s + a, j s + b]",
                sample_axis=0)
        observe("grad.input", gxp[:, p:p + H, p:p + W], "gradient",
                "dL/dx_rc = sum over windows covering (r, c) of dL/dz_ij w_ab", sample_axis=0)
        if problem.bias is not None:
            observe("grad.bias", float(G.sum()), "gradient", "dL/db = sum_ij dL/dz_ij")
    return {"out_h": oh, "out_w": ow, "span_h": H + 2 * p - kh, "span_w": W + 2 * p - kw,
            "routes": routes}


def pool(problem, observe):
    """Max or average pooling; with an upstream gradient, its routing back to the input.

    Ties in max pooling: the first maximum in reading order (row by row) takes the gradient.
    Padding: max pooling pads with −∞ (never chosen), average pooling with zeros that count."""
    x, (kh, kw), s, p = problem.input, problem.window, problem.stride, problem.padding
    H, W = x.shape
    fill = -np.inf if problem.mode == "max" else 0.0
    xp = np.pad(x, p, constant_values=fill)
    if p:
        observe("padded_input", np.where(np.isinf(xp), 0.0, xp), "activation", "padding")
    oh, ow = out_size(H, kh, s, p), out_size(W, kw, s, p)
    windows = np.stack([np.stack([xp[i * s:i * s + kh, j * s:j * s + kw] for j in range(ow)])
                        for i in range(oh)])
    observe("windows", np.where(np.isinf(windows), 0.0, windows), "activation", "window (i, j)")
    argmax = np.zeros((oh, ow, 2), dtype=int)
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = windows[i, j]
            if problem.mode == "max":
                a, b = np.unravel_index(int(np.argmax(win)), win.shape)   # first maximum
                argmax[i, j] = (i * s + a - p, j * s + b - p)
                out[i, j] = win[a, b]
            else:
                out[i, j] = win.sum() / (kh * kw)
    out = observe("output", out, "activation", f"{problem.mode} of each window")
    if problem.mode == "max":
        observe("argmax", argmax.astype(float), "activation", "position of the maximum (row, column)")
    G = problem.upstream
    if G is not None:
        observe("upstream", G, "gradient", "dL/dp (given)")
        gx = np.zeros((H + 2 * p, W + 2 * p))
        for i in range(oh):
            for j in range(ow):
                if problem.mode == "max":
                    r, q = argmax[i, j]
                    gx[r + p, q + p] += G[i, j]
                else:
                    gx[i * s:i * s + kh, j * s:j * s + kw] += G[i, j] / (kh * kw)
        observe("grad.input", gx[p:p + H, p:p + W], "gradient",
                "max: to the arg-max of each window; average: spread evenly")
    return {"out_h": oh, "out_w": ow, "span_h": H + 2 * p - kh, "span_w": W + 2 * p - kw}
