"""Independent float64 reference for the LSTM kind (PyTorch's ``nn.LSTMCell`` convention).

Standalone on purpose: it imports nothing of the engine (numpy and the shared
float64 helpers of ``kinds/recurrent_reference.py`` only) and is written straight from the
equations of ``torch.nn.LSTMCell`` unrolled over T steps, with a hand-written backpropagation
through time, so it can check the engine rather than repeat it.

Convention: PyTorch's, with ONE bias per gate (b_• = PyTorch's b_i• + b_h•).  For t = 1 … T,
with x_t the t-th row of ``inputs`` (size d), h_0 = ``h0`` and c_0 = ``c0`` (size n, default 0):

    i_t = σ(W_i x_t + U_i h_{t−1} + b_i)        input gate
    f_t = σ(W_f x_t + U_f h_{t−1} + b_f)        forget gate
    g_t = tanh(W_g x_t + U_g h_{t−1} + b_g)     candidate cell
    o_t = σ(W_o x_t + U_o h_{t−1} + b_o)        output gate
    c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
    h_t = o_t ⊙ tanh(c_t)

W_• are n × d, U_• are n × n, b_• have n entries (default 0).  Only the last hidden state has a
target y (``target``); the loss is ``half_sse`` ½Σ(h_T − y)², ``sse`` Σ(h_T − y)² or ``mse``
(1/n)Σ(h_T − y)².

Backward (δ = ∂L/∂·; δh_T from the loss, δc_{T+1}-carry = 0), for t = T … 1:

    δo = δh_t ⊙ tanh(c_t)              δc_t += δh_t ⊙ o_t ⊙ (1 − tanh²(c_t))
    δi = δc_t ⊙ g_t   δg = δc_t ⊙ i_t   δf = δc_t ⊙ c_{t−1}   δc_{t−1} = δc_t ⊙ f_t
    δa_i = δi ⊙ i(1−i)  δa_f = δf ⊙ f(1−f)  δa_g = δg ⊙ (1−g²)  δa_o = δo ⊙ o(1−o)
    ∂L/∂W_• += δa_• x_tᵀ   ∂L/∂U_• += δa_• h_{t−1}ᵀ   ∂L/∂b_• += δa_•
    δh_{t−1} = Σ_• U_•ᵀ δa_•

Training: ``iterations`` (default 1) steps of plain SGD, p ← p − η ∂L/∂p on all 12 parameters,
forward and backward recomputed each step.  Names returned by :func:`solve`: ``it1.t{t}.i/.f/.g/
.o/.c/.h`` (t 1-based), ``it1.loss``, ``it1.grad.<p>`` and, after each update k, ``it{k}.<p>``
for the 12 parameters, and ``final.loss`` (the loss with the final parameters).
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

GATES = ("i", "f", "g", "o")
PARAMETERS = tuple(f"W_{g}" for g in GATES) + tuple(f"U_{g}" for g in GATES) + tuple(f"b_{g}" for g in GATES)


def _parse(part: dict):
    y = np.asarray(part["target"], dtype=np.float64).reshape(-1)
    n = y.size
    params = {}
    for g in GATES:
        params[f"W_{g}"] = _weights(part[f"W_{g}"], n)
    d = params["W_i"].shape[1]
    for g in GATES:
        params[f"W_{g}"] = _weights(part[f"W_{g}"], n, d)
        params[f"U_{g}"] = _weights(part[f"U_{g}"], n, n)
        params[f"b_{g}"] = _vector(part.get(f"b_{g}"), n, 0.0)
    X = _inputs(part["inputs"], d)
    h0 = _vector(part.get("h0"), n, 0.0)
    c0 = _vector(part.get("c0"), n, 0.0)
    return X, (h0, c0), params, y


def _forward(X, state0, P):
    steps, (h, c) = [], state0
    for x in X:
        i = _sigmoid(P["W_i"] @ x + P["U_i"] @ h + P["b_i"])
        f = _sigmoid(P["W_f"] @ x + P["U_f"] @ h + P["b_f"])
        g = np.tanh(P["W_g"] @ x + P["U_g"] @ h + P["b_g"])
        o = _sigmoid(P["W_o"] @ x + P["U_o"] @ h + P["b_o"])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        steps.append(dict(x=x, h_prev=h, c_prev=c, i=i, f=f, g=g, o=o, c=c_new, h=h_new))
        h, c = h_new, c_new
    return steps


def _backward(steps, P, dh):
    grads = {p: np.zeros_like(v) for p, v in P.items()}
    dc = np.zeros_like(dh)
    for s in reversed(steps):
        tc = np.tanh(s["c"])
        do = dh * tc
        dc = dc + dh * s["o"] * (1.0 - tc ** 2)
        da = {"i": dc * s["g"] * s["i"] * (1.0 - s["i"]),
              "f": dc * s["c_prev"] * s["f"] * (1.0 - s["f"]),
              "g": dc * s["i"] * (1.0 - s["g"] ** 2),
              "o": do * s["o"] * (1.0 - s["o"])}
        dc = dc * s["f"]
        dh = np.zeros_like(dh)
        for k in GATES:
            grads[f"W_{k}"] += np.outer(da[k], s["x"])
            grads[f"U_{k}"] += np.outer(da[k], s["h_prev"])
            grads[f"b_{k}"] += da[k]
            dh = dh + P[f"U_{k}"].T @ da[k]
    return grads


# what recurrent_reference trains around the cell
KEYS = ("i", "f", "g", "o", "c", "h")
parse, forward, backward = _parse, _forward, _backward


def solve(part: dict) -> dict[str, np.ndarray]:
    """Every public trace value of one part (see the module docstring for the names)."""
    return R.solve(sys.modules[__name__], part)


def loss(part: dict) -> float:
    """The loss of the part's parameters as given (iteration 1's loss; for finite differences)."""
    return R.loss(sys.modules[__name__], part)
