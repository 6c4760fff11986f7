"""An RNN unrolled through time, trained by backpropagation through time, composed of the shared
operations (``generator.ops``): no arithmetic of its own, every value a recorded step.

Forward, step t: z_t = W_xh x_t + W_hh h_{t−1} + b_h, h_t = f(z_t), o_t = W_hy h_t + b_y,
ŷ_t = g(o_t) (a softmax written out: ``ops.compose.softmax``); the loss is the sum over the steps
with a target.  Backward, from t = T down to 1: ∂L/∂o_t (ŷ_t − y_t for sigmoid + BCE and softmax +
CCE), ∂L/∂h_t = W_hyᵀ ∂L/∂o_t + W_hhᵀ δ_{t+1}, δ_t = ∂L/∂h_t ⊙ f′(z_t); the gradients are sums
over the steps: ∂L/∂W_hy = Σ ∂L/∂o_t h_tᵀ, ∂L/∂W_xh = Σ δ_t x_tᵀ, ∂L/∂W_hh = Σ δ_t h_{t−1}ᵀ,
∂L/∂b_h = Σ δ_t, ∂L/∂b_y = Σ ∂L/∂o_t; and those of the inputs and of the initial state,
∂L/∂x_t = W_xhᵀ δ_t and ∂L/∂h_0 = W_hhᵀ δ_1.  An exercise that stops (``stop_after``) runs the pass
``it1`` alone, up to its forward pass (and loss, where it has targets) or its gradients.  An RNN
given ``upstream`` (a layer inside a larger model, CS231n's ``rnn_backward(dh, cache)``) has no
output layer and no loss: g_t = ∂L/∂h_t from the layers above takes the place of W_hyᵀ ∂L/∂o_t,
∂L/∂h_t = W_hhᵀ δ_{t+1} + g_t (g_T at the last step), and it stops after the gradients.

Notes (the notation keys of ``views.View.NOTATION``) carry the time step ``t`` and, for the
updates, the iteration ``k``."""

from __future__ import annotations

from ...engine import dense, exact
from ...ops import Graph, compose
from ...trace import ProblemTrace, Recorder, training

#: The operation of each hidden activation, and that of its slope (and what the slope reads).
HIDDEN = {"tanh": ("tanh", "tanh_slope", "h"), "relu": ("relu", "relu_slope", "z")}
#: The operation of the terms (one per output) of each loss; the loss of a step is their scaled sum.
TERMS = {"sse": "squared_error", "half_sse": "squared_error", "mse": "squared_error",
         "half_mse": "squared_error", "bce": "bce_terms", "cce": "cce_terms"}


def solve(model, policy, overrides=None) -> ProblemTrace:
    pt = ProblemTrace(id=model.id, kind="rnn",
                      info={"time_steps": model.steps, "iterations": model.iterations, "mode": policy.mode,
                            "has_target": [y is not None for y in model.targets],
                            "combined_delta": dense.combined_delta(model.loss, model.output),
                            "divisor": dense.loss_divisor(model.loss, 0 if model.W_hy is None else
                                                          model.W_hy.shape[0]),
                            "stop_after": model.stop_after, "upstream": model.upstream is not None})
    with training(model.id):
        train(model, Graph(Recorder(pt, policy, batch=True, overrides=overrides)))
    return pt


def _yhat(model, pre: str, t: int) -> str:
    """The trace name of ŷ_t in pass ``pre`` (o_t itself for an identity output)."""
    return f"{pre}.o{t}" if model.output == "identity" else f"{pre}.yhat{t}"


def _h(pre: str, t: int) -> str:
    """The trace name of h_t in pass ``pre`` (h_0 is given)."""
    return "h0" if t == 0 else f"{pre}.h{t}"


def _count(model) -> dict:
    """The count n the loss (or its gradient) divides by: the outputs, 1 for a cross-entropy (a
    step's loss is a sum over the outputs, not a mean)."""
    if model.loss in ("bce", "cce"):
        return {"count": exact.ONE}
    return {"count": exact.D(model.W_hy.shape[0])} if model.loss in ("mse", "half_mse") else {}


