"""An optimizer exercise's own words for its steps in plain text (messages, an LMS's labels), by
the note each step declared (key, {``P``: the parameter's name}): the first moment of W is ``mW``,
its update ``W'``, ``sqrt(vhatW) + epsilon`` its denominator (``kinds.optimizers.plain``, the
network's words); its LaTeX symbols are its pages' own (``views.notation``).  The answer key writes
a parameter after the last update W′ᵢⱼ."""

from __future__ import annotations

from ...labels import index_text, split_stage
from .. import optimizers
from .schema import symbol
from .views import entry


def note_label(note: tuple, index, model) -> str | None:
    """The plain text of a step that declared ``note``, entry ``index``: ``W'[1,2]``, ``(mW)[1,2]``."""
    key, params = note
    form = {"param": "{p}'", "final": "{p}"}.get(key) or (optimizers.plain(model.optimizer, key) if model else None)
    if form is None:
        return None
    text = form.format(p=params.get("P", ""), t=params.get("t", ""), b=params.get("b", ""))
    return (f"({text})" if " " in text else text) + index_text(index, False) if index else text


def key_label(name: str, index) -> str | None:
    """A parameter after the last update as the answer key writes it, W′ᵢⱼ (``final.<P>``); None
    for the rest (their labels)."""
    stage, rest = split_stage(name) or ("", "")
    if stage != "final":
        return None
    whole = symbol(rest) + r"^{\prime}"
    return entry(whole, [i + 1 for i in index]) if index else whole
