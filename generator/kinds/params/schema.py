"""The schema of a parameter-counting exercise: the network's input shape (optional: channels ×
height × width, height × width, or a number of features) and its layers, each a mapping with a
``type``.  The shape that reaches each layer is followed from the input: a size the spec leaves
out is taken from it (a convolution's ``in_channels``, a dense layer's ``in`` — flattening a grid
first —, a recurrent layer's ``input``), and one it gives must agree with it."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import SpecError
from ...validate import choice, flag, integer, join, mapping, plural, positions, text, typename

TYPES = ("conv", "pool", "flatten", "dense", "embedding", "rnn", "lstm", "gru")
ALIASES = {"linear": "dense", "fc": "dense", "fully_connected": "dense", "conv2d": "conv", "max_pool": "pool",
           "maxpool": "pool", "avg_pool": "pool", "average_pool": "pool", "simple_rnn": "rnn", "simplernn": "rnn"}
#: The gates of a recurrent layer: each has its own W (h × x), U (h × h) and bias.
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
RECURRENT = tuple(GATES)
#: The bias of a recurrent layer: none, one vector per gate (Keras's SimpleRNN and LSTM), or two
#: (PyTorch's b_ih and b_hh, also Keras's GRU with its default reset_after=True).
BIASES = {False: "none", True: "one", "pytorch": "two"}
_NAME = ("type", "name")
LAYER_KEYS = {
    "conv": _NAME + ("in_channels", "out_channels", "kernel", "stride", "padding", "bias"),
    "pool": _NAME + ("mode", "window", "kernel", "stride", "padding"),
    "flatten": _NAME,
    "dense": _NAME + ("in", "out", "bias"),
    "embedding": _NAME + ("vocabulary", "dim"),
    **{t: _NAME + ("input", "hidden", "bias", "bidirectional") for t in RECURRENT},
}
LAYER_REQUIRED = {"conv": ("out_channels", "kernel"), "dense": ("out",), "embedding": ("vocabulary", "dim"),
                  **{t: ("hidden",) for t in RECURRENT}}
#: The largest size of anything (channels, units, a vocabulary, a side of the input).
MAX_SIZE = 10_000_000
KEYS = ("id", "title", "text", "input", "layers")


@dataclass(frozen=True)
class Layer:
    """One layer as the spec gives it, with the shape that reaches it and the one it passes on:
    ``("grid", C, H, W)`` or ``("vector", n)``, a size None where it is not known (no input shape),
    or None where nothing is known."""
    type: str
    name: str
    inputs: int | None            # in_channels (conv), in (dense), input (recurrent), as given
    size: int | None              # out_channels (conv), out (dense), hidden (recurrent), dim (embedding)
    vocabulary: int | None        # (embedding) V
    kernel: tuple | None          # (conv, pool) (k_h, k_w)
    stride: tuple | None          # (conv, pool) (s_h, s_w)
    padding: tuple | None         # (conv, pool) (p_h, p_w)
    bias: str                     # none | one | two (two: recurrent layers only)
    bidirectional: bool
    mode: str | None              # (pool) max | average
    shape_in: tuple | None
    shape_out: tuple | None

    @property
    def gates(self) -> int:
        """The gates of a recurrent layer (1 for an RNN), else 0."""
        return GATES.get(self.type, 0)

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def flattens(self) -> bool:
        """Whether a dense layer flattens the grid that reaches it first (its n_in = C·H·W)."""
        return self.type == "dense" and _known(self.shape_in) and self.shape_in[0] == "grid"


@dataclass(frozen=True, eq=False)
class Params:
    id: str
    title: str
    text: str
    input: tuple | None           # ("grid", C, H, W) or ("vector", n), or None
    layers: tuple                 # Layer, …
    kind: str = "params"


def _known(shape) -> bool:
    return shape is not None and all(v is not None for v in shape[1:])


def _size(value, field: str, low: int = 1) -> int:
    return integer(value, field, low, MAX_SIZE)


def _pair(value, field: str, low: int) -> tuple[int, int]:
    """A size for both axes, or [height, width]."""
    if isinstance(value, list):
        if len(value) != 2:
            raise SpecError(f"expected a number or [height, width], got a list of {len(value)}", field=field)
        return _size(value[0], join(field, 0), low), _size(value[1], join(field, 1), low)
    n = _size(value, field, low)
    return n, n


def _input(value, field: str):
    """The input shape: a number of features, [H, W] (one channel) or [C, H, W]."""
    if value is None:
        return None
    if isinstance(value, list):
        if len(value) not in (2, 3):
            raise SpecError(f"expected [channels, height, width], [height, width] or a number of features, "
                            f"got a list of {len(value)}", field=field)
        sizes = [_size(v, join(field, i)) for i, v in enumerate(value)]
        return ("grid", *([1] * (3 - len(sizes))), *sizes)
    return ("vector", _size(value, field))


def _where(index: int) -> str:
    return "the network's input" if index == 0 else f"the output of layer {index}"


def _shape_text(shape) -> str:
    return " × ".join("?" if v is None else str(v) for v in shape[1:])


def _agree(given: int | None, found: int | None, field: str, what: str, source: str) -> None:
    """A size of a layer's input that the spec gives must be the one the shape brings (``found``,
    from ``source``)."""
    if given is not None and found is not None and given != found:
        raise SpecError(f"expected {found} {what} ({source}), got {given}", field=field)


def _window(m: dict, at, shape, index: int, conv: bool):
    """(kernel, stride, padding, the output's height and width) of a convolution or a pooling."""
    if not conv and "window" in m and "kernel" in m:
        raise SpecError("give the window once: 'window' or 'kernel'", field=at("kernel"))
    key = "kernel" if conv or "window" not in m else "window"
    if key not in m:
        raise SpecError("missing required key 'window'", field=at(""))
    kernel = _pair(m[key], at(key), 1)
    stride = _pair(m.get("stride", 1 if conv else list(kernel)), at("stride"), 1)
    padding = _pair(m.get("padding", 0), at("padding"), 0)
    if not conv and any(2 * p > k for p, k in zip(padding, kernel)):
        raise SpecError(f"padding {padding[0]} is more than half the window {kernel[0]}×{kernel[1]}: some windows "
                        "would hold padding only", field=at("padding"))
    if shape is None or shape[0] != "grid":
        return kernel, stride, padding, (None, None)
    out = tuple(None if n is None else positions(n, k, s, p, at(key)) for n, k, s, p in
                zip(shape[2:], kernel, stride, padding))
    return kernel, stride, padding, out


def _layer(value, field: str, shape, index: int) -> Layer:
    at = lambda key: join(field, key) if key else field          # noqa: E731
    if not isinstance(value, dict):
        raise SpecError(f"expected a layer (a mapping with a type), got {typename(value)}", field=field)
    if "type" not in value:
        raise SpecError(f"missing required key 'type' (one of {', '.join(TYPES)})", field=field)
    kind = choice(value["type"], at("type"), TYPES, ALIASES)
    m = mapping(value, field, LAYER_KEYS[kind], LAYER_REQUIRED.get(kind, ()))
    whence = _where(index)
    grid = shape is not None and shape[0] == "grid"
    vector = shape is not None and shape[0] == "vector"
    base = dict(type=kind, name=text(m.get("name"), at("name"), 60), inputs=None, size=None, vocabulary=None,
                kernel=None, stride=None, padding=None, bias="none", bidirectional=False, mode=None, shape_in=shape)
    if kind in ("conv", "pool"):
        if vector:
            raise SpecError(f"a {'convolution' if kind == 'conv' else 'pooling'} takes channels × height × width, "
                            f"but {whence} is a vector of {shape[1] or '?'} values", field=at("type"))
        kernel, stride, padding, (h, w) = _window(m, at, shape, index, kind == "conv")
        base.update(kernel=kernel, stride=stride, padding=padding)
        if kind == "pool":
            base["mode"] = choice(m.get("mode", "max"), at("mode"), ("max", "average"),
                                  {"avg": "average", "mean": "average"})
            return Layer(**base, shape_out=("grid", shape[1], h, w) if grid else None)
        given = _size(m["in_channels"], at("in_channels")) if "in_channels" in m else None
        found = shape[1] if grid else None
        if given is None and found is None:
            raise SpecError(f"missing required key 'in_channels' ({_unknown(index)})", field=field)
        size = _size(m["out_channels"], at("out_channels"))
        base.update(inputs=given, size=size, bias=BIASES[flag(m.get("bias", True), at("bias"))])
        _agree(given, found, at("in_channels"), "input channels", f"the channels of {whence}")
        return Layer(**base, shape_out=("grid", size, h, w))
    if kind == "flatten":
        if grid:
            n = shape[1] * shape[2] * shape[3] if _known(shape) else None
            return Layer(**base, shape_out=("vector", n))
        return Layer(**base, shape_out=shape if vector else ("vector", None))
    if kind == "embedding":
        if shape is not None:
            raise SpecError("an embedding takes word indices: it is the first layer, and the network has no input "
                            "shape", field=at("type") if index else join(field.rsplit(".layers", 1)[0], "input"))
        dim = _size(m["dim"], at("dim"))
        return Layer(**{**base, "vocabulary": _size(m["vocabulary"], at("vocabulary")), "size": dim},
                     shape_out=("vector", dim))
    key = "in" if kind == "dense" else "input"
    given = _size(m[key], at(key)) if key in m else None
    if kind in RECURRENT and grid:
        raise SpecError(f"a recurrent layer takes a vector of features per time step, but {whence} is "
                        f"{_shape_text(shape)}: flatten it first (a flatten layer)", field=at("type"))
    found = shape[1] if vector else (shape[1] * shape[2] * shape[3] if grid and _known(shape) else None)
    if given is None and found is None:
        raise SpecError(f"missing required key '{key}' ({_unknown(index)})", field=field)
    source = f"the {_shape_text(shape)} values of {whence}, flattened" if grid else whence
    _agree(given, found, at(key), "inputs" if kind == "dense" else "input features", source)
    size = _size(m["out" if kind == "dense" else "hidden"], at("out" if kind == "dense" else "hidden"))
    if kind == "dense":
        return Layer(**{**base, "inputs": given, "size": size, "bias": BIASES[flag(m.get("bias", True), at("bias"))]},
                     shape_out=("vector", size))
    bias = m.get("bias", True)
    if not isinstance(bias, bool) and bias != "pytorch":
        raise SpecError(f"expected true (one bias vector per gate), false or pytorch (two: b_ih and b_hh), got "
                        f"{typename(bias)} ({bias!r})", field=at("bias"))
    bidirectional = flag(m.get("bidirectional", False), at("bidirectional"))
    return Layer(**{**base, "inputs": given, "size": size, "bias": BIASES[bias], "bidirectional": bidirectional},
                 shape_out=("vector", size * (2 if bidirectional else 1)))


def _unknown(index: int) -> str:
    return ("no input shape to take it from: give it, or the network's input shape" if index == 0 else
            f"the size of the output of layer {index} is not known: give it, or the network's input shape")


def parse(value, field: str, ident: str, limits) -> Params:
    m = mapping(value, field, KEYS, ("layers",))
    at = lambda key: join(field, key)                 # noqa: E731
    shape = first = _input(m.get("input"), at("input"))
    layers = m["layers"]
    if not isinstance(layers, list) or not layers:
        raise SpecError("expected a list of layers", field=at("layers"))
    if len(layers) > limits.max_layers:
        raise SpecError(f"{plural(len(layers), 'layer')}, more than {limits.max_layers} (limit max_layers)",
                        field=at("layers"))
    out = []
    for i, layer in enumerate(layers):
        out.append(_layer(layer, join(at("layers"), i), shape, i))
        shape = out[-1].shape_out
    return Params(id=ident, title=text(m.get("title"), at("title"), 300), text=text(m.get("text"), at("text")),
                  input=first, layers=tuple(out))


def cost(model: Params) -> int:
    """The terms the worked solution writes (each layer's count and output size, a row of the table),
    from the layers alone: limits.max_part_terms bounds it before any work."""
    return 40 * len(model.layers) + 20
