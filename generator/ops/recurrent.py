"""A recurrent cell unrolled through time and trained on its last hidden state, the composition
the gated recurrent kinds share: the given data, the loss of h_T and its gradient, the gradients
as sums over the time steps, plain SGD on every parameter and the loop of iterations, with a last
forward pass under ``final.``.  The cell itself is the kind's: ``train`` calls its ``forward`` and
``backward``.

A model here has ``inputs`` (T × d), ``target`` (n), ``loss`` (half_sse, sse or mse),
``learning_rate``, ``iterations``, ``steps`` (T), ``parameters()`` (the names of its trained
parameters) and ``params`` (their initial values by name).  Names (a public contract): given
``inputs``, ``x{t}``, the initial states (``h0`` …), ``target``, ``learning_rate``, ``init.<p>``;
per iteration k ``it{k}.loss``, ``it{k}.grad.<p>`` and ``it{k}.<p>`` (after its update); then
``final.<p>`` and the forward pass with them under ``final.``, ending in ``final.loss``.  A model
that stops (``stop_after``: "forward" or "gradients", else None) runs the pass ``it1`` alone, up
to its forward pass and loss (no ``target`` and no loss where ``loss`` is None) or its gradients,
with no ``learning_rate``, update or ``final.``.  Notes
(the kinds' notation keys): ``loss``, ``grad.<p>``, ``<p>`` and ``final.<p>``, with the parameter
``k`` (the iteration)."""

from __future__ import annotations

import numpy as np

from ..engine import exact

#: The operation of each loss of h_T, and that of its gradient ∂L/∂h_T.
LOSSES = {"half_sse": "half_sse_grad", "sse": "sse_grad", "mse": "mse_grad"}
LOSS_FORMULAS = {"half_sse": "L = 1/2 sum (h_T - y)^2", "sse": "L = sum (h_T - y)^2",
                 "mse": "L = sum (h_T - y)^2 / n"}


def givens(g, model, states: tuple[str, ...] = ("h0",)) -> None:
    """The data of the exercise, recorded as given (``states``: the initial states, attributes of
    the model of the same names)."""
    g.given("inputs", model.inputs, "x_1 ... x_T (one row per time step)")
    for t in range(1, model.steps + 1):
        g.given(f"x{t}", model.inputs[t - 1], f"x_{t}")
    for state in states:
        g.given(state, getattr(model, state), f"{state[0]}_0")
    if model.target is not None:
        g.given("target", model.target, "y (the target of h_T)")
    for p in model.parameters():
        g.given(f"init.{p}", model.params[p], f"initial {p}")
    if model.learning_rate is not None:
        g.given("learning_rate", model.learning_rate, "eta")


def _count(model, output_size: int) -> dict:
    return {"count": exact.D(output_size)} if model.loss == "mse" else {}


def loss(g, model, pre: str, output: str, k) -> str:
    """``{pre}.loss``: the loss of ``output`` (h_T) against the target."""
    return g.apply(model.loss, f"{pre}.loss", [output, "target"], "loss", formula=LOSS_FORMULAS[model.loss],
                   axis=None, note=("loss", {"k": k}), **_count(model, np.size(g.value("target"))))


def loss_gradient(g, model, name: str, output: str, note: tuple) -> str:
    """Step ``name`` = ∂L/∂h_T, where the backward pass starts."""
    return g.apply(LOSSES[model.loss], name, [output, "target"], "gradient", formula="dL/dh_T", note=note,
                   **_count(model, np.size(g.value("target"))))


def step_sums(g, pre: str, sums: dict, k) -> dict[str, str]:
    """``{pre}.grad.<p>`` for each parameter of ``sums``: (δ names, vector names) — the gradient of
    a matrix, Σ_t δ_t v_tᵀ — or (δ names, None) — that of a bias, Σ_t δ_t."""
    out = {}
    for p, (deltas, vectors) in sums.items():
        name = f"{pre}.grad.{p}"
        if vectors is None:
            g.apply("sum", name, list(deltas), "gradient", formula=f"dL/d{p} = sum over t of delta_t",
                    note=(f"grad.{p}", {"k": k}))
        else:
            operands = [n for pair in zip(deltas, vectors) for n in pair]
            g.apply("outer", name, operands, "gradient", formula=f"dL/d{p} = sum over t of delta_t v_t^T",
                    note=(f"grad.{p}", {"k": k}))
        out[p] = name
    return out


def solve(model, policy, overrides, forward, backward, states: tuple[str, ...] = ("h0",)):
    """The trace of a recurrent-cell exercise (GRU, LSTM): its sizes in ``info`` and ``train`` run
    under the training guard, with the cell's ``forward`` and ``backward`` (as ``train`` takes them)."""
    from ..trace import ProblemTrace, Recorder, training
    from .graph import Graph
    pt = ProblemTrace(id=model.id, kind=model.kind,
                      info={"time_steps": model.steps, "iterations": model.iterations, "units": model.units,
                            "features": model.features, "loss": model.loss, "mode": policy.mode,
                            "stop_after": model.stop_after})
    g = Graph(Recorder(pt, policy, batch=True, overrides=overrides))
    with training(model.id):
        train(g, model, forward, backward, states)
    return pt


def train(g, model, forward, backward, states: tuple[str, ...] = ("h0",)) -> None:
    """The whole exercise: the givens, then per iteration k the forward pass
    (``forward(g, pre, P, k)`` → the name of h_T, with ``P`` {parameter: trace name}), the loss,
    the backward pass (``backward(g, pre, P, k)`` → {parameter: (δ names, vector names or None)},
    summed by ``step_sums``) and the SGD updates; last the final parameters and their forward pass.
    A model that stops (``stop_after``) returns after the first forward pass and its loss, or after
    its gradients."""
    givens(g, model, states)
    P = {p: f"init.{p}" for p in model.parameters()}
    for k in range(1, model.iterations + 1):
        pre = f"it{k}"
        output = forward(g, pre, P, k)
        if model.loss is not None:
            loss(g, model, pre, output, k)
        if model.stop_after == "forward":
            return
        grads = step_sums(g, pre, backward(g, pre, P, k), k)
        if model.stop_after == "gradients":
            return
        for p in model.parameters():
            P[p] = g.apply("sgd", f"{pre}.{p}", [P[p], grads[p], ("learning_rate", ())], "parameter",
                           formula=f"{p} <- {p} - eta dL/d{p}", note=(p, {"k": k}))
    for p in model.parameters():
        P[p] = g.apply("identity", f"final.{p}", [P[p]], "parameter", rounded=False,
                       formula=f"{p} after {model.iterations} iterations", note=(f"final.{p}", {"k": model.iterations}))
    loss(g, model, "final", forward(g, "final", P, "final"), "final")
