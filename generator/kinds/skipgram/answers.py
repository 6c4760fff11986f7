"""What a skip-gram exercise asks: the loss, the three gradients, the updated vectors and the loss
after the update (as far as the exercise goes: ``stop_after``), the scores and probabilities as its
outputs.  Every list is built from the model, never by matching trace names."""

from __future__ import annotations

from .engine import VECTORS

#: The scores and probabilities of the forward pass (the answers' ``outputs``).
OUTPUTS = ("score_o", "score_neg", "sigma_o", "sigma_neg")
#: Every value a key may ask (``is_key``).
KEYS = frozenset(("loss", "updated.loss") + tuple(f"{pre}.{v}" for pre in ("grad", "updated") for v in VECTORS))


def groups(model, p) -> dict[str, list[str]]:
    losses = ["loss"] + (["updated.loss"] if model.loss_after else [])
    gradients = [f"grad.{v}" for v in VECTORS] if model.stop_after != "forward" else []
    parameters = [f"updated.{v}" for v in VECTORS] if model.updates else []
    return {"key": ["loss"] + gradients + parameters + losses[1:], "losses": losses, "parameters": parameters,
            "gradients": gradients, "outputs": list(OUTPUTS)}


def is_key(name: str) -> bool:
    return name in KEYS


def given(model, p) -> list[tuple[str, object]]:
    words = model.words or {}
    rows = [("v_c (input vector of the center word" + (f" '{words['center']}'" if "center" in words else "") + ")",
             p.dec("v_c")),
            ("u_o (output vector of the context word" + (f" '{words['context']}'" if "context" in words else "") + ")",
             p.dec("u_o")),
            ("u_1 ... u_K (output vectors of the negative samples" +
             (" " + ", ".join(f"'{w}'" for w in words["negatives"]) if "negatives" in words else "") + "; one per row)",
             p.dec("negatives"))]
    if model.learning_rate is not None:
        rows.append(("learning rate", model.learning_rate))
    return rows
