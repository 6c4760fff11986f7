"""What the normalization kinds share: one exercise (a features × samples matrix X, γ and β per
feature, ε and an optional upstream ∂L/∂y) normalized along one axis — the samples for batch
normalization, the features for layer normalization (``ops.normalize``) — its schema, its
notation and its answers.  A kind folder names its axis and its words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ..ops.normalize import FEATURES, SAMPLES
from ..validate import join, mapping, matrix, number, per_feature, text, upstream
from .common import upstream_groups, upstream_is_key

#: Beyond these a row or a column of the matrix no longer fits on a line of the page.
MAX_FEATURES, MAX_SAMPLES = 8, 8
KEYS = ("id", "title", "text", "input", "gamma", "beta", "epsilon", "upstream")
#: What the entries along each axis are, as the messages say it.
_UNITS = {FEATURES: ("feature", "features", "row"), SAMPLES: ("sample", "samples", "column")}


@dataclass(frozen=True, eq=False)
class Normalization:
    id: str
    title: str
    text: str
    input: np.ndarray           # features × samples
    gamma: np.ndarray           # features
    beta: np.ndarray            # features
    epsilon: float
    upstream: np.ndarray | None  # features × samples
    kind: str
    axis: int                   # normalized along: SAMPLES (batch) or FEATURES (layer)

    @property
    def features(self) -> int:
        return self.input.shape[0]

    @property
    def samples(self) -> int:
        return self.input.shape[1]


def parse(value, field: str, ident: str, limits, *, kind: str, axis: int) -> Normalization:
    m = mapping(value, field, KEYS, ("input",))
    where = join(field, "input")
    x = matrix(m["input"], where)
    one, many, line = _UNITS[axis]
    if x.shape[axis] < 2:
        raise SpecError(f"normalizing needs at least 2 {many} (one {line} each)", field=where)
    most = (min(MAX_FEATURES, limits.max_units), min(MAX_SAMPLES, limits.max_samples))
    for ax, (_, words, _) in _UNITS.items():
        if x.shape[ax] > most[ax]:
            raise SpecError(f"{x.shape[ax]} {words}, more than {most[ax]} (every one is written out)", field=where)
    eps = number(m.get("epsilon", 1e-5), join(field, "epsilon"), nonnegative=True)
    if eps == 0 and np.any(x.max(axis=axis) == x.min(axis=axis)):
        raise SpecError(f"a {_UNITS[1 - axis][0]} with the same value in every {one} has variance 0: "
                        "give epsilon > 0", field=join(field, "epsilon"))
    return Normalization(id=ident, title=text(m.get("title"), join(field, "title"), 300),
                         text=text(m.get("text"), join(field, "text")), input=x,
                         gamma=per_feature(m.get("gamma"), join(field, "gamma"), x.shape[0], 1),
                         beta=per_feature(m.get("beta"), join(field, "beta"), x.shape[0], 0),
                         epsilon=eps, upstream=upstream(m.get("upstream"), join(field, "upstream"), x.shape),
                         kind=kind, axis=axis)


def cost(model: Normalization) -> int:
    """The terms the worked solution computes and writes out (each printed entry and sum), from
    the shapes alone: limits.max_part_terms bounds it before any work."""
    entries = model.features * model.samples
    return 10 * entries + (12 * entries if model.upstream is not None else 0)


def notation(axis: int) -> dict:
    """The symbols of the steps (``View.NOTATION``): feature i (a row), sample j (a column); the
    mean, variance and root belong to a row (batch) or a column (layer), the sums run along the
    normalized axis."""
    along = "{0}k" if axis == SAMPLES else "k{0}"        # the entries summed: along the axis
    return {
        "mean": (r"\boldsymbol{\mu}", r"\mu_{{{0}}}"),
        "variance": (r"\boldsymbol{\sigma}^2", r"\sigma_{{{0}}}^2"),
        "std": (r"\sqrt{\boldsymbol{\sigma}^2 + \epsilon}", r"\sqrt{{\sigma_{{{0}}}^2 + \epsilon}}"),
        "xhat": (r"\hat{\mathbf{X}}", r"\hat{{x}}_{{{0},{1}}}"),
        "output": (r"\mathbf{Y}", r"y_{{{0},{1}}}"),
        "grad.beta": (r"\frac{\partial L}{\partial \boldsymbol{\beta}}", r"\frac{{\partial L}}{{\partial \beta_{{{0}}}}}"),
        "grad.gamma": (r"\frac{\partial L}{\partial \boldsymbol{\gamma}}", r"\frac{{\partial L}}{{\partial \gamma_{{{0}}}}}"),
        "dxhat": (r"\frac{\partial L}{\partial \hat{\mathbf{X}}}", r"\frac{{\partial L}}{{\partial \hat{{x}}_{{{0},{1}}}}}"),
        "sum_dxhat": ("", r"\sum_k \frac{{\partial L}}{{\partial \hat{{x}}_{{IDX}}}}".replace("IDX", along)),
        "sum_dxhat_xhat": ("", r"\sum_k \frac{{\partial L}}{{\partial \hat{{x}}_{{IDX}}}} \hat{{x}}_{{IDX}}"
                           .replace("IDX", along)),
        "inner": (r"\mathbf{T}", r"t_{{{0},{1}}}"),
        "grad.input": (r"\frac{\partial L}{\partial \mathbf{X}}", r"\frac{{\partial L}}{{\partial x_{{{0},{1}}}}}"),
    }


def given(model, p) -> list[tuple[str, object]]:
    """The data a question states (for an LMS)."""
    rows = [("input X (features × samples)", p.dec("input")), ("gamma", p.dec("gamma")),
            ("beta", p.dec("beta")), ("epsilon", model.epsilon)]
    if model.upstream is not None:
        rows.append(("dL/dy", p.dec("upstream")))
    return rows


#: The inputs whose gradient an upstream ∂L/∂y gives (``grad.<input>``), in the order computed.
INPUTS = ("beta", "gamma", "input")


def groups(model, p) -> dict[str, list[str]]:
    return upstream_groups(model, INPUTS)


is_key = upstream_is_key(INPUTS)
