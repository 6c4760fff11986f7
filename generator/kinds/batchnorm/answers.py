"""What a batch-normalization exercise asks: y and, with an upstream gradient, ∂L/∂γ, ∂L/∂β, ∂L/∂x."""

from __future__ import annotations

from .. import normalization
from ..normalization import groups, is_key

#: Every variant of the same shapes feeds its answers from the same entries, except through values
#: that are exactly 0: grading learns one dependency table for them (``Kind.shares_structure``).
SHARED_STRUCTURE = True

__all__ = ["given", "groups", "is_key"]


def given(model, p) -> list[tuple[str, object]]:
    """The data a question states (for an LMS); in inference mode also the running statistics."""
    rows = normalization.given(model, p)
    if model.mode == "inference":
        rows[-1:-1 if model.upstream is not None else len(rows)] = [
            ("mode", "inference"), ("running mean", p.dec("running_mean")), ("running variance", p.dec("running_var"))]
    return rows
