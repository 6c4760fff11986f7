"""An LSTM cell unrolled through time and trained by backpropagation through time, composed of the
shared operations (``generator.ops``): no arithmetic of its own, every value a recorded step.

Forward, step t (• = i, f, g, o): z•_t = W_• x_t + U_• h_{t−1} + b_•; i, f, o = σ(z), g = tanh(z);
c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t; h_t = o_t ⊙ tanh(c_t).  The loss compares h_T with the target.
Backward, from t = T down to 1: ∂L/∂h_t (from the loss at T, else Σ_• U_•ᵀ δ•_{t+1});
∂L/∂c_t = ∂L/∂h_t ⊙ o_t ⊙ tanh′(c_t) + ∂L/∂c_{t+1} ⊙ f_{t+1};
δo = ∂L/∂h_t ⊙ tanh(c_t) ⊙ σ′(zo), δi = ∂L/∂c_t ⊙ g_t ⊙ σ′(zi), δf = ∂L/∂c_t ⊙ c_{t−1} ⊙ σ′(zf),
δg = ∂L/∂c_t ⊙ i_t ⊙ tanh′(zg); the gradients are sums over the steps (Σ δ xᵀ, Σ δ h_{t−1}ᵀ, Σ δ),
then one step of gradient descent per iteration."""

from __future__ import annotations

from ...ops import recurrent
from ...trace import ProblemTrace
from .schema import GATES

#: The activation of each gate and the operation of its slope (written with the gate's value:
#: σ′ = a(1 − a), tanh′ = 1 − a²).
ACTIVATION = {"i": ("sigmoid", "sigmoid_slope"), "f": ("sigmoid", "sigmoid_slope"),
              "g": ("tanh", "tanh_slope"), "o": ("sigmoid", "sigmoid_slope")}
#: How the trace's formulas write each activation's derivative (σ′, tanh′).
WRITTEN = {"sigmoid": "sigma", "tanh": "tanh"}


def solve(model, policy, overrides=None) -> ProblemTrace:
    return recurrent.solve(model, policy, overrides, lambda g, pre, P, k: forward(model, g, pre, P, k),
                           lambda g, pre, P, k: backward(model, g, pre, P, k), states=("h0", "c0"))


def _h(pre: str, t: int) -> str:
    return "h0" if t == 0 else f"{pre}.t{t}.h"


def _c(pre: str, t: int) -> str:
    return "c0" if t == 0 else f"{pre}.t{t}.c"


def forward(model, g, pre: str, P: dict, k) -> str:
    """Steps ``{pre}.t{t}.z•, .•, .c, .tanh_c, .h`` for every step, with the parameters named by
    ``P``; ``k``: the iteration ("final": the final pass).  The name of h_T, which the loss takes."""
    for t in range(1, model.steps + 1):
        s, at = f"{pre}.t{t}", {"t": t, "k": k}
        for gate in GATES:
            fn, _ = ACTIVATION[gate]
            g.apply("affine", f"{s}.z{gate}", [P[f"W_{gate}"], f"x{t}", P[f"U_{gate}"], _h(pre, t - 1), P[f"b_{gate}"]],
                    "preactivation", formula=f"z{gate}_{t} = W_{gate} x_{t} + U_{gate} h_{t - 1} + b_{gate}",
                    bias=True, note=("z", {**at, "gate": gate}))
            g.apply(fn, f"{s}.{gate}", [f"{s}.z{gate}"], "activation", formula=f"{gate}_{t} = {fn}(z{gate}_{t})",
                    note=("gate", {**at, "gate": gate}))
        g.apply("mix", f"{s}.c", [f"{s}.f", _c(pre, t - 1), f"{s}.i", f"{s}.g"], "activation",
                formula=f"c_{t} = f_{t} c_{t - 1} + i_{t} g_{t}", note=("c", at))
        g.apply("tanh", f"{s}.tanh_c", [f"{s}.c"], "activation", formula=f"tanh(c_{t})", note=("tanh_c", at))
        g.apply("product", f"{s}.h", [f"{s}.o", f"{s}.tanh_c"], "activation", formula=f"h_{t} = o_{t} tanh(c_{t})",
                note=("h", at))
    return _h(pre, model.steps)


