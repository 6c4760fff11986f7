"""What a CNN exercise asks: the losses, the trained kernels and weights, the gradients, ŷ."""

from __future__ import annotations

import re

_PARAMS = r"kernels|conv_bias|[Wb]\d+"


def groups(model, p) -> dict[str, list[str]]:
    from .engine import parameter_names
    losses = [f"it{k}.loss" for k in range(1, model.iterations + 1)] + ["final.loss"]
    params = [f"final.{name}" for name in parameter_names(model)]
    grads = [n for n in p.entries if re.fullmatch(rf"it\d+\.d({_PARAMS})", n)]
    return {"key": losses + params, "losses": losses, "parameters": params, "gradients": grads,
            "outputs": ["output"]}


def is_key(name: str) -> bool:
    return bool(re.fullmatch(rf"(it\d+|final)\.loss|final\.({_PARAMS})", name))


def given(model, p) -> list[tuple[str, object]]:
    from .engine import parameter_names
    rows = [("input", p.dec("input"))] + [(name, p.dec(f"init.{name}")) for name in parameter_names(model)]
    rows += [("convolution", f"stride {model.stride}, padding {model.padding}, {model.activation}")]
    if model.pool_mode:
        rows.append(("pooling", f"{model.pool_mode} {model.pool_window[0]}×{model.pool_window[1]}, "
                                f"stride {model.pool_stride}"))
    rows += [("target", p.dec("target")), ("loss", model.loss), ("learning rate", model.learning_rate),
             ("iterations", model.iterations)]
    return rows
