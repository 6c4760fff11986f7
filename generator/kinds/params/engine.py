"""The engine: every layer's parameter count and output size, composed of the shared operations
(``generator.ops``: products, sums of products, the window's output size); no arithmetic of its own.
Every value is a whole number, recorded exactly (never rounded: it is made of given numbers only).

Names (a public contract, docs/trace.md): the input's ``input.c``, ``input.h``, ``input.w`` (or
``input.n``); per layer l the given sizes ``l<l>.kernel_h`` …, the count ``l<l>.params``
(``l<l>.gate``: one gate of an LSTM or GRU layer; ``l<l>.direction``: one direction of a
bidirectional RNN), the output's ``l<l>.c``, ``l<l>.h``, ``l<l>.w`` (a grid) or ``l<l>.n`` (a vector),
``l<l>.in`` (a dense layer's input, flattened); then ``total``.  ``info["layers"]`` names, per layer,
the steps of its output's sizes."""

from __future__ import annotations

from ...ops import Graph
from ...trace import ProblemTrace, Recorder

#: The kind of quantity every count and size is recorded as (its rounding is never applied).
KIND = "parameter"


def solve(model, policy, overrides=None) -> ProblemTrace:
    pt = ProblemTrace(id=model.id, kind=model.kind)
    g = Graph(Recorder(pt, policy, batch=False, overrides=overrides))
    shape = _input(g, model.input)
    layers = [{"type": "input", "shape": dict(shape)}]
    for l, layer in enumerate(model.layers, 1):
        shape = LAYERS[layer.type](_Layer(g, l, layer), shape)
        layers.append({"type": layer.type, "shape": dict(shape)})
    g.apply("sum", "total", [f"l{l}.params" for l in range(1, len(model.layers) + 1)], KIND,
            formula="P = sum of the layers' counts", rounded=False, given=True, note=("total", {}))
    pt.info["layers"] = layers
    return pt


def _input(g, shape) -> dict:
    """The input's sizes as given steps: {"c", "h", "w"} of a grid or {"n"} of a vector."""
    if shape is None:
        return {}
    if shape[0] == "grid":
        return {key: g.given(f"input.{key}", n, f"{word} of the input") for key, n, word in
                zip("chw", shape[1:], ("channels", "height", "width"))}
    return {"n": g.given("input.n", shape[1], "features of the input")}


class _Layer:
    """The steps of layer ``l``: ``given`` sizes and ``apply``'d counts, named ``l<l>.<name>``, every
    one exact; ``note`` keys carry the layer's number and the one before it."""

    def __init__(self, g, l: int, layer):
        self.g, self.l, self.layer, self.pre = g, l, layer, f"l{l}"

    def given(self, name: str, value, formula: str) -> str:
        return self.g.given(f"{self.pre}.{name}", value, formula)

    def apply(self, op: str, name: str, operands: list, note: str, formula: str, **params) -> str:
        return self.g.apply(op, f"{self.pre}.{name}", operands, KIND, formula=formula, rounded=False, given=True,
                            note=(note, {"l": self.l, "prev": self.l - 1}), **params)

    def size(self, key: str, found: str | None, value, formula: str) -> str:
        """A size of the layer's input: the step the shape brings, else the given one."""
        return found if found is not None else self.given(key, value, formula)

    def count(self, note: str, operands: list, groups: tuple, formula: str) -> str:
        """``l<l>.params`` = the sum of the products ``groups`` of ``operands`` (one product: a product)."""
        return self.sum_of_products("params", note, operands, groups, formula)

    def sum_of_products(self, name: str, note: str, operands: list, groups: tuple, formula: str) -> str:
        if len(groups) == 1:
            return self.apply("product", name, operands, note, formula)
        return self.apply("sum_of_products", name, operands, note, formula, groups=groups)

    def none(self) -> str:
        return self.apply("constant", "params", [], "none", "no parameters", value=0)

    def spatial(self, shape: dict, c: str) -> dict:
        """The output grid: channels ``c`` and, where the input's are known, its height and width."""
        out = {"c": c}
        lay = self.layer
        for axis, key, note in ((0, "h", "height"), (1, "w", "width")):
            if key in shape:
                out[key] = self.apply("out_size", key, [shape[key]], note, f"floor(({key.upper()} + 2p - k) / s) + 1",
                                      size=lay.kernel[axis], stride=lay.stride[axis], padding=lay.padding[axis])
        return out


