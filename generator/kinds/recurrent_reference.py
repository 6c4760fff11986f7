"""What the independent references of the recurrent cells share (``lstm/reference.py``,
``gru/reference.py``): reading a part's numbers in float64 and the training around a cell —
the loss on the last hidden state, plain SGD, the names returned.  Standalone on purpose: numpy
only, nothing from ``generator``, so that a reference checks the engine rather than repeats it.

A cell module gives ``parse(part) -> (X, state0, P, y)`` and ``forward(X, state0, P) -> steps``
(each step a dict with at least ``h``), ``backward(steps, P, dh) -> grads``, its ``PARAMETERS``
and the keys of a step it reports (``KEYS``)."""

from __future__ import annotations

import numpy as np

LOSSES = ("half_sse", "sse", "mse")


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def vector(value, n: int, default=None) -> np.ndarray:
    if value is None:
        if default is None:
            raise ValueError("a required vector is missing")
        return np.full(n, float(default))
    v = np.asarray(value, dtype=np.float64).reshape(-1)
    if v.size != n:
        raise ValueError(f"expected {n} entries, got {v.size}")
    return v.copy()


def weights(value, n: int, d: int | None = None) -> np.ndarray:
    a = np.asarray(value, dtype=np.float64)
    if a.ndim == 0:
        a = a.reshape(1, 1)
    elif a.ndim == 1:
        a = a[None, :] if n == 1 else a[:, None]          # a flat list: one row (or one column)
    if a.ndim != 2 or a.shape[0] != n or (d is not None and a.shape[1] != d):
        raise ValueError(f"expected an {n}×{d if d is not None else '?'} matrix, got shape {a.shape}")
    return a.copy()


def inputs(value, d: int) -> np.ndarray:
    X = np.asarray(value, dtype=np.float64)
    if X.ndim == 0:
        X = X.reshape(1, 1)
    elif X.ndim == 1:
        X = X[:, None] if d == 1 else X[None, :]          # T numbers (d = 1) or a single step
    if X.ndim != 2 or X.shape[1] != d:
        raise ValueError(f"inputs must be T×{d}, got shape {X.shape}")
    return X.copy()


def loss_name(part: dict) -> str:
    name = str(part.get("loss", "half_sse")).strip().lower().replace("-", "_")
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}, expected one of {LOSSES}")
    return name


def loss_value(h, y, name):
    """The loss of the last hidden state and its gradient ∂L/∂h_T."""
    e = h - y
    if name == "half_sse":
        return 0.5 * float(e @ e), e
    if name == "sse":
        return float(e @ e), 2.0 * e
    return float(e @ e) / e.size, 2.0 * e / e.size      # mse


def solve(cell, part: dict) -> dict[str, np.ndarray]:
    """Every public trace value of one part of ``cell``: ``it1.t{t}.<key>``, ``it1.loss``,
    ``it1.grad.<p>``, ``it{k}.<p>`` after each update and ``final.loss``."""
    X, state0, P, y = cell.parse(part)
    name = loss_name(part)
    lr = float(part["learning_rate"])
    iterations = int(part.get("iterations", 1) if part.get("iterations") is not None else 1)
    out: dict[str, np.ndarray] = {}
    for k in range(1, iterations + 1):
        steps = cell.forward(X, state0, P)
        L, dh = loss_value(steps[-1]["h"], y, name)
        grads = cell.backward(steps, P, dh)
        if k == 1:
            for t, s in enumerate(steps, start=1):
                for key in cell.KEYS:
                    out[f"it1.t{t}.{key}"] = s[key].copy()
            out["it1.loss"] = np.array(L)
            for p in cell.PARAMETERS:
                out[f"it1.grad.{p}"] = grads[p].copy()
        P = {p: P[p] - lr * grads[p] for p in cell.PARAMETERS}
        for p in cell.PARAMETERS:
            out[f"it{k}.{p}"] = P[p].copy()
    out["final.loss"] = np.array(loss_value(cell.forward(X, state0, P)[-1]["h"], y, name)[0])
    return out


def loss(cell, part: dict) -> float:
    """The loss of the part's parameters as given (iteration 1's loss; for finite differences)."""
    X, state0, P, y = cell.parse(part)
    return loss_value(cell.forward(X, state0, P)[-1]["h"], y, loss_name(part))[0]
