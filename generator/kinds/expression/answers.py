"""What an expression exercise asks: its answer groups, its key answers, its given data."""

from __future__ import annotations


def groups(model, p) -> dict[str, list[str]]:
    names = list(p.entries)
    grads = [n for n in names if n.startswith("grad.")]
    params = [n for n in names if n.startswith("updated.")]
    losses = ["loss"] if "loss" in p.entries else []
    key = ["output"] + losses + (params or grads)
    return {"key": key, "losses": losses, "parameters": params, "gradients": grads, "outputs": ["output"]}


def is_key(name: str) -> bool:
    return name in ("output", "loss") or name.startswith(("updated.", "grad."))


def given(model, p) -> list[tuple[str, object]]:
    return [("model", model.formula)] + [(name, p.dec(f"node.{name}"))
                                         for name in list(model.inputs) + list(model.parameters)]
