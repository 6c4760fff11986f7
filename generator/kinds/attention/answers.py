"""What a self-attention exercise asks: O and, with an upstream gradient, the gradients of the
projections and of the tokens."""

from __future__ import annotations

from ..common import upstream_groups, upstream_is_key


def groups(model, p) -> dict[str, list[str]]:
    return upstream_groups(p)


def is_key(name: str) -> bool:
    return upstream_is_key(name)


def given(model, p) -> list[tuple[str, object]]:
    rows = [("tokens X (one per row)", p.dec("tokens")), ("W_q", p.dec("W_q")), ("W_k", p.dec("W_k")),
            ("W_v", p.dec("W_v")), ("mask", model.mask)]
    if model.upstream is not None:
        rows.append(("dL/dO", p.dec("upstream")))
    return rows
