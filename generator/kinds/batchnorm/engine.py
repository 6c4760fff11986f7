"""Batch normalization, forward and backward, feature by feature over the samples of the batch,
in exact decimal arithmetic (``exact``); every value goes through ``observe``.

Forward: μ = (1/N) Σ x, σ² = (1/N) Σ (x − μ)² (the biased variance, as in training),
x̂ = (x − μ)/√(σ² + ε), y = γ x̂ + β.  Backward from G = ∂L/∂y: ∂L/∂β = Σ G, ∂L/∂γ = Σ G x̂,
∂L/∂x̂ = γ G and ∂L/∂x = (N ∂L/∂x̂ − Σ ∂L/∂x̂ − x̂ Σ ∂L/∂x̂ x̂) / (N √(σ² + ε))."""

from __future__ import annotations

from ...engine import exact
from ...trace import ProblemTrace, Recorder


def solve(model, policy, overrides=None) -> ProblemTrace:
    pt = ProblemTrace(id=model.id, kind="batchnorm",
                      info={"features": model.features, "samples": model.samples,
                            "backward": model.upstream is not None, "mode": policy.mode})
    rec = Recorder(pt, policy, batch=True, overrides=overrides)
    with exact.arithmetic():
        run(model, rec)
    return pt


def run(model, observe) -> None:
    x = exact.array(model.input)
    F, N = x.shape
    n = exact.D(N)
    observe.given("input", x, "x")
    observe.given("gamma", exact.array(model.gamma), "gamma")
    observe.given("beta", exact.array(model.beta), "beta")
    observe.given("epsilon", exact.D(model.epsilon), "epsilon")
    total = observe("sum", x.sum(axis=1), "activation", "sum over the samples", rounded=False, given=True)
    mu = observe("mean", total / n, "activation", "mu = sum / N")
    centered = observe("centered", x - mu[:, None], "activation", "x - mu", rounded=False)
    squares = observe("squares", centered * centered, "activation", "(x - mu)^2", rounded=False)
    var = observe("variance", squares.sum(axis=1) / n, "activation", "sigma^2 = sum (x - mu)^2 / N")
    std = observe("std", exact.sqrt(var + exact.D(model.epsilon)), "activation", "sqrt(sigma^2 + eps)")
    xhat = observe("xhat", centered / std[:, None], "activation", "(x - mu) / sqrt(sigma^2 + eps)")
    gamma, beta = exact.array(model.gamma), exact.array(model.beta)
    observe("output", gamma[:, None] * xhat + beta[:, None], "activation", "y = gamma xhat + beta")
    if model.upstream is None:
        return
    G = exact.array(model.upstream)
    observe.given("upstream", G, "dL/dy")
    observe("grad.beta", G.sum(axis=1), "gradient", "dL/dbeta = sum dL/dy")
    observe("grad.gamma", (G * xhat).sum(axis=1), "gradient", "dL/dgamma = sum dL/dy xhat")
    dxhat = observe("dxhat", gamma[:, None] * G, "gradient", "dL/dxhat = gamma dL/dy")
    s1 = observe("sum_dxhat", dxhat.sum(axis=1), "gradient", "sum dL/dxhat", rounded=False)
    s2 = observe("sum_dxhat_xhat", (dxhat * xhat).sum(axis=1), "gradient", "sum dL/dxhat xhat",
                 rounded=False)
    inner = observe("inner", n * dxhat - s1[:, None] - xhat * s2[:, None], "gradient",
                    "N dxhat - sum dxhat - xhat sum dxhat xhat", rounded=False)
    observe("grad.input", inner / (n * std[:, None]), "gradient", "inner / (N std)")
