"""Batch normalization of one mini-batch, feature by feature: mean, variance, normalized values,
scale and shift; with an upstream gradient, ∂L/∂γ, ∂L/∂β and the three-term ∂L/∂x.  In inference
mode the given running mean and variance take the place of the batch's, and ∂L/∂x is elementwise."""
