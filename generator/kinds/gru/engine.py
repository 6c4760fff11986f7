"""The engine: a GRU cell (PyTorch's ``nn.GRUCell``) unrolled through time and trained by
backpropagation through time, composed of the shared operations (``ops``), with the shared
training loop of a recurrent cell (``ops.recurrent``); no arithmetic of its own.

Forward, step t (h_{t−1} the state before it):
    r̄_t = W_r x_t + U_r h_{t−1} + b_r,  r_t = σ(r̄_t)          reset gate
    z̄_t = W_z x_t + U_z h_{t−1} + b_z,  z_t = σ(z̄_t)          update gate
    p_t = W_n x_t + b_n,  q_t = U_n h_{t−1} + b_hn,  n̄_t = p_t + r_t ⊙ q_t,  n_t = tanh(n̄_t)
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}
Backward (δ^v = ∂L/∂v), step t = T … 1, δ^h_T from the loss:
    δ^n = δ^h ⊙ (1 − z),  δ^z = δ^h ⊙ (h_{t−1} − n),  δ^n̄ = δ^n ⊙ tanh′(n̄) = δ^n ⊙ (1 − n²),
    δ^r = δ^n̄ ⊙ q,  δ^q = δ^n̄ ⊙ r,  δ^r̄ = δ^r ⊙ r(1 − r),  δ^z̄ = δ^z ⊙ z(1 − z),
    δ^h_{t−1} = z ⊙ δ^h_t + g_t,  g_t = U_rᵀ δ^r̄ + U_zᵀ δ^z̄ + U_nᵀ δ^q.
The gradients are sums over the steps: ∂L/∂W_r = Σ δ^r̄_t x_tᵀ, ∂L/∂U_r = Σ δ^r̄_t h_{t−1}ᵀ,
∂L/∂b_r = Σ δ^r̄_t (the same for z), ∂L/∂W_n = Σ δ^n̄_t x_tᵀ, ∂L/∂b_n = Σ δ^n̄_t,
∂L/∂U_n = Σ δ^q_t h_{t−1}ᵀ, ∂L/∂b_hn = Σ δ^q_t.

Trace names of step t of a pass (``it{k}`` or ``final``): ``{pass}.t{t}.ar/.r/.az/.z/.xn`` (p)
``/.hn`` (q) ``/.an/.n/.h``; of the backward pass of iteration k: ``it{k}.t{t}.dh/.zc`` (1 − z)
``/.dn/.hmn`` (h_{t−1} − n) ``/.dz/.gn`` (1 − n²) ``/.dan/.dr/.dhn`` (δ^q) ``/.gr/.dar/.gz/.daz`` and,
for t > 1, ``.dhz`` (z ⊙ δ^h) and ``.dhu`` (g_t)."""

from __future__ import annotations

from ...ops import recurrent
from ...trace import ProblemTrace


def solve(model, policy, overrides=None) -> ProblemTrace:
    return recurrent.solve(model, policy, overrides, lambda g, pre, P, k: forward(g, model, pre, P, k),
                           lambda g, pre, P, k: backward(g, model, pre, P, k))


def _previous(pre: str, t: int) -> str:
    """The trace name of h_{t−1} in pass ``pre`` (h_0 is given)."""
    return "h0" if t == 1 else f"{pre}.t{t - 1}.h"


def forward(g, model, pre: str, P: dict, k) -> str:
    """The unrolled forward pass with the parameters ``P`` ({parameter: trace name}); h_T's name."""
    for t in range(1, model.steps + 1):
        s, h, note = f"{pre}.t{t}", _previous(pre, t), {"t": t, "k": k, "prev": t - 1}
        for gate in ("r", "z"):
            g.apply("affine", f"{s}.a{gate}", [P[f"W_{gate}"], f"x{t}", P[f"U_{gate}"], h, P[f"b_{gate}"]],
                    "preactivation", formula=f"W_{gate} x_{t} + U_{gate} h_{t - 1} + b_{gate}", bias=True,
                    note=(f"a{gate}", note))
            g.apply("sigmoid", f"{s}.{gate}", [f"{s}.a{gate}"], "activation", formula=f"{gate}_{t} = sigma(.)",
                    note=(gate, note))
        g.apply("affine", f"{s}.xn", [P["W_n"], f"x{t}", P["b_n"]], "preactivation",
                formula=f"p_{t} = W_n x_{t} + b_n", bias=True, note=("xn", note))
        g.apply("affine", f"{s}.hn", [P["U_n"], h, P["b_hn"]], "preactivation",
                formula=f"q_{t} = U_n h_{t - 1} + b_hn", bias=True, note=("hn", note))
        g.apply("sum_of_products", f"{s}.an", [f"{s}.xn", f"{s}.r", f"{s}.hn"], "preactivation",
                formula=f"p_{t} + r_{t} * q_{t}", groups=(1, 2), note=("an", note))
        g.apply("tanh", f"{s}.n", [f"{s}.an"], "activation", formula=f"n_{t} = tanh(.)", note=("n", note))
        g.apply("interpolate", f"{s}.h", [f"{s}.z", f"{s}.n", h], "activation",
                formula=f"h_{t} = (1 - z_{t}) n_{t} + z_{t} h_{t - 1}", note=("h", note))
    return f"{pre}.t{model.steps}.h"


