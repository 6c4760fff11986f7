"""What a network exercise asks: its answer groups, its key answers, its given data (for an LMS)."""

from __future__ import annotations

from ..common import stopped_groups, trained_is_key

#: Every variant of the same shapes feeds its answers from the same entries, except through values
#: that are exactly 0: grading learns one dependency table for them (``Kind.shares_structure``).
SHARED_STRUCTURE = True


def parameters(model) -> list[str]:
    """The trained parameters of ``model``, as the engine names them: W<l> and b<l> of each layer
    that trains its weights, its bias."""
    return [f"{P}{l}" for l, layer in enumerate(model.layers, start=1)
            for P, trains in (("W", layer.train_weights), ("b", layer.train_bias)) if trains]


def groups(model, p) -> dict[str, list[str]]:
    """Trace names of each answer group of a solved network exercise ``p``, from its model: an
    exercise that stops (``stop_after``) asks for its one pass's output and loss, and after the
    gradients for the gradients too; a trained one for the losses and the final parameters."""
    iterations = range(1, model.iterations + 1)
    asked = {f"it{k}.d{P}{l}" for k in iterations for l in range(1, len(model.layers) + 1) for P in ("W", "b")}
    grads = [n for n in p.entries if n in asked]          # in the order computed
    last = "y" if model.output == "sum" else f"a{len(model.layers)}"
    if model.stop_after is not None:
        return stopped_groups(model, [f"it1.{last}"], grads)
    losses = [f"it{k}.loss" for k in iterations] + ["final.loss"]
    params = [f"final.{name}" for name in parameters(model)]
    return {"key": losses + params, "losses": losses, "parameters": params,
            "gradients": grads, "outputs": [f"final.{last}"]}


def is_key(name: str) -> bool:
    """The loss of a pass or a layer's parameter after training (``final.W<l>``, ``final.b<l>``)."""
    return trained_is_key(name, lambda rest: rest[:1] in ("W", "b") and rest[1:].isdigit())


def given(model, p) -> list[tuple[str, object]]:
    """The data a question states, as (label, value) rows."""
    rows = [("input x" if not model.batch else "inputs X (one sample per column)", p.dec("x"))]
    if "target" in p:
        rows.append(("target y", p.dec("target")))
    for l, layer in enumerate(model.layers, start=1):
        rows.append((f"W{l} ({layer.activation})", p.dec(f"init.W{l}")))
        if layer.bias is not None:
            rows.append((f"b{l}", p.dec(f"init.b{l}")))
    if model.loss is not None:
        rows.append(("loss", model.loss))
    if model.stop_after is None:
        rows.append(("learning rate", model.learning_rate))
        rows.append(("iterations", model.iterations))
    from .schema import minibatch, settings     # every other setting the numbers depend on, as on the sheet
    for st in settings(model):
        if st.field in ("learning_rate", "iterations"):
            continue
        label = st.label.replace("$\\times$", "×")
        if st.field.startswith("optimizer."):
            label = f"{label} ({st.field.split('.', 1)[1]})"
        rows.append((label, st.value))
        if st.field == "batch_size":
            rows.append(("samples per iteration (1-based)", "; ".join(
                f"iteration {k}: {', '.join(str(c + 1) for c in minibatch(model, k))}"
                for k in range(1, model.iterations + 1)) + "; final pass: all samples"))
    if model.l2:
        rows.append(("loss with L2", "L = L_data + λ/2 · Σ w² over every weight (not the biases)"))
    return rows
