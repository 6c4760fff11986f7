"""Scalar expression models: a computational graph with exact values, local derivatives,
the gradients by the chain rule and an update of the trained parameters."""
