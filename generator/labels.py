"""Names of trace values in the document's notation: ``it2.loss`` → L at iteration 2,
``final.W1`` [0, 1] → W⁽¹⁾₁₂ after training.  LaTeX for documents, plain text for messages.
Given the exercise's kind, a value takes that kind's own notation where the kind's folder has one
(``kinds/<kind>/notation.py``: a step's z_t, a layer's z⁽ˡ⁾, an output O …); the values it does not
name, and those of a kind without one, take the generic names here.  The helpers a kind's notation
writes with are here too: ``subscript``, ``stage_text``, ``index_text`` and ``upstream``."""

from __future__ import annotations

import re

from .kinds import DEFAULT_KIND, KINDS
from .kinds import kind as kind_of
from .latex import escape_latex

# the values of layer l at a stage (``it2.z1``, ``final.W2``):
# base name -> (LaTeX with {l} for the layer, plain text with {l})
_LAYERED = {
    "loss": ("L", "L"), "z": ("z^{({l})}", "z{l}"), "a": ("a^{({l})}", "a{l}"), "y": ("y", "y"),
    "err": (r"\hat{y} - y", "yhat - y"), "dL_dyhat": (r"\partial L / \partial \hat{y}", "dL/dyhat"),
    "da": (r"\partial L / \partial a^{({l})}", "dL/da{l}"), "g": ("f_{l}'(z^{({l})})", "f{l}'(z{l})"),
    "delta": (r"\delta^{({l})}", "delta{l}"), "dW": (r"\partial L / \partial W^{({l})}", "dL/dW{l}"),
    "db": (r"\partial L / \partial b^{({l})}", "dL/db{l}"), "W": ("W^{({l})}", "W{l}"),
    "b": ("b^{({l})}", "b{l}"), "J": ("J^{({l})}", "J{l}"), "loss_terms": (r"\ell", "loss term"),
    "prod": ("W^{({l})}_{ij} a_j", "W{l}_ij a_j"), "Wa": ("W^{({l})} a", "W{l} a"),
    "dWsum": (r"\delta^{({l})} a^{T}", "delta{l} a^T"), "stepW": (r"\eta \nabla W^{({l})}", "eta dL/dW{l}"),
    "stepb": (r"\eta \nabla b^{({l})}", "eta dL/db{l}"), "dy_da": (r"\partial y / \partial a", "dy/da"),
    # dropout: the activation before the mask is ã (f is the activation function, f_l)
    "f": (r"\tilde{a}^{({l})}", "atilde{l}"), "df": (r"\partial L / \partial \tilde{a}^{({l})}", "dL/datilde{l}"),
    "mask": ("M^{({l})}", "M{l}"),
}
_OTHER = {
    "output": (r"\mathrm{out}", "output"), "grad.gamma": (r"\partial L / \partial \gamma", "dL/dgamma"),
    "grad.beta": (r"\partial L / \partial \beta", "dL/dbeta"), "grad.tokens": (r"\partial L / \partial X", "dL/dX"),
    "loss": ("L", "L"), "grad.kernel": (r"\partial L / \partial w", "dL/dw"),
    "grad.input": (r"\partial L / \partial x", "dL/dx"), "grad.bias": (r"\partial L / \partial b", "dL/db"),
}


def index_text(index, tex: bool) -> str:
    """The 1-based ``index`` of an entry: a subscript _{12} (LaTeX) or [1,2] (plain text); '' for none."""
    if not index:
        return ""
    digits = "".join(str(i + 1) for i in index) if all(i < 9 for i in index) else ",".join(str(i + 1) for i in index)
    return f"_{{{digits}}}" if tex else f"[{','.join(str(i + 1) for i in index)}]"


def kind_label(name: str, index, tex: bool, kind: str | None, optimizer: str | None = None) -> str | None:
    """The symbol of ``name`` in the own notation of ``kind`` (None: the default kind), or None
    where that notation does not name it."""
    kind = kind or DEFAULT_KIND
    if kind not in KINDS:
        return None
    return kind_of(kind).label(name, index, tex, optimizer)


