"""Dense networks of any depth: forward pass with every dot product, the loss, backpropagation by
the chain rule and the parameter updates, over samples, mini-batches and iterations."""
