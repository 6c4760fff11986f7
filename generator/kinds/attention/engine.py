"""Scaled dot-product self-attention, forward and backward, composed of the shared operations
(``generator.ops``): no arithmetic of its own, every value a recorded step.

Forward: Q = X W_q, K = X W_k, V = X W_v, S = Q Kᵀ / √d_k (a masked score is −∞), A = softmax of
each row of S (``ops.compose.softmax``: e^S, the row sums, the quotients), O = A V.  Backward from
G = ∂L/∂O: ∂L/∂V = Aᵀ G, ∂L/∂A = G Vᵀ, ∂L/∂S_ij = A_ij (∂L/∂A_ij − Σ_k A_ik ∂L/∂A_ik),
∂L/∂(Q Kᵀ) = ∂L/∂S / √d_k, ∂L/∂Q = ∂L/∂(Q Kᵀ) K, ∂L/∂K = ∂L/∂(Q Kᵀ)ᵀ Q, ∂L/∂W = Xᵀ ∂L/∂(XW) for
each projection, and ∂L/∂X the sum of the three paths ∂L/∂Q W_qᵀ + ∂L/∂K W_kᵀ + ∂L/∂V W_vᵀ."""

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
    g.given("d_k", model.W_q.shape[1], "d_k")
    g.apply("sqrt", "sqrt_dk", ["d_k"], "preactivation", formula="sqrt(d_k)")
    g.apply("matmul", "QK", ["Q", "K"], "preactivation", formula="Q K^T", rounded=False, tb=True)
    masked = not model.allowed.all()
    if masked:
        g.given("mask", model.allowed.astype(int), "1 where token i attends to token j, else 0")
        g.apply("quotient_masked", "scores", ["QK", ("sqrt_dk", ()), "mask"], "preactivation",
                formula="S = Q K^T / sqrt(d_k) (masked entries count as -inf)")
    else:
        g.apply("quotient", "scores", ["QK", ("sqrt_dk", ())], "preactivation", formula="S = Q K^T / sqrt(d_k)")
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
    g.apply("quotient", "dQK", ["dS", ("sqrt_dk", ())], "gradient", formula="dL/d(Q K^T) = dL/dS / sqrt(d_k)")
    g.apply("matmul", "dQ", ["dQK", "K"], "gradient", formula="dL/dQ = dL/d(QK^T) K")
    g.apply("matmul", "dK", ["dQK", "Q"], "gradient", formula="dL/dK = dL/d(QK^T)^T Q", ta=True)
    for key, d in (("W_q", "dQ"), ("W_k", "dK"), ("W_v", "dV")):
        g.apply("matmul", f"grad.{key}", ["tokens", d], "gradient", formula=f"X^T {d}", ta=True)
    for key, d in (("W_q", "dQ"), ("W_k", "dK"), ("W_v", "dV")):
        g.apply("matmul", f"dX_{key[-1]}", [d, key], "gradient", formula=f"{d} {key}^T", rounded=False, tb=True)
    g.apply("sum", "grad.tokens", ["dX_q", "dX_k", "dX_v"], "gradient", formula="dL/dX = the three paths")
