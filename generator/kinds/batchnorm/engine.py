"""The engine: each feature (a row) normalized over its samples, the shared normalization
(``ops.normalize`` along the samples); no arithmetic of its own."""

from __future__ import annotations

from ...ops import normalize


def solve(model, policy, overrides=None):
    return normalize.exercise(model, policy, overrides, model.axis)