def forward(model, g, pre: str, P: dict) -> list[str]:
    """The unrolled forward pass and the loss with the parameters ``P`` ({parameter: trace name});
    the names of ŷ_1 … ŷ_T."""
    fn, _, _ = HIDDEN[model.activation]
    yhats = []
    for t in range(1, model.steps + 1):
        at = {"t": t}
        z = [P["W_xh"], f"x{t}", P["W_hh"], _h(pre, t - 1)] + ([P["b_h"]] if "b_h" in P else [])
        g.apply("affine", f"{pre}.z{t}", z, "preactivation", formula=f"z_{t} = W_xh x_{t} + W_hh h_{t - 1} + b_h",
                bias="b_h" in P, note=("z", at))
        g.apply(fn, f"{pre}.h{t}", [f"{pre}.z{t}"], "activation", formula=f"h_{t} = f(z_{t})",
                note=("h", at))
        if model.W_hy is None:                     # a layer given upstream: no output layer
            continue
        o = [P["W_hy"], f"{pre}.h{t}"] + ([P["b_y"]] if "b_y" in P else [])
        g.apply("affine", f"{pre}.o{t}", o, "preactivation", formula=f"o_{t} = W_hy h_{t} + b_y", bias="b_y" in P,
                note=("o" if model.output != "identity" else "o.identity", at))
        if model.output == "sigmoid":
            g.apply("sigmoid", f"{pre}.yhat{t}", [f"{pre}.o{t}"], "activation", formula=f"yhat_{t} = g(o_{t})",
                    note=("yhat", at))
        elif model.output == "softmax":
            compose.softmax(g, f"{pre}.o{t}", exp=f"{pre}.exp{t}", total=f"{pre}.expsum{t}", out=f"{pre}.yhat{t}",
                            notes=(("exp", at), ("expsum", at), ("yhat", at)), rounded=(True, False, True))
        yhats.append(_yhat(model, pre, t))
    losses = [t for t, y in enumerate(model.targets, start=1) if y is not None]
    for t in losses:
        yhat = _yhat(model, pre, t)
        g.apply(TERMS[model.loss], f"{pre}.terms{t}", [yhat, f"target{t}"], "loss", rounded=False,
                formula=f"loss terms of step {t}", note=("terms", {"t": t}))
        g.apply(model.loss, f"{pre}.loss{t}", [yhat, f"target{t}"], "loss", formula=f"loss of step {t}",
                axis=None, note=("loss_t" if len(losses) > 1 else "loss_only", {"t": t}), **_count(model))
    if losses:
        g.apply("sum", f"{pre}.loss", [f"{pre}.loss{t}" for t in losses], "loss", rounded=False,
                formula="L = sum of the steps' losses", note=("loss", {}))
    return yhats


def _output_gradient(model, g, pre: str, t: int) -> str:
    """∂L/∂o_t: 0 without a target; ŷ_t − y_t for sigmoid + BCE and softmax + CCE; else ∂ℓ/∂ŷ_t,
    through σ′ for a sigmoid output."""
    name, at = f"{pre}.do{t}", {"t": t, "n": model.W_hy.shape[0]}
    if model.targets[t - 1] is None:
        return g.apply("constant", name, [], "gradient", formula=f"dL/do_{t} (no target)",
                       value=[0] * model.W_hy.shape[0])
    operands = [_yhat(model, pre, t), f"target{t}"]
    if dense.combined_delta(model.loss, model.output):
        return g.apply("difference", name, operands, "gradient", formula=f"dL/do_{t} = yhat_{t} - y_{t}",
                       note=("do.difference", at))
    if model.output == "sigmoid":
        return g.apply("squared_error_sigmoid_grad", name, operands, "gradient",
                       formula=f"dL/do_{t} = dl/dyhat_{t} * sigma'(o_{t})", note=("do.sigmoid", at),
                       count=exact.D(dense.loss_divisor(model.loss, model.W_hy.shape[0])))
    op = f"{model.loss}_grad"
    return g.apply(op, name, operands, "gradient", formula=f"dL/do_{t}", note=(f"do.{model.loss}", at),
                   **_count(model))