def backward(model, g, pre: str, P: dict, k: int) -> dict:
    """Backpropagation through time: ``{pre}.t{t}.dh, .dc``, the slopes and the gates' δ for t =
    T … 1; what the gradient of each parameter sums over the steps (``recurrent.step_sums``: the
    δ and the vectors of Σ_t δ_t v_tᵀ, or the δ alone for a bias)."""
    T = model.steps
    for t in range(T, 0, -1):
        s, at = f"{pre}.t{t}", {"t": t, "k": k}
        if t == T:
            recurrent.loss_gradient(g, model, f"{s}.dh", f"{s}.h", ("dh", at))
        else:
            after = [x for gate in GATES for x in (P[f"U_{gate}"], f"{pre}.t{t + 1}.dz{gate}")]
            g.apply("transposed", f"{s}.dh", after, "gradient", formula=f"dL/dh_{t} = sum U^T delta_{t + 1}",
                    note=("dh", at))
        g.apply("sigmoid_slope", f"{s}.so", [f"{s}.o"], "gradient", formula=f"sigma'(zo_{t}) = o_{t} (1 - o_{t})",
                note=("slope_sigmoid", {**at, "gate": "o"}))
        g.apply("product", f"{s}.dzo", [f"{s}.dh", f"{s}.tanh_c", f"{s}.so"], "gradient",
                formula=f"delta o_{t} = dL/dh_{t} tanh(c_{t}) sigma'(zo_{t})", note=("dz", {**at, "gate": "o"}))
        g.apply("tanh_slope", f"{s}.dtanh_c", [f"{s}.tanh_c"], "gradient", formula=f"1 - tanh(c_{t})^2",
                note=("tanh_c_slope", at))
        carried = [f"{s}.dh", f"{s}.o", f"{s}.dtanh_c"]
        if t < T:
            carried += [f"{pre}.t{t + 1}.dc", f"{pre}.t{t + 1}.f"]
        g.apply("sum_of_products", f"{s}.dc", carried, "gradient",
                formula=f"dL/dc_{t} = dL/dh_{t} o_{t} (1 - tanh(c_{t})^2)"
                + (f" + dL/dc_{t + 1} f_{t + 1}" if t < T else ""),
                groups=(3, 2) if t < T else (3,), note=("dc", at))
        # the factor beside ∂L/∂c_t in each of the other gates' δ: c_t = f c_{t−1} + i g
        partners = {"i": (f"{s}.g", f"g_{t}"), "f": (_c(pre, t - 1), f"c_{t - 1}"), "g": (f"{s}.i", f"i_{t}")}
        for gate, (partner, written) in partners.items():
            fn, slope = ACTIVATION[gate]
            g.apply(slope, f"{s}.s{gate}", [f"{s}.{gate}"], "gradient",
                    formula=f"sigma'(z{gate}_{t}) = {gate}_{t} (1 - {gate}_{t})" if fn == "sigmoid"
                    else f"tanh'(z{gate}_{t}) = 1 - {gate}_{t}^2", note=(f"slope_{fn}", {**at, "gate": gate}))
            g.apply("product", f"{s}.dz{gate}", [f"{s}.dc", partner, f"{s}.s{gate}"], "gradient",
                    formula=f"delta {gate}_{t} = dL/dc_{t} {written} {WRITTEN[fn]}'(z{gate}_{t})",
                    note=("dz", {**at, "gate": gate}))
    every = range(1, T + 1)
    xs, hs = [f"x{t}" for t in every], [_h(pre, t - 1) for t in every]
    sums = {}
    for gate in GATES:
        deltas = [f"{pre}.t{t}.dz{gate}" for t in every]
        sums.update({f"W_{gate}": (deltas, xs), f"U_{gate}": (deltas, hs), f"b_{gate}": (deltas, None)})
    return sums
