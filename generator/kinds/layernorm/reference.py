"""Independent float64 reference for the layer-normalization kind (PyTorch's convention).

Standalone on purpose: it imports nothing from ``generator`` and is written straight from the
equations of ``torch.nn.LayerNorm(features, eps=epsilon, elementwise_affine=True)`` applied to each
sample, so it can check the engine rather than repeat it.

The exercise part holds ``input``, a features × samples matrix (one ROW per feature, one COLUMN per
sample; a flat list is one row), ``gamma`` and ``beta`` (one per feature, defaults 1 and 0, a single
number meaning every feature), ``epsilon`` (default 1e-5) and optionally ``upstream`` = ∂L/∂y
(features × samples).  Each column x (one sample, F features) is normalized over its own features:

    μ      = (1/F) Σ_k x_k                       (``mean``, one per sample)
    σ²     = (1/F) Σ_k (x_k − μ)²                (``variance``: biased, divisor F)
    s      = √(σ² + ε)                           (``std``: ε inside the square root)
    x̂_k    = (x_k − μ) / s                       (``xhat``)
    y_k    = γ_k x̂_k + β_k                       (``output``)

With an upstream gradient g = ∂L/∂y (L = Σ g ⊙ y, see :func:`loss`):

    ∂L/∂γ_k = Σ_samples g_k x̂_k                 (``grad.gamma``)
    ∂L/∂β_k = Σ_samples g_k                      (``grad.beta``)
    ∂L/∂x_k = (1/s) [ d_k − mean(d) − x̂_k mean(d ⊙ x̂) ],  d = γ ⊙ g, means over the features
                                                 (``grad.input``)
"""

from __future__ import annotations

import numpy as np


def _matrix(value) -> np.ndarray:
    a = np.asarray(value, dtype=np.float64)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:                     # a flat list is one row
        return a[None, :]
    if a.ndim != 2:
        raise ValueError(f"expected a matrix, got an array of shape {a.shape}")
    return a.copy()


def _per_feature(value, features: int, default: float) -> np.ndarray:
    if value is None:
        return np.full(features, float(default))
    v = np.asarray(value, dtype=np.float64).reshape(-1)
    if v.size == 1:
        return np.full(features, float(v[0]))
    if v.size != features:
        raise ValueError(f"expected {features} entries (one per feature), got {v.size}")
    return v.copy()


def _parse(part: dict):
    x = _matrix(part["input"])
    F = x.shape[0]
    gamma = _per_feature(part.get("gamma"), F, 1.0)
    beta = _per_feature(part.get("beta"), F, 0.0)
    eps = float(part.get("epsilon", 1e-5) if part.get("epsilon") is not None else 1e-5)
    up = part.get("upstream")
    if up is not None:
        up = _matrix(up)
        if up.shape != x.shape:
            raise ValueError(f"upstream must be {x.shape}, got {up.shape}")
    return x, gamma, beta, eps, up


def _forward(x, gamma, beta, eps):
    mean = x.mean(axis=0)                                 # per sample (column)
    centred = x - mean[None, :]
    var = (centred ** 2).mean(axis=0)                     # biased
    std = np.sqrt(var + eps)
    xhat = centred / std[None, :]
    y = gamma[:, None] * xhat + beta[:, None]
    return mean, var, std, xhat, y


def solve(part: dict) -> dict[str, np.ndarray]:
    """Every public trace value of one layer-norm part (the gradients only with ``upstream``)."""
    x, gamma, beta, eps, up = _parse(part)
    mean, var, std, xhat, y = _forward(x, gamma, beta, eps)
    out = {"mean": mean, "variance": var, "std": std, "xhat": xhat, "output": y}
    if up is not None:
        d = gamma[:, None] * up                           # ∂L/∂x̂
        dx = (d - d.mean(axis=0)[None, :] - xhat * (d * xhat).mean(axis=0)[None, :]) / std[None, :]
        out["grad.gamma"] = (up * xhat).sum(axis=1)
        out["grad.beta"] = up.sum(axis=1)
        out["grad.input"] = dx
    return out


def loss(part: dict) -> float:
    """L = Σ upstream ⊙ output, whose gradients are the reported ones (for finite differences)."""
    x, gamma, beta, eps, up = _parse(part)
    if up is None:
        raise ValueError("loss() needs an upstream gradient")
    return float((up * _forward(x, gamma, beta, eps)[4]).sum())
