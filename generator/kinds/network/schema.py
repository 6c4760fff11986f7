"""The schema of a dense-network exercise: layers, loss, optimizer, training; every error names
the field."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ...engine.dense import ACTIVATION_ALIASES, ACTIVATIONS, LOSS_ALIASES, LOSSES
from ...errors import SpecError
from ...validate import iterations as iteration_count, choice, join, mapping, matrix, number, plural, shape_text, text, vector
from ..optimizers import Setting          # a setting as the documents state it (shared)
from .. import optimizers
# the optimizers, their settings and the schema of ``optimizer:`` are shared (``kinds.optimizers``)
# with the kind that applies one update to given gradients; the names stay importable from here
from ..optimizers import (EPSILON_OPTIMIZERS, EPSILON_PLACEMENTS, MAX_STATE_STEP, OPTIMIZER_NAMES,  # noqa: F401
                          OPTIMIZER_STATE, OPTIMIZER_STATE_KEYS, OPTIMIZER_STATE_WORDS, OPTIMIZER_SYMBOLS, OPTIMIZERS,
                          Optimizer, Shape, optimizer_source)

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


def _optimizer(value, field: str, layers=()) -> Optimizer:
    """The network's ``optimizer``: its state (``optimizer.state``) covers every trained
    parameter, shaped like it (W⁽ˡ⁾ units × inputs, b⁽ˡ⁾ one per unit)."""
    shapes, absent = {}, {}
    for l, layer in enumerate(layers, start=1):
        n_in = layer.weights.shape[1]
        for P, trained, present in ((f"W{l}", layer.train_weights, True), (f"b{l}", layer.train_bias,
                                                                            layer.bias is not None)):
            if not present:
                absent[P] = f"layer {l} has no bias"
            elif not trained:
                absent[P] = f"{P} is frozen and keeps no optimizer state"
            elif P[0] == "W":
                shapes[P] = Shape((layer.units, n_in), f"the shape of {P}")
            else:
                shapes[P] = Shape((layer.units,), f"one per unit of layer {l}")
    return optimizers.parse(value, field, shapes, absent)


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
    loss: str | None             # None: a forward-only exercise without a target
    learning_rate: float | None  # None: an exercise that stops before the update (stop_after)
    iterations: int
    relu_grad_at_zero: float | None = None   # None: 0 for ReLU, the slope for leaky ReLU
    notation: str = "matrix"
    kind: str = "network"
    optimizer: Optimizer = Optimizer()
    l2: float = 0.0                    # λ: the loss gains (λ/2)·Σ w² over the weights
    batch_size: int | None = None      # mini-batches of consecutive samples, cyclically
    stop_after: str | None = None      # "forward" or "gradients": one pass, no update (None: train)

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
                "learning_rate", "iterations", "relu_grad_at_zero", "notation", "stop_after")
#: What an exercise that stops before the update (``stop_after``) does not take.
_TRAINING_ONLY = ("learning_rate", "iterations", "optimizer", "batch_size")


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
    from ..common import refuse_training, stop_after
    stop = stop_after(value, field)
    required = ("input", "layers") + (("loss",) if stop != "forward" else ()) + \
        (("learning_rate", "iterations") if stop is None else ())
    m = mapping(value, field, NETWORK_KEYS, required)
    refuse_training(m, field, stop, _TRAINING_ONLY)
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
    n_out = 1 if output == "sum" else layers[-1].units
    if m.get("loss") is None:                # a forward pass only, no loss
        if m.get("target") is not None:
            raise SpecError("a target is compared with the output by a loss: give the loss, or remove the target",
                            field=join(field, "target"))
        loss, Y = None, None
    else:
        loss = choice(m["loss"], join(field, "loss"), LOSSES, LOSS_ALIASES)
        Y = _targets(m.get("target"), join(field, "target"), loss, n_out, X.shape[1], batch)
    last = layers[-1].activation
    if loss == "multiclass_hinge":
        if output == "sum" or n_out < 2:
            raise SpecError("the multiclass hinge compares the scores of two or more classes: give the last layer "
                            "one unit per class", field=join(field, "loss"))
        if not (set(np.unique(Y)) <= {0.0, 1.0} and np.all(Y.sum(axis=0) == 1)):
            raise SpecError("targets of the multiclass hinge are one-hot: one 1 (the true class) and 0 elsewhere "
                            "per sample", field=join(field, "target"))
        if m.get("notation") == "scalar":
            raise SpecError("the multiclass hinge is written in matrix notation; use notation: matrix",
                            field=join(field, "notation"))
    if loss in ("bce", "cce"):
        want = "sigmoid" if loss == "bce" else "softmax"
        if output == "sum" or last not in ("sigmoid", "softmax"):
            raise SpecError(f"loss '{loss}' needs outputs in (0, 1): use a {want} output layer",
                            field=join(field, "loss"))
        if Y.min() < 0 or Y.max() > 1:
            raise SpecError(f"targets of loss '{loss}' must lie in [0, 1]", field=join(field, "target"))
    iterations = iteration_count(m["iterations"], join(field, "iterations"), limits) if stop is None else 1
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
    optimizer = _optimizer(m.get("optimizer"), join(field, "optimizer"), layers)
    l2 = number(m.get("l2", 0), join(field, "l2"), nonnegative=True)
    if l2 and loss is None:
        raise SpecError("L2 adds to a loss; a forward pass without a loss has none", field=join(field, "l2"))
    if l2 and optimizer.name == "adamw":    # one λ per document: AdamW's decay is its own L2
        raise SpecError("AdamW decays the weights itself (optimizer.weight_decay, λ); give that or l2, "
                        "not both", field=join(field, "l2"))
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
        learning_rate=number(m["learning_rate"], join(field, "learning_rate"), positive=True) if stop is None else None,
        optimizer=optimizer, l2=l2, batch_size=batch_size,
        iterations=iterations, relu_grad_at_zero=r0,
        notation=notation, stop_after=stop)


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
    update = optimizers.OPTIMIZER_LINES[net.optimizer.name] * sum(n_in * n + n for n_in, n in pairs)
    return net.iterations * (forward(m) + backward(m) + update) + forward(net.samples)


# --------------------------------------------------------------------------- settings

#: Fields of the model that are no setting of their own, each with where the documents state it:
#: the data (matrices under "Given values"), the network's form (the diagram and the equations)
#: and the text.  Every other field is a setting: ``settings`` describes it (tests/
#: test_question_settings.py checks that each field is one or the other).
NOT_SETTINGS = {
    "id": "the file name only", "title": "the heading", "text": "the exercise's text",
    "kind": "the kind of exercise", "notation": "how the steps are written, not their numbers",
    "batch": "the form of the input (one sample or a matrix of samples)",
    "inputs": "Given values: x or X", "targets": "Given values: y or Y",
    "layers": "each layer's own fields", "output": "the diagram and the equations",
    "loss": "the diagram and the equations (the loss formula)",
    "relu_grad_at_zero": "the convention at z = 0 (question) and the derivative (equations)",
    "layers.activation": "the diagram and the equations (each layer's definition)",
    "layers.weights": "Given values: W", "layers.bias": "Given values: b, or 'no bias' in the equations",
    "layers.slope": "the leaky ReLU's definition in the equations",
    "layers.train_weights": "Given values: 'weights frozen' in the layer's item",
    "layers.train_bias": "Given values: 'bias frozen' in the layer's item",
    "stop_after": "Tasks: the sheet asks for the forward pass (and the loss) or the gradients only, and says "
                  "that the exercise stops there",
}


def sample_symbol(net: Network) -> str:
    """The symbol of the number of samples a pass averages over: m, but N with Adam, AdamW and
    NAdam, whose first moment is m (one symbol per meaning)."""
    return "N" if net.optimizer.name in ("adam", "adamw", "nadam") else "m"


def settings(net: Network) -> list[Setting]:
    """Every setting of ``net`` that the numbers depend on, beyond the given matrices and the
    network's form: learning rate and iterations, the optimizer and each of its constants, L2,
    the mini-batches and their order, each layer's dropout rate and mask.  The question sheet and
    the solution's "Given values" print this list, so that no setting is left out."""
    out = [] if net.stop_after else [
        Setting("learning_rate", "Learning rate", net.learning_rate, r"\eta", group="training"),
        Setting("iterations", "iterations", net.iterations, group="training")]
    out += optimizers.settings(net.optimizer, Setting, lambda P: f"{P[0]}^{{({P[1:]})}}", "optimizer")
    if net.l2:
        out.append(Setting("l2", "L2 regularization", net.l2, r"\lambda", group="l2",
                           note=r", the loss gains $\frac{\lambda}{2} \sum w^{2}$ over every weight "
                                r"(not the biases) and the gradient of each weight $\lambda w$"))
    if net.batch_size:
        order = "; ".join(f"iteration {k}: samples {', '.join(str(c + 1) for c in minibatch(net, k))}"
                          for k in range(1, net.iterations + 1))
        out.append(Setting("batch_size", "Mini-batch size", net.batch_size, sample_symbol(net), group="batch",
                           note=f" samples, consecutive columns of $X$ (after the last column the first again); "
                                f"{order}. The final pass after training takes all {net.samples} samples"))
    for l, layer in enumerate(net.layers, start=1):
        if layer.dropout_mask is None:
            continue
        cols = "; a mini-batch takes the columns of its samples" if net.batch_size else ""
        when = ("in the training passes only; the final pass after training has none" if net.stop_after is None
                else "in training mode: the pass applies the mask")
        out.append(Setting("layers.dropout_p", f"Dropout on layer {l} (inverted, {when})",
                           layer.dropout_p, "p", group=f"dropout{l}",
                           note=r", a kept unit is scaled by $1/(1 - p)$"))
        out.append(Setting("layers.dropout_mask", f"mask (units $\\times$ samples, 1 keeps a unit, 0 drops it{cols})",
                           layer.dropout_mask if net.batch else layer.dropout_mask[:, 0],
                           f"M^{{({l})}}", group=f"dropout{l}"))
    return out


