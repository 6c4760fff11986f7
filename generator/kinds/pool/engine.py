"""Max or average pooling of one grid and the routing of an upstream gradient back to it, composed
of the shared window operations (``generator.ops``): no arithmetic of its own.

Ties in max pooling go to the first maximum in reading order (row by row), decided on the exact
values; padding counts as −∞ in max pooling (never chosen) and as zeros in an average."""

from __future__ import annotations

from ...engine import grid
from ...ops import Graph
from ...trace import ProblemTrace, Recorder


def solve(problem, policy, overrides=None) -> ProblemTrace:
    pt = ProblemTrace(id=problem.id, kind=problem.kind,
                      info={"stride": problem.stride, "padding": problem.padding})
    g = Graph(Recorder(pt, policy, batch=False))
    pt.info.update(pool(problem, g))
    return pt


def pool(problem, g) -> dict:
    """Steps (padded_input,) windows, output (and argmax); with an upstream gradient grad.input.
    Returns the sizes the solution states and, with padding, which window entries are padding."""
    at = {"size": problem.window, "stride": problem.stride, "padding": problem.padding}
    x = g.given("input", problem.input, "x")
    if problem.padding:
        g.apply("pad", "padded_input", [x], "activation", formula="padding", rounded=False, given=True,
                padding=problem.padding)
    g.apply("windows", "windows", [x], "activation", formula="window (i, j)", rounded=False, given=True, **at)
    is_max = problem.mode == "max"
    g.apply("max_pool" if is_max else "average_pool", "output", [x], "activation",
            formula=f"{problem.mode} of each window", note=("p", {}), **at)
    if is_max:
        g.apply("window_argmax", "argmax", [x], "activation", formula="position of the maximum (row, column)",
                rounded=False, given=True, **at)
    if problem.upstream is not None:
        G = g.given("upstream", problem.upstream, "dL/dp (given)")
        formula = "max: to the arg-max of each window; average: spread evenly"
        if is_max:
            g.apply("max_pool_grad", "grad.input", [G, "argmax"], "gradient", formula=formula,
                    shape=problem.input.shape, note=("grad.input", {}))
        else:
            g.apply("average_pool_grad", "grad.input", [G], "gradient", formula=formula,
                    shape=problem.input.shape, note=("grad.input", {}), **at)
    cells = grid.padding_cells(problem.input.shape, problem.window, problem.stride, problem.padding)
    return {**grid.sizes(problem.input.shape, problem.window, problem.stride, problem.padding),
            "padding_cells": cells if problem.padding else None}
