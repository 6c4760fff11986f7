"""The engine: each feature (a row) normalized over its samples, the shared normalization
(``ops.normalize`` along the samples) — in inference mode with the given running statistics
(``ops.normalize.exercise`` with ``inference``); no arithmetic of its own."""

from __future__ import annotations

from ...ops import normalize


def solve(model, policy, overrides=None):
    if model.mode == "inference":
        return normalize.exercise(model, policy, overrides, model.axis, inference=True)
    return normalize.exercise(model, policy, overrides, model.axis)
