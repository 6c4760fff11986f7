"""The LSTM's own notation for the names of its values (answer keys, the carried-rounding table):
the symbols of the solution (``views.View.NOTATION``) with where the value stands, e.g.
z^{(f)}_{2,1} (iteration 1), ∂L/∂(W_i)_{12} (iteration 2), (U_o)_{21} (after training)."""

from __future__ import annotations

from ...labels import loss_key_label
from ..common import notation_label
from .schema import GATES, PARAMETERS
from .views import View

#: A value of step t of a pass, by the name after ``t{t}.``: its notation key and gate.
_STEP = {"c": ("c", None), "tanh_c": ("tanh_c", None), "h": ("h", None), "dh": ("dh", None), "dc": ("dc", None),
         "dtanh_c": ("tanh_c_slope", None)}
for _gate in GATES:
    _STEP[_gate] = ("gate", _gate)
    _STEP[f"z{_gate}"] = ("z", _gate)
    _STEP[f"dz{_gate}"] = ("dz", _gate)
    _STEP[f"s{_gate}"] = ("slope_tanh" if _gate == "g" else "slope_sigmoid", _gate)


def _note(stage: str, rest: str):
    """(notation key, its parameters, a trained parameter?) of the value ``<stage>.<rest>``, or None."""
    if rest == "loss":
        return "loss", {}, False
    head, _, tail = rest.partition(".")
    if head == "grad" and tail in PARAMETERS:
        return rest, {}, False
    if rest in PARAMETERS:                     # after the update of iteration k: W^{(k)}; at the end: W
        return (f"final.{rest}", {}, True) if stage == "final" else (rest, {"k": int(stage[2:])}, False)
    if head[:1] == "t" and head[1:].isdigit() and tail in _STEP:
        key, gate = _STEP[tail]
        return key, {"t": int(head[1:]), "gate": gate}, False
    return None


def label(name: str, index, tex: bool) -> str | None:
    return notation_label(name, index, tex, View.NOTATION, _note)


#: The loss of a pass as the answer key writes it: L_it k, L_final.
key_label = loss_key_label
