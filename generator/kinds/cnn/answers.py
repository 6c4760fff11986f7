"""What a CNN exercise asks: the losses, the trained kernels and weights, the gradients, ŷ (an
exercise that stops early: its one pass's ŷ and loss, or its loss and gradients); every list built
from the model (its iterations and parameters), no name matched."""

from __future__ import annotations

from ..common import stopped_groups, trained_is_key
from .notation import parameter_symbol


def groups(model, p) -> dict[str, list[str]]:
    from .engine import parameter_names
    if model.stop_after is not None:
        return stopped_groups(model, ["output"], [f"it1.d{name}" for name in parameter_names(model)])
    iterations = range(1, model.iterations + 1)
    losses = [f"it{k}.loss" for k in iterations] + ["final.loss"]
    params = [f"final.{name}" for name in parameter_names(model)]
    grads = [f"it{k}.d{name}" for k in iterations for name in parameter_names(model)]
    return {"key": losses + params, "losses": losses, "parameters": params, "gradients": grads,
            "outputs": ["output"]}


def is_key(name: str) -> bool:
    """A loss (``it<k>.loss``, ``final.loss``) or a trained parameter (``final.<p>``)."""
    return trained_is_key(name, lambda rest: parameter_symbol(rest) is not None)


def given(model, p) -> list[tuple[str, object]]:
    from .engine import parameter_names
    rows = [("input", p.dec("input"))] + [(name, p.dec(f"init.{name}")) for name in parameter_names(model)]
    rows += [("convolution", f"stride {model.stride}, padding {model.padding}, {model.activation}")]
    if model.pool_mode:
        rows.append(("pooling", f"{model.pool_mode} {model.pool_window[0]}×{model.pool_window[1]}, "
                                f"stride {model.pool_stride}"))
    if model.loss is not None:
        rows += [("target", p.dec("target")), ("loss", model.loss)]
    if model.stop_after is None:
        rows += [("learning rate", model.learning_rate), ("iterations", model.iterations)]
    return rows