def key_symbol(name: str, index: tuple = (), kind: str | None = None) -> str:
    """The compact LaTeX of trace value ``name`` (entry ``index``, 0-based) in an answer key, in the
    notation of an exercise of ``kind`` (None: the default kind's): the kind's own key form (its
    notation's ``key_label``: L_it 2 for the loss before update 2), for a kind that declares none
    the generic key forms (``_generic_key``); else its label."""
    kind = kind or DEFAULT_KIND
    forms = kind_of(kind).key_label if kind in KINDS else None
    own = (forms or _generic_key)(name, index)
    return own if own is not None else label(name, index, tex=True, kind=kind)


def _generic_key(name: str, index) -> str | None:
    """The key forms of the generic names (those of a kind whose notation declares no ``key_label``:
    the network's): the loss of a pass, L_it k and L_final, and a layer's parameter after training,
    W^{(l)}_{ij} and b^{(l)}_i (``final.W<l>``, ``final.b<l>``); None for the rest."""
    loss = loss_key_label(name, index)
    if loss is not None:
        return loss
    stage, _, rest = name.partition(".")
    base, layer = rest[:1], rest[1:]
    if stage != "final" or base not in ("W", "b") or not layer.isdigit():
        return None
    return f"{base}^{{({layer})}}" + index_text(index, True)


def optimizer_of(entries, kind: str | None) -> str | None:
    """The optimizer a trace of ``kind`` ran, told by its ``entries``, where its notation names
    steps by it (``label``'s ``optimizer``); else None."""
    return kind_of(kind).optimizer_of(entries) if kind in KINDS else None


def label(name: str, index: tuple = (), *, tex: bool = True, kind: str | None = None,
          optimizer: str | None = None) -> str:
    """The symbol of trace value ``name`` (entry ``index``, 0-based) with where it stands, in the
    notation of an exercise of ``kind`` (None: the default kind's).  ``optimizer``
    (``optimizer_of``) is what the trace ran, for a notation that names a step as the step it
    takes (η∇W for gradient descent, ΔW for the others)."""
    own = kind_label(name, index, tex, kind, optimizer)
    if own is not None:
        return own
    m = re.fullmatch(r"(it(\d+)|final)\.([A-Za-z_]+?)(\d*)", name)
    if m and m.group(3) in _LAYERED:
        sym = _LAYERED[m.group(3)][0 if tex else 1].replace("{l}", m.group(4))
        if tex and index:
            sym = (rf"\left({sym}\right)" if "/" in sym else f"{{{sym}}}") + index_text(index, True)
        elif index:
            sym = f"{sym}{index_text(index, False)}"
        if m.group(1) == "final":
            where = "after training" if m.group(3) in ("W", "b") else "final pass"
        else:
            where = f"iteration {m.group(2)}"
        return rf"{sym} \text{{ ({where})}}" if tex else f"{sym} ({where})"
    m = re.fullmatch(r"(it(\d+)|final)\.(d?)([A-Za-z]+)(?:_([a-z]+))?(\d*)", name)
    if m:                                   # other names of a stage: h6, W_xh, dW_hy, kernels …
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
            sym = (rf"\left({sym}\right)" if "/" in sym else f"({sym})" if "_" in sym else f"{{{sym}}}") \
                + index_text(index, True) if index else sym
            return rf"{sym} \text{{ ({where})}}"
        return f"{plain}{index_text(index, False)} ({where})"
    for prefix, (t, p) in (("updated.", ("{}'", "{}'")), ("grad.", (r"\partial L / \partial {}", "dL/d{}")),
                           ("dL.", (r"\partial L / \partial {}", "dL/d{}")), ("dy.", (r"\partial y / \partial {}", "dy/d{}")),
                           ("node.", ("{}", "{}"))):
        if name.startswith(prefix) and name not in _OTHER:
            var = name[len(prefix):]
            if tex:
                var = rf"\mathit{{{var}}}" if len(var) > 1 else var
            text = (t if tex else p).format(var)
            return text + index_text(index, tex)
    t, p = _OTHER.get(name, (rf"\text{{{escape_latex(name)}}}", name))
    return (t if tex else p) + index_text(index, tex)


