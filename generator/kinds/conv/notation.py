"""A convolution's own notation (LaTeX): the output z, the gradients of the kernel w^{[c]} and of the
input x^{[c]} of channel c, and of the bias b."""

from ...labels import upstream

label = upstream("z", {"kernel": "w^{{[{c}]}}", "input": "x^{{[{c}]}}", "bias": "b"})
