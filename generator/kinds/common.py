"""Answer groups shared by the kinds fed an upstream gradient (conv, pool, and the like): the
output and the gradients ``grad.*``, no loss and no training."""

from __future__ import annotations


def upstream_groups(p) -> dict[str, list[str]]:
    grads = [n for n in p.entries if n.startswith("grad.")]
    return {"key": ["output"] + grads, "losses": [], "parameters": [], "gradients": grads,
            "outputs": ["output"]}


def upstream_is_key(name: str) -> bool:
    return name == "output" or name.startswith("grad.")
