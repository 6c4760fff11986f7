"""Scaled dot-product self-attention, forward and backward, in exact decimal arithmetic
(``exact``); every value goes through ``observe``.

Forward: Q = X W_q, K = X W_k, V = X W_v, S = Q Kᵀ / √d_k, A = softmax of each row of S (over the
tokens a row may attend to), O = A V.  Backward from G = ∂L/∂O: ∂L/∂V = Aᵀ G, ∂L/∂A = G Vᵀ,
∂L/∂S_ij = A_ij (∂L/∂A_ij − Σ_k A_ik ∂L/∂A_ik), ∂L/∂Q = (∂L/∂S / √d_k) K,
∂L/∂K = (∂L/∂S / √d_k)ᵀ Q, ∂L/∂W = Xᵀ ∂L/∂(XW) for each projection, and ∂L/∂X the sum of the
three paths ∂L/∂Q W_qᵀ + ∂L/∂K W_kᵀ + ∂L/∂V W_vᵀ."""

from __future__ import annotations

from ...engine import exact
from ...trace import ProblemTrace, Recorder


def solve(model, policy, overrides=None) -> ProblemTrace:
    pt = ProblemTrace(id=model.id, kind="attention",
                      info={"tokens": model.tokens.shape[0], "d_k": model.W_q.shape[1], "mode": policy.mode,
                            "allowed": model.allowed.tolist(), "backward": model.upstream is not None})
    rec = Recorder(pt, policy, batch=True, overrides=overrides)
    with exact.arithmetic():
        run(model, rec)
    return pt


def _matmul(A, B):
    out = exact.full((A.shape[0], B.shape[1]))
    for i in range(A.shape[0]):
        for j in range(B.shape[1]):
            out[i, j] = sum((A[i, k] * B[k, j] for k in range(A.shape[1])), exact.ZERO)
    return out


def run(model, observe) -> None:
    X = exact.array(model.tokens)
    observe.given("tokens", X, "X")
    for key in ("W_q", "W_k", "W_v"):
        observe.given(key, exact.array(getattr(model, key)), key)
    Wq, Wk, Wv = (exact.array(getattr(model, key)) for key in ("W_q", "W_k", "W_v"))
    d_k = model.W_q.shape[1]
    Q = observe("Q", _matmul(X, Wq), "preactivation", "Q = X W_q")
    K = observe("K", _matmul(X, Wk), "preactivation", "K = X W_k")
    V = observe("V", _matmul(X, Wv), "preactivation", "V = X W_v")
    root = observe("sqrt_dk", exact.sqrt(exact.D(d_k)), "preactivation", "sqrt(d_k)")
    raw = observe("QK", _matmul(Q, K.T), "preactivation", "Q K^T", rounded=False)
    allowed = model.allowed
    S = observe("scores", raw / root, "preactivation", "S = Q K^T / sqrt(d_k) (masked entries count as -inf)")
    # e^S only where a token may attend (a masked score's exponential is never needed)
    E = observe("exp", exact.where(allowed, exact.exp(exact.where(allowed, S, exact.ZERO)), exact.ZERO),
                "activation", "e^S (0 where masked)")
    total = observe("expsum", E.sum(axis=1), "activation", "sum of each row of e^S", rounded=False)
    A = observe("weights", E / total[:, None], "activation", "A = e^S / row sum")
    observe("output", _matmul(A, V), "activation", "O = A V")
    if model.upstream is None:
        return
    G = exact.array(model.upstream)
    observe.given("upstream", G, "dL/dO")
    dV = observe("dV", _matmul(A.T, G), "gradient", "dL/dV = A^T dL/dO")
    dA = observe("dA", _matmul(G, V.T), "gradient", "dL/dA = dL/dO V^T")
    rowdot = observe("rowdot", (A * dA).sum(axis=1), "gradient", "sum_k A_ik dL/dA_ik", rounded=False)
    dS = observe("dS", A * (dA - rowdot[:, None]), "gradient", "dL/dS = A (dL/dA - row sum)")
    dR = observe("dQK", dS / root, "gradient", "dL/d(Q K^T) = dL/dS / sqrt(d_k)")
    dQ = observe("dQ", _matmul(dR, K), "gradient", "dL/dQ = dL/d(QK^T) K")
    dK = observe("dK", _matmul(dR.T, Q), "gradient", "dL/dK = dL/d(QK^T)^T Q")
    observe("grad.W_q", _matmul(X.T, dQ), "gradient", "X^T dL/dQ")
    observe("grad.W_k", _matmul(X.T, dK), "gradient", "X^T dL/dK")
    observe("grad.W_v", _matmul(X.T, dV), "gradient", "X^T dL/dV")
    pq = observe("dX_q", _matmul(dQ, Wq.T), "gradient", "dL/dQ W_q^T", rounded=False)
    pk = observe("dX_k", _matmul(dK, Wk.T), "gradient", "dL/dK W_k^T", rounded=False)
    pv = observe("dX_v", _matmul(dV, Wv.T), "gradient", "dL/dV W_v^T", rounded=False)
    observe("grad.tokens", pq + pk + pv, "gradient", "dL/dX = the three paths")
