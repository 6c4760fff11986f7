"""Activations and losses of dense networks: one forward and one derivative per operation.

Arrays are ``units × samples``; losses are per sample (a column) and averaged over samples."""

from __future__ import annotations

import numpy as np

ACTIVATIONS = ("identity", "relu", "leaky_relu", "sigmoid", "tanh", "softmax")
LOSSES = ("sse", "half_sse", "mse", "half_mse", "square", "bce", "cce")

#: Per-sample scale of the sum of squared errors, as a function of the number of output units n.
_SQUARED_SCALE = {"sse": lambda n: 1.0, "half_sse": lambda n: 0.5,
                  "mse": lambda n: 1.0 / n, "half_mse": lambda n: 0.5 / n, "square": lambda n: 1.0}


def activate(name: str, z: np.ndarray, slope: float = 0.01) -> np.ndarray:
    if name == "identity":
        return z.copy()
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, slope * z)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "softmax":
        e = np.exp(z - z.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)
    raise ValueError(name)


def derivative(name: str, z: np.ndarray, a: np.ndarray, slope: float = 0.01,
               relu_at_zero: float = 0.0) -> np.ndarray:
    """Element-wise f'(z), written with the activation ``a`` where textbooks do (σ' = a(1 − a))."""
    if name == "identity":
        return np.ones_like(z)
    if name == "relu":
        return np.where(z > 0, 1.0, np.where(z < 0, 0.0, relu_at_zero))
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, np.where(z < 0, slope, relu_at_zero))
    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "tanh":
        return 1.0 - a * a
    raise ValueError(name)


def softmax_jacobian(a: np.ndarray) -> np.ndarray:
    """Per sample the Jacobian ∂a_i/∂z_j = a_i(δ_ij − a_j); shape ``samples × units × units``."""
    return np.stack([np.diag(col) - np.outer(col, col) for col in a.T])


def loss_scale(loss: str, n_out: int) -> float:
    """The factor in front of the per-sample sum of terms (½, 1/n …)."""
    return _SQUARED_SCALE[loss](n_out) if loss in _SQUARED_SCALE else 1.0


def loss_terms(loss: str, yhat: np.ndarray, y: np.ndarray | None) -> np.ndarray:
    """Element-wise terms whose scaled, sample-averaged sum is the loss."""
    if loss == "square":
        return yhat * yhat
    if loss in _SQUARED_SCALE:
        return (yhat - y) ** 2
    if loss == "bce":
        return -(y * np.log(yhat) + (1.0 - y) * np.log(1.0 - yhat))
    if loss == "cce":
        return -(y * np.log(yhat))
    raise ValueError(loss)


def loss_grad(loss: str, yhat: np.ndarray, y: np.ndarray | None) -> np.ndarray:
    """dℓ/dŷ of the per-sample loss ℓ, column by column."""
    scale = loss_scale(loss, yhat.shape[0])
    if loss == "square":
        return 2.0 * yhat
    if loss in _SQUARED_SCALE:
        return 2.0 * scale * (yhat - y)
    if loss == "bce":
        return (yhat - y) / (yhat * (1.0 - yhat))
    if loss == "cce":
        return -y / yhat
    raise ValueError(loss)


def combined_delta(loss: str, activation: str) -> bool:
    """Whether δ = ŷ − y holds for this output activation and loss (σ + BCE, softmax + CCE)."""
    return (activation, loss) in (("sigmoid", "bce"), ("softmax", "cce"))
