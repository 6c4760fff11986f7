"""One skip-gram (word2vec) update with negative sampling (Mikolov et al. 2013; the CS224n notes):
the center word's input vector v_c, the context word's output vector u_o and K negative samples'
output vectors u_k; the loss ℓ = −ln σ(u_oᵀv_c) − Σ_k ln σ(−u_kᵀv_c), its gradients with respect to
the three, one SGD step on all of them and the loss after it."""
