"""Independent reference for the parameter-counting kind, from the textbook formulas (CS231n's
notes for convolutions and output sizes, the PyTorch and Keras documentation for the recurrent
layers).  Standalone on purpose: it imports nothing from ``generator``.

A part holds ``input`` (a number of features, [H, W] or [C, H, W]; optional) and ``layers``, each a
mapping with a ``type``.  Per layer l it reports ``l<l>.params`` and, where the input shape is known,
the sizes of its output it computes (``l<l>.h``, ``l<l>.w`` of a convolution or a pooling,
``l<l>.n`` of a flattening or a bidirectional layer, ``l<l>.in`` of a dense layer that flattens a
grid), and ``total``:

    conv       k_h k_w C_in C_out + C_out (no bias: without + C_out); out ⌊(H + 2p − k)/s⌋ + 1
    pool       0; out ⌊(H + 2p − k)/s⌋ + 1, stride by default the window
    flatten    0; out C·H·W
    dense      n_in n_out + n_out
    embedding  V d
    rnn / lstm / gru   g · (h x + h h + b h) per direction, g = 1, 4, 3 gates, b = 0, 1 or 2 bias
               vectors (bias false, true, pytorch); bidirectional: twice, and 2h outputs
"""

from __future__ import annotations

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
ALIASES = {"linear": "dense", "fc": "dense", "fully_connected": "dense", "conv2d": "conv", "max_pool": "pool",
           "maxpool": "pool", "avg_pool": "pool", "average_pool": "pool", "simple_rnn": "rnn", "simplernn": "rnn"}


def _two(v):
    return (int(v[0]), int(v[1])) if isinstance(v, (list, tuple)) else (int(v), int(v))


def _side(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def solve(part: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    inp = part.get("input")
    if inp is None:
        shape = None
    elif isinstance(inp, (list, tuple)):
        shape = tuple(int(v) for v in ([1] * (3 - len(inp)) + list(inp)))          # (C, H, W)
    else:
        shape = (int(inp),)
    total = 0
    for l, layer in enumerate(part["layers"], 1):
        t = str(layer["type"]).strip().lower().replace("-", "_")
        t = ALIASES.get(t, t)
        grid = shape is not None and len(shape) == 3
        if t in ("conv", "pool"):
            key = "kernel" if t == "conv" or "window" not in layer else "window"
            (kh, kw) = _two(layer[key])
            (sh, sw) = _two(layer.get("stride", 1 if t == "conv" else layer[key]))
            (ph, pw) = _two(layer.get("padding", 0))
            if t == "conv":
                c_in = shape[0] if grid else int(layer["in_channels"])
                c_out = int(layer["out_channels"])
                count = kh * kw * c_in * c_out + (c_out if layer.get("bias", True) else 0)
            else:
                count, c_out = 0, shape[0] if grid else None
            if grid and shape[1] is not None:
                h, w = _side(shape[1], kh, sh, ph), _side(shape[2], kw, sw, pw)
                out[f"l{l}.h"], out[f"l{l}.w"] = h, w
                shape = (c_out, h, w)
            else:                   # the channels are known (a convolution's), the sides are not
                shape = (c_out, None, None) if c_out is not None else None
        elif t == "flatten":
            count = 0
            if grid:
                known = shape[1] is not None
                shape = (shape[0] * shape[1] * shape[2],) if known else None
                if known:
                    out[f"l{l}.n"] = shape[0]
        elif t == "dense":
            if grid and shape[1] is not None:
                n_in = shape[0] * shape[1] * shape[2]
                out[f"l{l}.in"] = n_in
            elif grid:
                n_in = int(layer["in"])
            else:
                n_in = shape[0] if shape is not None else int(layer["in"])
            n_out = int(layer["out"])
            count = n_in * n_out + (n_out if layer.get("bias", True) else 0)
            shape = (n_out,)
        elif t == "embedding":
            count = int(layer["vocabulary"]) * int(layer["dim"])
            shape = (int(layer["dim"]),)
        else:
            x = shape[0] if shape is not None else int(layer["input"])
            h = int(layer["hidden"])
            biases = {False: 0, True: 1, "pytorch": 2}[layer.get("bias", True)]
            directions = 2 if layer.get("bidirectional", False) else 1
            count = directions * GATES[t] * (h * x + h * h + biases * h)
            shape = (directions * h,)
            if directions == 2:
                out[f"l{l}.n"] = shape[0]
        out[f"l{l}.params"] = count
        total += count
    out["total"] = total
    return out
