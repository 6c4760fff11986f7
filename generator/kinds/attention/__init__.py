"""Single-head scaled dot-product self-attention: Q, K, V, the scores (scaled by 1/√d_k, not scaled,
or by a given factor c), the row-wise softmax and the weighted sums; with an upstream gradient ∂L/∂O,
backward through the softmax to ∂L/∂W_q, ∂L/∂W_k, ∂L/∂W_v and ∂L/∂X."""
