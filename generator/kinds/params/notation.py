"""The parameter-counting notation of the labels (answer keys, feedback): P_3 the parameters of
layer 3, P the total, H_1 × W_1 the output grid of layer 1, n_2 its output vector; in plain text
P3, H1, n2.  The name is read by splitting it at its dot (``l3.params``: layer 3)."""

from __future__ import annotations

#: {the part of a name after ``l<l>.``: (LaTeX, plain text) with {l} the layer}.
_LAYER = {"params": ("P_{{{l}}}", "P{l}"), "gate": (r"P_{{{l}}}^{{\mathrm{{gate}}}}", "P{l} per gate"),
          "direction": (r"P_{{{l}}}^{{\mathrm{{dir}}}}", "P{l} per direction"),
          "c": ("C_{{{l}}}", "C{l}"), "h": ("H_{{{l}}}", "H{l}"), "w": ("W_{{{l}}}", "W{l}"),
          "n": ("n_{{{l}}}", "n{l}"),
          "in": (r"n_{{\mathrm{{in}}}}^{{({l})}}", "n_in of layer {l}"),
          "in_channels": (r"C_{{\mathrm{{in}}}}^{{({l})}}", "C_in of layer {l}"),
          "kernel_h": ("k_h^{{({l})}}", "k_h of layer {l}"), "kernel_w": ("k_w^{{({l})}}", "k_w of layer {l}"),
          "input": ("x^{{({l})}}", "x of layer {l}"), "hidden": ("h^{{({l})}}", "h of layer {l}"),
          "vocabulary": ("V^{{({l})}}", "V of layer {l}"),
          "gates": (r"\mathrm{{gates}}^{{({l})}}", "gates of layer {l}"),
          "directions": (r"\mathrm{{directions}}^{{({l})}}", "directions of layer {l}")}


def label(name: str, index, tex: bool = True) -> str | None:
    """The symbol of trace value ``name`` (every value of the kind is a number), or None for a name
    the kind does not have."""
    if name == "total":
        return "P" if tex else "P (total)"
    head, _, rest = name.partition(".")
    if head == "input" and rest in "chwn" and rest:
        return (rest.upper() if rest != "n" else "n") + ("_{0}" if tex else "0")
    if head[:1] != "l" or not head[1:].isdigit() or rest not in _LAYER:
        return None
    return _LAYER[rest][0 if tex else 1].format(l=int(head[1:]))
