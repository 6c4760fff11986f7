"""A recurrent network unrolled through time: h_t = f(W_xh x_t + W_hh h_{t−1} + b_h),
ŷ_t = g(W_hy h_t + b_y), the loss summed over the steps with a target, backpropagation through
time with the gradients accumulated over the steps, and gradient-descent updates."""
