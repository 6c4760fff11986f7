"""The schema of an RNN exercise: the inputs x_1 … x_T, h_0, the five parameters, the activations,
one target per step (or for the last step only), the loss and the training — or ``stop_after``:
the forward pass alone (with the loss where targets are given) or the gradients, no update — or
``upstream``: the RNN as a layer inside a larger model, given ∂L/∂h_t of every step from the layers
above (CS231n's ``rnn_backward(dh, cache)``), no output layer, no loss, no update."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...engine.dense import ACTIVATION_ALIASES, LOSS_ALIASES, LOSSES
from ...errors import SpecError
from ...limits import DEFAULT, bound
from ...validate import iterations as iteration_count, choice, join, mapping, matrix, number, plural, shape_text, text, vector
from ..common import refuse_training, stop_after

#: The default sizes (``--limit max_rnn_steps=N``, ``max_rnn_units=N`` raise them; beyond them a
#: weight matrix is written a line per row or per entry): the steps the notation table covers.
MAX_STEPS, MAX_UNITS = DEFAULT.max_rnn_steps, DEFAULT.max_rnn_units
KEYS = ("id", "title", "text", "inputs", "h0", "W_xh", "W_hh", "b_h", "W_hy", "b_y", "activation", "output",
        "targets", "target", "loss", "learning_rate", "iterations", "stop_after", "upstream")
ACTIVATIONS = ("tanh", "relu")
OUTPUTS = ("identity", "sigmoid", "softmax")
RNN_LOSSES = tuple(l for l in LOSSES if l != "square")
PARAMETERS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")


@dataclass(frozen=True, eq=False)
class RNN:
    id: str
    title: str
    text: str
    inputs: np.ndarray          # T × d_x
    h0: np.ndarray              # d_h
    W_xh: np.ndarray            # d_h × d_x
    W_hh: np.ndarray            # d_h × d_h
    b_h: np.ndarray | None      # d_h
    W_hy: np.ndarray | None     # d_y × d_h (None: a layer given ``upstream``, no output layer)
    b_y: np.ndarray | None      # d_y
    activation: str
    output: str
    targets: tuple              # one per step: a d_y vector or None (no target at that step)
    loss: str | None            # None: a forward pass without a loss (and no target)
    learning_rate: float | None  # None: an exercise that stops before the update (stop_after)
    iterations: int
    kind: str = "rnn"
    stop_after: str | None = None   # "forward" or "gradients": one pass, no update (None: train)
    upstream: np.ndarray | None = None  # T × d_h: ∂L/∂h_t from the layers above, a row per step

    @property
    def steps(self) -> int:
        return self.inputs.shape[0]

    def parameters(self) -> tuple[str, ...]:
        """The trained parameters, in the order they are written."""
        return tuple(p for p in PARAMETERS if getattr(self, p) is not None)


def _shaped(value, field, shape, what):
    a = matrix(value, field)
    if a.shape != shape:
        raise SpecError(f"must be {shape[0]}×{shape[1]} ({what}), got {shape_text(a)}", field=field)
    return a


def _bias(value, field, n):
    if value is None:
        return None
    b = vector(value, field)
    if b.size != n:
        raise SpecError(f"expected {plural(n, 'entry', 'entries')}, got {b.size}", field=field)
    return b


def parse(value, field: str, ident: str, limits) -> RNN:
    stop = stop_after(value, field)
    layer = isinstance(value, dict) and value.get("upstream") is not None
    m = mapping(value, field, KEYS, ("inputs", "W_xh", "W_hh") + (() if layer else ("W_hy",)))
    if layer:
        _refuse_beside_upstream(m, field, stop)
    else:
        if stop != "forward" and "loss" not in m:
            raise SpecError("missing required key 'loss' (or 'upstream': ∂L/∂h_t of every step, for an RNN "
                            "inside a larger model)", field=field)
        mapping(m, field, KEYS, ("learning_rate", "iterations") if stop is None else ())
        refuse_training(m, field, stop)
    raw = m["inputs"]
    if isinstance(raw, list) and raw and not any(isinstance(r, list) for r in raw):
        raw = [[v] for v in raw]                   # T numbers: one input feature per step
    X = matrix(raw, join(field, "inputs"))
    T, dx = X.shape
    most, limit = bound(limits, "max_rnn_steps", "max_samples")
    if T > most:
        raise SpecError(f"{T} time steps, more than {most} (limit {limit})", field=join(field, "inputs"))
    W_xh = matrix(m["W_xh"], join(field, "W_xh"))
    dh = W_xh.shape[0]
    most, limit = bound(limits, "max_rnn_units", "max_units")
    if max(dx, dh) > most:
        raise SpecError(f"more than {most} units or input features (limit {limit})", field=join(field, "W_xh"))
    W_xh = _shaped(m["W_xh"], join(field, "W_xh"), (dh, dx), "hidden units × input features")
    W_hh = _shaped(m["W_hh"], join(field, "W_hh"), (dh, dh), "hidden units × hidden units")
    h0 = np.zeros(dh) if m.get("h0") is None else _bias(m["h0"], join(field, "h0"), dh)
    if layer:
        act = choice(m.get("activation", "tanh"), join(field, "activation"), ACTIVATIONS)
        return _model(m, field, ident, X, h0, W_xh, W_hh, None, act, None, (None,) * T, None, "gradients", limits,
                      upstream=_upstream(m["upstream"], join(field, "upstream"), T, dh))
    W_hy = matrix(m["W_hy"], join(field, "W_hy"))
    dy = W_hy.shape[0]
    if dy > most:
        raise SpecError(f"{dy} outputs, more than {most} (limit {limit})", field=join(field, "W_hy"))
    W_hy = _shaped(m["W_hy"], join(field, "W_hy"), (dy, dh), "outputs × hidden units")
    act = choice(m.get("activation", "tanh"), join(field, "activation"), ACTIVATIONS)
    out = choice(m.get("output", "identity"), join(field, "output"), OUTPUTS, ACTIVATION_ALIASES)
    if m.get("loss") is None and stop == "forward":    # a forward pass only, no loss
        for key in ("targets", "target"):
            if m.get(key) is not None:
                raise SpecError("a target is compared with the output by a loss: give the loss, or remove the "
                                "target", field=join(field, key))
        return _model(m, field, ident, X, h0, W_xh, W_hh, W_hy, act, out, (None,) * T, None, stop, limits)
    loss = choice(m["loss"], join(field, "loss"), RNN_LOSSES, LOSS_ALIASES)
    need = {"bce": "sigmoid", "cce": "softmax"}.get(loss)
    if need and out != need:
        raise SpecError(f"loss '{loss}' needs output: {need}", field=join(field, "output"))
    if out == "softmax" and loss != "cce":
        raise SpecError("a softmax output is trained with loss: cce", field=join(field, "loss"))
    if ("targets" in m) == ("target" in m):
        raise SpecError("give 'targets' (one per step) or 'target' (the last step only)", field=field)
    targets: list = [None] * T
    if "target" in m:
        targets[-1] = _bias(m["target"], join(field, "target"), dy)
    else:
        rows = m["targets"]
        if not isinstance(rows, list) or len(rows) != T:
            raise SpecError(f"expected {plural(T, 'target')} (one per step; null for none)",
                            field=join(field, "targets"))
        for t, row in enumerate(rows):
            if row is not None:
                targets[t] = _bias(row, join(join(field, "targets"), t), dy)
        if all(y is None for y in targets):
            raise SpecError("no step has a target", field=join(field, "targets"))
    if loss in ("bce", "cce"):
        for t, y in enumerate(targets):
            if y is not None and (y.min() < 0 or y.max() > 1):
                raise SpecError(f"targets of loss '{loss}' must lie in [0, 1]", field=join(field, "targets"))
    return _model(m, field, ident, X, h0, W_xh, W_hh, W_hy, act, out, tuple(targets), loss, stop, limits)


def _model(m, field, ident, X, h0, W_xh, W_hh, W_hy, act, out, targets, loss, stop, limits, upstream=None) -> RNN:
    """The validated exercise from its parsed pieces: the biases, and the training (none where it
    stops, ``stop``: one pass, no learning rate); a layer given ``upstream`` has no output layer."""
    dh = W_xh.shape[0]
    return RNN(id=ident, title=text(m.get("title"), join(field, "title"), 300),
               text=text(m.get("text"), join(field, "text")), inputs=X, h0=h0, W_xh=W_xh, W_hh=W_hh,
               b_h=_bias(m.get("b_h"), join(field, "b_h"), dh), W_hy=W_hy,
               b_y=None if W_hy is None else _bias(m.get("b_y"), join(field, "b_y"), W_hy.shape[0]),
               activation=act, output=out, targets=targets, loss=loss,
               learning_rate=number(m["learning_rate"], join(field, "learning_rate"), positive=True)
               if stop is None else None,
               iterations=iteration_count(m["iterations"], join(field, "iterations"), limits) if stop is None else 1,
               stop_after=stop, upstream=upstream)


#: Why a layer given ``upstream`` takes no such key: the loss and its targets (the upstream
#: gradients take their place), the output layer (∂L/∂h_t is given past it: it would get no
#: gradient), the training (the exercise stops after the gradients).
_BESIDE_UPSTREAM = {
    "loss": "give either upstream (∂L/∂h_t of every step, from the layers above) or a loss with its targets, "
            "not both; remove loss or upstream",
    "targets": "give either upstream (∂L/∂h_t of every step, from the layers above) or targets with a loss, "
               "not both; remove targets or upstream",
    "target": "give either upstream (∂L/∂h_t of every step, from the layers above) or a target with a loss, "
              "not both; remove target or upstream",
    "W_hy": "upstream gives ∂L/∂h_t of the hidden states, past the output layer: W_hy would get no gradient; "
            "remove it (an RNN given upstream has no output layer)",
    "b_y": "upstream gives ∂L/∂h_t of the hidden states, past the output layer: b_y would get no gradient; "
           "remove it (an RNN given upstream has no output layer)",
    "output": "upstream gives ∂L/∂h_t of the hidden states: an RNN given upstream has no output layer and no "
              "output activation; remove it",
    "learning_rate": "an exercise with upstream stops after the gradients and makes no update: it takes no "
                     "learning_rate; remove it",
    "iterations": "an exercise with upstream stops after the gradients and makes no update: it takes no "
                  "iterations; remove it",
}


def _refuse_beside_upstream(m: dict, field: str, stop: str | None) -> None:
    """A one-line SpecError naming the first key that an RNN given ``upstream`` does not take."""
    for key, why in _BESIDE_UPSTREAM.items():
        if key in m:
            raise SpecError(why, field=join(field, key))
    if stop == "forward":
        raise SpecError("upstream gradients are backpropagated: an exercise with upstream stops after the "
                        "gradients, not the forward pass; remove stop_after (or upstream)",
                        field=join(field, "stop_after"))


def _upstream(value, field: str, T: int, dh: int) -> np.ndarray:
    """∂L/∂h_t of every step, T × d_h (``ones``: all 1; T numbers for one hidden unit)."""
    if value == "ones":
        return np.ones((T, dh))
    if dh == 1 and isinstance(value, list) and value and not any(isinstance(r, list) for r in value):
        value = [[v] for v in value]                # T numbers: one hidden unit
    u = matrix(value, field)
    if u.shape != (T, dh):
        raise SpecError(f"must be {T}×{dh}: a row per time step (∂L/∂h_t), each of the "
                        f"{plural(dh, 'hidden unit')}, got {shape_text(u)}", field=field)
    return u


def cost(model: RNN) -> int:
    """The terms the worked solution computes and writes out (each product of a written sum, each
    printed entry), from the shapes alone: limits.max_part_terms bounds it before any work."""
    T, dx = (int(n) for n in model.inputs.shape)
    dh = int(model.W_xh.shape[0])
    dy = 0 if model.W_hy is None else int(model.W_hy.shape[0])
    weights = dh * dx + dh * dh + dy * dh
    step = weights + 4 * (dh + dy)
    backward = 3 * weights + 6 * (dh + dy) + 2 * dh * dx      # and ∂L/∂x_t = W_xhᵀ δ_t
    update = 3 * (weights + dh + dy)
    return model.iterations * (T * (step + backward) + 2 * dh * dh + update) + T * step
