"""Normalization along an axis, the one composition batch and layer normalization share: a
features × samples matrix normalized along ``axis`` (1: each feature over the samples, batch
normalization; 0: each sample over its features, layer normalization), scaled and shifted per
feature; and its backward pass from ∂L/∂y.

Forward: μ = (1/N) Σ x, σ² = (1/N) Σ (x − μ)² (the biased variance), s = √(σ² + ε),
x̂ = (x − μ)/s, y = γ x̂ + β.  Backward from G = ∂L/∂y (γ and β per feature, so their gradients sum
over the samples whatever the axis): ∂L/∂β = Σ G, ∂L/∂γ = Σ G x̂, ∂L/∂x̂ = γ G and
∂L/∂x = (N ∂L/∂x̂ − Σ ∂L/∂x̂ − x̂ Σ ∂L/∂x̂ x̂) / (N s), the sums along ``axis``."""

from __future__ import annotations

import numpy as np

from ..engine import exact

FEATURES = 0        # the axis of the features in a features × samples matrix
SAMPLES = 1


def forward(g, axis: int) -> None:
    """Steps sum, mean, centered, squares, variance, std, xhat and output from the given steps
    input, gamma, beta and epsilon."""
    other = 1 - axis
    n = exact.D(np.shape(g.value("input"))[axis])
    along = "samples" if axis == SAMPLES else "features"
    g.apply("sum_along", "sum", ["input"], "activation", formula=f"sum over the {along}", rounded=False,
            given=True, axis=axis)
    g.apply("mean_along", "mean", ["input"], "activation", formula="mu = sum / N", axis=axis, count=n)
    mean = ("mean", (other,))
    g.apply("difference", "centered", ["input", mean], "activation", formula="x - mu", rounded=False)
    g.apply("product", "squares", ["centered", "centered"], "activation", formula="(x - mu)^2", rounded=False)
    g.apply("variance_along", "variance", ["input", mean], "activation",
            formula="sigma^2 = sum (x - mu)^2 / N", axis=axis, count=n)
    g.apply("sqrt_sum", "std", ["variance", ("epsilon", ())], "activation", formula="sqrt(sigma^2 + eps)")
    g.apply("standardize", "xhat", ["input", mean, ("std", (other,))], "activation",
            formula="(x - mu) / sqrt(sigma^2 + eps)")
    g.apply("scale_shift", "output", ["xhat", ("gamma", (FEATURES,)), ("beta", (FEATURES,))], "activation",
            formula="y = gamma xhat + beta")


def backward(g, axis: int) -> None:
    """Steps grad.beta, grad.gamma, dxhat, sum_dxhat, sum_dxhat_xhat, inner and grad.input from
    the given step upstream (∂L/∂y) and the forward steps."""
    other = 1 - axis
    n = exact.D(np.shape(g.value("input"))[axis])
    g.apply("sum_along", "grad.beta", ["upstream"], "gradient", formula="dL/dbeta = sum dL/dy", axis=SAMPLES)
    g.apply("dot_along", "grad.gamma", ["upstream", "xhat"], "gradient", formula="dL/dgamma = sum dL/dy xhat",
            axis=SAMPLES)
    g.apply("product", "dxhat", [("gamma", (FEATURES,)), "upstream"], "gradient", formula="dL/dxhat = gamma dL/dy")
    g.apply("sum_along", "sum_dxhat", ["dxhat"], "gradient", formula="sum dL/dxhat", rounded=False, axis=axis)
    g.apply("dot_along", "sum_dxhat_xhat", ["dxhat", "xhat"], "gradient", formula="sum dL/dxhat xhat",
            rounded=False, axis=axis)
    g.apply("norm_inner", "inner", ["dxhat", "xhat", ("sum_dxhat", (other,)), ("sum_dxhat_xhat", (other,))],
            "gradient", formula="N dxhat - sum dxhat - xhat sum dxhat xhat", rounded=False, count=n)
    g.apply("norm_grad", "grad.input", ["inner", ("std", (other,))], "gradient", formula="inner / (N std)",
            count=n)


def exercise(model, policy, overrides, axis: int):
    """The trace of a normalization exercise (``model``: input, gamma, beta, epsilon and an
    optional upstream gradient, a features × samples matrix) normalized along ``axis``."""
    from ..trace import ProblemTrace, Recorder
    from .graph import Graph
    pt = ProblemTrace(id=model.id, kind=model.kind,
                      info={"features": model.features, "samples": model.samples,
                            "backward": model.upstream is not None, "mode": policy.mode})
    g = Graph(Recorder(pt, policy, batch=True, overrides=overrides))
    g.given("input", model.input, "x")
    g.given("gamma", model.gamma, "gamma")
    g.given("beta", model.beta, "beta")
    g.given("epsilon", model.epsilon, "epsilon")
    forward(g, axis)
    if model.upstream is not None:
        g.given("upstream", model.upstream, "dL/dy")
        backward(g, axis)
    return pt
