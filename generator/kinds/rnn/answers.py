"""What an RNN exercise asks: the losses, the trained parameters, the gradients, the outputs; every
list built from the model (its iterations and parameters), no name matched."""

from __future__ import annotations

from ..common import recurrent_is_key
from .schema import PARAMETERS

#: Every variant of the same shapes feeds its answers from the same entries, except through values
#: that are exactly 0: grading learns one dependency table for them (``Kind.shares_structure``).
SHARED_STRUCTURE = True


def groups(model, p) -> dict[str, list[str]]:
    iterations = range(1, model.iterations + 1)
    losses = [f"it{k}.loss" for k in iterations] + ["final.loss"]
    params = [f"final.{name}" for name in model.parameters()]
    grads = [f"it{k}.d{name}" for k in iterations for name in model.parameters()]
    return {"key": losses + params, "losses": losses, "parameters": params, "gradients": grads,
            "outputs": ["output"]}


def is_key(name: str) -> bool:
    """A loss (``it<k>.loss``, ``final.loss``) or a trained parameter (``final.<p>``)."""
    return recurrent_is_key(name, PARAMETERS)


def given(model, p) -> list[tuple[str, object]]:
    rows = [("inputs x_1 … x_T (one per row)", p.dec("inputs")), ("h_0", p.dec("h0"))]
    rows += [(name, p.dec(f"init.{name}")) for name in model.parameters()]
    rows += [(f"target y_{t}", p.dec(f"target{t}")) for t in range(1, model.steps + 1) if f"target{t}" in p]
    rows += [("activation", model.activation), ("output", model.output), ("loss", model.loss),
             ("learning rate", model.learning_rate), ("iterations", model.iterations)]
    return rows
