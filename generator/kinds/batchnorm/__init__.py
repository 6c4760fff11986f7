"""Batch normalization of one mini-batch, feature by feature: mean, variance, normalized values,
scale and shift; with an upstream gradient, ∂L/∂γ, ∂L/∂β and the three-term ∂L/∂x."""
