"""Independent float64 reference for the GRU kind (PyTorch's ``nn.GRUCell`` convention).

Standalone on purpose: it imports nothing of the engine (numpy and the shared
float64 helpers of ``kinds/recurrent_reference.py`` only) and is written straight from the
equations of ``torch.nn.GRUCell`` unrolled over T steps, with a hand-written backpropagation
through time, so it can check the engine rather than repeat it.

Convention: PyTorch's.  b_r and b_z are PyTorch's sums b_ir + b_hr and b_iz + b_hz, b_n is
PyTorch's b_in and b_hn is PyTorch's b_hn, which sits INSIDE the reset product.  For t = 1 … T,
with x_t the t-th row of ``inputs`` (size d) and h_0 = ``h0`` (size n, default 0):

    r_t = σ(W_r x_t + U_r h_{t−1} + b_r)                     reset gate
    z_t = σ(W_z x_t + U_z h_{t−1} + b_z)                     update gate
    n_t = tanh(W_n x_t + b_n + r_t ⊙ (U_n h_{t−1} + b_hn))   candidate
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}

(note: z_t weighs the OLD state, as in PyTorch).  W_• are n × d, U_• are n × n, the biases have
n entries (default 0).  Only the last hidden state has a target y (``target``); the loss is
``half_sse`` ½Σ(h_T − y)², ``sse`` Σ(h_T − y)² or ``mse`` (1/n)Σ(h_T − y)².

Backward (δ = ∂L/∂·, δh_T from the loss), for t = T … 1, with q = U_n h_{t−1} + b_hn:

    δn = δh_t ⊙ (1 − z)   δz = δh_t ⊙ (h_{t−1} − n)   δh_{t−1} = δh_t ⊙ z
    δa_n = δn ⊙ (1 − n²)  δr = δa_n ⊙ q   δq = δa_n ⊙ r
    δa_r = δr ⊙ r(1−r)    δa_z = δz ⊙ z(1−z)
    ∂L/∂W_n += δa_n x_tᵀ  ∂L/∂b_n += δa_n  ∂L/∂U_n += δq h_{t−1}ᵀ  ∂L/∂b_hn += δq
    ∂L/∂W_• += δa_• x_tᵀ  ∂L/∂U_• += δa_• h_{t−1}ᵀ  ∂L/∂b_• += δa_•   (• = r, z)
    δh_{t−1} += U_nᵀ δq + U_rᵀ δa_r + U_zᵀ δa_z

Training: ``iterations`` (default 1) steps of plain SGD, p ← p − η ∂L/∂p on all 10 parameters,
forward and backward recomputed each step.  Names returned by :func:`solve`: ``it1.t{t}.r/.z/.n
/.h`` (t 1-based), ``it1.loss``, ``it1.grad.<p>`` and, after each update k, ``it{k}.<p>`` for the
10 parameters, and ``final.loss`` (the loss with the final parameters).
"""

from __future__ import annotations

import sys

import numpy as np

from .. import recurrent_reference as R
from ..recurrent_reference import LOSSES  # noqa: F401  (the losses a part may name)
from ..recurrent_reference import inputs as _inputs
from ..recurrent_reference import sigmoid as _sigmoid
from ..recurrent_reference import vector as _vector
from ..recurrent_reference import weights as _weights

GATES = ("r", "z", "n")
PARAMETERS = ("W_r", "W_z", "W_n", "U_r", "U_z", "U_n", "b_r", "b_z", "b_n", "b_hn")


def _parse(part: dict):
    y = np.asarray(part["target"], dtype=np.float64).reshape(-1)
    n = y.size
    d = _weights(part["W_r"], n).shape[1]
    P = {}
    for g in GATES:
        P[f"W_{g}"] = _weights(part[f"W_{g}"], n, d)
        P[f"U_{g}"] = _weights(part[f"U_{g}"], n, n)
        P[f"b_{g}"] = _vector(part.get(f"b_{g}"), n, 0.0)
    P["b_hn"] = _vector(part.get("b_hn"), n, 0.0)
    X = _inputs(part["inputs"], d)
    h0 = _vector(part.get("h0"), n, 0.0)
    return X, h0, P, y


def _forward(X, h0, P):
    steps, h = [], h0
    for x in X:
        r = _sigmoid(P["W_r"] @ x + P["U_r"] @ h + P["b_r"])
        z = _sigmoid(P["W_z"] @ x + P["U_z"] @ h + P["b_z"])
        q = P["U_n"] @ h + P["b_hn"]
        n = np.tanh(P["W_n"] @ x + P["b_n"] + r * q)
        h_new = (1.0 - z) * n + z * h
        steps.append(dict(x=x, h_prev=h, r=r, z=z, q=q, n=n, h=h_new))
        h = h_new
    return steps


def _backward(steps, P, dh):
    grads = {p: np.zeros_like(v) for p, v in P.items()}
    for s in reversed(steps):
        x, hp, r, z, q, n = s["x"], s["h_prev"], s["r"], s["z"], s["q"], s["n"]
        dn = dh * (1.0 - z)
        dz = dh * (hp - n)
        dh_prev = dh * z
        da_n = dn * (1.0 - n ** 2)
        dr = da_n * q
        dq = da_n * r
        da_r = dr * r * (1.0 - r)
        da_z = dz * z * (1.0 - z)
        grads["W_n"] += np.outer(da_n, x)
        grads["b_n"] += da_n
        grads["U_n"] += np.outer(dq, hp)
        grads["b_hn"] += dq
        for k, da in (("r", da_r), ("z", da_z)):
            grads[f"W_{k}"] += np.outer(da, x)
            grads[f"U_{k}"] += np.outer(da, hp)
            grads[f"b_{k}"] += da
        dh = dh_prev + P["U_n"].T @ dq + P["U_r"].T @ da_r + P["U_z"].T @ da_z
    return grads


# what recurrent_reference trains around the cell
KEYS = ("r", "z", "n", "h")
parse, forward, backward = _parse, _forward, _backward


def solve(part: dict) -> dict[str, np.ndarray]:
    """Every public trace value of one part (see the module docstring for the names)."""
    return R.solve(sys.modules[__name__], part)


def loss(part: dict) -> float:
    """The loss of the part's parameters as given (iteration 1's loss; for finite differences)."""
    return R.loss(sys.modules[__name__], part)
