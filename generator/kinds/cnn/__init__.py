"""A small CNN trained end to end: convolution (one kernel per output channel) → activation →
pooling → flatten (row-major) → dense layers → loss, backpropagated to the kernels and updated."""
