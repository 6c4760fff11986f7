"""The convolution's notation: the output z, the gradients of the kernel w, the input x and the
bias b; with several channels, channel c of the kernel and of the input is w^{[c]}, x^{[c]}."""

from __future__ import annotations

import numpy as np

from ..common import GridView


def _grad(var: str, channels: bool) -> tuple[str, str]:
    """∂L/∂ of a given value ``var``: the whole (bold) and an entry (channel first where several)."""
    entry = (r"\frac{{\partial L}}{{\partial VAR^{{[{0}]}}_{{{1}{2}}}}}" if channels else
             r"\frac{{\partial L}}{{\partial VAR_{{{0}{1}}}}}")
    return r"\frac{\partial L}{\partial \mathbf{VAR}}".replace("VAR", var), entry.replace("VAR", var)


class View(GridView):

    @property
    def NOTATION(self):
        return {"z": (r"\mathbf{z}", "z_{{{0}{1}}}"), "grad.kernel": _grad("w", self.channels),
                "grad.input": _grad("x", self.channels),
                "grad.bias": (r"\frac{\partial L}{\partial b}", r"\frac{\partial L}{\partial b}")}

    #: channel c of the gradients of a several-channel kernel and input
    BLOCKS = {"grad.kernel": r"\frac{{\partial L}}{{\partial \mathbf{{w}}^{{[{0}]}}}}",
              "grad.input": r"\frac{{\partial L}}{{\partial \mathbf{{x}}^{{[{0}]}}}}"}

    def window(self, r, q, c=0):
        """Window (r, q) of the padded input in channel ``c`` (the given data, as it is)."""
        value = np.asarray(self.t.dec("windows"), dtype=object)[r, q]
        return value[c] if self.channels else value

    def channel(self, name, c=0):
        """Channel ``c`` of a value of the given data (the padded input), where there are several."""
        value = np.asarray(self.t.dec(name), dtype=object)
        return value[c] if self.channels else value
