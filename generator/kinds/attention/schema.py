"""The schema of a self-attention exercise: tokens X (n × d), projections W_q, W_k (d × d_k) and
W_v (d × d_v), a mask, the scale of the scores (1/√d_k, none, or a given factor c: S = c Q Kᵀ), and
an optional upstream gradient ∂L/∂O (n × d_v)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import SpecError
from ...limits import bound
from ...validate import choice, join, mapping, matrix, number, shape_text, text, typename, upstream

KEYS = ("id", "title", "text", "tokens", "W_q", "W_k", "W_v", "mask", "scale", "upstream")
MASKS = ("none", "causal")
#: The scales of the scores by name: S = Q Kᵀ/√d_k (the default, PyTorch's), S = Q Kᵀ; a number c
#: is a factor that multiplies, S = c Q Kᵀ (PyTorch's ``scaled_dot_product_attention(scale=c)``).
SCALES = ("sqrt_dk", "none")


@dataclass(frozen=True, eq=False)
class Attention:
    id: str
    title: str
    text: str
    tokens: np.ndarray          # n × d
    W_q: np.ndarray             # d × d_k
    W_k: np.ndarray             # d × d_k
    W_v: np.ndarray             # d × d_v
    mask: str                   # none | causal
    upstream: np.ndarray | None  # n × d_v
    kind: str = "attention"
    scale: str | float = "sqrt_dk"   # sqrt_dk | none | c > 0, the factor of S = c Q Kᵀ

    @property
    def allowed(self) -> np.ndarray:
        """allowed[i, j]: token i attends to token j (j ≤ i under a causal mask)."""
        n = self.tokens.shape[0]
        return np.tril(np.ones((n, n), dtype=bool)) if self.mask == "causal" else np.ones((n, n), dtype=bool)


def parse(value, field: str, ident: str, limits) -> Attention:
    m = mapping(value, field, KEYS, ("tokens", "W_q", "W_k", "W_v"))
    X = matrix(m["tokens"], join(field, "tokens"))
    n, d = X.shape
    most, limit = bound(limits, "max_tokens", "max_samples")
    if n > most:
        raise SpecError(f"{n} tokens, more than {most} (limit {limit})", field=join(field, "tokens"))
    widest, wide = bound(limits, "max_token_width", "max_units")
    if d > widest:
        raise SpecError(f"{d} features per token, more than {widest} (limit {wide})", field=join(field, "tokens"))
    W = {}
    for key in ("W_q", "W_k", "W_v"):
        w = matrix(m[key], join(field, key))
        if w.shape[0] != d:
            raise SpecError(f"{key} must have {d} rows (one per feature of a token), got {shape_text(w)}",
                            field=join(field, key))
        if w.shape[1] > widest:
            raise SpecError(f"{w.shape[1]} columns, more than {widest} (limit {wide})", field=join(field, key))
        W[key] = w
    if W["W_q"].shape != W["W_k"].shape:
        raise SpecError(f"W_q and W_k must have the same shape (d × d_k), got {shape_text(W['W_q'])} and "
                        f"{shape_text(W['W_k'])}", field=join(field, "W_k"))
    mask = choice(m.get("mask", "none"), join(field, "mask"), MASKS)
    return Attention(id=ident, title=text(m.get("title"), join(field, "title"), 300),
                     text=text(m.get("text"), join(field, "text")), tokens=X, W_q=W["W_q"], W_k=W["W_k"],
                     W_v=W["W_v"], mask=mask, scale=_scale(m.get("scale"), join(field, "scale")),
                     upstream=upstream(m.get("upstream"), join(field, "upstream"), (n, W["W_v"].shape[1])))


def _scale(value, field: str) -> str | float:
    """``sqrt_dk`` (absent), ``none``, or a factor c > 0 that multiplies Q Kᵀ."""
    if value is None:
        return SCALES[0]
    if isinstance(value, str) and value.strip() in SCALES:
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value, field, positive=True)
    what = f"'{value[:40]}'" if isinstance(value, str) else typename(value)
    raise SpecError(f"expected sqrt_dk, none or a number c > 0 (S = c Q K^T), got {what}", field=field)


def cost(model: Attention) -> int:
    """The terms the worked solution computes and writes out (each product of a written sum, each
    printed entry), from the shapes alone: limits.max_part_terms bounds it before any work."""
    n, d = (int(x) for x in model.tokens.shape)
    dk, dv = int(model.W_q.shape[1]), int(model.W_v.shape[1])
    forward = n * d * (2 * dk + dv) + n * n * (dk + dv + 4)
    backward = 0 if model.upstream is None else 2 * (n * d * (2 * dk + dv) + n * n * (2 * dk + dv + 4)) + 3 * n * d * (2 * dk + dv)
    return forward + backward
