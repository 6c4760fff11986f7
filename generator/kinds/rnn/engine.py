"""An RNN unrolled through time, trained by backpropagation through time, in exact decimal
arithmetic (``exact``); every value goes through ``observe``.

Forward, step t: z_t = W_xh x_t + W_hh h_{t−1} + b_h, h_t = f(z_t), o_t = W_hy h_t + b_y,
ŷ_t = g(o_t); the loss is the sum over the steps with a target.  Backward, from t = T down to 1:
∂L/∂o_t (ŷ_t − y_t for sigmoid + BCE and softmax + CCE), ∂L/∂h_t = W_hyᵀ ∂L/∂o_t + W_hhᵀ δ_{t+1},
δ_t = ∂L/∂h_t ⊙ f′(z_t); the gradients are sums over the steps: ∂L/∂W_hy = Σ ∂L/∂o_t h_tᵀ,
∂L/∂W_xh = Σ δ_t x_tᵀ, ∂L/∂W_hh = Σ δ_t h_{t−1}ᵀ, ∂L/∂b_h = Σ δ_t, ∂L/∂b_y = Σ ∂L/∂o_t."""

from __future__ import annotations

import numpy as np

from ...engine import dense, exact
from ...trace import ProblemTrace, Recorder, training


def solve(model, policy, overrides=None) -> ProblemTrace:
    pt = ProblemTrace(id=model.id, kind="rnn",
                      info={"steps": model.steps, "iterations": model.iterations, "mode": policy.mode,
                            "has_target": [y is not None for y in model.targets],
                            "combined_delta": dense.combined_delta(model.loss, model.output),
                            "divisor": dense.loss_divisor(model.loss, model.W_hy.shape[0])})
    rec = Recorder(pt, policy, batch=True, overrides=overrides)
    with training(model.id):
        train(model, rec)
    return pt


def _outer_sum(a_list, b_list):
    """Σ_t a_t b_tᵀ."""
    out = exact.full((a_list[0].size, b_list[0].size))
    for a, b in zip(a_list, b_list):
        out = out + a[:, None] * b[None, :]
    return out


def forward(model, P, pre, observe):
    """The unrolled forward pass and the loss; (zs, hs, yhats) with hs[0] = h_0."""
    hs, zs, yhats = [exact.array(model.h0)], [None], [None]
    for t in range(1, model.steps + 1):
        x = exact.array(model.inputs[t - 1])
        z = P["W_xh"].dot(x) + P["W_hh"].dot(hs[-1])
        if P.get("b_h") is not None:
            z = z + P["b_h"]
        z = observe(f"{pre}.z{t}", z, "preactivation", f"z_{t} = W_xh x_{t} + W_hh h_{t - 1} + b_h")
        h = observe(f"{pre}.h{t}", dense.activate(model.activation, z), "activation", f"h_{t} = f(z_{t})")
        o = P["W_hy"].dot(h)
        if P.get("b_y") is not None:
            o = o + P["b_y"]
        o = observe(f"{pre}.o{t}", o, "preactivation", f"o_{t} = W_hy h_{t} + b_y")
        if model.output == "identity":
            yhat = o
        else:
            yhat = observe(f"{pre}.yhat{t}", dense.activate(model.output, o), "activation", f"yhat_{t} = g(o_{t})")
        zs.append(z)
        hs.append(h)
        yhats.append(yhat)
    total = exact.ZERO
    for t, y in enumerate(model.targets, start=1):
        if y is None:
            continue
        terms = dense.loss_terms(model.loss, yhats[t], exact.array(y))
        observe(f"{pre}.terms{t}", terms, "loss", f"loss terms of step {t}", rounded=False)
        lt = observe(f"{pre}.loss{t}", terms.sum() / exact.D(dense.loss_divisor(model.loss, terms.size)),
                     "loss", f"loss of step {t}")
        total = total + lt
    observe(f"{pre}.loss", total, "loss", "L = sum of the steps' losses", rounded=False)
    return zs, hs, yhats


