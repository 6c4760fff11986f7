"""Normalization along an axis, the one composition batch and layer normalization share: a
features × samples matrix normalized along ``axis`` (1: each feature over the samples, batch
normalization; 0: each sample over its features, layer normalization), scaled and shifted per
feature; and its backward pass from ∂L/∂y.

Forward: μ = (1/N) Σ x, σ² = (1/N) Σ (x − μ)² (the biased variance), s = √(σ² + ε),
x̂ = (x − μ)/s, y = γ x̂ + β.  Backward from G = ∂L/∂y (γ and β per feature, so their gradients sum
over the samples whatever the axis): ∂L/∂β = Σ G, ∂L/∂γ = Σ G x̂, ∂L/∂x̂ = γ G and
∂L/∂x = (N ∂L/∂x̂ − Σ ∂L/∂x̂ − x̂ Σ ∂L/∂x̂ x̂) / (N s), the sums along ``axis``.

Inference mode (batch normalization with given running statistics, ``inference``): s =
√(running_var + ε), x̂ = (x − running_mean)/s, y = γ x̂ + β; backward ∂L/∂x = γ ∂L/∂y / s."""

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


def exercise(model, policy, overrides, axis: int, inference: bool = False):
    """The trace of a normalization exercise (``model``: input, gamma, beta, epsilon and an
    optional upstream gradient, a features × samples matrix) normalized along ``axis``; with
    ``inference``, batch normalization in inference mode with the model's running_mean and
    running_var (one per feature) in place of the batch's statistics."""
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
    if inference:
        g.given("running_mean", model.running_mean, "running mean (one per feature)")
        g.given("running_var", model.running_var, "running variance (one per feature)")
        running(g)
    else:
        forward(g, axis)
    if model.upstream is not None:
        g.given("upstream", model.upstream, "dL/dy")
        if inference:
            running_backward(g)
        else:
            backward(g, axis)
    return pt


# --------------------------------------------------------------------------- inference mode

def running(g) -> None:
    """Inference mode of batch normalization (PyTorch's ``nn.BatchNorm1d`` in ``eval()``): steps
    std, xhat and output from the given steps input, gamma, beta, epsilon, running_mean and
    running_var (one per feature): s = √(running_var + ε), x̂ = (x − running_mean)/s, y = γ x̂ + β."""
    g.apply("sqrt_sum", "std", ["running_var", ("epsilon", ())], "activation",
            formula="sqrt(running_var + eps)", note=("running_std", {}))
    g.apply("standardize", "xhat", ["input", ("running_mean", (FEATURES,)), ("std", (FEATURES,))], "activation",
            formula="(x - running_mean) / sqrt(running_var + eps)")
    g.apply("scale_shift", "output", ["xhat", ("gamma", (FEATURES,)), ("beta", (FEATURES,))], "activation",
            formula="y = gamma xhat + beta")


def running_backward(g) -> None:
    """Steps grad.beta, grad.gamma, dxhat and grad.input of inference mode: the statistics are
    constants, so ∂L/∂x = ∂L/∂x̂ / s entry by entry (∂L/∂x̂ = γ ∂L/∂y), no sums over the batch."""
    g.apply("sum_along", "grad.beta", ["upstream"], "gradient", formula="dL/dbeta = sum dL/dy", axis=SAMPLES)
    g.apply("dot_along", "grad.gamma", ["upstream", "xhat"], "gradient", formula="dL/dgamma = sum dL/dy xhat",
            axis=SAMPLES)
    g.apply("product", "dxhat", [("gamma", (FEATURES,)), "upstream"], "gradient", formula="dL/dxhat = gamma dL/dy")
    g.apply("quotient", "grad.input", ["dxhat", ("std", (FEATURES,))], "gradient",
            formula="dL/dx = dL/dxhat / sqrt(running_var + eps)")
