"""What a conv exercise asks: the output and, with an upstream gradient, the gradients."""

from __future__ import annotations

from ..common import upstream_groups, upstream_is_key

#: The inputs whose gradient an upstream ∂L/∂z gives (``grad.<input>``), in the order computed.
INPUTS = ("kernel", "input", "bias")


def groups(model, p) -> dict[str, list[str]]:
    return upstream_groups(model, INPUTS if model.bias is not None else INPUTS[:2])     # no bias, no ∂L/∂b


is_key = upstream_is_key(INPUTS)


def given(model, p) -> list[tuple[str, object]]:
    return [(key, getattr(model, key)) for key in ("input", "kernel", "bias", "upstream", "stride", "padding") if getattr(model, key) is not None]
