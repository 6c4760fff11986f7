"""What a parameter-counting exercise asks: each layer's count and the total (the key), and the
output sizes each layer's count or the next one's is computed from (its ``outputs``); built from
the model's layers, never by matching trace names."""

from __future__ import annotations


def _layers(model):
    return range(1, len(model.layers) + 1)


def groups(model, p) -> dict[str, list[str]]:
    counts = [f"l{l}.params" for l in _layers(model)] + ["total"]
    sizes = [f"l{l}.{key}" for l, layer in enumerate(model.layers, 1) for key in computed_sizes(layer)]
    return {"key": counts, "losses": [], "parameters": counts, "gradients": [], "outputs": sizes}


def computed_sizes(layer) -> tuple[str, ...]:
    """The sizes of its input or output a layer computes (``l<l>.<key>``): a dense layer's flattened
    input, a window's output height and width, a flattened grid, both directions' outputs."""
    out = ("in",) if layer.flattens else ()
    if layer.type in ("conv", "pool") and layer.shape_out is not None and layer.shape_out[2] is not None:
        out += ("h", "w")
    if (layer.type == "flatten" and layer.shape_in is not None and layer.shape_in[0] == "grid"
            and layer.shape_out[1] is not None) or layer.bidirectional:
        out += ("n",)
    return out


def is_key(name: str) -> bool:
    head, _, rest = name.partition(".")
    return name == "total" or (head[:1] == "l" and head[1:].isdigit() and rest == "params")


def given(model, p) -> list[tuple[str, object]]:
    rows = []
    if model.input is not None:
        rows.append(("input shape", " × ".join(str(n) for n in model.input[1:])))
    for l, layer in enumerate(model.layers, 1):
        rows.append((f"layer {l}", describe(layer)))
    return rows


def describe(layer) -> str:
    """A layer as the question states it, in plain text (what the spec gives)."""
    t = layer.type
    bias = {"none": ", no bias", "one": "", "two": ", two bias vectors (b_ih, b_hh)"}[layer.bias]
    if t in ("conv", "pool"):
        window = f"{layer.kernel[0]} × {layer.kernel[1]}, stride {_pair(layer.stride)}, padding {_pair(layer.padding)}"
        if t == "pool":
            return f"{layer.mode} pooling {window}"
        inputs = f" over {layer.inputs} channels" if layer.inputs is not None else ""
        return f"convolution, {layer.size} filters {window}{inputs}{bias}"
    if t == "flatten":
        return "flatten"
    if t == "dense":
        return f"dense, {layer.size} units" + (f", {layer.inputs} inputs" if layer.inputs is not None else "") + bias
    if t == "embedding":
        return f"embedding, vocabulary {layer.vocabulary}, {layer.size} dimensions"
    inputs = f", {layer.inputs} input features" if layer.inputs is not None else ""
    return f"{t.upper()}, {layer.size} hidden units{inputs}" + (", bidirectional" if layer.bidirectional else "") + bias


def _pair(values) -> str:
    return str(values[0]) if values[0] == values[1] else f"{values[0]} × {values[1]}"
