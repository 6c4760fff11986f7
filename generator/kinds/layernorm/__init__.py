"""Layer normalization of a few samples, sample by sample: each sample (a column) normalized over
its features, then scaled and shifted per feature (PyTorch's ``nn.LayerNorm`` over the features,
biased variance, ε inside the root); with an upstream gradient, ∂L/∂γ, ∂L/∂β and the three-term
∂L/∂x.  The shared normalization along the other axis than batch normalization's."""
