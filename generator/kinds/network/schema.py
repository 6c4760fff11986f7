"""The schema of a dense-network exercise: layers, loss, optimizer, training; every error names
the field."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ...engine.dense import ACTIVATION_ALIASES, ACTIVATIONS, LOSS_ALIASES, LOSSES
from ...errors import SpecError
from ...validate import iterations as iteration_count, choice, join, mapping, matrix, number, plural, shape_text, text, vector

NOTATIONS = ("matrix", "scalar")
OUTPUTS = ("layer", "sum")

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
    m = mapping(value, field, ("name", "beta", "beta1", "beta2", "rho", "epsilon", "weight_decay"), ("name",))
    name = choice(m["name"], join(field, "name"), tuple(OPTIMIZERS))
    settings = dict(OPTIMIZERS[name])
    for key, v in m.items():
        if key == "name":
            continue
        if key not in settings:
            raise SpecError(f"'{key}' is not a setting of {name} (its settings: "
                            f"{', '.join(settings) or 'none'})", field=join(field, key))
        x = number(v, join(field, key), nonnegative=True)
        if key in ("beta", "beta1", "beta2", "rho") and not x < 1:
            raise SpecError(f"must be below 1, got {x}", field=join(field, key))
        if key == "epsilon" and x <= 0:
            raise SpecError(f"must be greater than 0, got {x}", field=join(field, key))
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


LAYER_KEYS = ("activation", "weights", "bias", "units", "slope", "freeze", "dropout")
NETWORK_KEYS = ("id", "title", "text", "input", "target", "layers", "output", "loss", "optimizer", "l2", "batch_size",
                "learning_rate", "iterations", "relu_grad_at_zero", "notation")


def _layer(value, field: str, n_in: int, index: int) -> Layer:
    m = mapping(value, field, LAYER_KEYS, ("activation", "weights"))
    act = choice(m["activation"], join(field, "activation"), ACTIVATIONS, ACTIVATION_ALIASES)
    W = matrix(m["weights"], join(field, "weights"))
    units = W.shape[0]
    if "units" in m:
        units = number(m["units"], join(field, "units"), integer=True, positive=True)
    source = plural(n_in, "input") if index == 1 else f"{plural(n_in, 'unit')} in layer {index - 1}"
    if W.shape != (units, n_in):
        raise SpecError(f"W{index} must be {units}×{n_in} ({plural(units, 'unit')} × {source}), "
                        f"got {shape_text(W)}", field=join(field, "weights"))
    b = None
    if m.get("bias") is not None:
        b = vector(m["bias"], join(field, "bias"))
        if b.shape != (units,):
            raise SpecError(f"b{index} must have {units} entries (one per unit), got {b.size}",
                            field=join(field, "bias"))
    freeze = m.get("freeze", [])
    if freeze is True:
        freeze = ["weights", "bias"]
    elif freeze is False or freeze is None:
        freeze = []
    elif isinstance(freeze, str):
        freeze = [freeze]
    if not isinstance(freeze, list):
        raise SpecError("expected a list of 'weights'/'bias', or true", field=join(field, "freeze"))
    frozen = {choice(f, join(join(field, "freeze"), i), ("weights", "bias")) for i, f in enumerate(freeze)}
    slope = 0.01
    if "slope" in m:
        slope = number(m["slope"], join(field, "slope"), nonnegative=True)
        if act != "leaky_relu":
            raise SpecError(f"'slope' applies only to leaky_relu, not {act}", field=join(field, "slope"))
    p_drop, mask = 0.0, None
    if m.get("dropout") is not None:
        d = mapping(m["dropout"], join(field, "dropout"), ("p", "mask"), ("p", "mask"))
        p_drop = number(d["p"], join(join(field, "dropout"), "p"), nonnegative=True)
        if not p_drop < 1:
            raise SpecError(f"must be below 1, got {p_drop}", field=join(join(field, "dropout"), "p"))
        mask = matrix(d["mask"], join(join(field, "dropout"), "mask"))
        if not set(np.unique(mask)) <= {0.0, 1.0}:
            raise SpecError("a mask holds 0 (dropped) and 1 (kept) only", field=join(join(field, "dropout"), "mask"))
    return Layer(activation=act, weights=W, bias=b, slope=slope,
                 train_weights="weights" not in frozen, train_bias="bias" not in frozen,
                 dropout_p=p_drop, dropout_mask=mask)


def parse(value, field: str = "network", ident: str = "main", limits=None) -> Network:
    from ...limits import DEFAULT
    limits = limits or DEFAULT
    m = mapping(value, field, NETWORK_KEYS, ("input", "layers", "loss", "learning_rate", "iterations"))
    raw_x = m["input"]
    batch = isinstance(raw_x, list) and any(isinstance(r, list) for r in raw_x)
    X = matrix(raw_x, join(field, "input")) if batch else vector(raw_x, join(field, "input"))[:, None]
    layers_raw = m["layers"]
    if not isinstance(layers_raw, list) or not layers_raw:
        raise SpecError("the network needs at least one layer", field=join(field, "layers"))
    if len(layers_raw) > limits.max_layers:
        raise SpecError(f"{len(layers_raw)} layers, more than {limits.max_layers} (limit max_layers)",
                        field=join(field, "layers"))
    if X.shape[0] > limits.max_units:
        raise SpecError(f"{X.shape[0]} inputs, more than {limits.max_units} (limit max_units)",
                        field=join(field, "input"))
    if X.shape[1] > limits.max_samples:
        raise SpecError(f"{X.shape[1]} samples, more than {limits.max_samples} (limit max_samples)",
                        field=join(field, "input"))
    layers, n_in = [], X.shape[0]
    for i, lv in enumerate(layers_raw):
        where = join(join(field, "layers"), i)
        layer = _layer(lv, where, n_in, i + 1)
        if layer.units > limits.max_units:
            raise SpecError(f"{layer.units} units, more than {limits.max_units} (limit max_units)",
                            field=join(where, "weights"))
        widest = max(layer.units * n_in, layer.units * X.shape[1])
        if widest > limits.max_matrix:
            raise SpecError(f"a printed matrix of this layer would have {widest} entries, more than "
                            f"{limits.max_matrix} (limit max_matrix)", field=join(where, "weights"))
        if layer.dropout_mask is not None:
            want = (layer.units, X.shape[1])
            mask = layer.dropout_mask if batch else layer.dropout_mask.reshape(-1, 1)
            if mask.shape != want:
                raise SpecError(f"the mask must be {want[0]}×{want[1]} (units × samples), got "
                                f"{shape_text(layer.dropout_mask)}", field=join(where, "dropout.mask"))
            layer = Layer(**{**layer.__dict__, "dropout_mask": mask})
        layers.append(layer)
        n_in = layer.units
    output = choice(m.get("output", "layer"), join(field, "output"), OUTPUTS)
    loss = choice(m["loss"], join(field, "loss"), LOSSES, LOSS_ALIASES)
    n_out = 1 if output == "sum" else layers[-1].units
    Y = _targets(m.get("target"), join(field, "target"), loss, n_out, X.shape[1], batch)
    last = layers[-1].activation
    if loss in ("bce", "cce"):
        want = "sigmoid" if loss == "bce" else "softmax"
        if output == "sum" or last not in ("sigmoid", "softmax"):
            raise SpecError(f"loss '{loss}' needs outputs in (0, 1): use a {want} output layer",
                            field=join(field, "loss"))
        if Y.min() < 0 or Y.max() > 1:
            raise SpecError(f"targets of loss '{loss}' must lie in [0, 1]", field=join(field, "target"))
    iterations = iteration_count(m["iterations"], join(field, "iterations"), limits)
    r0 = None
    if m.get("relu_grad_at_zero") is not None:
        r0 = number(m["relu_grad_at_zero"], join(field, "relu_grad_at_zero"), nonnegative=True)
    if r0 is not None and r0 > 1:
        raise SpecError(f"must lie in [0, 1], got {r0}", field=join(field, "relu_grad_at_zero"))
    notation = choice(m.get("notation", "matrix"), join(field, "notation"), NOTATIONS)
    if notation == "scalar" and (batch or output == "sum" or any(l.activation == "softmax" for l in layers)):
        raise SpecError("scalar notation needs a single sample, no softmax layer and output 'layer'; "
                        "use 'matrix'",
                        field=join(field, "notation"))
    optimizer = _optimizer(m.get("optimizer"), join(field, "optimizer"))
    l2 = number(m.get("l2", 0), join(field, "l2"), nonnegative=True)
    batch_size = None
    if m.get("batch_size") is not None:
        batch_size = number(m["batch_size"], join(field, "batch_size"), integer=True, positive=True)
        if not batch:
            raise SpecError("mini-batches need a batch: give the input as a matrix, one sample per column",
                            field=join(field, "batch_size"))
        if batch_size > X.shape[1]:
            raise SpecError(f"{batch_size} is more than the {X.shape[1]} samples", field=join(field, "batch_size"))
    if any(l.dropout_mask is not None for l in layers[-1:]):
        raise SpecError("dropout on the output layer is no dropout exercise; put it on a hidden layer",
                        field=join(join(field, "layers"), len(layers) - 1))
    if notation == "scalar" and (l2 or batch_size or any(l.dropout_mask is not None for l in layers)):
        raise SpecError("L2 and mini-batches are written in matrix notation; use notation: matrix",
                        field=join(field, "notation"))
    if notation == "scalar" and optimizer.name != "sgd":
        raise SpecError(f"the {optimizer.name} optimizer is written in matrix notation; use notation: matrix",
                        field=join(field, "notation"))
    ident = text(m.get("id", ident), join(field, "id"), 40)
    if not re.fullmatch(r"[A-Za-z0-9_-]+", ident):
        raise SpecError("use letters, digits, '-' and '_' only", field=join(field, "id"))
    return Network(
        id=ident, title=text(m.get("title"), join(field, "title"), 300),
        text=text(m.get("text"), join(field, "text")),
        inputs=X, batch=batch, targets=Y, layers=tuple(layers), output=output, loss=loss,
        learning_rate=number(m["learning_rate"], join(field, "learning_rate"), positive=True),
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
            raise SpecError(f"target must be {n_out}×{samples} ({plural(n_out, 'output')} × "
                            f"{plural(samples, 'sample')}), "
                            f"got {shape_text(Y)}", field=field)
        return Y
    y = vector(value, field)
    if y.size != n_out:
        raise SpecError(f"target has {plural(y.size, 'entry', 'entries')} but the output layer has "
                        f"{plural(n_out, 'unit')}", field=field)
    return y[:, None]


#: Lines an optimizer writes per parameter entry and step (its state variables and the update).
_OPTIMIZER_LINES = {"sgd": 3, "momentum": 4, "nesterov": 5, "rmsprop": 6, "adagrad": 6, "adam": 10, "adamw": 12}


def cost(net: Network) -> int:
    """The terms the worked solution computes and writes out (each product of a written sum, each
    printed entry), from the shapes alone: limits.max_part_terms bounds it before any work."""
    sizes = [int(net.inputs.shape[0])] + [layer.units for layer in net.layers]
    pairs = list(zip(sizes, sizes[1:]))

    def forward(m: int) -> int:
        return sum(n_in * n * m + 4 * n * m for n_in, n in pairs)

    def backward(m: int) -> int:
        soft = sizes[-1] ** 2 * m if net.layers[-1].activation == "softmax" else 0
        return sum(2 * n_in * n * m + 6 * n * m for n_in, n in pairs) + soft

    m = net.batch_size or net.samples
    update = _OPTIMIZER_LINES[net.optimizer.name] * sum(n_in * n + n for n_in, n in pairs)
    return net.iterations * (forward(m) + backward(m) + update) + forward(net.samples)
