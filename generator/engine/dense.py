"""Dense networks' names and two facts about their losses (the maths is the shared operations of
``generator.ops``: activations and their slopes, the losses and their gradients).

A loss is per sample (a column) and averaged over samples; ``loss_divisor`` is what the sum of a
sample's squared errors is divided by, ``combined_delta`` where the output layer's δ is ŷ − y."""

from __future__ import annotations

ACTIVATIONS = ("identity", "relu", "leaky_relu", "sigmoid", "tanh", "softmax")
LOSSES = ("sse", "half_sse", "mse", "half_mse", "square", "bce", "cce", "multiclass_hinge")
#: Other names a spec may use for them.
ACTIVATION_ALIASES = {"linear": "identity", "none": "identity", "leakyrelu": "leaky_relu", "logistic": "sigmoid"}
LOSS_ALIASES = {"squared_output": "square", "binary_cross_entropy": "bce", "categorical_cross_entropy": "cce",
                "cross_entropy": "cce", "hinge": "multiclass_hinge", "svm": "multiclass_hinge"}

#: The per-sample sum of squared errors is divided by this, as a function of the number of outputs n.
_SQUARED_DIVISOR = {"sse": lambda n: 1, "half_sse": lambda n: 2, "mse": lambda n: n,
                    "half_mse": lambda n: 2 * n, "square": lambda n: 1}


def loss_divisor(loss: str, n_out: int) -> int:
    """The per-sample sum of terms is divided by this (2 for ½, n for a mean …)."""
    return _SQUARED_DIVISOR[loss](n_out) if loss in _SQUARED_DIVISOR else 1


def combined_delta(loss: str, activation: str) -> bool:
    """Whether δ = ŷ − y holds for this output activation and loss (σ + BCE, softmax + CCE)."""
    return (activation, loss) in (("sigmoid", "bce"), ("softmax", "cce"))
