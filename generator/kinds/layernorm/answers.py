"""What a layer-normalization exercise asks: y and, with an upstream gradient, ∂L/∂γ, ∂L/∂β, ∂L/∂x."""

from __future__ import annotations

from ..normalization import given, groups, is_key

#: Every variant of the same shapes feeds its answers from the same entries, except through values
#: that are exactly 0: grading learns one dependency table for them (``Kind.shares_structure``).
SHARED_STRUCTURE = True

__all__ = ["given", "groups", "is_key"]
