"""Scaled dot-product self-attention, forward and backward, composed of the shared operations
(``generator.ops``): no arithmetic of its own, every value a recorded step.

Forward: Q = X W_q, K = X W_k, V = X W_v, S = Q Kᵀ / √d_k (a masked score is −∞), A = softmax of
each row of S (``ops.compose.softmax``: e^S, the row sums, the quotients), O = A V.  Backward from
G = ∂L/∂O: ∂L/∂V = Aᵀ G, ∂L/∂A = G Vᵀ, ∂L/∂S_ij = A_ij (∂L/∂A_ij − Σ_k A_ik ∂L/∂A_ik),
∂L/∂(Q Kᵀ) = ∂L/∂S / √d_k, ∂L/∂Q = ∂L/∂(Q Kᵀ) K, ∂L/∂K = ∂L/∂(Q Kᵀ)ᵀ Q, ∂L/∂W = Xᵀ ∂L/∂(XW) for
each projection, and ∂L/∂X the sum of the three paths ∂L/∂Q W_qᵀ + ∂L/∂K W_kᵀ + ∂L/∂V W_vᵀ.

The scale (``model.scale``): ``sqrt_dk`` as above; a factor c gives S = c Q Kᵀ (step ``scale``, the
given c) and ∂L/∂(Q Kᵀ) = c ∂L/∂S; ``none`` gives S = Q Kᵀ itself (no steps ``QK``, ``dQK``: ∂L/∂Q =
∂L/∂S K, ∂L/∂K = ∂L/∂Sᵀ Q)."""

from __future__ import annotations

from ...ops import Graph, compose
from ...trace import ProblemTrace, Recorder

ROWS = 1          # the softmax and its backward sum run along each row (a token's scores)


def solve(model, policy, overrides=None) -> ProblemTrace:
    pt = ProblemTrace(id=model.id, kind=model.kind,
                      info={"tokens": model.tokens.shape[0], "d_k": model.W_q.shape[1], "mode": policy.mode,
                            "allowed": model.allowed.tolist(), "backward": model.upstream is not None})
    g = Graph(Recorder(pt, policy, batch=True, overrides=overrides))
    run(model, g)                 # exact arithmetic: the guard every kind runs in (Kind.solve)
    return pt


def run(model, g) -> None:
    g.given("tokens", model.tokens, "X")
    for key in ("W_q", "W_k", "W_v"):
        g.given(key, getattr(model, key), key)
    for name, key in (("Q", "W_q"), ("K", "W_k"), ("V", "W_v")):
        g.apply("matmul", name, ["tokens", key], "preactivation", formula=f"{name} = X {key}")
    masked = not model.allowed.all()
    if model.scale == "sqrt_dk":
        g.given("d_k", model.W_q.shape[1], "d_k")
        g.apply("sqrt", "sqrt_dk", ["d_k"], "preactivation", formula="sqrt(d_k)")
    elif model.scale != "none":
        g.given("scale", model.scale, "c, the factor of the scores S = c Q K^T")
    if model.scale != "none":
        g.apply("matmul", "QK", ["Q", "K"], "preactivation", formula="Q K^T", rounded=False, tb=True)
    if masked:
        g.given("mask", model.allowed.astype(int), "1 where token i attends to token j, else 0")
    _scores(model, g, masked)
    compose.softmax(g, "scores", exp="exp", total="expsum", out="weights", axis=ROWS,
                    mask="mask" if masked else None, rounded=(True, False, True))
    g.apply("matmul", "output", ["weights", "V"], "activation", formula="O = A V")
    if model.upstream is None:
        return
    g.given("upstream", model.upstream, "dL/dO")
    g.apply("matmul", "dV", ["weights", "upstream"], "gradient", formula="dL/dV = A^T dL/dO", ta=True)
    g.apply("matmul", "dA", ["upstream", "V"], "gradient", formula="dL/dA = dL/dO V^T", tb=True)
    g.apply("dot_along", "rowdot", ["weights", "dA"], "gradient", formula="sum_k A_ik dL/dA_ik", rounded=False,
            axis=ROWS)
    g.apply("times_difference", "dS", ["weights", "dA", ("rowdot", (0,))], "gradient",
            formula="dL/dS = A (dL/dA - row sum)")
    if model.scale == "sqrt_dk":
        g.apply("quotient", "dQK", ["dS", ("sqrt_dk", ())], "gradient", formula="dL/d(Q K^T) = dL/dS / sqrt(d_k)")
    elif model.scale != "none":
        g.apply("product", "dQK", [("scale", ()), "dS"], "gradient", formula="dL/d(Q K^T) = c dL/dS")
    d = "dS" if model.scale == "none" else "dQK"          # S = Q K^T itself: ∂L/∂S is ∂L/∂(Q K^T)
    g.apply("matmul", "dQ", [d, "K"], "gradient", formula=f"dL/dQ = {_WRITTEN[d]} K")
    g.apply("matmul", "dK", [d, "Q"], "gradient", formula=f"dL/dK = {_WRITTEN[d]}^T Q", ta=True)
    for key, d in (("W_q", "dQ"), ("W_k", "dK"), ("W_v", "dV")):
        g.apply("matmul", f"grad.{key}", ["tokens", d], "gradient", formula=f"X^T {d}", ta=True)
    for key, d in (("W_q", "dQ"), ("W_k", "dK"), ("W_v", "dV")):
        g.apply("matmul", f"dX_{key[-1]}", [d, key], "gradient", formula=f"{d} {key}^T", rounded=False, tb=True)
    g.apply("sum", "grad.tokens", ["dX_q", "dX_k", "dX_v"], "gradient", formula="dL/dX = the three paths")


#: How the JSON trace's formulas write the gradient ∂L/∂Q and ∂L/∂K come from.
_WRITTEN = {"dQK": "dL/d(QK^T)", "dS": "dL/dS"}


def _scores(model, g, masked: bool) -> None:
    """Step ``scores``: S = Q Kᵀ/√d_k, c Q Kᵀ or Q Kᵀ (``model.scale``), a masked entry −∞."""
    how = " (masked entries count as -inf)" if masked else ""
    if model.scale == "sqrt_dk":
        g.apply("quotient_masked" if masked else "quotient", "scores",
                ["QK", ("sqrt_dk", ())] + (["mask"] if masked else []), "preactivation",
                formula="S = Q K^T / sqrt(d_k)" + how)
    elif model.scale == "none":
        g.apply("matmul_masked" if masked else "matmul", "scores", ["Q", "K"] + (["mask"] if masked else []),
                "preactivation", formula="S = Q K^T" + how, tb=True)
    else:
        g.apply("product_masked" if masked else "product", "scores",
                [("scale", ()), "QK"] + (["mask"] if masked else []), "preactivation", formula="S = c Q K^T" + how)
