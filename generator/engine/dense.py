"""Activations and losses of dense networks: one forward and one derivative per operation.

Arrays are ``units × samples`` object arrays of Decimals (see ``exact``); losses are per sample
(a column) and averaged over samples."""

from __future__ import annotations

import numpy as np

from . import exact
from .exact import ONE, TWO, ZERO

ACTIVATIONS = ("identity", "relu", "leaky_relu", "sigmoid", "tanh", "softmax")
LOSSES = ("sse", "half_sse", "mse", "half_mse", "square", "bce", "cce")
#: Other names a spec may use for them.
ACTIVATION_ALIASES = {"linear": "identity", "none": "identity", "leakyrelu": "leaky_relu", "logistic": "sigmoid"}
LOSS_ALIASES = {"squared_output": "square", "binary_cross_entropy": "bce", "categorical_cross_entropy": "cce",
                "cross_entropy": "cce"}

#: The per-sample sum of squared errors is divided by this, as a function of the number of outputs n.
_SQUARED_DIVISOR = {"sse": lambda n: 1, "half_sse": lambda n: 2, "mse": lambda n: n,
                    "half_mse": lambda n: 2 * n, "square": lambda n: 1}


def activate(name: str, z: np.ndarray, slope=0.01) -> np.ndarray:
    if name == "identity":
        return z.copy()
    if name == "relu":
        return exact.where(z > 0, z, ZERO)
    if name == "leaky_relu":
        return exact.where(z > 0, z, exact.D(slope) * z)
    if name == "sigmoid":
        return exact.sigmoid(z)
    if name == "tanh":
        return exact.tanh(z)
    if name == "softmax":
        e = exact.exp(z - z.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)
    raise ValueError(name)


def derivative(name: str, z: np.ndarray, a: np.ndarray, slope=0.01, relu_at_zero=0.0) -> np.ndarray:
    """Element-wise f'(z), written with the activation ``a`` where textbooks do (σ' = a(1 − a)).
    The kink z = 0 is decided on the exact value of z."""
    if name == "identity":
        return exact.full(z.shape, ONE)
    if name == "relu":
        return exact.where(z > 0, ONE, exact.where(z < 0, ZERO, exact.D(relu_at_zero)))
    if name == "leaky_relu":
        return exact.where(z > 0, ONE, exact.where(z < 0, exact.D(slope), exact.D(relu_at_zero)))
    if name == "sigmoid":
        return a * (ONE - a)
    if name == "tanh":
        return ONE - a * a
    raise ValueError(name)


def softmax_jacobian(a: np.ndarray) -> np.ndarray:
    """Per sample the Jacobian ∂a_i/∂z_j = a_i(δ_ij − a_j); shape ``samples × units × units``."""
    n = a.shape[0]
    eye = exact.where(np.eye(n, dtype=bool), ONE, ZERO)
    return np.stack([col[:, None] * (eye - col[None, :]) for col in a.T])


def loss_divisor(loss: str, n_out: int) -> int:
    """The per-sample sum of terms is divided by this (2 for ½, n for a mean …)."""
    return _SQUARED_DIVISOR[loss](n_out) if loss in _SQUARED_DIVISOR else 1


def loss_terms(loss: str, yhat: np.ndarray, y: np.ndarray | None) -> np.ndarray:
    """Element-wise terms whose sum, divided by ``loss_divisor`` and averaged over samples, is the loss."""
    if loss == "square":
        return yhat * yhat
    if loss in _SQUARED_DIVISOR:
        d = yhat - y
        return d * d
    if loss == "bce":     # a term whose factor y or 1 − y is 0 is 0 (no logarithm needed)
        return -(_times_ln(y, yhat) + _times_ln(ONE - y, ONE - yhat))
    if loss == "cce":
        return -_times_ln(y, yhat)
    raise ValueError(loss)


def ln_where(factor: np.ndarray, x: np.ndarray) -> np.ndarray:
    """ln x entry by entry where ``factor`` is not 0 (0 elsewhere: that term of the loss is 0)."""
    return exact.where(factor == 0, ZERO, exact.ln(exact.where(factor == 0, ONE, x)))


def _times_ln(factor: np.ndarray, x: np.ndarray) -> np.ndarray:
    """factor · ln x entry by entry, 0 where the factor is 0."""
    return factor * ln_where(factor, x)


def loss_grad(loss: str, yhat: np.ndarray, y: np.ndarray | None) -> np.ndarray:
    """dℓ/dŷ of the per-sample loss ℓ, column by column."""
    if loss == "square":
        return TWO * yhat
    if loss in _SQUARED_DIVISOR:
        return TWO * (yhat - y) / exact.D(loss_divisor(loss, yhat.shape[0]))
    if loss == "bce":
        return (yhat - y) / (yhat * (ONE - yhat))
    if loss == "cce":
        return -y / yhat
    raise ValueError(loss)


def combined_delta(loss: str, activation: str) -> bool:
    """Whether δ = ŷ − y holds for this output activation and loss (σ + BCE, softmax + CCE)."""
    return (activation, loss) in (("sigmoid", "bce"), ("softmax", "cce"))