def _conv(L: _Layer, shape: dict) -> dict:
    lay = L.layer
    c_in = L.size("in_channels", shape.get("c"), lay.inputs, "C_in")
    kh, kw = (L.given(f"kernel_{a}", k, f"k_{a}") for a, k in zip("hw", lay.kernel))
    c_out = L.given("c", lay.size, "C_out (the filters)")
    if lay.bias == "one":
        L.count("conv.one", [kh, kw, c_in, c_out, c_out], (4, 1), "k_h k_w C_in C_out + C_out")
    else:
        L.count("conv.none", [kh, kw, c_in, c_out], (4,), "k_h k_w C_in C_out")
    return L.spatial(shape, c_out)


def _pool(L: _Layer, shape: dict) -> dict:
    L.none()
    return L.spatial(shape, shape["c"]) if "c" in shape else {}


def _flatten(L: _Layer, shape: dict) -> dict:
    L.none()
    if all(k in shape for k in "chw"):
        return {"n": L.apply("product", "n", [shape["c"], shape["h"], shape["w"]], "flat", "C H W")}
    return {"n": shape["n"]} if "n" in shape else {}


def _dense(L: _Layer, shape: dict) -> dict:
    lay = L.layer
    if lay.flattens:
        n_in = L.apply("product", "in", [shape["c"], shape["h"], shape["w"]], "flat_in", "C H W (flattened)")
    else:
        n_in = L.size("in", shape.get("n"), lay.inputs, "n_in")
    n_out = L.given("n", lay.size, "n_out (the units)")
    if lay.bias == "one":
        L.count("dense.one", [n_in, n_out, n_out], (2, 1), "n_in n_out + n_out")
    else:
        L.count("dense.none", [n_in, n_out], (2,), "n_in n_out")
    return {"n": n_out}


def _embedding(L: _Layer, shape: dict) -> dict:
    vocabulary = L.given("vocabulary", L.layer.vocabulary, "V (the words)")
    dim = L.given("n", L.layer.size, "d (the dimensions of a word vector)")
    L.count("embedding", [vocabulary, dim], (2,), "V d")
    return {"n": dim}


#: The terms of one gate (one direction of an RNN) by its bias: W (h·x), U (h·h), the bias vectors.
_GATE_TERMS = {"none": (2, 2), "one": (2, 2, 1), "two": (2, 2, 1, 1)}
_GATE_FORMULAS = {"none": "h x + h h", "one": "h x + h h + h", "two": "h x + h h + h + h"}


def _recurrent(L: _Layer, shape: dict) -> dict:
    lay = L.layer
    x = L.size("input", shape.get("n"), lay.inputs, "x (input features)")
    h = L.given("hidden", lay.size, "h (hidden units)")
    groups = _GATE_TERMS[lay.bias]
    operands = [h, x, h, h] + [h] * (len(groups) - 2)
    copies = lay.gates * lay.directions
    if copies == 1:
        L.count(f"rnn.{lay.bias}", operands, groups, _GATE_FORMULAS[lay.bias])
    else:
        one = "gate" if lay.gates > 1 else "direction"
        gate = L.sum_of_products(one, f"{one}.{lay.bias}", operands, groups, _GATE_FORMULAS[lay.bias])
        factors = ([L.given("directions", 2, "2 (two directions)")] if lay.bidirectional else []) + \
            ([L.given("gates", lay.gates, "the gates")] if lay.gates > 1 else [])
        L.count(f"copies.{lay.gates}.{lay.directions}", factors + [gate], (len(factors) + 1,),
                "directions x gates x the count of one gate")
    if lay.bidirectional:
        return {"n": L.apply("product", "n", [f"{L.pre}.directions", h], "bidir",
                             "2 h (both directions)")}
    return {"n": h}


LAYERS = {"conv": _conv, "pool": _pool, "flatten": _flatten, "dense": _dense, "embedding": _embedding,
          "rnn": _recurrent, "lstm": _recurrent, "gru": _recurrent}
