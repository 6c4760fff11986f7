"""What a GRU exercise asks: the losses, the trained parameters, the gradients, the hidden states
(the recurrent cells' groups, ``kinds.common``: every list from the model, no name matched)."""

from __future__ import annotations

from ..common import recurrent_answers
from .schema import PARAMETERS

#: Every variant of the same shapes feeds its answers from the same entries, except through values
#: that are exactly 0: grading learns one dependency table for them (``Kind.shares_structure``).
SHARED_STRUCTURE = True


groups, is_key, given = recurrent_answers(PARAMETERS, (("h_0", "h0"),))