def backward(model, g, pre: str, P: dict, k: int) -> dict:
    """Backpropagation through time: the gradients of the parameters, summed over the steps."""
    T = model.steps
    _, slope, reads = HIDDEN[model.activation]
    for t in range(T, 0, -1):
        at = {"t": t}
        after = [P["W_hh"], f"{pre}.delta{t + 1}"] if t < T else []
        if model.upstream is None:
            _output_gradient(model, g, pre, t)
            g.apply("transposed", f"{pre}.dh{t}", [P["W_hy"], f"{pre}.do{t}"] + after, "gradient",
                    formula=f"dL/dh_{t} = W_hy^T dL/do_{t} + W_hh^T delta_{t + 1}", note=("dh", at))
        elif t == T:                               # the upstream gradient of h_T as it is given
            g.apply("identity", f"{pre}.dh{t}", [f"upstream{t}"], "gradient", rounded=False,
                    formula=f"dL/dh_{t} = g_{t} (upstream)", note=("dh", at))
        else:
            g.apply("transposed", f"{pre}.dh{t}", after + [f"upstream{t}"], "gradient", bias=True,
                    formula=f"dL/dh_{t} = W_hh^T delta_{t + 1} + g_{t} (upstream)", note=("dh", at))
        g.apply(slope, f"{pre}.g{t}", [f"{pre}.{reads}{t}"], "gradient", formula=f"f'(z_{t})",
                note=(f"g.{model.activation}", at))
        g.apply("product", f"{pre}.delta{t}", [f"{pre}.dh{t}", f"{pre}.g{t}"], "gradient",
                formula=f"delta_{t} = dL/dh_{t} * f'(z_{t})", note=("delta", at))
    steps = range(1, T + 1)
    for t in steps:
        g.apply("transposed", f"{pre}.dx{t}", [P["W_xh"], f"{pre}.delta{t}"], "gradient",
                formula=f"dL/dx_{t} = W_xh^T delta_{t}", note=("dx", {"t": t}))
    g.apply("stack", f"{pre}.grad.inputs", [f"{pre}.dx{t}" for t in steps], "gradient", rounded=False,
            formula="dL/dx_1 ... dL/dx_T")
    g.apply("transposed", f"{pre}.grad.h0", [P["W_hh"], f"{pre}.delta1"], "gradient",
            formula="dL/dh_0 = W_hh^T delta_1", note=("dh0", {"k": k}))
    dos, deltas = [f"{pre}.do{t}" for t in steps], [f"{pre}.delta{t}" for t in steps]
    sums = {"W_xh": (deltas, [f"x{t}" for t in steps]), "W_hh": (deltas, [_h(pre, t - 1) for t in steps]),
            "b_h": (deltas, None), "W_hy": (dos, [f"{pre}.h{t}" for t in steps]), "b_y": (dos, None)}
    out = {}
    for name in model.parameters():
        d, v = sums[name]
        out[name] = f"{pre}.d{name}"
        if v is None:
            g.apply("sum", out[name], d, "gradient", formula=f"dL/d{name}, summed over the steps",
                    note=(f"grad.{name}", {"k": k}))
        else:
            g.apply("outer", out[name], [n for pair in zip(d, v) for n in pair], "gradient",
                    formula=f"dL/d{name}, summed over the steps", note=(f"grad.{name}", {}))
    return out


def train(model, g) -> None:
    g.given("inputs", model.inputs, "x_1 ... x_T")
    g.given("h0", model.h0, "h_0")
    for t in range(1, model.steps + 1):
        g.given(f"x{t}", model.inputs[t - 1], f"x_{t}")
    for t, y in enumerate(model.targets, start=1):
        if y is not None:
            g.given(f"target{t}", y, f"y_{t}")
    if model.upstream is not None:
        g.given("upstream", model.upstream, "g_1 ... g_T: dL/dh_t through the layers above")
        for t in range(1, model.steps + 1):
            g.given(f"upstream{t}", model.upstream[t - 1], f"g_{t}: dL/dh_{t} through the layers above")
    for name in model.parameters():
        g.given(f"init.{name}", getattr(model, name), f"initial {name}")
    if model.learning_rate is not None:
        g.given("learning_rate", model.learning_rate, "eta")
    P = {name: f"init.{name}" for name in model.parameters()}
    for k in range(1, model.iterations + 1):
        pre = f"it{k}"
        yhats = forward(model, g, pre, P)
        if k == 1:
            if model.W_hy is not None:
                g.apply("stack", "output", yhats, "activation", formula="yhat_1 ... yhat_T", rounded=False)
            g.apply("stack", "hidden", [_h(pre, t) for t in range(1, model.steps + 1)], "activation",
                    formula="h_1 ... h_T", rounded=False)
        if model.stop_after == "forward":
            return
        grads = backward(model, g, pre, P, k)
        if model.stop_after == "gradients":
            return
        for name in model.parameters():
            g.apply("product", f"{pre}.step{name}", [("learning_rate", ()), grads[name]], "gradient",
                    formula=f"eta dL/d{name}", rounded=False)
            P[name] = g.apply("sgd", f"{pre}.{name}", [P[name], grads[name], ("learning_rate", ())], "parameter",
                              formula=f"{name} <- {name} - eta dL/d{name}", note=(f"new.{name}", {"k": k}))
    for name in model.parameters():
        P[name] = g.apply("identity", f"final.{name}", [P[name]], "parameter", rounded=False,
                          formula=f"{name} after {model.iterations} iterations", note=(f"new.{name}", {"k": "final"}))
    forward(model, g, "final", P)
