"""What an LSTM exercise asks: the losses, the trained parameters, the gradients, the hidden states.
Every list is built from the model (its iterations and steps), never by matching trace names."""

from __future__ import annotations

from .schema import PARAMETERS

#: Every variant of the same shapes feeds its answers from the same entries, except through values
#: that are exactly 0: grading learns one dependency table for them (``Kind.shares_structure``).
SHARED_STRUCTURE = True

_KEY_PARAMETERS = frozenset(f"final.{name}" for name in PARAMETERS)


def groups(model, p) -> dict[str, list[str]]:
    iterations = range(1, model.iterations + 1)
    losses = [f"it{k}.loss" for k in iterations] + ["final.loss"]
    params = [f"final.{name}" for name in PARAMETERS]
    grads = [f"it{k}.grad.{name}" for k in iterations for name in PARAMETERS]
    outputs = [f"it1.t{t}.h" for t in range(1, model.steps + 1)]
    return {"key": losses + params, "losses": losses, "parameters": params, "gradients": grads,
            "outputs": outputs}


def is_key(name: str) -> bool:
    """A loss (``it<k>.loss``, ``final.loss``) or a trained parameter (``final.<p>``)."""
    stage, dot, rest = name.partition(".")
    if rest == "loss":
        return stage == "final" or (stage.startswith("it") and stage[2:].isdigit())
    return name in _KEY_PARAMETERS


def given(model, p) -> list[tuple[str, object]]:
    rows = [("inputs x_1 … x_T (one per row)", p.dec("inputs")), ("h_0", p.dec("h0")), ("c_0", p.dec("c0"))]
    rows += [(name, p.dec(f"init.{name}")) for name in PARAMETERS]
    rows += [("target y of h_T", p.dec("target")), ("loss", model.loss),
             ("learning rate", model.learning_rate), ("iterations", model.iterations)]
    return rows
