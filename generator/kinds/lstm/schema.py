"""The schema of an LSTM exercise: the inputs x_1 … x_T, the initial states h_0 and c_0, the twelve
parameters of the four gates (W_• n × d, U_• n × n, b_• n, • = i, f, g, o; PyTorch's
``nn.LSTMCell`` with one bias per gate), a target for the last hidden state h_T, the loss and
plain gradient-descent training — or ``stop_after``: the forward pass alone (with the loss where a
target is given) or the gradients, no update."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import SpecError
from ...validate import choice, iterations as iteration_count, join, mapping, matrix, number, plural, shape_text, \
    text, vector
from ...limits import DEFAULT, bound
from ..common import refuse_training, stop_after

#: Beyond these the four gates of a step no longer fit on a page, nor the document in a lesson.
#: The default sizes (``--limit max_cell_units=N``, ``max_cell_steps``, ``max_cell_iterations`` raise them).
MAX_UNITS, MAX_INPUTS, MAX_STEPS, MAX_ITERATIONS = (DEFAULT.max_cell_units, DEFAULT.max_cell_units,
                                                    DEFAULT.max_cell_steps, DEFAULT.max_cell_iterations)
GATES = ("i", "f", "g", "o")
#: The trained parameters, in the order the solution writes them (gate by gate).
PARAMETERS = tuple(f"{m}_{gate}" for gate in GATES for m in ("W", "U", "b"))
LOSSES = ("half_sse", "sse", "mse")
KEYS = ("id", "title", "text", "inputs", "h0", "c0", *PARAMETERS, "target", "loss", "learning_rate",
        "iterations", "stop_after")


@dataclass(frozen=True, eq=False)
class LSTM:
    id: str
    title: str
    text: str
    inputs: np.ndarray          # T × d, row t is x_t
    h0: np.ndarray              # n
    c0: np.ndarray              # n
    params: dict                # name (PARAMETERS) -> initial value: W_• n × d, U_• n × n, b_• n
    target: np.ndarray | None   # n, for h_T (None: a forward pass without a loss)
    loss: str | None            # half_sse | sse | mse (None: no target)
    learning_rate: float | None  # None: an exercise that stops before the update (stop_after)
    iterations: int
    kind: str = "lstm"
    stop_after: str | None = None   # "forward" or "gradients": one pass, no update (None: train)

    @property
    def steps(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def units(self) -> int:
        return int(self.h0.size)
    @property
    def features(self) -> int:
        return int(self.inputs.shape[1])

    def parameters(self) -> tuple[str, ...]:
        """The trained parameters (all twelve: a bias not given starts at 0 and is trained)."""
        return PARAMETERS


def _entries(value, field: str, n: int, default: float | None = None) -> np.ndarray:
    """A vector of ``n`` entries (``default`` everywhere when absent)."""
    if value is None and default is not None:
        return np.full(n, float(default))
    v = vector(value, field)
    if v.size != n:
        raise SpecError(f"expected {plural(n, 'entry', 'entries')} (one per unit), got {v.size}", field=field)
    return v


def _flat(value) -> bool:
    """A list of numbers rather than of rows."""
    return isinstance(value, list) and not any(isinstance(r, list) for r in value)


def _weights(value, field: str, rows: int, cols: int, what: str) -> np.ndarray:
    """A rows × cols matrix; with one column, a flat list of ``rows`` numbers is that column."""
    a = matrix(value, field)
    if cols == 1 and rows > 1 and _flat(value) and a.shape == (1, rows):
        a = a.T
    if a.shape != (rows, cols):
        raise SpecError(f"must be {rows}×{cols} ({what}), got {shape_text(a)}", field=field)
    return a


def parse(value, field: str, ident: str, limits) -> LSTM:
    stop = stop_after(value, field)
    m = mapping(value, field, KEYS, ("inputs", *(p for p in PARAMETERS if p[0] != "b"))
                + (("target",) if stop != "forward" else ()) + (("learning_rate",) if stop is None else ()))
    refuse_training(m, field, stop)
    (units, unit_limit), (inputs, input_limit) = (bound(limits, "max_cell_units", "max_units"),) * 2
    if m.get("target") is not None or stop != "forward":
        target = vector(m["target"], join(field, "target"))
        n = target.size                            # h_T has a target entry per unit
        if n > units:
            raise SpecError(f"{n} entries, so {n} hidden units, more than {units} (limit {unit_limit}; four gates "
                            "of them are written out per step)", field=join(field, "target"))
        loss = choice(m.get("loss", "half_sse"), join(field, "loss"), LOSSES)
    else:                                          # a forward pass alone (stop_after: forward): no loss
        if m.get("loss") is not None:
            raise SpecError("a loss compares h_T with a target: give the target, or remove the loss",
                            field=join(field, "loss"))
        target, loss = None, None
        n = matrix(m["U_i"], join(field, "U_i")).shape[0]      # U_i is n × n
        if n > units:
            raise SpecError(f"{n} hidden units (rows), more than {units} (limit {unit_limit}; four gates of them "
                            "are written out per step)", field=join(field, "U_i"))
    w = matrix(m["W_i"], join(field, "W_i"))
    d = 1 if _flat(m["W_i"]) and w.shape == (1, n) and n > 1 else w.shape[1]   # n numbers: one column
    if d > inputs:
        raise SpecError(f"{d} input features (columns), more than {inputs} (limit {input_limit})",
                        field=join(field, "W_i"))
    raw = m["inputs"]
    if d == 1 and raw and _flat(raw):
        raw = [[v] for v in raw]                   # T numbers: one input feature per step
    X = matrix(raw, join(field, "inputs"))
    if X.shape[1] != d:
        raise SpecError(f"each step x_t must have {plural(d, 'entry', 'entries')} like the columns of W_i, "
                        f"got {X.shape[1]}", field=join(field, "inputs"))
    steps, step_limit = bound(limits, "max_cell_steps", "max_samples")
    if X.shape[0] > steps:
        raise SpecError(f"{X.shape[0]} time steps, more than {steps} (limit {step_limit})", field=join(field, "inputs"))
    params = {}
    for gate in GATES:
        params[f"W_{gate}"] = _weights(m[f"W_{gate}"], join(field, f"W_{gate}"), n, d, "hidden units × inputs")
    for gate in GATES:
        params[f"U_{gate}"] = _weights(m[f"U_{gate}"], join(field, f"U_{gate}"), n, n,
                                       "hidden units × hidden units")
    for gate in GATES:
        params[f"b_{gate}"] = _entries(m.get(f"b_{gate}"), join(field, f"b_{gate}"), n, 0)
    iterations = iteration_count(m.get("iterations", 1), join(field, "iterations"), limits)
    if iterations > limits.max_cell_iterations:
        raise SpecError(f"{iterations} iterations, more than {limits.max_cell_iterations} (limit max_cell_iterations; "
                        "each is a full forward and backward pass through time)", field=join(field, "iterations"))
    return LSTM(id=ident, title=text(m.get("title"), join(field, "title"), 300),
                text=text(m.get("text"), join(field, "text")), inputs=X,
                h0=_entries(m.get("h0"), join(field, "h0"), n, 0), c0=_entries(m.get("c0"), join(field, "c0"), n, 0),
                params=params, target=target, loss=loss,
                learning_rate=number(m["learning_rate"], join(field, "learning_rate"), positive=True)
                if stop is None else None,
                iterations=iterations, stop_after=stop)


def cost(model: LSTM) -> int:
    """The terms the worked solution computes and writes out (each product of a written sum, each
    printed entry), from the shapes alone: limits.max_part_terms bounds it before any work."""
    T, d, n = model.steps, model.features, model.units
    gates = 4 * n * (d + n + 1)                   # the four affine maps of one step
    step = gates + 4 * n + 6 * n                   # the gates, c, tanh c, h
    back = 4 * n * n + 16 * n                      # Σ U_•ᵀ δ, the slopes, δc and the four δ
    grads = T * gates + gates                      # Σ_t δ xᵀ, Σ_t δ hᵀ, Σ_t δ, each entry written
    update = 3 * 4 * n * (d + n + 1)
    per_iteration = T * (step + back) + grads + update + 4 * n
    return model.iterations * per_iteration + T * step + 4 * n
