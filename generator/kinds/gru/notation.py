"""The GRU's own notation for the names of its values (answer keys, the carried-rounding table):
the symbols of the worked solution (``views.View.NOTATION``, the one table) with where the value
stands, e.g. r̄_{2,1} (iteration 1), ∂L/∂(W_z)_{1,2} (iteration 2), (U_n)_{2,1} (after training).
The name is read by splitting it at its dots."""

from __future__ import annotations

from ...labels import loss_key_label
from ..common import notation_label
from .schema import PARAMETERS
from .views import STEP_KEYS, View


def _note(stage: str, rest: str):
    """(notation key, its parameters, a trained parameter?) of value ``<stage>.<rest>``, or None."""
    head, _, tail = rest.partition(".")
    step = int(head[1:]) if head[:1] == "t" and head[1:].isdigit() else None
    if step is not None:
        return (tail, {"t": step, "prev": step - 1}, False) if tail in STEP_KEYS else None
    if head == "grad":
        return (rest, {}, False) if tail in PARAMETERS else None
    if rest in PARAMETERS:
        return (f"final.{rest}", {}, True) if stage == "final" else (rest, {"k": int(stage[2:])}, False)
    return ("loss", {}, False) if rest == "loss" else None


def label(name: str, index, tex: bool) -> str | None:
    return notation_label(name, index, tex, View.NOTATION, _note)


#: The loss of a pass as the answer key writes it: L_it k, L_final.
key_label = loss_key_label
