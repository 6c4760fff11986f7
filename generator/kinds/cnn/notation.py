"""A CNN's own notation (LaTeX): kernel k's entries w^{(k)}_{c,ab}, the conv bias b^{conv}, the dense
layers' W^{[l]} and b^{[l]} (square brackets: the layers after the convolution), each with its
gradient ∂L/∂ and its step η ∂L/∂ (``it<k>.d<p>``, ``it<k>.step<p>``)."""

from __future__ import annotations

from ...labels import loss_key_label, split_stage, stage_text, subscript

#: The convolution's parameters, by name: their symbol.
_CONV = {"kernels": "w", "conv_bias": r"b^{\text{conv}}"}
#: What a pass writes of a parameter p, by the prefix of its name: p itself, its gradient, its step.
_OF = {"step": r"\eta \, \partial L / \partial {}", "d": r"\partial L / \partial {}", "": "{}"}


def parameter_symbol(name: str) -> str | None:
    """The symbol of trained parameter ``name`` (``engine.parameter_names``: kernels, conv_bias, and
    W<l>, b<l> of dense layer l), or None for a name that is no parameter."""
    if name in _CONV:
        return _CONV[name]
    base, layer = name[:1], name[1:]
    return f"{base}^{{[{layer}]}}" if base in ("W", "b") and layer.isdigit() else None


def label(name: str, index, tex: bool) -> str | None:
    where = split_stage(name) if tex else None
    if where is None:
        return None
    stage, rest = where
    if rest == "loss":
        return "L" + stage_text(stage, False)
    prefix = next((p for p in _OF if rest.startswith(p) and parameter_symbol(rest[len(p):])), None)
    if prefix is None:
        return None
    parameter = rest[len(prefix):]
    after = stage_text(stage, not prefix and stage == "final")
    if parameter == "kernels" and len(index) == 4:      # (kernel, channel, row, column): w^{(k)}_{c,ab}
        k, c, a, b = (i + 1 for i in index)
        sym = _OF[prefix].format(f"w^{{({k})}}")
        return (rf"\left({sym}\right)" if prefix else f"{{{sym}}}") + f"_{{{c},{a}{b}}}" + after
    return subscript(_OF[prefix].format(parameter_symbol(parameter)), index) + after


#: The loss of a pass as the answer key writes it: L_it k, L_final.
key_label = loss_key_label
