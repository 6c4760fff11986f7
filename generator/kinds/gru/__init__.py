"""A gated recurrent unit (GRU, PyTorch's ``nn.GRUCell`` convention) unrolled through time: per
step a reset gate r_t, an update gate z_t, a candidate n_t = tanh(W_n x_t + b_n + r_t ⊙ (U_n h_{t−1}
+ b_hn)) and the new state h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}; a loss of the last state h_T
against a target, backpropagation through time with the gradients of the ten parameters summed
over the steps, and plain gradient-descent updates, every line written by the shared operations."""
