"""2-D convolution (cross-correlation, as in deep learning), forward and backward, written as the
direct loops a person follows by hand, in exact decimal arithmetic (``exact``).  Values go through
``observe``."""

from __future__ import annotations

from ...engine import exact
from ...engine.grid import out_size, pad
from ...trace import ProblemTrace, Recorder


def solve(problem, policy, overrides=None) -> ProblemTrace:
    pt = ProblemTrace(id=problem.id, kind=problem.kind,
                      info={"stride": problem.stride, "padding": problem.padding})
    # the channel axis is kept only for several channels (as the sample axis of a batch is)
    rec = Recorder(pt, policy, batch=problem.input.shape[0] > 1)
    with exact.arithmetic():
        pt.info.update(convolve(problem, rec))
    return pt


def convolve(problem, observe):
    """Output, windows, products; with an upstream gradient the gradients of kernel, input, bias."""
    x, k, s, p = exact.array(problem.input), exact.array(problem.kernel), problem.stride, problem.padding
    C, H, W = x.shape
    _, kh, kw = k.shape
    xp = observe("padded_input", pad(x, p, exact.ZERO, axes=(1, 2)), "preactivation", "zero padding",
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