def backward(model, P, zs, hs, yhats, pre, observe):
    """Backpropagation through time: the gradients of the five parameters."""
    T = model.steps
    dos, deltas = {}, {}
    after = None                                   # δ_{t+1}
    for t in range(T, 0, -1):
        y = model.targets[t - 1]
        if y is None:
            do = exact.full(yhats[t].shape)
        else:
            y = exact.array(y)
            if dense.combined_delta(model.loss, model.output):
                do = yhats[t] - y
            else:
                do = dense.loss_grad(model.loss, yhats[t], y)
                if model.output == "sigmoid":
                    do = do * dense.derivative("sigmoid", zs[t], yhats[t])
        dos[t] = observe(f"{pre}.do{t}", do, "gradient", f"dL/do_{t}")
        dh = P["W_hy"].T.dot(dos[t])
        if after is not None:
            dh = dh + P["W_hh"].T.dot(after)
        dh = observe(f"{pre}.dh{t}", dh, "gradient", f"dL/dh_{t} = W_hy^T dL/do_{t} + W_hh^T delta_{t + 1}")
        fprime = observe(f"{pre}.g{t}", dense.derivative(model.activation, zs[t], hs[t]), "gradient",
                         f"f'(z_{t})")
        deltas[t] = after = observe(f"{pre}.delta{t}", dh * fprime, "gradient", f"delta_{t} = dL/dh_{t} * f'(z_{t})")
    steps = range(1, T + 1)
    xs = [exact.array(model.inputs[t - 1]) for t in steps]
    grads = {"W_hy": _outer_sum([dos[t] for t in steps], [hs[t] for t in steps]),
             "W_xh": _outer_sum([deltas[t] for t in steps], xs),
             "W_hh": _outer_sum([deltas[t] for t in steps], [hs[t - 1] for t in steps]),
             "b_h": sum((deltas[t] for t in steps), exact.full(hs[0].shape)),
             "b_y": sum((dos[t] for t in steps), exact.full(yhats[1].shape))}
    return {name: observe(f"{pre}.d{name}", grads[name], "gradient", f"dL/d{name}, summed over the steps")
            for name in model.parameters()}


def train(model, observe) -> None:
    P = {name: exact.array(getattr(model, name)) if getattr(model, name) is not None else None
         for name in ("W_xh", "W_hh", "b_h", "W_hy", "b_y")}
    observe.given("inputs", exact.array(model.inputs), "x_1 ... x_T")
    observe.given("h0", exact.array(model.h0), "h_0")
    for t in range(1, model.steps + 1):
        observe.given(f"x{t}", exact.array(model.inputs[t - 1]), f"x_{t}")
    for t, y in enumerate(model.targets, start=1):
        if y is not None:
            observe.given(f"target{t}", exact.array(y), f"y_{t}")
    for name in model.parameters():
        observe.given(f"init.{name}", P[name], f"initial {name}")
    observe.given("learning_rate", model.learning_rate, "eta")
    eta = exact.D(model.learning_rate)
    for k in range(1, model.iterations + 1):
        pre = f"it{k}"
        zs, hs, yhats = forward(model, P, pre, observe)
        if k == 1:
            observe("output", np.stack(yhats[1:]), "activation", "yhat_1 ... yhat_T", rounded=False)
            observe("hidden", np.stack(hs[1:]), "activation", "h_1 ... h_T", rounded=False)
        grads = backward(model, P, zs, hs, yhats, pre, observe)
        for name in model.parameters():
            step = observe(f"{pre}.step{name}", eta * grads[name], "gradient", f"eta dL/d{name}", rounded=False)
            P[name] = observe(f"{pre}.{name}", P[name] - step, "parameter", f"{name} <- {name} - eta dL/d{name}")
    for name in model.parameters():
        P[name] = observe(f"final.{name}", P[name], "parameter", f"{name} after {model.iterations} iterations",
                          rounded=False)
    forward(model, P, "final", observe)
