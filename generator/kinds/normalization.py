"""What the normalization kinds share: one exercise (a features × samples matrix X, γ and β per
feature, ε and an optional upstream ∂L/∂y) normalized along one axis — the samples for batch
normalization, the features for layer normalization (``ops.normalize``) — its schema, its
notation and its answers.  A kind folder names its axis and its words; batch normalization also
has an inference mode (``modes=True``): the given running mean and variance per feature instead
of the batch's own statistics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ..limits import bound
from ..ops.normalize import FEATURES, SAMPLES
from ..validate import choice, join, mapping, matrix, number, per_feature, text, upstream
from .common import upstream_groups, upstream_is_key

KEYS = ("id", "title", "text", "input", "gamma", "beta", "epsilon", "upstream")
#: The keys of a kind with modes (batch normalization): training (the batch's statistics, the
#: default) or inference (the given running statistics, PyTorch's ``nn.BatchNorm1d`` in ``eval()``).
MODE_KEYS = ("mode", "running_mean", "running_var")
MODES = ("training", "inference")
#: PyTorch's words for them (``module.train()``, ``module.eval()``).
MODE_ALIASES = {"train": "training", "eval": "inference", "evaluation": "inference"}
#: What the entries along each axis are, as the messages say it.
_UNITS = {FEATURES: ("feature", "features", "row"), SAMPLES: ("sample", "samples", "column")}
#: The limits of the size along each axis (``--limit``; their defaults keep a row of the matrix on a line).
_LIMITS = {FEATURES: ("max_norm_features", "max_units"), SAMPLES: ("max_norm_samples", "max_samples")}


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
    mode: str = "training"      # training (the batch's statistics) | inference (the running ones)
    running_mean: np.ndarray | None = None   # features (inference mode)
    running_var: np.ndarray | None = None    # features (inference mode), ≥ 0

    @property
    def features(self) -> int:
        return self.input.shape[0]

    @property
    def samples(self) -> int:
        return self.input.shape[1]


def parse(value, field: str, ident: str, limits, *, kind: str, axis: int, modes: bool = False) -> Normalization:
    m = mapping(value, field, KEYS + (MODE_KEYS if modes else ()), ("input",))
    where = join(field, "input")
    x = matrix(m["input"], where)
    one, many, line = _UNITS[axis]
    mode = choice(m.get("mode", MODES[0]), join(field, "mode"), MODES, MODE_ALIASES) if modes else MODES[0]
    stats = _running(m, field, x.shape[0], mode)
    if mode == "training" and x.shape[axis] < 2:
        raise SpecError(f"normalizing needs at least 2 {many} (one {line} each)", field=where)
    for ax, (_, words, _) in _UNITS.items():
        most, limit = bound(limits, *_LIMITS[ax])
        if x.shape[ax] > most:
            raise SpecError(f"{x.shape[ax]} {words}, more than {most} (limit {limit})", field=where)
    eps = number(m.get("epsilon", 1e-5), join(field, "epsilon"), nonnegative=True)
    if eps == 0 and mode == "inference" and np.any(stats["running_var"] == 0):
        raise SpecError("a feature with running_var 0 has nothing to divide by: give epsilon > 0",
                        field=join(field, "epsilon"))
    if eps == 0 and mode == "training" and np.any(x.max(axis=axis) == x.min(axis=axis)):
        raise SpecError(f"a {_UNITS[1 - axis][0]} with the same value in every {one} has variance 0: "
                        "give epsilon > 0", field=join(field, "epsilon"))
    return Normalization(id=ident, title=text(m.get("title"), join(field, "title"), 300),
                         text=text(m.get("text"), join(field, "text")), input=x,
                         gamma=per_feature(m.get("gamma"), join(field, "gamma"), x.shape[0], 1),
                         beta=per_feature(m.get("beta"), join(field, "beta"), x.shape[0], 0),
                         epsilon=eps, upstream=upstream(m.get("upstream"), join(field, "upstream"), x.shape),
                         kind=kind, axis=axis, mode=mode, **stats)


def _running(m: dict, field: str, features: int, mode: str) -> dict:
    """The running mean and variance of inference mode (one per feature, or one number for all;
    a variance ≥ 0), both required there and refused in training mode."""
    stats = {}
    for key in MODE_KEYS[1:]:
        if mode == "training" and key in m:
            raise SpecError(f"{key} is given only with mode: inference (training mode normalizes with the "
                            "batch's own statistics)", field=join(field, key))
        if mode == "inference":
            if m.get(key) is None:
                raise SpecError(f"mode: inference needs {key} (one per feature)", field=join(field, key))
            stats[key] = per_feature(m[key], join(field, key), features, 0)
    var = stats.get("running_var")
    if var is not None and np.any(var < 0):
        i = int(np.argmax(var < 0))
        where = join(field, "running_var")
        raise SpecError(f"a variance must not be negative, got {var[i]:g}",
                        field=join(where, i) if isinstance(m["running_var"], list) else where)
    return stats


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
