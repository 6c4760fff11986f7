"""The parameter-counting notation: P_l the parameters of layer l (P_l^gate of one gate of a gated
layer, P_l^dir of one direction of a bidirectional RNN), P their total; C_l × H_l × W_l the output
grid of layer l, n_l its output vector (layer 0: the input).  Each count and size is written with
its formula, ``P_1 = k_h k_w C_in C_out + C_out = 5 · 5 · 3 · 6 + 6``: the symbol of a step states its
derivation (``View.NOTATION``, looked up by the note its step declared: the layer l and the one
before it, prev)."""

from __future__ import annotations

from ...view import View as BaseView

#: The terms of one gate (W: h·x, U: h·h, the bias vectors) by its bias.
GATE = {"none": r"h \, x + h \, h", "one": r"h \, x + h \, h + h", "two": r"h \, x + h \, h + h + h"}
#: What P_l of one gate, or of one direction, is written as.
ONE = {"gate": r"P_{{{l}}}^{{\mathrm{{gate}}}}", "direction": r"P_{{{l}}}^{{\mathrm{{dir}}}}"}
_P = r"P_{{{l}}}"
#: C_in, C_out, n_in, n_out as patterns.
_CIN, _COUT = r"C_{{\mathrm{{in}}}}", r"C_{{\mathrm{{out}}}}"
_NIN, _NOUT = r"n_{{\mathrm{{in}}}}", r"n_{{\mathrm{{out}}}}"


def _window(axis: str) -> str:
    """H_l = ⌊(H_{l−1} + 2p − k)/s⌋ + 1 (``axis`` H or W) as a pattern."""
    return (axis + r"_{{{l}}} = \left\lfloor \frac{{" + axis + r"_{{{prev}}} + 2p - k}}{{s}} \right\rfloor + 1")


def _copies(gates: int, directions: int) -> str:
    """P_l = 2 · 4 P_l^gate: the copies of one gate's count in the layer."""
    factors = r" \cdot ".join(([str(directions)] if directions > 1 else []) + ([str(gates)] if gates > 1 else []))
    return f"{_P} = {factors} \\, {ONE['gate' if gates > 1 else 'direction']}"


def _notation() -> dict:
    out = {
        "conv.one": f"{_P} = k_h \\, k_w \\, {_CIN} \\, {_COUT} + {_COUT}",
        "conv.none": f"{_P} = k_h \\, k_w \\, {_CIN} \\, {_COUT}",
        "dense.one": f"{_P} = {_NIN} \\, {_NOUT} + {_NOUT}",
        "dense.none": f"{_P} = {_NIN} \\, {_NOUT}",
        "embedding": f"{_P} = V \\, d",
        "none": _P,
        "height": _window("H"),
        "width": _window("W"),
        "flat": r"n_{{{l}}} = C_{{{prev}}} \, H_{{{prev}}} \, W_{{{prev}}}",
        "flat_in": _NIN + r" = C_{{{prev}}} \, H_{{{prev}}} \, W_{{{prev}}}",
        "bidir": r"n_{{{l}}} = 2 h",
        **{f"rnn.{bias}": f"{_P} = {terms}" for bias, terms in GATE.items()},
        **{f"{one}.{bias}": f"{symbol} = {terms}" for one, symbol in ONE.items() for bias, terms in GATE.items()},
        **{f"copies.{g}.{d}": _copies(g, d) for g in (1, 3, 4) for d in (1, 2) if g * d > 1},
    }
    notation = {key: (tex, tex) for key, tex in out.items()}
    notation["total"] = (r"P = \sum\nolimits_{l} P_{l}", r"P = \sum\nolimits_{{l}} P_{{l}}")
    return notation


class View(BaseView):
    NOTATION = _notation()

    def shape(self, l: int) -> str:
        """The output of layer ``l`` (0: the input) as the solution states it from its steps,
        ``6 \\times 28 \\times 28`` or ``120``; a size that is not known is a dash."""
        names = self.info["layers"][l]["shape"]
        keys = "chw" if ("c" in names or "h" in names) else "n"
        return r" \times ".join(self.n(names[k]) if k in names else r"\text{--}" for k in keys)
