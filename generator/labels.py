"""Names of trace values in the document's notation: ``it2.loss`` → L at iteration 2,
``final.W1`` [0, 1] → W⁽¹⁾₁₂ after training.  LaTeX for documents, plain text for messages."""

from __future__ import annotations

import re

from .latex import escape_latex

# base name -> (LaTeX with {l} for the layer, plain text with {l})
_NETWORK = {
    "loss": ("L", "L"), "z": ("z^{({l})}", "z{l}"), "a": ("a^{({l})}", "a{l}"), "y": ("y", "y"),
    "err": (r"\hat{y} - y", "yhat - y"), "dL_dyhat": (r"\partial L / \partial \hat{y}", "dL/dyhat"),
    "da": (r"\partial L / \partial a^{({l})}", "dL/da{l}"), "g": ("f_{l}'(z^{({l})})", "f{l}'(z{l})"),
    "delta": (r"\delta^{({l})}", "delta{l}"), "dW": (r"\partial L / \partial W^{({l})}", "dL/dW{l}"),
    "db": (r"\partial L / \partial b^{({l})}", "dL/db{l}"), "W": ("W^{({l})}", "W{l}"),
    "b": ("b^{({l})}", "b{l}"), "J": ("J^{({l})}", "J{l}"), "loss_terms": (r"\ell", "loss term"),
    "prod": ("W^{({l})}_{ij} a_j", "W{l}_ij a_j"), "Wa": ("W^{({l})} a", "W{l} a"),
    "dWsum": (r"\delta^{({l})} a^{T}", "delta{l} a^T"), "stepW": (r"\eta \nabla W^{({l})}", "eta dL/dW{l}"),
    "stepb": (r"\eta \nabla b^{({l})}", "eta dL/db{l}"), "dy_da": (r"\partial y / \partial a", "dy/da"),
}
_OTHER = {
    "output": (r"\mathrm{out}", "output"), "grad.gamma": (r"\partial L / \partial \gamma", "dL/dgamma"),
    "grad.beta": (r"\partial L / \partial \beta", "dL/dbeta"), "grad.tokens": (r"\partial L / \partial X", "dL/dX"),
    "loss": ("L", "L"), "grad.kernel": (r"\partial L / \partial w", "dL/dw"),
    "grad.input": (r"\partial L / \partial x", "dL/dx"), "grad.bias": (r"\partial L / \partial b", "dL/db"),
}


def _index(index, tex: bool) -> str:
    if not index:
        return ""
    digits = "".join(str(i + 1) for i in index) if all(i < 9 for i in index) else ",".join(str(i + 1) for i in index)
    return f"_{{{digits}}}" if tex else f"[{','.join(str(i + 1) for i in index)}]"


def label(name: str, index: tuple = (), *, tex: bool = True) -> str:
    """The symbol of trace value ``name`` (entry ``index``, 0-based) with where it stands."""
    m = re.fullmatch(r"(it(\d+)|final)\.([A-Za-z_]+?)(\d*)", name)
    if m and m.group(3) in _NETWORK:
        sym = _NETWORK[m.group(3)][0 if tex else 1].replace("{l}", m.group(4))
        if tex and index:
            sym = (rf"\left({sym}\right)" if "/" in sym else f"{{{sym}}}") + _index(index, True)
        elif index:
            sym = f"{sym}{_index(index, False)}"
        if m.group(1) == "final":
            where = "after training" if m.group(3) in ("W", "b") else "final pass"
        else:
            where = f"iteration {m.group(2)}"
        return rf"{sym} \text{{ ({where})}}" if tex else f"{sym} ({where})"
    m = re.fullmatch(r"(it(\d+)|final)\.(d?)([A-Za-z]+)(?:_([a-z]+))?(\d*)", name)
    if m:                                   # the other kinds' names: h6, W_xh, dW_hy, kernels …
        base, sub, step = m.group(4), m.group(5), m.group(6)
        sym = {"kernels": "w", "conv_bias": r"b^{\text{conv}}"}.get(
            base + (f"_{sub}" if sub else ""),
            base + (f"_{{{sub}}}" if sub else "") + (f"_{{{step}}}" if step and not sub else ""))
        if m.group(3):
            sym = rf"\partial L / \partial {sym}"
        plain = name.split(".", 1)[1]
        where = ("after training" if m.group(1) == "final" and not step else "final pass") if m.group(1) == "final" \
            else f"iteration {m.group(2)}"
        if tex:
            sym = (rf"\left({sym}\right)" if "/" in sym else f"{{{sym}}}") + _index(index, True) if index else sym
            return rf"{sym} \text{{ ({where})}}"
        return f"{plain}{_index(index, False)} ({where})"
    for prefix, (t, p) in (("updated.", ("{}'", "{}'")), ("grad.", (r"\partial L / \partial {}", "dL/d{}")),
                           ("dL.", (r"\partial L / \partial {}", "dL/d{}")), ("dy.", (r"\partial y / \partial {}", "dy/d{}")),
                           ("node.", ("{}", "{}"))):
        if name.startswith(prefix) and name not in _OTHER:
            var = name[len(prefix):]
            if tex:
                var = rf"\mathit{{{var}}}" if len(var) > 1 else var
            text = (t if tex else p).format(var)
            return text + _index(index, tex)
    t, p = _OTHER.get(name, (rf"\text{{{escape_latex(name)}}}", name))
    return (t if tex else p) + _index(index, tex)
