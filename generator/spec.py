"""Load a YAML spec and validate it into a frozen model; every error names the file and the field."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from .engine.dense import ACTIVATIONS, LOSSES
from .errors import SpecError
from .numbers import KINDS, MODES, Precision, RoundingPolicy

ACTIVATION_ALIASES = {"linear": "identity", "none": "identity", "leakyrelu": "leaky_relu",
                      "logistic": "sigmoid"}
LOSS_ALIASES = {"squared_output": "square", "binary_cross_entropy": "bce",
                "categorical_cross_entropy": "cce", "cross_entropy": "cce"}
NOTATIONS = ("matrix", "scalar")
OUTPUTS = ("layer", "sum")
MAX_SPEC_BYTES = 1_000_000

_NUMBER_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True, eq=False)
class Layer:
    activation: str
    weights: np.ndarray          # units × inputs
    bias: np.ndarray | None      # units, or None when the layer has no bias
    slope: float = 0.01          # leaky ReLU slope
    train_weights: bool = True
    train_bias: bool = True
    dropout_p: float = 0.0        # inverted dropout on this layer's activations (training only)
    dropout_mask: np.ndarray | None = None   # units × samples of 0/1

    @property
    def units(self) -> int:
        return self.weights.shape[0]


#: Optimizers and their settings with PyTorch's defaults (torch.optim).
OPTIMIZERS = {
    "sgd": {},
    "momentum": {"beta": 0.9},
    "nesterov": {"beta": 0.9},
    "rmsprop": {"rho": 0.99, "epsilon": 1e-8},
    "adagrad": {"epsilon": 1e-10},
    "adam": {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
    "adamw": {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.01},
}


@dataclass(frozen=True)
class Optimizer:
    name: str = "sgd"
    settings: tuple = ()          # ((key, value), …) as given or defaulted

    def get(self, key: str) -> float:
        return dict(self.settings)[key]


def _optimizer(value, field: str) -> Optimizer:
    if value is None:
        return Optimizer()
    if isinstance(value, str):
        value = {"name": value}
    m = _mapping(value, field, ("name", "beta", "beta1", "beta2", "rho", "epsilon", "weight_decay"), ("name",))
    name = _choice(m["name"], _join(field, "name"), tuple(OPTIMIZERS))
    settings = dict(OPTIMIZERS[name])
    for key, v in m.items():
        if key == "name":
            continue
        if key not in settings:
            raise SpecError(f"'{key}' is not a setting of {name} (its settings: "
                            f"{', '.join(settings) or 'none'})", field=_join(field, key))
        x = number(v, _join(field, key), nonnegative=True)
        if key in ("beta", "beta1", "beta2", "rho") and not x < 1:
            raise SpecError(f"must be below 1, got {x}", field=_join(field, key))
        if key == "epsilon" and x <= 0:
            raise SpecError(f"must be greater than 0, got {x}", field=_join(field, key))
        settings[key] = x
    return Optimizer(name, tuple(settings.items()))


@dataclass(frozen=True, eq=False)
class Network:
    id: str
    title: str
    text: str
    inputs: np.ndarray           # inputs × samples
    batch: bool                  # given as a matrix (one sample per column)
    targets: np.ndarray | None   # outputs × samples
    layers: tuple[Layer, ...]
    output: str                  # "layer" or "sum"
    loss: str
    learning_rate: float
    iterations: int
    relu_grad_at_zero: float | None = None   # None: 0 for ReLU, the slope for leaky ReLU
    notation: str = "matrix"
    kind: str = "network"
    optimizer: Optimizer = Optimizer()
    l2: float = 0.0                    # λ: the loss gains (λ/2)·Σ w² over the weights
    batch_size: int | None = None      # mini-batches of consecutive samples, cyclically

    @property
    def samples(self) -> int:
        return self.inputs.shape[1]

    def grad_at_zero(self, layer: Layer) -> float:
        """The derivative a (leaky) ReLU layer takes at z = 0: the spec's convention, else 0 for
        ReLU and the slope for leaky ReLU (the left derivative, as most teachers take it)."""
        if self.relu_grad_at_zero is not None:
            return self.relu_grad_at_zero
        return layer.slope if layer.activation == "leaky_relu" else 0.0


@dataclass(frozen=True, eq=False)
class Spec:
    path: str
    name: str
    title: str
    description: str
    rounding: RoundingPolicy
    problems: tuple
    diagram_weights: str = "auto"   # auto | always | never
    randomize: object = None        # a randomize.Randomizer, when the spec declares variants
    data: object = None             # the spec's plain data (what variants are drawn from)
    limits: object = None           # the limits.Limits it was checked against
    answers: tuple = ("key",)       # what a homework asks (generator.answers): groups or trace names


# --------------------------------------------------------------------------- reading


def read_yaml(path: str | Path):
    """The YAML document of ``path`` as plain data, or a SpecError naming what is wrong."""
    p = Path(path)
    where = str(path)
    if not p.exists():
        raise SpecError("no such file", where=where)
    if not p.is_file():
        raise SpecError("not a file", where=where)
    if p.stat().st_size > MAX_SPEC_BYTES:               # checked before anything is read
        raise SpecError(f"file is larger than {MAX_SPEC_BYTES} bytes", where=where)
    with open(p, "rb") as fh:
        raw = fh.read(MAX_SPEC_BYTES + 1)
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(f"file is larger than {MAX_SPEC_BYTES} bytes", where=where)
    if b"\0" in raw:
        raise SpecError("binary file, expected YAML text", where=where)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SpecError(f"not UTF-8 text (byte {e.start})", where=where) from None
    return parse_yaml(text, where)


def parse_yaml(text: str, where: str = "<spec>"):
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f"line {mark.line + 1}" if mark else ""
        raise SpecError(f"YAML syntax error: {e.problem or e.context}", where=where, field=line) from None
    except yaml.YAMLError as e:
        raise SpecError(f"YAML error: {e}", where=where) from None
    except RecursionError:
        raise SpecError("structure nested too deeply", where=where) from None
    if data is None:
        raise SpecError("spec is empty", where=where)
    _check_size(data, where)
    return data


class _Loader(yaml.SafeLoader):
    """The safe loader: plain data only, no Python objects; merge keys (<<) may not blow up."""

    def flatten_mapping(self, node):
        super().flatten_mapping(node)
        if len(node.value) > MAX_VALUES:
            raise yaml.YAMLError(f"document too large: merge keys expand to more than {MAX_VALUES} values")

    def construct_mapping(self, node, deep=False):
        """A key given twice is an error naming both lines (YAML would keep the last one)."""
        seen = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key '{key}' is given twice (lines {seen[key] + 1} and "
                        f"{key_node.start_mark.line + 1}); keep one", key_node.start_mark)
                seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


# YAML 1.2 scalars: no sexagesimal numbers (1:30 is text, not 90) and no 0x/0o/0b integers
# written as an id or a title; a number is written as a decimal.
_Loader.yaml_implicit_resolvers = {k: [(tag, rx) for tag, rx in v if tag not in (
    "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool")]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)"
               r"|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


MAX_VALUES = 200_000


def _check_size(data, where: str) -> None:
    """Refuse documents whose aliases expand to too many values (a "billion laughs")."""
    budget, stack = MAX_VALUES, [data]
    while stack:
        item = stack.pop()
        budget -= 1
        if budget < 0:
            raise SpecError(f"document too large: more than {MAX_VALUES} values once aliases are expanded",
                            where=where)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


# --------------------------------------------------------------------------- checks


def _mapping(value, field: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
    if not isinstance(value, dict):
        raise SpecError(f"expected a mapping, got {_typename(value)}", field=field)
    for key in value:
        if not isinstance(key, str) or key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            more = f" (did you mean '{hint[0]}'?)" if hint else f" (known: {', '.join(allowed)})"
            raise SpecError(f"unknown key '{key}'{more}", field=field)
    for key in required:
        if key not in value:
            raise SpecError(f"missing required key '{key}'", field=field)
    return value


def _join(field: str, key) -> str:
    return f"{field}[{key}]" if isinstance(key, int) else (f"{field}.{key}" if field else key)


def _typename(v) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false",
            type(None): "nothing"}.get(type(v), type(v).__name__)


def number(value, field: str, *, positive=False, nonnegative=False, integer=False) -> float:
    if isinstance(value, str) and _NUMBER_TEXT.match(value.strip()):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(f"expected a number, got {_typename(value)} {_short(value)}", field=field)
    if value != value or value in (float("inf"), float("-inf")):
        raise SpecError(f"expected a finite number, got {value}", field=field)
    if abs(value) > 1e12:
        raise SpecError(f"number {value} is too large (limit 1e12)", field=field)
    if integer and float(value) != int(value):
        raise SpecError(f"expected a whole number, got {value}", field=field)
    if positive and value <= 0:
        raise SpecError(f"must be greater than 0, got {value}", field=field)
    if nonnegative and value < 0:
        raise SpecError(f"must not be negative, got {value}", field=field)
    return int(value) if integer else float(value)


def _short(v) -> str:
    text = repr(v)
    return f"({text[:40]}…)" if len(text) > 40 else f"({text})"


def vector(value, field: str) -> np.ndarray:
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return np.array([number(value, field)])
    if not isinstance(value, list) or not value:
        raise SpecError(f"expected a list of numbers, got {_typename(value)}", field=field)
    return np.array([number(v, _join(field, i)) for i, v in enumerate(value)], dtype=float)


def matrix(value, field: str) -> np.ndarray:
    """A list of rows.  A flat list is one row."""
    if value == []:
        raise SpecError("expected a matrix (a list of rows), got an empty list", field=field)
    if not isinstance(value, list):
        raise SpecError(f"expected a matrix (a list of rows), got {_typename(value)}", field=field)
    if not any(isinstance(r, list) for r in value):
        return vector(value, field)[None, :]
    rows = []
    for i, row in enumerate(value):
        if not isinstance(row, list):
            raise SpecError(f"expected a row (a list of numbers), got {_typename(row)}", field=_join(field, i))
        rows.append(vector(row, _join(field, i)))
    widths = {len(r) for r in rows}
    if len(widths) > 1:
        raise SpecError(f"rows have different lengths {sorted(widths)}", field=field)
    return np.array(rows)


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


def _shape(a: np.ndarray) -> str:
    return "×".join(str(n) for n in a.shape)


def _choice(value, field: str, options, aliases=None) -> str:
    if not isinstance(value, str):
        raise SpecError(f"expected one of {', '.join(options)}, got {_typename(value)}", field=field)
    key = value.strip().lower().replace("-", "_")
    key = (aliases or {}).get(key, key)
    if key not in options:
        hint = difflib.get_close_matches(key, list(options), n=1)
        more = f"; did you mean '{hint[0]}'?" if hint else ""
        raise SpecError(f"unknown value '{value}' (known: {', '.join(options)}){more}", field=field)
    return key


def _text(value, field: str, limit: int = 20_000) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise SpecError(f"expected text, got {_typename(value)}", field=field)
    if len(value) > limit:
        raise SpecError(f"text longer than {limit} characters", field=field)
    from .latex import untypesettable
    bad = untypesettable(value)
    if bad is not None:
        raise SpecError(f"the character '{bad}' (U+{ord(bad):04X}) cannot be typeset here "
                        "(Latin letters, Greek letters and common symbols can)", field=field)
    return value


def _flag(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"expected true or false, got {_typename(value)}", field=field)
    return value


# --------------------------------------------------------------------------- model


def _precision(value, field: str) -> Precision:
    if isinstance(value, int) and not isinstance(value, bool):
        value = {"decimals": value}
    m = _mapping(value, field, ("decimals", "significant"))
    if len(m) != 1:
        raise SpecError("give exactly one of 'decimals' or 'significant'", field=field)
    style, digits = next(iter(m.items()))
    d = number(digits, _join(field, style), integer=True)
    if not (0 if style == "decimals" else 1) <= d <= 15:
        raise SpecError(f"must be between {0 if style == 'decimals' else 1} and 15, got {d}",
                        field=_join(field, style))
    return Precision(style, d)


def rounding_policy(value, field: str = "rounding") -> RoundingPolicy:
    if value is None:
        return RoundingPolicy()
    m = _mapping(value, field, ("mode", "decimals", "significant", "kinds", "decimal_comma",
                                "trailing_zeros"))
    mode = _choice(m.get("mode", "display"), _join(field, "mode"), MODES)
    digits = {k: m[k] for k in ("decimals", "significant") if k in m}
    default = _precision(digits, field) if digits else Precision()
    kinds = _mapping(m.get("kinds", {}) or {}, _join(field, "kinds"), KINDS)
    per_kind = tuple((k, _precision(v, _join(_join(field, "kinds"), k))) for k, v in kinds.items())
    return RoundingPolicy(
        mode=mode, default=default, per_kind=per_kind,
        decimal_comma=_flag(m.get("decimal_comma", False), _join(field, "decimal_comma")),
        trailing_zeros=_flag(m.get("trailing_zeros", False), _join(field, "trailing_zeros")))


LAYER_KEYS = ("activation", "weights", "bias", "units", "slope", "freeze", "dropout")
NETWORK_KEYS = ("id", "title", "text", "input", "target", "layers", "output", "loss", "optimizer", "l2", "batch_size",
                "learning_rate", "iterations", "relu_grad_at_zero", "notation")


def _layer(value, field: str, n_in: int, index: int) -> Layer:
    m = _mapping(value, field, LAYER_KEYS, ("activation", "weights"))
    act = _choice(m["activation"], _join(field, "activation"), ACTIVATIONS, ACTIVATION_ALIASES)
    W = matrix(m["weights"], _join(field, "weights"))
    units = W.shape[0]
    if "units" in m:
        units = number(m["units"], _join(field, "units"), integer=True, positive=True)
    source = _plural(n_in, "input") if index == 1 else f"{_plural(n_in, 'unit')} in layer {index - 1}"
    if W.shape != (units, n_in):
        raise SpecError(f"W{index} must be {units}×{n_in} ({_plural(units, 'unit')} × {source}), "
                        f"got {_shape(W)}", field=_join(field, "weights"))
    b = None
    if m.get("bias") is not None:
        b = vector(m["bias"], _join(field, "bias"))
        if b.shape != (units,):
            raise SpecError(f"b{index} must have {units} entries (one per unit), got {b.size}",
                            field=_join(field, "bias"))
    freeze = m.get("freeze", [])
    if freeze is True:
        freeze = ["weights", "bias"]
    elif freeze is False or freeze is None:
        freeze = []
    elif isinstance(freeze, str):
        freeze = [freeze]
    if not isinstance(freeze, list):
        raise SpecError("expected a list of 'weights'/'bias', or true", field=_join(field, "freeze"))
    frozen = {_choice(f, _join(_join(field, "freeze"), i), ("weights", "bias")) for i, f in enumerate(freeze)}
    slope = 0.01
    if "slope" in m:
        slope = number(m["slope"], _join(field, "slope"), nonnegative=True)
        if act != "leaky_relu":
            raise SpecError(f"'slope' applies only to leaky_relu, not {act}", field=_join(field, "slope"))
    p_drop, mask = 0.0, None
    if m.get("dropout") is not None:
        d = _mapping(m["dropout"], _join(field, "dropout"), ("p", "mask"), ("p", "mask"))
        p_drop = number(d["p"], _join(_join(field, "dropout"), "p"), nonnegative=True)
        if not p_drop < 1:
            raise SpecError(f"must be below 1, got {p_drop}", field=_join(_join(field, "dropout"), "p"))
        mask = matrix(d["mask"], _join(_join(field, "dropout"), "mask"))
        if not set(np.unique(mask)) <= {0.0, 1.0}:
            raise SpecError("a mask holds 0 (dropped) and 1 (kept) only", field=_join(_join(field, "dropout"), "mask"))
    return Layer(activation=act, weights=W, bias=b, slope=slope,
                 train_weights="weights" not in frozen, train_bias="bias" not in frozen,
                 dropout_p=p_drop, dropout_mask=mask)


def network(value, field: str = "network", *, default_id: str = "main", limits=None) -> Network:
    from .limits import DEFAULT
    limits = limits or DEFAULT
    m = _mapping(value, field, NETWORK_KEYS, ("input", "layers", "loss", "learning_rate", "iterations"))
    raw_x = m["input"]
    batch = isinstance(raw_x, list) and any(isinstance(r, list) for r in raw_x)
    X = matrix(raw_x, _join(field, "input")) if batch else vector(raw_x, _join(field, "input"))[:, None]
    layers_raw = m["layers"]
    if not isinstance(layers_raw, list) or not layers_raw:
        raise SpecError("the network needs at least one layer", field=_join(field, "layers"))
    if len(layers_raw) > limits.max_layers:
        raise SpecError(f"{len(layers_raw)} layers, more than {limits.max_layers} (limit max_layers)",
                        field=_join(field, "layers"))
    if X.shape[0] > limits.max_units:
        raise SpecError(f"{X.shape[0]} inputs, more than {limits.max_units} (limit max_units)",
                        field=_join(field, "input"))
    if X.shape[1] > limits.max_samples:
        raise SpecError(f"{X.shape[1]} samples, more than {limits.max_samples} (limit max_samples)",
                        field=_join(field, "input"))
    layers, n_in = [], X.shape[0]
    for i, lv in enumerate(layers_raw):
        where = _join(_join(field, "layers"), i)
        layer = _layer(lv, where, n_in, i + 1)
        if layer.units > limits.max_units:
            raise SpecError(f"{layer.units} units, more than {limits.max_units} (limit max_units)",
                            field=_join(where, "weights"))
        widest = max(layer.units * n_in, layer.units * X.shape[1])
        if widest > limits.max_matrix:
            raise SpecError(f"a printed matrix of this layer would have {widest} entries, more than "
                            f"{limits.max_matrix} (limit max_matrix)", field=_join(where, "weights"))
        if layer.dropout_mask is not None:
            want = (layer.units, X.shape[1])
            mask = layer.dropout_mask if batch else layer.dropout_mask.reshape(-1, 1)
            if mask.shape != want:
                raise SpecError(f"the mask must be {want[0]}×{want[1]} (units × samples), got "
                                f"{_shape(layer.dropout_mask)}", field=_join(where, "dropout.mask"))
            layer = Layer(**{**layer.__dict__, "dropout_mask": mask})
        layers.append(layer)
        n_in = layer.units
    output = _choice(m.get("output", "layer"), _join(field, "output"), OUTPUTS)
    loss = _choice(m["loss"], _join(field, "loss"), LOSSES, LOSS_ALIASES)
    n_out = 1 if output == "sum" else layers[-1].units
    Y = _targets(m.get("target"), _join(field, "target"), loss, n_out, X.shape[1], batch)
    last = layers[-1].activation
    if loss in ("bce", "cce"):
        want = "sigmoid" if loss == "bce" else "softmax"
        if output == "sum" or last not in ("sigmoid", "softmax"):
            raise SpecError(f"loss '{loss}' needs outputs in (0, 1): use a {want} output layer",
                            field=_join(field, "loss"))
        if Y.min() < 0 or Y.max() > 1:
            raise SpecError(f"targets of loss '{loss}' must lie in [0, 1]", field=_join(field, "target"))
    iterations = number(m["iterations"], _join(field, "iterations"), integer=True)
    if iterations < 1:
        raise SpecError(f"must be at least 1, got {iterations}", field=_join(field, "iterations"))
    if iterations > limits.max_iterations:
        raise SpecError(f"{iterations} iterations, more than {limits.max_iterations} (limit max_iterations)",
                        field=_join(field, "iterations"))
    r0 = None
    if m.get("relu_grad_at_zero") is not None:
        r0 = number(m["relu_grad_at_zero"], _join(field, "relu_grad_at_zero"), nonnegative=True)
    if r0 is not None and r0 > 1:
        raise SpecError(f"must lie in [0, 1], got {r0}", field=_join(field, "relu_grad_at_zero"))
    notation = _choice(m.get("notation", "matrix"), _join(field, "notation"), NOTATIONS)
    if notation == "scalar" and (batch or output == "sum" or any(l.activation == "softmax" for l in layers)):
        raise SpecError("scalar notation needs a single sample, no softmax layer and output 'layer'; "
                        "use 'matrix'",
                        field=_join(field, "notation"))
    optimizer = _optimizer(m.get("optimizer"), _join(field, "optimizer"))
    l2 = number(m.get("l2", 0), _join(field, "l2"), nonnegative=True)
    batch_size = None
    if m.get("batch_size") is not None:
        batch_size = number(m["batch_size"], _join(field, "batch_size"), integer=True, positive=True)
        if not batch:
            raise SpecError("mini-batches need a batch: give the input as a matrix, one sample per column",
                            field=_join(field, "batch_size"))
        if batch_size > X.shape[1]:
            raise SpecError(f"{batch_size} is more than the {X.shape[1]} samples", field=_join(field, "batch_size"))
    if any(l.dropout_mask is not None for l in layers[-1:]):
        raise SpecError("dropout on the output layer is no dropout exercise; put it on a hidden layer",
                        field=_join(_join(field, "layers"), len(layers) - 1))
    if notation == "scalar" and (l2 or batch_size or any(l.dropout_mask is not None for l in layers)):
        raise SpecError("L2 and mini-batches are written in matrix notation; use notation: matrix",
                        field=_join(field, "notation"))
    if notation == "scalar" and optimizer.name != "sgd":
        raise SpecError(f"the {optimizer.name} optimizer is written in matrix notation; use notation: matrix",
                        field=_join(field, "notation"))
    ident = _text(m.get("id", default_id), _join(field, "id"), 40)
    if not re.fullmatch(r"[A-Za-z0-9_-]+", ident):
        raise SpecError("use letters, digits, '-' and '_' only", field=_join(field, "id"))
    return Network(
        id=ident, title=_text(m.get("title"), _join(field, "title"), 300),
        text=_text(m.get("text"), _join(field, "text")),
        inputs=X, batch=batch, targets=Y, layers=tuple(layers), output=output, loss=loss,
        learning_rate=number(m["learning_rate"], _join(field, "learning_rate"), positive=True),
        optimizer=optimizer, l2=l2, batch_size=batch_size,
        iterations=iterations, relu_grad_at_zero=r0,
        notation=notation)


def _targets(value, field, loss, n_out, samples, batch):
    if loss == "square":
        if value is not None:
            raise SpecError("loss 'square' (L = y²) takes no target; remove it", field=field)
        return None
    if value is None:
        raise SpecError(f"loss '{loss}' needs a target", field=field)
    if batch:
        Y = matrix(value, field)
        if Y.shape != (n_out, samples):
            raise SpecError(f"target must be {n_out}×{samples} ({_plural(n_out, 'output')} × "
                            f"{_plural(samples, 'sample')}), "
                            f"got {_shape(Y)}", field=field)
        return Y
    y = vector(value, field)
    if y.size != n_out:
        raise SpecError(f"target has {_plural(y.size, 'entry', 'entries')} but the output layer has "
                        f"{_plural(n_out, 'unit')}", field=field)
    return y[:, None]


SPEC_KEYS = ("title", "description", "rounding", "network", "parts", "diagram_weights", "randomize",
             "answers")
PART_KINDS = ("network", "expression", "conv", "pool")


def load_spec(path: str | Path, limits=None) -> Spec:
    """Read and validate the spec at ``path`` (against ``limits``, default limits.DEFAULT)."""
    where = str(path)
    data = read_yaml(path)
    try:
        return spec_from_data(data, where, limits)
    except SpecError as e:
        raise e.located(where) from None


def _parts(value, limits) -> tuple:
    from . import spec_parts

    if not isinstance(value, list) or not value:
        raise SpecError("expected a list of exercises", field="parts")
    if len(value) > limits.max_parts:
        raise SpecError(f"more than {limits.max_parts} parts (limit max_parts)", field="parts")
    problems, ids = [], set()
    for i, part in enumerate(value):
        field = f"parts[{i}]"
        if not isinstance(part, dict):
            raise SpecError(f"expected a mapping, got {_typename(part)}", field=field)
        kind = _choice(part.get("kind", "network"), _join(field, "kind"), PART_KINDS)
        ident = _text(part.get("id", f"part{i + 1}"), _join(field, "id"), 40)
        if not re.fullmatch(r"[A-Za-z0-9_-]+", ident) or ident in ids:
            raise SpecError(f"id '{ident}' must be unique and use letters, digits, '-' and '_'",
                            field=_join(field, "id"))
        ids.add(ident)
        if kind == "network":
            problem = network({k: v for k, v in part.items() if k != "kind"}, field, default_id=ident,
                              limits=limits)
        else:
            problem = getattr(spec_parts, kind)(part, field, ident, limits)
        problems.append(problem)
    return tuple(problems)


def _answers(value) -> tuple:
    """The ``answers:`` list: groups (key, losses, parameters, gradients, outputs) or trace names."""
    from .answers import GROUPS
    if value is None:
        return ("key",)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or len(value) > 200:
        raise SpecError("expected a list of groups or value names", field="answers")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not re.fullmatch(r"[A-Za-z0-9_.]{1,60}", item):
            raise SpecError(f"expected a group ({', '.join(GROUPS)}) or a value name such as it1.dW2",
                            field=f"answers[{i}]")
        out.append(item)
    return tuple(out)


def spec_from_data(data, where: str = "<spec>", limits=None) -> Spec:
    from .limits import DEFAULT
    limits = limits or DEFAULT
    m = _mapping(data, "", SPEC_KEYS)
    if ("network" in m) == ("parts" in m):
        raise SpecError("give either 'network' (one exercise) or 'parts' (a list of exercises)")
    problems = (network(m["network"], limits=limits),) if "network" in m else _parts(m["parts"], limits)
    randomizer = None
    if m.get("randomize") is not None:
        from .randomize import parse_randomize
        randomizer = parse_randomize(m["randomize"], limits=limits)
        randomizer.check_paths(data)
    return Spec(
        path=where, name=Path(where).stem, title=_text(m.get("title"), "title", 300),
        randomize=randomizer, data=data, limits=limits,
        description=_text(m.get("description"), "description"),
        rounding=rounding_policy(m.get("rounding")), problems=problems, answers=_answers(m.get("answers")),
        diagram_weights=_choice(m.get("diagram_weights", "auto"), "diagram_weights",
                                ("auto", "always", "never")))
