"""What an RNN exercise asks: the losses, the trained parameters, the gradients, the outputs."""

from __future__ import annotations

import re

from .schema import PARAMETERS

_PARAMS = "|".join(PARAMETERS)


def groups(model, p) -> dict[str, list[str]]:
    losses = [f"it{k}.loss" for k in range(1, model.iterations + 1)] + ["final.loss"]
    params = [f"final.{name}" for name in model.parameters()]
    grads = [n for n in p.entries if re.fullmatch(rf"it\d+\.d({_PARAMS})", n)]
    return {"key": losses + params, "losses": losses, "parameters": params, "gradients": grads,
            "outputs": ["output"]}


def is_key(name: str) -> bool:
    return bool(re.fullmatch(rf"(it\d+|final)\.loss|final\.({_PARAMS})", name))


def given(model, p) -> list[tuple[str, object]]:
    rows = [("inputs x_1 … x_T (one per row)", p.dec("inputs")), ("h_0", p.dec("h0"))]
    rows += [(name, p.dec(f"init.{name}")) for name in model.parameters()]
    rows += [(f"target y_{t}", p.dec(f"target{t}")) for t in range(1, model.steps + 1) if f"target{t}" in p]
    rows += [("activation", model.activation), ("output", model.output), ("loss", model.loss),
             ("learning rate", model.learning_rate), ("iterations", model.iterations)]
    return rows
