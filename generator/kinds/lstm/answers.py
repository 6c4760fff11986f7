"""What an LSTM exercise asks: the losses, the trained parameters, the gradients, the hidden states
(the recurrent cells' groups, ``kinds.common``; an exercise that stops early asks its one pass's
hidden states and loss, or its loss and gradients).  Every list is built from the model (its
iterations and steps), never by matching trace names."""

from __future__ import annotations

from ..common import recurrent_given, recurrent_groups, recurrent_is_key
from .schema import PARAMETERS

#: Every variant of the same shapes feeds its answers from the same entries, except through values
#: that are exactly 0: grading learns one dependency table for them (``Kind.shares_structure``).
SHARED_STRUCTURE = True


def groups(model, p) -> dict[str, list[str]]:
    return recurrent_groups(model, PARAMETERS)


def is_key(name: str) -> bool:
    """A loss (``it<k>.loss``, ``final.loss``) or a trained parameter (``final.<p>``)."""
    return recurrent_is_key(name, PARAMETERS)


def given(model, p) -> list[tuple[str, object]]:
    return recurrent_given(model, p, (("h_0", "h0"), ("c_0", "c0")), PARAMETERS)
