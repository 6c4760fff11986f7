"""Single-head scaled dot-product self-attention: Q, K, V, the scores, the row-wise softmax and the
weighted sums; with an upstream gradient ∂L/∂O, backward through the softmax to ∂L/∂W_q, ∂L/∂W_k,
∂L/∂W_v and ∂L/∂X."""
