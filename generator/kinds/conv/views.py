"""The convolution templates' view: entries per channel, each output as its products."""

from __future__ import annotations

import numpy as np

from ...view import View as BaseView


class View(BaseView):

    def cv(self, name, *index, c=0):
        """Entry ``index`` of a convolution value, then channel ``c`` where there are several."""
        value = self.t.dec(name)
        for i in index:
            value = value[i]
        return value[c] if self.model.kind == "conv" and self.model.input.shape[0] > 1 else value

    def conv_products(self, r, q):
        """Output (r, q) of a convolution as its products, row by row (channel by channel):
        ``{x · w} + …``."""
        windows = np.asarray(self.t.dec("windows"), dtype=object)[r][q]
        kernel = self.model.kernel
        if windows.ndim == 2:
            windows = windows[None]
        return " + ".join(f"{{{self.fmt.factor(x)} \\cdot {self.fmt.factor(w)}}}"
                          for c in range(kernel.shape[0]) for x, w in zip(windows[c].ravel(), kernel[c].ravel()))

    def crel(self, name, *index, c=0):
        """``rel`` of entry ``index`` of a convolution value, in channel ``c`` where there are several."""
        several = self.model.kind == "conv" and self.model.input.shape[0] > 1
        return self.rel(name, *(((c,) if several else ()) + index))
