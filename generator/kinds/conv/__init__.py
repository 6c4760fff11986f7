"""One 2-D convolution (cross-correlation) over one or several channels, with stride and padding;
with an upstream gradient, the gradients of the kernel, the input and the bias."""
