"""A network's own words for its steps in plain text (messages, an LMS's labels), by the note each
step declared (``engine``: key, {``l`` the layer, ``P`` W or b}): z⁽ˡ⁾ is ``z1``, ∂L/∂W⁽¹⁾ is
``dL/dW1``, an optimizer's state of W⁽¹⁾ ``sW1``.  Its LaTeX symbols are its pages' own
(``views.notation``); the answer key writes a loss L_it k and a trained parameter's entry W⁽ˡ⁾ᵢⱼ.
No trace name is read for its meaning: the note says what a step is."""

from __future__ import annotations

from ...labels import index_text, loss_key_label, split_stage
from ..optimizers import plain

#: Plain text of a step by its note's key ({l} the layer, {p} the parameter: W1, b2); an optimizer's
#: steps take the shared optimizer words (``kinds.optimizers.plain``).
_PLAIN = {
    "prod": "W{l}_ij a_j", "Wa": "W{l} a", "z": "z{l}", "a": "a{l}", "f": "atilde{l}", "mask": "M{l}",
    "y": "y", "err": "yhat - y", "ln_yhat": "ln yhat", "ln_1m_yhat": "ln(1 - yhat)", "loss_terms": "loss term",
    "loss": "L", "loss_data": "L_data", "sumsq": "sum w^2", "l2": "lambda/2 sum w^2", "dL_dyhat": "dL/dyhat",
    "dy_da": "dy/da", "da": "dL/da{l}", "df": "dL/datilde{l}", "g": "f{l}'(z{l})", "J": "J{l}",
    "delta": "delta{l}", "dWsum": "delta{l} a^T", "dW": "dL/dW{l}", "dWdata": "dL_data/dW{l}",
    "l2W": "lambda W{l}", "db": "dL/db{l}", "exp": "exp(z{l})", "expsum": "sum exp(z{l})",
    "param": "{p}", "final": "{p}",
}


def note_label(note: tuple, index, model) -> str | None:
    """The plain text of a step that declared ``note``, entry ``index``: ``dL/dW1[1,2]``, ``(sW1)[1,2]``."""
    key, params = note
    form = _PLAIN.get(key) or (plain(model.optimizer, key) if model is not None else None)
    if form is None:
        return None
    text = form.format(l=params.get("l", ""), p=f"{params.get('P', '')}{params.get('l', '')}",
                       t=params.get("t", ""), b=params.get("b", ""))
    return (f"({text})" if " " in text else text) + index_text(index, False) if index else text


def key_label(name: str, index) -> str | None:
    """A network's answer as the key writes it: the loss of a pass, L_it k and L_final, and a
    layer's parameter after training, W⁽ˡ⁾ᵢⱼ and b⁽ˡ⁾ᵢ (the parameters ``final.W<l>``, ``final.b<l>``
    the engine names); None for the rest."""
    loss = loss_key_label(name, index)
    if loss is not None:
        return loss
    stage, rest = split_stage(name) or ("", "")
    base, layer = rest[:1], rest[1:]
    if stage != "final" or base not in ("W", "b") or not layer.isdigit():
        return None
    return f"{base}^{{({layer})}}" + index_text(index, True)