def subscript(sym: str, index, lead: str = "") -> str:
    """``sym`` with the subscript ``lead`` (a time step, …) and the 1-based ``index``:
    h_{3,2}, W_{xh} → {W_{xh}}_{12}; a symbol with a slash in parentheses."""
    parts = ([lead] if lead else []) + [str(i + 1) for i in index]
    if not parts:
        return sym
    digits = ",".join(parts) if (lead or any(i >= 9 for i in index)) else "".join(parts)
    if "/" in sym:
        return rf"\left({sym}\right)_{{{digits}}}"
    if "_" in sym and not lead:           # W_{hh} entry (1, 2): (W_{hh})_{12}, never W_{hh}{}_{12}
        return rf"({sym})_{{{digits}}}"
    if "_" in sym or "^" in sym:
        return f"{{{sym}}}_{{{digits}}}"
    return f"{sym}_{{{digits}}}"


def stage_text(stage: str, trained: bool) -> str:
    """Where a value of ``stage`` (``it2``, ``final``) stands, as a LaTeX note: (iteration 2), (after
    training) for a trained parameter, else (final pass)."""
    if stage == "final":
        return r" \text{ (after training)}" if trained else r" \text{ (final pass)}"
    return rf" \text{{ (iteration {stage[2:]})}}"


def split_stage(name: str) -> tuple[str, str] | None:
    """(stage, the rest) of a value of a trained kind's pass, ``it<k>.<rest>`` or ``final.<rest>``
    (the stage a trained kind's engine names its passes by); None for any other name."""
    stage, dot, rest = name.partition(".")
    if dot and (stage == "final" or (stage[:2] == "it" and stage[2:].isdigit())):
        return stage, rest
    return None


def loss_key_label(name: str, index=()) -> str | None:
    """The compact LaTeX of a trained kind's loss in an answer key: L_it k for the loss before update
    k (``it<k>.loss``), L_final for the final pass; None for every other value."""
    found = split_stage(name)
    if found is None or found[1] != "loss":
        return None
    stage = found[0]
    return r"L_{\text{final}}" if stage == "final" else rf"L_{{\text{{it}}\,{stage[2:]}}}"


def from_notation(notation: dict):
    """The ``label`` of a kind whose steps are printed by the shared operations: its notation
    table {trace name: (the whole value, one entry as a pattern of its 1-based indices)}, the
    same symbols its pages print; a name it has no symbol for gets the default label."""
    def label_of(name: str, index, tex: bool = True) -> str | None:
        forms = notation.get(name)
        if not tex or forms is None:
            return None
        whole, entry = forms
        return entry.format(*[int(i) + 1 for i in index]) if index else whole
    return label_of


def upstream(output: str, grads: dict):
    """The notation of a kind fed an upstream gradient, as its ``label``: ``output``, the symbol of its
    output, and ``grads``, {input: its variable} of each gradient ``grad.<input>`` (``{c}`` for the
    channel of an entry (channel, row, column), ``^{{[{c}]}}`` dropped from a whole value)."""
    steps = {f"grad.{x}": var for x, var in grads.items()}

    def label_of(name: str, index, tex: bool = True) -> str | None:
        if not tex:
            return None
        if name == "output":
            return subscript(output, index)
        var = steps.get(name)
        if var is None:
            return None
        if len(index) == 3 and "{c}" in var:       # (channel, row, column)
            return subscript(rf"\partial L / \partial {var.format(c=index[0] + 1)}", index[1:])
        return subscript(rf"\partial L / \partial {var.replace('^{{[{c}]}}', '')}", index)
    return label_of
