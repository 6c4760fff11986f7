"""What an RNN exercise asks: the losses, the trained parameters, the gradients (of the parameters,
and of the inputs and h_0: ``it<k>.grad.inputs``, ``it<k>.grad.h0``), the outputs (an exercise that
stops early: its one pass's outputs and loss, or its loss and gradients; an RNN given ``upstream``:
the gradients of its inputs, of h_0 and of its parameters); every list built from the model (its
iterations and parameters), no name matched."""

from __future__ import annotations

from ..common import recurrent_is_key, stopped_groups
from .schema import PARAMETERS

#: Every variant of the same shapes feeds its answers from the same entries, except through values
#: that are exactly 0: grading learns one dependency table for them (``Kind.shares_structure``).
SHARED_STRUCTURE = True


def gradients(model, k: int) -> list[str]:
    """The gradients of pass ``it<k>``: of the inputs x_1 … x_T, of h_0, of every parameter."""
    return [f"it{k}.grad.inputs", f"it{k}.grad.h0"] + [f"it{k}.d{name}" for name in model.parameters()]


def groups(model, p) -> dict[str, list[str]]:
    if model.upstream is not None:
        grads = gradients(model, 1)
        return {"key": grads, "losses": [], "parameters": [], "gradients": grads, "outputs": ["hidden"]}
    if model.stop_after is not None:
        return stopped_groups(model, ["output"], gradients(model, 1))
    iterations = range(1, model.iterations + 1)
    losses = [f"it{k}.loss" for k in iterations] + ["final.loss"]
    params = [f"final.{name}" for name in model.parameters()]
    grads = [name for k in iterations for name in gradients(model, k)]
    return {"key": losses + params, "losses": losses, "parameters": params, "gradients": grads,
            "outputs": ["output"]}


def is_key(name: str) -> bool:
    """A loss (``it<k>.loss``, ``final.loss``) or a trained parameter (``final.<p>``)."""
    return recurrent_is_key(name, PARAMETERS)


def given(model, p) -> list[tuple[str, object]]:
    rows = [("inputs x_1 … x_T (one per row)", p.dec("inputs")), ("h_0", p.dec("h0"))]
    rows += [(name, p.dec(f"init.{name}")) for name in model.parameters()]
    rows += [(f"target y_{t}", p.dec(f"target{t}")) for t in range(1, model.steps + 1) if f"target{t}" in p]
    if model.upstream is not None:
        rows.append(("upstream g_t: dL/dh_t through the layers above (one per row)", p.dec("upstream")))
    rows.append(("activation", model.activation))
    if model.W_hy is not None:
        rows.append(("output", model.output))
    if model.loss is not None:
        rows.append(("loss", model.loss))
    if model.stop_after is None:
        rows += [("learning rate", model.learning_rate), ("iterations", model.iterations)]
    return rows
