"""Max or average pooling of one grid; with an upstream gradient, its routing back to the input."""
