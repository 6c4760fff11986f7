"""Counting the parameters of a network, layer by layer, as courses set it: convolutions
(k_h·k_w·C_in·C_out + C_out), dense layers (n_in·n_out + n_out), embeddings (V·d), RNN, LSTM and GRU
layers (h·x + h·h + h per gate: 1, 4 and 3 gates; PyTorch's two bias vectors as an option;
bidirectional layers twice), pooling and flattening (none); with the input shape, every layer's
output shape (⌊(H + 2p − k)/s⌋ + 1) and the sizes the counts take from it; then the total."""
