"""The schema of a convolution exercise: one kernel (with a channel per input channel) over a grid,
or a layer of several kernels (``kernels:``, a bias each) over several samples (``inputs:``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import SpecError
from ...validate import grid, integer, join, mapping, number, plural, positions, shape_text, text, typename, \
    upstream, vector


@dataclass(frozen=True, eq=False)
class Conv:
    id: str
    title: str
    text: str
    inputs: np.ndarray     # N × C × H × W (N = 1 for ``input:``)
    kernels: np.ndarray    # F × C × kh × kw (F = 1 for ``kernel:``)
    bias: np.ndarray | None   # F numbers, one per kernel
    stride: int
    padding: int
    upstream: np.ndarray | None   # N × F × out_h × out_w
    samples: bool = False  # given as ``inputs:`` (a list of samples): its values have a sample axis
    filters: bool = False  # given as ``kernels:`` (a list of kernels): its values have a kernel axis
    kind: str = "conv"

    @property
    def channels(self) -> int:
        return int(self.inputs.shape[1])

    @property
    def multi(self) -> bool:
        """A layer of kernels or a batch of samples (``kernels:`` or ``inputs:``), not one of each."""
        return self.samples or self.filters

    def value(self, name: str):
        """A given value as the trace holds it: the sample axis only with ``inputs:``, the kernel
        axis only with ``kernels:``; one sample's or kernel's channel axis only where there are
        several channels or a list was given (N × C × H × W, F × C × kh × kw even for one channel),
        so that one kernel over one input keeps today's shapes (kh × kw, a number for the bias)."""
        many = self.channels > 1
        if name == "input":
            return self.inputs if self.samples else (self.inputs[0] if many else self.inputs[0, 0])
        if name == "kernel":
            return self.kernels if self.filters else (self.kernels[0] if many else self.kernels[0, 0])
        if name == "bias":
            return None if self.bias is None else (self.bias if self.filters else float(self.bias[0]))
        if name == "upstream":
            at = (slice(None) if self.samples else 0, slice(None) if self.filters else 0)
            return None if self.upstream is None else self.upstream[at]
        raise KeyError(name)


CONV_KEYS = ("id", "title", "text", "input", "inputs", "kernel", "kernels", "bias", "stride", "padding", "upstream")


def _either(m: dict, field: str, one: str, many: str, what: str) -> bool:
    """Whether the list form ``many`` is given rather than ``one``: exactly one of them must be."""
    if one in m and many in m:
        raise SpecError(f"give '{one}' (one {what}) or '{many}' (a list of them), not both", field=join(field, many))
    if one not in m and many not in m:
        raise SpecError(f"missing required key '{one}' (one {what}) or '{many}' (a list of them)", field=field)
    return many in m


def _stack(value, field: str, limits, what: str, cap: tuple[int, str]) -> np.ndarray:
    """A list of grids of the same shape, each a matrix or a list of matrices (channels): n × C × H × W."""
    if not isinstance(value, list) or not value:
        raise SpecError(f"expected a list of {what}s, got {typename(value) if value != [] else 'an empty list'}",
                        field=field)
    most, limit = cap
    if len(value) > most:
        raise SpecError(f"{len(value)} {what}s, more than {most} (limit {limit})", field=field)
    out = []
    for i, item in enumerate(value):
        if not (isinstance(item, list) and item and all(isinstance(r, list) for r in item)):
            raise SpecError(f"expected a matrix (a list of rows) or a list of matrices (channels), got "
                            f"{typename(item)}", field=join(field, i))
        out.append(grid(item, join(field, i), limits, channels=True))
        if out[-1].shape != out[0].shape:
            raise SpecError(f"{what} {i + 1} is {shape_text(out[-1])}, {what} 1 {shape_text(out[0])}: every {what} "
                            "must have the same shape (channels × rows × columns)", field=join(field, i))
    return np.stack(out)


def _biases(value, field: str, count: int) -> np.ndarray:
    """One number per kernel, as a list."""
    if not isinstance(value, list):
        raise SpecError(f"expected a list of {plural(count, 'number')} (one per kernel), got {typename(value)}",
                        field=field)
    b = vector(value, field)
    if b.size != count:
        raise SpecError(f"expected {plural(count, 'number')} (one per kernel), got {b.size}", field=field)
    return b


