"""What a batch-normalization exercise asks: y and, with an upstream gradient, ∂L/∂γ, ∂L/∂β, ∂L/∂x."""

from __future__ import annotations

from ..common import upstream_groups, upstream_is_key


def groups(model, p) -> dict[str, list[str]]:
    return upstream_groups(p)


def is_key(name: str) -> bool:
    return upstream_is_key(name)


def given(model, p) -> list[tuple[str, object]]:
    rows = [("input X (features × samples)", p.dec("input")), ("gamma", p.dec("gamma")),
            ("beta", p.dec("beta")), ("epsilon", model.epsilon)]
    if model.upstream is not None:
        rows.append(("dL/dy", p.dec("upstream")))
    return rows