def backward(g, model, pre: str, P: dict, k) -> dict:
    """Backpropagation through time, step T down to 1; what each gradient sums over the steps."""
    T = model.steps
    recurrent.loss_gradient(g, model, f"{pre}.t{T}.dh", f"{pre}.t{T}.h", ("dh", {"t": T, "k": k, "prev": T - 1}))
    for t in range(T, 0, -1):
        s, h, note = f"{pre}.t{t}", _previous(pre, t), {"t": t, "k": k, "prev": t - 1}
        if t < T:
            g.apply("sum", f"{s}.dh", [f"{pre}.t{t + 1}.dhz", f"{pre}.t{t + 1}.dhu"], "gradient",
                    formula=f"dL/dh_{t} = z_{t + 1} * dL/dh_{t + 1} + g_{t + 1}", note=("dh", note))
        steps = (   # name, operation, operands, kind of value, formula
            ("zc", "complement", [f"{s}.z"], "activation", "1 - z"),
            ("dn", "product", [f"{s}.dh", f"{s}.zc"], "gradient", "dL/dn = dL/dh * (1 - z)"),
            ("hmn", "difference", [h, f"{s}.n"], "activation", "h_prev - n"),
            ("dz", "product", [f"{s}.dh", f"{s}.hmn"], "gradient", "dL/dz = dL/dh * (h_prev - n)"),
            ("gn", "tanh_slope", [f"{s}.n"], "gradient", "tanh'(nbar) = 1 - n^2"),
            ("dan", "product", [f"{s}.dn", f"{s}.gn"], "gradient", "dL/dnbar = dL/dn * (1 - n^2)"),
            ("dr", "product", [f"{s}.dan", f"{s}.hn"], "gradient", "dL/dr = dL/dnbar * q"),
            ("dhn", "product", [f"{s}.dan", f"{s}.r"], "gradient", "dL/dq = dL/dnbar * r"),
            ("gr", "sigmoid_slope", [f"{s}.r"], "gradient", "sigma'(rbar) = r (1 - r)"),
            ("dar", "product", [f"{s}.dr", f"{s}.gr"], "gradient", "dL/drbar = dL/dr * r (1 - r)"),
            ("gz", "sigmoid_slope", [f"{s}.z"], "gradient", "sigma'(zbar) = z (1 - z)"),
            ("daz", "product", [f"{s}.dz", f"{s}.gz"], "gradient", "dL/dzbar = dL/dz * z (1 - z)"),
        )
        if t > 1:
            steps += (
                ("dhz", "product", [f"{s}.z", f"{s}.dh"], "gradient", "z * dL/dh (into dL/dh_prev)"),
                ("dhu", "transposed", [P["U_r"], f"{s}.dar", P["U_z"], f"{s}.daz", P["U_n"], f"{s}.dhn"],
                 "gradient", "g = U_r^T dL/drbar + U_z^T dL/dzbar + U_n^T dL/dq (into dL/dh_prev)"),
            )
        for key, op, operands, kind, formula in steps:
            g.apply(op, f"{s}.{key}", operands, kind, formula=formula, note=(key, note))
    every = range(1, T + 1)
    xs, hs = [f"x{t}" for t in every], [_previous(pre, t) for t in every]
    delta = {key: [f"{pre}.t{t}.{key}" for t in every] for key in ("dar", "daz", "dan", "dhn")}
    return {"W_r": (delta["dar"], xs), "W_z": (delta["daz"], xs), "W_n": (delta["dan"], xs),
            "U_r": (delta["dar"], hs), "U_z": (delta["daz"], hs), "U_n": (delta["dhn"], hs),
            "b_r": (delta["dar"], None), "b_z": (delta["daz"], None), "b_n": (delta["dan"], None),
            "b_hn": (delta["dhn"], None)}
