"""What a pool exercise asks: the output and, with an upstream gradient, the gradients."""

from __future__ import annotations

from ..common import upstream_groups, upstream_is_key


def groups(model, p) -> dict[str, list[str]]:
    return upstream_groups(p)


def is_key(name: str) -> bool:
    return upstream_is_key(name)


def given(model, p) -> list[tuple[str, object]]:
    return [(key, getattr(model, key)) for key in ("input", "upstream", "stride", "padding", "window", "mode") if getattr(model, key) is not None]