def setting_groups(net: Network) -> list[list[Setting]]:
    """``settings`` by group, in order: one item of "Given values" each."""
    groups: dict[str, list[Setting]] = {}
    for s in settings(net):
        groups.setdefault(s.group, []).append(s)
    return list(groups.values())


def minibatch(net: Network, k: int) -> list[int]:
    """The samples (columns, 0-based) of mini-batch k: batch_size consecutive samples, cyclically."""
    m, size = net.samples, net.batch_size
    return [((k - 1) * size + i) % m for i in range(size)]


@dataclass(frozen=True)
class Pass:
    """A forward pass whose loss the documents report: ``name`` (it1, …, final), the samples
    (1-based) its loss averages over and whether the dropout masks apply."""
    name: str
    samples: tuple[int, ...]
    dropout: bool

    @property
    def data(self) -> tuple:
        """What the loss is computed over: passes with equal ``data`` have comparable losses."""
        return (frozenset(self.samples), self.dropout)


def passes(net: Network) -> list[Pass]:
    """The passes of training (one per iteration, before its update) and the final pass (every
    sample, no dropout)."""
    every = tuple(range(1, net.samples + 1))
    dropout = any(layer.dropout_mask is not None for layer in net.layers)
    out = [Pass(f"it{k}", tuple(c + 1 for c in minibatch(net, k)) if net.batch_size else every, dropout)
           for k in range(1, net.iterations + 1)]
    return out + ([Pass("final", every, False)] if net.stop_after is None else [])


def comparable(net: Network) -> list[list[Pass]]:
    """The passes grouped by the data their loss is over (the same samples, with or without the
    dropout masks), in order of first appearance: only losses within a group can show a trend."""
    groups: dict[tuple, list[Pass]] = {}
    for p in passes(net):
        groups.setdefault(p.data, []).append(p)
    return list(groups.values())
