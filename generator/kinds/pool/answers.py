"""What a pool exercise asks: the output and, with an upstream gradient, the gradient of the input."""

from __future__ import annotations

from ..common import upstream_groups, upstream_is_key

#: The inputs whose gradient an upstream ∂L/∂p gives (``grad.<input>``).
INPUTS = ("input",)


def groups(model, p) -> dict[str, list[str]]:
    return upstream_groups(model, INPUTS)


is_key = upstream_is_key(INPUTS)


def given(model, p) -> list[tuple[str, object]]:
    return [(key, getattr(model, key)) for key in ("input", "upstream", "stride", "padding", "window", "mode") if getattr(model, key) is not None]
