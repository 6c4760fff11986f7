"""Linear and logistic regression as gradient-descent walkthroughs (issue 22): the starters
``dryrun init linear-regression`` and ``dryrun init logistic-regression`` are one-unit networks.
Their numbers are checked against batch gradient descent written from the textbook equations
(J = 1/(2m) Σ (ŷ − y)², and the mean binary cross-entropy, ∂J/∂w = 1/m Σ (ŷ − y) x), and their
pages by hand in both rounding modes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from generator.api import load_spec, render, solve
from generator.cli import starter
from tests.handcheck import check_tex


def _descent(X, Y, w, b, lr, iterations, predict, cost):
    """Batch gradient descent: (the cost before each update and after the last, w, b)."""
    costs = []
    m = X.shape[1]
    for _ in range(iterations):
        yhat = predict(w @ X + b)
        costs.append(cost(yhat, Y))
        grad_w = (yhat - Y) @ X.T / m           # the same for both models: the factors cancel
        grad_b = np.sum(yhat - Y) / m
        w, b = w - lr * grad_w, b - lr * grad_b
    costs.append(cost(predict(w @ X + b), Y))
    return costs, w, b


CASES = {
    "linear-regression": (lambda z: z, lambda yhat, y: np.sum((yhat - y) ** 2) / (2 * y.shape[1])),
    "logistic-regression": (lambda z: 1 / (1 + np.exp(-z)),
                            lambda yhat, y: -np.mean(y * np.log(yhat) + (1 - y) * np.log(1 - yhat))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_starter_is_gradient_descent_of_the_textbook(name):
    spec = load_spec(starter(name))
    net = spec.problems[0]
    layer = net.layers[0]
    predict, cost = CASES[name]
    costs, w, b = _descent(net.inputs, net.targets, layer.weights, layer.bias[0], net.learning_rate,
                           net.iterations, predict, cost)
    p = solve(spec).problems[0]
    losses = [p[f"it{k}.loss"] for k in range(1, net.iterations + 1)] + [p["final.loss"]]
    assert losses == pytest.approx(costs, abs=1e-12)
    assert np.allclose(p["final.W1"], w, atol=1e-12) and p["final.b1"][0] == pytest.approx(b, abs=1e-12)
    assert costs[-1] < costs[0]                   # the walkthrough makes progress


@pytest.mark.parametrize("mode", ["display", "carry"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_the_starter_checks_by_hand(name, mode):
    spec = load_spec(starter(name))
    policy = replace(spec.rounding, mode=mode)
    report = check_tex(render(spec, solve(spec, policy), "solution"), mode)
    assert not report.failures, [f"{f.left} {f.rel} {f.right}: {f.why}" for f in report.failures[:5]]
    assert report.checked >= 20
