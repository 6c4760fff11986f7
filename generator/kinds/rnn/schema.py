"""The schema of an RNN exercise: the inputs x_1 … x_T, h_0, the five parameters, the activations,
one target per step (or for the last step only), the loss and the training."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...engine.dense import ACTIVATION_ALIASES, LOSS_ALIASES, LOSSES
from ...errors import SpecError
from ...validate import iterations as iteration_count, choice, join, mapping, matrix, number, plural, shape_text, text, vector

#: Beyond these a weight matrix or the document's length is no hand calculation any more.
MAX_STEPS, MAX_UNITS = 12, 8
KEYS = ("id", "title", "text", "inputs", "h0", "W_xh", "W_hh", "b_h", "W_hy", "b_y", "activation", "output",
        "targets", "target", "loss", "learning_rate", "iterations")
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
    W_hy: np.ndarray            # d_y × d_h
    b_y: np.ndarray | None      # d_y
    activation: str
    output: str
    targets: tuple              # one per step: a d_y vector or None (no target at that step)
    loss: str
    learning_rate: float
    iterations: int
    kind: str = "rnn"

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
    m = mapping(value, field, KEYS, ("inputs", "W_xh", "W_hh", "W_hy", "loss", "learning_rate", "iterations"))
    raw = m["inputs"]
    if isinstance(raw, list) and raw and not any(isinstance(r, list) for r in raw):
        raw = [[v] for v in raw]                   # T numbers: one input feature per step
    X = matrix(raw, join(field, "inputs"))
    T, dx = X.shape
    if T > min(MAX_STEPS, limits.max_samples):
        raise SpecError(f"{T} time steps, more than {min(MAX_STEPS, limits.max_samples)}", field=join(field, "inputs"))
    W_xh = matrix(m["W_xh"], join(field, "W_xh"))
    dh = W_xh.shape[0]
    if max(dx, dh) > min(MAX_UNITS, limits.max_units):
        raise SpecError(f"more than {min(MAX_UNITS, limits.max_units)} units or input features", field=join(field, "W_xh"))
    W_xh = _shaped(m["W_xh"], join(field, "W_xh"), (dh, dx), "hidden units × input features")
    W_hh = _shaped(m["W_hh"], join(field, "W_hh"), (dh, dh), "hidden units × hidden units")
    W_hy = matrix(m["W_hy"], join(field, "W_hy"))
    dy = W_hy.shape[0]
    if dy > min(MAX_UNITS, limits.max_units):
        raise SpecError(f"{dy} outputs, more than {min(MAX_UNITS, limits.max_units)}", field=join(field, "W_hy"))
    W_hy = _shaped(m["W_hy"], join(field, "W_hy"), (dy, dh), "outputs × hidden units")
    h0 = np.zeros(dh) if m.get("h0") is None else _bias(m["h0"], join(field, "h0"), dh)
    act = choice(m.get("activation", "tanh"), join(field, "activation"), ACTIVATIONS)
    out = choice(m.get("output", "identity"), join(field, "output"), OUTPUTS, ACTIVATION_ALIASES)
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
    iterations = iteration_count(m["iterations"], join(field, "iterations"), limits)
    return RNN(id=ident, title=text(m.get("title"), join(field, "title"), 300),
               text=text(m.get("text"), join(field, "text")), inputs=X, h0=h0, W_xh=W_xh, W_hh=W_hh,
               b_h=_bias(m.get("b_h"), join(field, "b_h"), dh), W_hy=W_hy,
               b_y=_bias(m.get("b_y"), join(field, "b_y"), dy), activation=act, output=out,
               targets=tuple(targets), loss=loss,
               learning_rate=number(m["learning_rate"], join(field, "learning_rate"), positive=True),
               iterations=iterations)


def cost(model: RNN) -> int:
    """The terms the worked solution computes and writes out (each product of a written sum, each
    printed entry), from the shapes alone: limits.max_part_terms bounds it before any work."""
    T, dx = (int(n) for n in model.inputs.shape)
    dh, dy = int(model.W_xh.shape[0]), int(model.W_hy.shape[0])
    weights = dh * dx + dh * dh + dy * dh
    step = weights + 4 * (dh + dy)
    backward = 3 * weights + 6 * (dh + dy)
    update = 3 * (weights + dh + dy)
    return model.iterations * (T * (step + backward) + update) + T * step
