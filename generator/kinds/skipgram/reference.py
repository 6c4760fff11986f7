"""Independent float64 reference for the skip-gram kind, written from the equations of Mikolov et
al. (2013), "Distributed Representations of Words and Phrases and their Compositionality", eq. (4)
(the negative-sampling objective), and of the CS224n notes and assignment 2 (the gradients).

Standalone on purpose: it imports nothing from ``generator`` and checks the engine rather than
repeat it.  A part holds ``v_c`` (d numbers), ``u_o`` (d numbers), ``negatives`` (K rows of d, a flat
list being one row), ``learning_rate`` and optionally ``loss_after`` (default true) and
``stop_after`` (``forward`` or ``gradients``):

    s_o = u_o · v_c,  s_k = u_k · v_c                       (``score_o``, ``score_neg``)
    ℓ   = −log σ(s_o) − Σ_k log σ(−s_k)                      (``loss``)
    ∂ℓ/∂v_c = (σ(s_o) − 1) u_o + Σ_k σ(s_k) u_k              (``grad.v_c``)
    ∂ℓ/∂u_o = (σ(s_o) − 1) v_c                               (``grad.u_o``)
    ∂ℓ/∂u_k = σ(s_k) v_c                                     (``grad.negatives``, row k)

then every vector x ← x − η ∂ℓ/∂x, all from the gradients before the step (``updated.*``), and the
same forward pass with the updated vectors (``updated.score_o`` … ``updated.loss``)."""

from __future__ import annotations

import math

import numpy as np


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def _parse(part: dict):
    v = np.asarray(part["v_c"], dtype=np.float64).reshape(-1)
    u = np.asarray(part["u_o"], dtype=np.float64).reshape(-1)
    U = np.asarray(part["negatives"], dtype=np.float64)
    U = U.reshape(1, -1) if U.ndim == 1 else U
    if u.shape != v.shape or U.shape[1] != v.size:
        raise ValueError("u_o and every negative sample need as many entries as v_c")
    return v, u, U


def _loss(v, u, U) -> float:
    total = -math.log(_sigmoid(float(np.dot(u, v))))
    for k in range(U.shape[0]):
        total -= math.log(_sigmoid(-float(np.dot(U[k], v))))
    return total


def _forward(v, u, U, pre: str = "") -> dict:
    """The scores, their sigmoids and the loss, every dot product a sum over the entries."""
    K = U.shape[0]
    s_o = sum(u[j] * v[j] for j in range(v.size))
    s_k = np.array([sum(U[k, j] * v[j] for j in range(v.size)) for k in range(K)])
    return {pre + "score_o": np.float64(s_o), pre + "score_neg": s_k, pre + "sigma_o": np.float64(_sigmoid(s_o)),
            pre + "sigma_neg": np.array([_sigmoid(s) for s in s_k]),
            pre + "sigma_neg_minus": np.array([_sigmoid(-s) for s in s_k]), pre + "loss": np.float64(_loss(v, u, U))}


def solve(part: dict) -> dict[str, np.ndarray]:
    """Every public trace value of one part, as far as it goes (``stop_after``)."""
    v, u, U = _parse(part)
    K = U.shape[0]
    out = _forward(v, u, U)
    stop = part.get("stop_after")
    if stop == "forward":
        return out
    sig_k = out["sigma_neg"]
    e_o = out["sigma_o"] - 1.0
    grads = {"v_c": e_o * u + sum(sig_k[k] * U[k] for k in range(K)), "u_o": e_o * v,
             "negatives": np.array([sig_k[k] * v for k in range(K)])}
    out.update({f"grad.{name}": g for name, g in grads.items()})
    if stop == "gradients":
        return out
    lr = float(part["learning_rate"])
    new = {"v_c": v - lr * grads["v_c"], "u_o": u - lr * grads["u_o"], "negatives": U - lr * grads["negatives"]}
    out.update({f"updated.{name}": x for name, x in new.items()})
    if part.get("loss_after", True):
        out.update(_forward(new["v_c"], new["u_o"], new["negatives"], "updated."))
    return out


def loss(part: dict) -> float:
    """ℓ of the part's vectors (for finite differences of the gradients)."""
    return _loss(*_parse(part))