def _upstream(value, field: str, lead: tuple[tuple[int, str], ...], out: tuple[int, int]):
    """∂L/∂z of the output's shape: ``ones``, or one level of lists per leading axis (``lead``:
    (count, "samples" or "kernels")), then a matrix per map; None where not given."""
    if value is None:
        return None
    if value == "ones":
        return np.ones(tuple(n for n, _ in lead) + out)
    if not lead:
        return upstream(value, field, out)
    count = lead[0][0]
    # each entry a map (a matrix; a flat list where a map has one row) or a list of maps: a list of
    # rows of numbers is one matrix
    flat = len(lead) == 1 and out[0] == 1
    maps = isinstance(value, list) and all(isinstance(v, list) and v and (flat or all(isinstance(r, list) for r in v))
                                           for v in value)
    if not maps or len(value) != count:
        shape = "×".join(str(n) for n, _ in lead) + f"×{out[0]}×{out[1]}"
        axes = " × ".join([word for _, word in lead] + ["rows", "columns"])
        matrix = isinstance(value, list) and value and all(isinstance(v, list) for v in value) and not maps
        got = (f"a {len(value)}×{len(value[0])} matrix" if matrix else
               f"a list of {len(value)}" if isinstance(value, list) else typename(value))
        raise SpecError(f"must be {shape} like the output ({axes}), got {got}", field=field)
    return np.stack([_upstream(v, join(field, i), lead[1:], out) for i, v in enumerate(value)])


def parse(value, field: str, ident: str, limits) -> Conv:
    m = mapping(value, field, CONV_KEYS)
    samples = _either(m, field, "input", "inputs", "sample")
    filters = _either(m, field, "kernel", "kernels", "kernel")
    if samples:
        x = _stack(m["inputs"], join(field, "inputs"), limits, "sample", (limits.max_samples, "max_samples"))
    else:
        x = grid(m["input"], join(field, "input"), limits, channels=True)[None]
    if filters:
        k = _stack(m["kernels"], join(field, "kernels"), limits, "kernel", (limits.max_units, "max_units"))
        if k.shape[1] != x.shape[1]:
            raise SpecError(f"each kernel has {plural(k.shape[1], 'channel')}, the input "
                            f"{plural(x.shape[1], 'channel')} (a kernel needs one per input channel)",
                            field=join(field, "kernels"))
    else:
        k = grid(m["kernel"], join(field, "kernel"), limits, channels=True)[None]
        if k.shape[1] != x.shape[1]:
            raise SpecError(f"the kernel has {k.shape[1]} channel(s), the input {x.shape[1]}",
                            field=join(field, "kernel"))
    key = "kernels" if filters else "kernel"
    stride = integer(m.get("stride", 1), join(field, "stride"), 1, 16)
    padding = integer(m.get("padding", 0), join(field, "padding"), 0, 8)
    oh = positions(x.shape[2], k.shape[2], stride, padding, join(field, key))
    ow = positions(x.shape[3], k.shape[3], stride, padding, join(field, key))
    bias = None
    if m.get("bias") is not None:
        bias = _biases(m["bias"], join(field, "bias"), k.shape[0]) if filters else \
            np.array([number(m["bias"], join(field, "bias"))])
    lead = ((x.shape[0], "samples"),) * samples + ((k.shape[0], "kernels"),) * filters
    up = _upstream(m.get("upstream"), join(field, "upstream"), lead, (oh, ow))
    if up is not None:
        up = up.reshape(x.shape[0], k.shape[0], oh, ow)
    return Conv(id=ident, title=text(m.get("title"), join(field, "title"), 300),
                text=text(m.get("text"), join(field, "text")), inputs=x, kernels=k, bias=bias,
                stride=stride, padding=padding, upstream=up, samples=samples, filters=filters)


def cost(model: Conv) -> int:
    """The terms the worked solution computes and writes out (each window, product and printed
    entry), from the shapes alone: limits.max_part_terms bounds it before any work.  Every sample
    has its padding and windows; every (sample, kernel) pair its output map, whose entries are
    products written out and summed; the gradients of the kernels, the inputs and the biases each
    add up one product per (sample, kernel, output entry, kernel entry)."""
    N, C, H, W = (int(n) for n in model.inputs.shape)
    F, _, kh, kw = (int(n) for n in model.kernels.shape)
    oh = (H + 2 * model.padding - kh) // model.stride + 1
    ow = (W + 2 * model.padding - kw) // model.stride + 1
    padded = N * C * (H + 2 * model.padding) * (W + 2 * model.padding)
    window = oh * ow * C * kh * kw
    forward = N * window * (1 + 2 * F) + 2 * N * F * oh * ow
    backward = 0 if model.upstream is None else 2 * N * F * window + padded + N * F * oh * ow
    return padded + forward + backward
