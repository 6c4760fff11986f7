"""The schema of a GRU exercise: the inputs x_1 … x_T, h_0, the ten parameters of the cell, the
target of h_T, the loss and the training — or ``stop_after``: the forward pass alone (with the
loss where a target is given) or the gradients, no update."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import SpecError
from ...validate import choice, join, mapping, matrix, number, sequence, shaped, sized, text
from ...validate import iterations as iteration_count
from ...limits import DEFAULT, bound
from ..common import refuse_training, stop_after

#: The default sizes (``--limit max_cell_steps=N``, ``max_cell_units``, ``max_cell_iterations`` raise
#: them): beyond these the three gates of every step are no hand calculation any more.
MAX_STEPS, MAX_UNITS, MAX_ITERATIONS = DEFAULT.max_cell_steps, DEFAULT.max_cell_units, DEFAULT.max_cell_iterations
GATES = ("r", "z", "n")
#: The trained parameters, in the order they are written: W_• (n × d), U_• (n × n), the biases (n).
PARAMETERS = ("W_r", "W_z", "W_n", "U_r", "U_z", "U_n", "b_r", "b_z", "b_n", "b_hn")
LOSSES = ("half_sse", "sse", "mse")
KEYS = ("id", "title", "text", "inputs", "h0", *PARAMETERS, "target", "loss", "learning_rate", "iterations",
        "stop_after")
REQUIRED = ("inputs", "W_r", "W_z", "W_n", "U_r", "U_z", "U_n", "target", "learning_rate")
#: What an exercise that stops (``stop_after``) does not require: the target of a forward pass
#: alone, the learning rate (which it may not take).
NOT_REQUIRED = {"forward": ("target", "learning_rate"), "gradients": ("learning_rate",), None: ()}


@dataclass(frozen=True, eq=False)
class GRU:
    """A validated GRU exercise; ``params`` holds the ten initial parameters by name."""
    id: str
    title: str
    text: str
    inputs: np.ndarray          # T × d: row t is the input x_t of step t
    h0: np.ndarray              # n: the state before step 1
    params: dict                # name (PARAMETERS) → W_• n × d, U_• n × n, b_• (and b_hn) n
    target: np.ndarray | None   # n: the target of the last state h_T (None: a forward pass without a loss)
    loss: str | None            # half_sse, sse or mse (None: no target)
    learning_rate: float | None  # None: an exercise that stops before the update (stop_after)
    iterations: int
    kind: str = "gru"
    stop_after: str | None = None   # "forward" or "gradients": one pass, no update (None: train)

    steps = property(lambda self: int(self.inputs.shape[0]), doc="T, the time steps")
    features = property(lambda self: int(self.inputs.shape[1]), doc="d, the input features per step")
    units = property(lambda self: int(self.h0.size), doc="n, the units of the cell (entries of h_t)")

    def parameters(self) -> tuple[str, ...]:
        """The trained parameters, in the order they are written."""
        return PARAMETERS


def parse(value, field: str, ident: str, limits) -> GRU:
    stop = stop_after(value, field)
    m = mapping(value, field, KEYS, tuple(key for key in REQUIRED if key not in NOT_REQUIRED[stop]))
    refuse_training(m, field, stop)
    at = lambda key: join(field, key)                 # noqa: E731
    units, unit_limit = bound(limits, "max_cell_units", "max_units")
    x = sequence(m["inputs"], at("inputs"), bound(limits, "max_cell_steps", "max_samples"), (units, unit_limit))
    d = x.shape[1]
    n = matrix(m["W_r"], at("W_r")).shape[0]
    if n > units:
        raise SpecError(f"{n} units, more than {units} (limit {unit_limit}; one row per unit)", field=at("W_r"))
    params = {f"W_{g}": shaped(m[f"W_{g}"], at(f"W_{g}"), (n, d), f"units × input features; inputs has {d} "
                                "per step") for g in GATES}
    params.update({f"U_{g}": shaped(m[f"U_{g}"], at(f"U_{g}"), (n, n), "units × units") for g in GATES})
    params.update({b: sized(m.get(b), at(b), n, "one per unit") for b in ("b_r", "b_z", "b_n", "b_hn")})
    iterations = iteration_count(m.get("iterations", 1), at("iterations"), limits)
    if iterations > limits.max_cell_iterations:
        raise SpecError(f"{iterations} iterations, more than {limits.max_cell_iterations} (limit "
                        "max_cell_iterations; each writes out a whole backpropagation through time)",
                        field=at("iterations"))
    if m.get("target") is None and stop != "forward":
        raise SpecError(f"expected the target of h_T ({n} numbers)", field=at("target"))
    if m.get("target") is None and m.get("loss") is not None:      # a forward pass alone has no loss
        raise SpecError("a loss compares h_T with a target: give the target, or remove the loss", field=at("loss"))
    target = None if m.get("target") is None else sized(m["target"], at("target"), n, "one per unit, the target of h_T")
    return GRU(id=ident, title=text(m.get("title"), at("title"), 300), text=text(m.get("text"), at("text")),
               inputs=x, h0=sized(m.get("h0"), at("h0"), n, "one per unit"), params=params, target=target,
               loss=None if target is None else choice(m.get("loss", "half_sse"), at("loss"), LOSSES),
               learning_rate=number(m["learning_rate"], at("learning_rate"), positive=True) if stop is None else None,
               iterations=iterations, stop_after=stop)


def cost(model: GRU) -> int:
    """The terms the worked solution computes and writes out (each product of a written sum, each
    printed entry), from the shapes alone: limits.max_part_terms bounds it before any work."""
    T, d = (int(v) for v in model.inputs.shape)
    n = model.units
    forward = 2 * n * (d + n + 1) + n * (d + 1) + n * (n + 1) + 9 * n      # per step: gates, candidate, h
    backward = 3 * n * n + 16 * n                                          # per step: δ's and δh_{t−1}
    sums = 3 * n * d + 3 * n * n + 4 * n                                   # the parameters' entries
    loss = 2 * n
    return model.iterations * (T * (forward + backward + sums) + 3 * sums + loss) + T * forward + loss
