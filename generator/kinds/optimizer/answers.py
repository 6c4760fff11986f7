"""What an optimizer exercise asks: the parameters after the last update and the state it leaves
(the velocity, the accumulated squares or the moments of every parameter), built from the model."""

from __future__ import annotations

from ...labels import split_stage

#: Every variant of the same shapes feeds its answers from the same entries, except through values
#: that are exactly 0: grading learns one dependency table for them (``Kind.shares_structure``).
SHARED_STRUCTURE = True

#: The state variables an optimizer leaves after its update, as the trace names them (``itk.mW``).
STATE = {"sgd": (), "momentum": ("vel",), "nesterov": ("vel",), "rmsprop": ("s",), "adagrad": ("s",),
         "adam": ("m", "v"), "adamw": ("m", "v"), "nadam": ("m", "v")}


def state(model) -> list[str]:
    """The state after the last update, parameter by parameter (``it<steps>.mW``, ``it<steps>.vW`` …)."""
    return [f"it{model.steps}.{key}{P}" for P in model.names for key in STATE[model.optimizer.name]]


def groups(model, p) -> dict[str, list[str]]:
    params = [f"final.{P}" for P in model.names]
    return {"key": params + state(model), "losses": [], "parameters": params, "gradients": [],
            "outputs": state(model)}


def is_key(name: str) -> bool:
    """A parameter after the last update (``final.<P>``)."""
    found = split_stage(name)
    return found is not None and found[0] == "final"


def given(model, p) -> list[tuple[str, object]]:
    """The data a question states, as (label, value) rows."""
    from .schema import settings
    rows = []
    for P in model.names:
        rows.append((f"parameter {P}", p.dec(f"init.{P}")))
        rows.append((f"gradient dL/d{P}", p.dec(f"grad.{P}")))
    rows.append(("learning rate", model.learning_rate))
    if model.optimizer.name == "sgd":          # the settings name every other optimizer
        rows.append(("optimizer", "gradient descent"))
    if model.steps > 1:
        rows.append(("steps (the same gradients each step)", model.steps))
    for st in settings(model):
        label = st.label.replace("$\\times$", "×")
        if st.field.startswith("optimizer."):
            label = f"{label} ({st.field.split('.', 1)[1]})"
        rows.append((label, st.value))
    return rows
