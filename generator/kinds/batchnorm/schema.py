"""The schema of a batch-normalization exercise: a features × samples batch, γ, β, ε and an
optional upstream gradient ∂L/∂y."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import SpecError
from ...validate import join, mapping, matrix, number, text, upstream, vector

#: Beyond these a row of the batch no longer fits on a line of the page.
MAX_FEATURES, MAX_SAMPLES = 8, 8
KEYS = ("id", "title", "text", "input", "gamma", "beta", "epsilon", "upstream")


@dataclass(frozen=True, eq=False)
class BatchNorm:
    id: str
    title: str
    text: str
    input: np.ndarray           # features × samples
    gamma: np.ndarray           # features
    beta: np.ndarray            # features
    epsilon: float
    upstream: np.ndarray | None  # features × samples
    kind: str = "batchnorm"

    @property
    def features(self) -> int:
        return self.input.shape[0]

    @property
    def samples(self) -> int:
        return self.input.shape[1]


def _per_feature(value, field, features, default):
    if value is None:
        return np.full(features, float(default))
    v = vector(value, field)
    if v.size == 1 and features > 1:
        return np.full(features, v[0])
    if v.size != features:
        raise SpecError(f"expected {features} entries (one per feature), got {v.size}", field=field)
    return v


def parse(value, field: str, ident: str, limits) -> BatchNorm:
    m = mapping(value, field, KEYS, ("input",))
    x = matrix(m["input"], join(field, "input"))
    if x.shape[1] < 2:
        raise SpecError("a batch needs at least 2 samples (one column each)", field=join(field, "input"))
    if x.shape[0] > min(MAX_FEATURES, limits.max_units):
        raise SpecError(f"{x.shape[0]} features, more than {min(MAX_FEATURES, limits.max_units)} (a row per "
                        "feature is written out)", field=join(field, "input"))
    if x.shape[1] > min(MAX_SAMPLES, limits.max_samples):
        raise SpecError(f"{x.shape[1]} samples, more than {min(MAX_SAMPLES, limits.max_samples)} (a row of the "
                        "batch must fit on a line)", field=join(field, "input"))
    eps = number(m.get("epsilon", 1e-5), join(field, "epsilon"), nonnegative=True)
    if eps == 0 and np.any(x.max(axis=1) == x.min(axis=1)):
        raise SpecError("a feature with the same value in every sample has variance 0: give epsilon > 0",
                        field=join(field, "epsilon"))
    return BatchNorm(id=ident, title=text(m.get("title"), join(field, "title"), 300),
                     text=text(m.get("text"), join(field, "text")), input=x,
                     gamma=_per_feature(m.get("gamma"), join(field, "gamma"), x.shape[0], 1),
                     beta=_per_feature(m.get("beta"), join(field, "beta"), x.shape[0], 0),
                     epsilon=eps, upstream=upstream(m.get("upstream"), join(field, "upstream"), x.shape))


def cost(model: BatchNorm) -> int:
    """The terms the worked solution computes and writes out (each printed entry and sum), from
    the shapes alone: limits.max_part_terms bounds it before any work."""
    entries = model.features * model.samples
    return 10 * entries + (12 * entries if model.upstream is not None else 0)
