"""The ``randomize:`` constraints a solved network variant is checked against: dead ReLU units,
sigmoid outputs within bounds, a decreasing loss, no zero weight gradient."""

from __future__ import annotations

import numpy as np


def holds(name: str, arg, model, pt) -> bool:
    """Whether the solved exercise ``pt`` of ``model`` keeps constraint ``name`` (argument ``arg``);
    a constraint that says nothing of a network (``max_abs_value`` is checked for every kind) holds."""
    L = len(model.layers)
    if name in ("no_dead_relu", "dead_relu"):
        dead = sum(int(np.all(np.atleast_2d(np.asarray(pt[f"it1.z{l}"])).reshape(layer.units, -1) <= 0, axis=1).sum())
                   for l, layer in enumerate(model.layers, start=1)
                   if layer.activation in ("relu", "leaky_relu"))
        if dead != (0 if name == "no_dead_relu" else arg):
            return False
    elif name == "sigmoid_output_within" and model.layers[-1].activation == "sigmoid":
        lo, hi = arg
        for k in range(1, model.iterations + 1):
            y = np.asarray(pt[f"it{k}.a{L}"])
            if y.min() < lo or y.max() > hi:
                return False
    elif name == "loss_decreases" and not pt.info["loss_decreased"]:
        return False
    elif name == "nonzero_gradients":
        for l in range(1, L + 1):
            if np.any(np.asarray(pt[f"it1.dW{l}"]) == 0):
                return False
    return True
