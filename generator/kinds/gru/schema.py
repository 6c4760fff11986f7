"""The schema of a GRU exercise: the inputs x_1 … x_T, h_0, the ten parameters of the cell, the
target of h_T, the loss and the training."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import SpecError
from ...validate import choice, join, mapping, matrix, number, sequence, shaped, sized, text
from ...validate import iterations as iteration_count

#: Beyond these the three gates of every step are no hand calculation any more.
MAX_STEPS, MAX_UNITS, MAX_ITERATIONS = 6, 4, 3
GATES = ("r", "z", "n")
#: The trained parameters, in the order they are written: W_• (n × d), U_• (n × n), the biases (n).
PARAMETERS = ("W_r", "W_z", "W_n", "U_r", "U_z", "U_n", "b_r", "b_z", "b_n", "b_hn")
LOSSES = ("half_sse", "sse", "mse")
KEYS = ("id", "title", "text", "inputs", "h0", *PARAMETERS, "target", "loss", "learning_rate", "iterations")
REQUIRED = ("inputs", "W_r", "W_z", "W_n", "U_r", "U_z", "U_n", "target", "learning_rate")


@dataclass(frozen=True, eq=False)
class GRU:
    """A validated GRU exercise; ``params`` holds the ten initial parameters by name."""
    id: str
    title: str
    text: str
    inputs: np.ndarray          # T × d: row t is the input x_t of step t
    h0: np.ndarray              # n: the state before step 1
    params: dict                # name (PARAMETERS) → W_• n × d, U_• n × n, b_• (and b_hn) n
    target: np.ndarray          # n: the target of the last state h_T
    loss: str                   # half_sse, sse or mse
    learning_rate: float
    iterations: int
    kind: str = "gru"

    steps = property(lambda self: int(self.inputs.shape[0]), doc="T, the time steps")
    features = property(lambda self: int(self.inputs.shape[1]), doc="d, the input features per step")
    units = property(lambda self: int(self.h0.size), doc="n, the units of the cell (entries of h_t)")

    def parameters(self) -> tuple[str, ...]:
        """The trained parameters, in the order they are written."""
        return PARAMETERS


def parse(value, field: str, ident: str, limits) -> GRU:
    m = mapping(value, field, KEYS, REQUIRED)
    at = lambda key: join(field, key)                 # noqa: E731
    x = sequence(m["inputs"], at("inputs"), min(MAX_STEPS, limits.max_samples), min(MAX_UNITS, limits.max_units))
    d = x.shape[1]
    n = matrix(m["W_r"], at("W_r")).shape[0]
    if n > min(MAX_UNITS, limits.max_units):
        raise SpecError(f"{n} units, more than {min(MAX_UNITS, limits.max_units)} (one row per unit)", field=at("W_r"))
    params = {f"W_{g}": shaped(m[f"W_{g}"], at(f"W_{g}"), (n, d), f"units × input features; inputs has {d} "
                                "per step") for g in GATES}
    params.update({f"U_{g}": shaped(m[f"U_{g}"], at(f"U_{g}"), (n, n), "units × units") for g in GATES})
    params.update({b: sized(m.get(b), at(b), n, "one per unit") for b in ("b_r", "b_z", "b_n", "b_hn")})
    iterations = iteration_count(m.get("iterations", 1), at("iterations"), limits)
    if iterations > MAX_ITERATIONS:
        raise SpecError(f"{iterations} iterations, more than {MAX_ITERATIONS} (each writes out a whole "
                        "backpropagation through time)", field=at("iterations"))
    if m["target"] is None:
        raise SpecError(f"expected the target of h_T ({n} numbers)", field=at("target"))
    return GRU(id=ident, title=text(m.get("title"), at("title"), 300), text=text(m.get("text"), at("text")),
               inputs=x, h0=sized(m.get("h0"), at("h0"), n, "one per unit"), params=params,
               target=sized(m["target"], at("target"), n, "one per unit, the target of h_T"),
               loss=choice(m.get("loss", "half_sse"), at("loss"), LOSSES),
               learning_rate=number(m["learning_rate"], at("learning_rate"), positive=True),
               iterations=iterations)


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
