"""What a conv exercise asks: the output and, with an upstream gradient, the gradients."""

from __future__ import annotations

from ..common import upstream_groups, upstream_is_key

#: The inputs whose gradient an upstream ∂L/∂z gives (``grad.<input>``), in the order computed.
INPUTS = ("kernel", "input", "bias")


def groups(model, p) -> dict[str, list[str]]:
    return upstream_groups(model, INPUTS if model.bias is not None else INPUTS[:2])     # no bias, no ∂L/∂b


is_key = upstream_is_key(INPUTS)


def given(model, p) -> list[tuple[str, object]]:
    """The data the question states, by the spec's keys: one input (channels × rows × columns) or
    the samples (``inputs``), one kernel or the kernels, the bias(es), ∂L/∂z, stride and padding."""
    rows = [("inputs", model.inputs) if model.samples else ("input", model.inputs[0]),
            ("kernels", model.kernels) if model.filters else ("kernel", model.kernels[0]),
            ("bias", model.value("bias")), ("upstream", model.value("upstream")),
            ("stride", model.stride), ("padding", model.padding)]
    return [(key, value) for key, value in rows if value is not None]
