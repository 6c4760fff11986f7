"""Validation of the exercises beyond dense networks: expression models, convolution, pooling."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .errors import SpecError
from .spec import (_choice, _join, _mapping, _text, matrix, number)

RESERVED = {"target", "L", "pi", "e"}
EXPRESSION_LOSSES = ("sse", "half_sse", "mse", "half_mse", "square", "bce")


@dataclass(frozen=True, eq=False)
class Expression:
    id: str
    title: str
    text: str
    formula: str
    output: str
    tree: object
    inputs: dict          # name -> sympy value or tuple of sympy values
    parameters: dict
    target: object
    loss: str | None
    learning_rate: object  # sympy
    train: tuple
    max_exponent: int = 100
    kind: str = "expression"


@dataclass(frozen=True, eq=False)
class Conv:
    id: str
    title: str
    text: str
    input: np.ndarray      # channels × H × W
    kernel: np.ndarray     # channels × kh × kw
    bias: float | None
    stride: int
    padding: int
    upstream: np.ndarray | None   # out_h × out_w
    kind: str = "conv"


@dataclass(frozen=True, eq=False)
class Pool:
    id: str
    title: str
    text: str
    input: np.ndarray      # H × W
    mode: str              # max | average
    window: tuple[int, int]
    stride: int
    padding: int
    upstream: np.ndarray | None
    kind: str = "pool"


def _exact(value, field, limits=None):
    """A number or a constant expression ("pi/2") as an exact sympy value."""
    from .engine.expression import to_sympy
    from .formula import parse_value

    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SpecError("expected a number or a constant expression such as pi/2", field=field)
    if isinstance(value, float):
        # a short decimal (0.3) is exact, 3/10; a long one (0.318309886) is a measurement: a float
        import sympy
        number(value, field)
        digits = repr(value).lower().split("e")[0].replace("-", "").replace(".", "").strip("0")
        if len(digits) > 6:
            return sympy.Float(repr(value), 17)
        value = repr(value)
    try:
        from .limits import DEFAULT
        lim = limits or DEFAULT
        v = to_sympy(parse_value(str(value), lim), lim.max_exponent)
    except SpecError as e:
        raise SpecError(e.detail, field=field) from None
    if not v.is_real or not v.is_finite:
        raise SpecError(f"'{value}' is not a finite real number", field=field)
    if abs(float(v)) > 1e12:
        raise SpecError(f"number {value} is too large (limit 1e12)", field=field)
    return v


def _exact_value(value, field, limits):
    if isinstance(value, list):
        if not value or len(value) > limits.max_units:
            raise SpecError(f"expected a vector of 1 to {limits.max_units} entries (limit max_units)",
                            field=field)
        return tuple(_exact(v, _join(field, i), limits) for i, v in enumerate(value))
    return _exact(value, field, limits)


def _variables(value, field, taken, limits):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SpecError("expected a mapping name: value", field=field)
    out = {}
    for name, v in value.items():
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,15}", name):
            raise SpecError(f"'{name}' is not a valid name (a letter, then letters or digits)", field=field)
        if name in RESERVED or name in taken or re.fullmatch(r"[uc]\d+", name):
            raise SpecError(f"the name '{name}' is reserved or used twice", field=_join(field, name))
        from .formula import FUNCTIONS
        if name in FUNCTIONS:
            raise SpecError(f"the name '{name}' is a function", field=_join(field, name))
        out[name] = _exact_value(v, _join(field, name), limits)
        taken.add(name)
    return out


EXPRESSION_KEYS = ("kind", "id", "title", "text", "formula", "inputs", "parameters", "target", "loss",
                   "learning_rate", "train")


def expression(value, field: str, ident: str, limits) -> Expression:
    from .formula import parse

    m = _mapping(value, field, EXPRESSION_KEYS, ("formula",))
    taken: set[str] = set()
    inputs = _variables(m.get("inputs"), _join(field, "inputs"), taken, limits)
    params = _variables(m.get("parameters"), _join(field, "parameters"), taken, limits)
    text = _text(m["formula"], _join(field, "formula"), limits.max_formula + 40)
    output = "y"
    if "=" in text:
        lhs, text = text.split("=", 1)
        output = lhs.strip()
    from .formula import FUNCTIONS
    if (not re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,15}", output) or output in taken or output in RESERVED
            or output in FUNCTIONS or re.fullmatch(r"[uc]\d+", output)):
        raise SpecError(f"'{output}' cannot name the output (a free name: not an input, parameter, "
                        "function or reserved name; write 'NAME = …')", field=_join(field, "formula"))
    try:
        tree = parse(text, taken, limits)
    except SpecError as e:
        raise SpecError(e.detail, field=_join(field, "formula")) from None
    loss = None
    if m.get("loss") is not None:
        loss = _choice(m["loss"], _join(field, "loss"), EXPRESSION_LOSSES,
                       {"squared_error": "sse", "l2": "sse", "binary_cross_entropy": "bce"})
    target = None
    if loss and loss != "square":
        if "target" not in m:
            raise SpecError(f"loss '{loss}' needs a target", field=_join(field, "target"))
        target = _exact(m["target"], _join(field, "target"), limits)
    elif "target" in m and loss is None:
        raise SpecError("a target needs a loss", field=_join(field, "target"))
    elif "target" in m:
        raise SpecError("loss 'square' (L = y²) takes no target; remove it", field=_join(field, "target"))
    train = m.get("train", list(params))
    if isinstance(train, str):
        train = [train]
    if not isinstance(train, list):
        raise SpecError("expected a list of parameter names", field=_join(field, "train"))
    for i, name in enumerate(train):
        if not isinstance(name, str) or name not in params:
            raise SpecError(f"'{name}' is not a parameter (parameters: {', '.join(params) or 'none'})",
                            field=_join(_join(field, "train"), i))
    lr = None
    if train:
        if "learning_rate" not in m:
            raise SpecError("training parameters needs a learning_rate", field=field)
        lr = _exact(m["learning_rate"], _join(field, "learning_rate"), limits)
        if lr <= 0:
            raise SpecError("must be greater than 0", field=_join(field, "learning_rate"))
    return Expression(id=ident, title=_text(m.get("title"), _join(field, "title"), 300),
                      text=_text(m.get("text"), _join(field, "text")), formula=m["formula"],
                      output=output, tree=tree, inputs=inputs, parameters=params, target=target,
                      loss=loss, learning_rate=lr, train=tuple(train), max_exponent=limits.max_exponent)


def _grid(value, field, limits, *, channels=False) -> np.ndarray:
    """A 2-D grid, or (channels) a list of 2-D grids of the same shape."""
    if channels and isinstance(value, list) and value and all(
            isinstance(r, list) and r and all(isinstance(c, list) for c in r) for r in value):
        if len(value) > limits.max_units:
            raise SpecError(f"more than {limits.max_units} channels (limit max_units)", field=field)
        grids = [_grid(g, _join(field, i), limits) for i, g in enumerate(value)]
        if len({g.shape for g in grids}) > 1:
            raise SpecError("all channels must have the same shape", field=field)
        return np.stack(grids)
    g = matrix(value, field)
    if max(g.shape) > limits.max_grid:
        raise SpecError(f"grid larger than {limits.max_grid}×{limits.max_grid} ({g.shape[0]}×{g.shape[1]}; "
                        "limit max_grid)", field=field)
    return g[None] if channels else g


def _int(value, field, low, high):
    v = number(value, field, integer=True)
    if not low <= v <= high:
        raise SpecError(f"must be between {low} and {high}, got {v}", field=field)
    return v


def _out_size(n, k, s, p, field):
    span = n + 2 * p - k
    if span < 0:
        raise SpecError(f"the window ({k}) is larger than the padded input ({n + 2 * p})", field=field)
    return span // s + 1


def _upstream(value, field, shape):
    if value is None:
        return None
    if value == "ones":
        return np.ones(shape)
    u = matrix(value, field)
    if u.shape != shape:
        raise SpecError(f"must be {shape[0]}×{shape[1]} like the output, got {u.shape[0]}×{u.shape[1]}",
                        field=field)
    return u


CONV_KEYS = ("kind", "id", "title", "text", "input", "kernel", "bias", "stride", "padding", "upstream")


def conv(value, field: str, ident: str, limits) -> Conv:
    m = _mapping(value, field, CONV_KEYS, ("input", "kernel"))
    x = _grid(m["input"], _join(field, "input"), limits, channels=True)
    k = _grid(m["kernel"], _join(field, "kernel"), limits, channels=True)
    if k.shape[0] != x.shape[0]:
        raise SpecError(f"the kernel has {k.shape[0]} channel(s), the input {x.shape[0]}",
                        field=_join(field, "kernel"))
    stride = _int(m.get("stride", 1), _join(field, "stride"), 1, 16)
    padding = _int(m.get("padding", 0), _join(field, "padding"), 0, 8)
    oh = _out_size(x.shape[1], k.shape[1], stride, padding, _join(field, "kernel"))
    ow = _out_size(x.shape[2], k.shape[2], stride, padding, _join(field, "kernel"))
    bias = None if m.get("bias") is None else number(m["bias"], _join(field, "bias"))
    return Conv(id=ident, title=_text(m.get("title"), _join(field, "title"), 300),
                text=_text(m.get("text"), _join(field, "text")), input=x, kernel=k, bias=bias,
                stride=stride, padding=padding,
                upstream=_upstream(m.get("upstream"), _join(field, "upstream"), (oh, ow)))


POOL_KEYS = ("kind", "id", "title", "text", "input", "mode", "window", "stride", "padding", "upstream")


def pool(value, field: str, ident: str, limits) -> Pool:
    m = _mapping(value, field, POOL_KEYS, ("input", "window"))
    x = _grid(m["input"], _join(field, "input"), limits)
    w = m["window"]
    if isinstance(w, list):
        if len(w) != 2:
            raise SpecError("expected a size or [height, width]", field=_join(field, "window"))
        window = (_int(w[0], _join(field, "window"), 1, 16), _int(w[1], _join(field, "window"), 1, 16))
    else:
        n = _int(w, _join(field, "window"), 1, 16)
        window = (n, n)
    stride = _int(m.get("stride", window[0]), _join(field, "stride"), 1, 16)
    padding = _int(m.get("padding", 0), _join(field, "padding"), 0, 8)
    mode = _choice(m.get("mode", "max"), _join(field, "mode"), ("max", "average"), {"avg": "average", "mean": "average"})
    if 2 * padding > min(window):
        raise SpecError(f"padding {padding} is more than half the window {window[0]}×{window[1]}: "
                        "some windows would hold padding only", field=_join(field, "padding"))
    oh = _out_size(x.shape[0], window[0], stride, padding, _join(field, "window"))
    ow = _out_size(x.shape[1], window[1], stride, padding, _join(field, "window"))
    return Pool(id=ident, title=_text(m.get("title"), _join(field, "title"), 300),
                text=_text(m.get("text"), _join(field, "text")), input=x, mode=mode, window=window,
                stride=stride, padding=padding,
                upstream=_upstream(m.get("upstream"), _join(field, "upstream"), (oh, ow)))
