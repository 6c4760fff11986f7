"""One 2-D convolution (cross-correlation, as in deep learning) over one or several channels, with
stride and padding, composed of the shared window operations (``generator.ops``): the output and,
with an upstream gradient, the gradients of the kernel (the input correlated with the upstream
gradient), of the input (a full convolution) and of the bias.  No arithmetic of its own."""

from __future__ import annotations

from ...engine import grid
from ...ops import Graph
from ...trace import ProblemTrace, Recorder


def solve(problem, policy, overrides=None) -> ProblemTrace:
    pt = ProblemTrace(id=problem.id, kind=problem.kind,
                      info={"stride": problem.stride, "padding": problem.padding})
    # one channel: every value a matrix; several: the channel is the first index
    g = Graph(Recorder(pt, policy, batch=problem.input.shape[0] > 1))
    pt.info.update(convolve(problem, g))
    return pt


def convolve(problem, g) -> dict:
    """Steps padded_input, windows, products, output; with an upstream gradient grad.kernel,
    grad.input and grad.bias.  Returns the sizes (and routes) the solution states."""
    one = problem.input.shape[0] == 1
    x = g.given("input", problem.input[0] if one else problem.input, "x")
    k = g.given("kernel", problem.kernel[0] if one else problem.kernel, "w")
    operands = [x, k]
    if problem.bias is not None:
        operands.append(g.given("bias", problem.bias, "b"))
    at = {"stride": problem.stride, "padding": problem.padding}
    shape_x, shape_k = g.value(x).shape, g.value(k).shape
    g.apply("pad", "padded_input", [x], "preactivation", formula="zero padding", rounded=False, given=True,
            padding=problem.padding)
    windows = g.apply("windows", "windows", [x], "preactivation", formula="window (i, j) of the padded input",
                      rounded=False, given=True, size=shape_k[-2:], **at)
    g.apply("product", "products", [windows, (k, tuple(range(2, 2 + len(shape_k))))], "preactivation",
            formula="window ⊙ kernel", rounded=False, given=True)
    g.apply("correlate", "output", operands, "preactivation", formula="z_ij = sum(window_ij ⊙ kernel) (+ b)",
            bias=problem.bias is not None, note=("z", {}), **at)
    sizes = {**grid.sizes(shape_x, shape_k[-2:], problem.stride, problem.padding), "routes": None}
    if problem.upstream is None:
        return sizes
    G = g.given("upstream", problem.upstream, "dL/dz (given)")
    g.apply("correlate_kernel_grad", "grad.kernel", [G, x], "gradient",
            formula="dL/dw_ab = sum_ij dL/dz_ij x_pad[i s + a, j s + b]", shape=shape_k, note=("grad.kernel", {}), **at)
    g.apply("correlate_input_grad", "grad.input", [G, k], "gradient",
            formula="dL/dx_rc = sum over windows covering (r, c) of dL/dz_ij w_ab", shape=shape_x,
            note=("grad.input", {}), **at)
    if problem.bias is not None:
        g.apply("grid_sum", "grad.bias", [G], "gradient", formula="dL/db = sum_ij dL/dz_ij", note=("grad.bias", {}))
    return {**sizes, "routes": grid.routes(shape_x, shape_k[-2:], problem.stride, problem.padding)}
