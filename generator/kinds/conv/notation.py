"""A convolution's own notation (LaTeX): the output z, the gradients of the kernel w^{[c]} and of the
input x^{[c]} of channel c, and of the bias b.  A layer of kernels or a batch of samples (an output
with a kernel or sample axis, a kernel with a kernel axis, an input with a sample axis, a bias per
kernel) is named by the symbols its page prints (``View.NOTATION``: z^{(n,f)}_{ij}, ∂L/∂w^{(f)[c]}_{ab} …)."""

from ...labels import upstream

_ONE = upstream("z", {"kernel": "w^{{[{c}]}}", "input": "x^{{[{c}]}}", "bias": "b"})
#: The most axes each value has for one kernel over one input (its channel, row and column).
_AXES = {"output": 2, "grad.kernel": 3, "grad.input": 3, "grad.bias": 0}


def label(name: str, index, tex: bool = True) -> str | None:
    if len(index) > _AXES.get(name, len(index)):
        return None                 # a layer's or a batch's entry: the symbol its page prints
    return _ONE(name, index, tex)
