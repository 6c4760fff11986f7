"""A 2-D convolution (cross-correlation, as in deep learning) over one or several channels, with
stride and padding, composed of the shared window operations (``generator.ops``): the output and,
with an upstream gradient, the gradients of the kernel (the input correlated with the upstream
gradient), of the input (a full convolution) and of the bias.  No arithmetic of its own.

A layer of F kernels (``kernels:``) over N samples (``inputs:``) is the same composition:
z[n, f] = Σ_c x[n, c] ⋆ w[f, c] + b[f]; ∂L/∂w[f] = Σ_n Σ_ij ∂L/∂z[n, f]_ij · window_ij of x[n];
∂L/∂b[f] = Σ_n Σ_ij ∂L/∂z[n, f]_ij; ∂L/∂x[n] = Σ_f the full convolution of ∂L/∂z[n, f] with w[f].
The kernels are the window operations' ``filters``; the samples, the same operations sample by
sample (``*_samples``: a result per sample, or summed over the samples for what they share)."""

from __future__ import annotations

from ...engine import grid
from ...ops import Graph
from ...trace import ProblemTrace, Recorder

#: The JSON trace's formula of each step: one kernel over one input, and a layer or a batch.
FORMULAS = {
    False: {"output": "z_ij = sum(window_ij ⊙ kernel) (+ b)",
            "grad.kernel": "dL/dw_ab = sum_ij dL/dz_ij x_pad[i s + a, j s + b]",
            "grad.input": "dL/dx_rc = sum over windows covering (r, c) of dL/dz_ij w_ab",
            "grad.bias": "dL/db = sum_ij dL/dz_ij"},
    True: {"output": "z[n, f]_ij = sum_c sum(window_ij of x[n, c] ⊙ w[f, c]) (+ b[f])",
           "grad.kernel": "dL/dw[f]_ab = sum_n sum_ij dL/dz[n, f]_ij x_pad[n][i s + a, j s + b]",
           "grad.input": "dL/dx[n]_rc = sum over kernels f and windows covering (r, c) of dL/dz[n, f]_ij w[f]_ab",
           "grad.bias": "dL/db[f] = sum_n sum_ij dL/dz[n, f]_ij"},
}


def solve(problem, policy, overrides=None) -> ProblemTrace:
    pt = ProblemTrace(id=problem.id, kind=problem.kind,
                      info={"stride": problem.stride, "padding": problem.padding})
    # one channel: every value a matrix; several: the channel is the first index (after the sample
    # and kernel axes of a batch or a layer)
    g = Graph(Recorder(pt, policy, batch=problem.multi or problem.channels > 1))
    pt.info.update(convolve(problem, g))
    return pt


def convolve(problem, g) -> dict:
    """Steps padded_input, windows, products (one kernel over one input), output; with an upstream
    gradient grad.kernel, grad.input and grad.bias.  Returns the sizes (and routes) the solution
    states."""
    formula = FORMULAS[problem.multi]
    x = g.given("input", problem.value("input"), "x")
    k = g.given("kernel", problem.value("kernel"), "w")
    operands = [x, k]
    if problem.bias is not None:
        operands.append(g.given("bias", problem.value("bias"), "b"))
    each = "_samples" if problem.samples else ""              # the operation sample by sample
    at = {"stride": problem.stride, "padding": problem.padding, **({"filters": True} if problem.filters else {})}
    shape_x, shape_k = g.value(x).shape, g.value(k).shape
    one = shape_x[1:] if problem.samples else shape_x          # one sample's input
    g.apply("pad" + each, "padded_input", [x], "preactivation", formula="zero padding", rounded=False, given=True,
            padding=problem.padding)
    windows = g.apply("windows" + each, "windows", [x], "preactivation", formula="window (i, j) of the padded input",
                      rounded=False, given=True, size=shape_k[-2:], stride=problem.stride, padding=problem.padding)
    if not problem.multi:
        g.apply("product", "products", [windows, (k, tuple(range(2, 2 + len(shape_k))))], "preactivation",
                formula="window ⊙ kernel", rounded=False, given=True)
    g.apply("correlate" + each, "output", operands, "preactivation", formula=formula["output"],
            bias=problem.bias is not None, note=("z", {}), **at)
    sizes = {**grid.sizes(shape_x, shape_k[-2:], problem.stride, problem.padding), "routes": None}
    if problem.upstream is None:
        return sizes
    G = g.given("upstream", problem.value("upstream"), "dL/dz (given)")
    g.apply("correlate_kernel_grad" + each, "grad.kernel", [G, x], "gradient", formula=formula["grad.kernel"],
            shape=shape_k, note=("grad.kernel", {}), **at)
    g.apply("correlate_input_grad" + each, "grad.input", [G, k], "gradient", formula=formula["grad.input"],
            shape=one, note=("grad.input", {}), **at)
    if problem.bias is not None:
        g.apply("grid_sum" + each, "grad.bias", [G], "gradient", formula=formula["grad.bias"], note=("grad.bias", {}))
    return {**sizes, "routes": grid.routes(one, shape_k[-2:], problem.stride, problem.padding)}
