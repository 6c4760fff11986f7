"""A CNN's own notation (LaTeX): kernel k's entries w^{(k)}_{c,ab}, the conv bias b^{conv}, the dense
layers' W^{[l]} and b^{[l]} (square brackets: the layers after the convolution), each with its
gradient ∂L/∂ and its step η ∂L/∂ (``it<k>.d<p>``, ``it<k>.step<p>``)."""

from __future__ import annotations

from ...labels import index_text, loss_key_label, split_stage, stage_text, subscript

#: The convolution's parameters, by name: their symbol.
_CONV = {"kernels": "w", "conv_bias": r"b^{\text{conv}}"}
#: What a pass writes of a parameter p, by the prefix of its name: p itself, its gradient, its step.
_OF = {"step": r"\eta \, \partial L / \partial {}", "d": r"\partial L / \partial {}", "": "{}"}
#: The same in plain text.
_PLAIN_OF = {"step": "eta dL/d{}", "d": "dL/d{}", "": "{}"}
#: Plain text of a step by its note's key ({l} the dense layer): the feature maps z, a, p of the
#: convolution, the dense layers' values, the gradients.
_PLAIN = {"conv": "z", "act": "a", "pool": "p", "z": "z{l}", "a": "a{l}", "exp": "exp(z{l})",
          "expsum": "sum exp(z{l})", "loss": "L", "delta": "delta{l}", "dyhat": "dL/dyhat", "dW": "dL/dW{l}",
          "db": "dL/db{l}", "back": "dL/d{sym}", "dpool": "dL/d{p}", "dact": "dL/da", "dconv": "dL/dz",
          "dkernels": "dL/dw", "dconv_bias": "dL/db_conv"}


def note_label(note: tuple, index, model) -> str | None:
    """The plain text of a step that declared ``note`` (entry ``index``): ``dL/dW1[1,2]``."""
    key, params = note
    form = _PLAIN.get(key)
    if form is None:
        return None
    text = form.format(**{"l": "", "sym": "", "p": "p", **params})
    return (f"({text})" if " " in text else text) + index_text(index, False) if index else text


def parameter_symbol(name: str) -> str | None:
    """The symbol of trained parameter ``name`` (``engine.parameter_names``: kernels, conv_bias, and
    W<l>, b<l> of dense layer l), or None for a name that is no parameter."""
    if name in _CONV:
        return _CONV[name]
    base, layer = name[:1], name[1:]
    return f"{base}^{{[{layer}]}}" if base in ("W", "b") and layer.isdigit() else None


def label(name: str, index, tex: bool) -> str | None:
    where = split_stage(name)
    if where is None:
        return None
    stage, rest = where
    if not tex:
        prefix = next((p for p in _PLAIN_OF if rest.startswith(p) and parameter_symbol(rest[len(p):])), None)
        if prefix is None:
            return None
        trained = "after training" if not prefix and stage == "final" else (
            "final pass" if stage == "final" else f"iteration {stage[2:]}")
        return f"{_PLAIN_OF[prefix].format(rest[len(prefix):])}{index_text(index, False)} ({trained})"
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
