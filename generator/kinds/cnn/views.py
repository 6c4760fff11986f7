"""The CNN's notation: conv map k is z^{(k)}, a^{(k)}, p^{(k)} (round brackets: the kernels), dense
layer l is z^{[l]}, a^{[l]} (square brackets: the layers after the flattening); kernel k's entries
w^{(k)}_{ab} (w^{(k)}_{c,ab}, channel c, where the image has several channels); an updated
parameter is primed (w', W', b')."""

from __future__ import annotations

import numpy as np

from ..common import GridView, Packed

#: f of each activation, as the slopes' symbols write it.
FUNCTIONS = {"identity": r"\operatorname{{id}}", "relu": r"\operatorname{{ReLU}}",
             "leaky_relu": r"\operatorname{{LReLU}}", "sigmoid": r"\sigma", "tanh": r"\tanh"}


#: The notes with parameters (l, the dense layer; sym, p: a symbol), whose whole form is a pattern.
WITH_PARAMETERS = {"z", "a", "exp", "expsum", "delta", "dW", "db", "back", "dpool", "new.W", "new.b"}


def _grad(symbol: str, entry: str) -> tuple[str, str]:
    """∂L/∂ of a value: the whole and an entry (``str.format`` patterns)."""
    return (rf"\frac{{{{\partial L}}}}{{{{\partial {symbol}}}}}", rf"\frac{{{{\partial L}}}}{{{{\partial {entry}}}}}")


class View(Packed, GridView):

    @property
    def NOTATION(self):
        kernel = "w^{{({0})}}_{{{1},{2}{3}}}" if self.channels else (
            "w^{{({0})}}_{{{2}{3}}}" if self.model.channels_given else "w^{{({0})}}_{{{1}{2}}}")
        new_kernel = kernel.replace("w^", "w'^")
        table = {
            "conv": ("z", "z^{{({0})}}_{{{1}{2}}}"),
            "act": ("a", "a^{{({0})}}_{{{1}{2}}}"),
            "pool": ("p", "p^{{({0})}}_{{{1}{2}}}"),
            "z": ("z^{{[{l}]}}", "z^{{[{l}]}}_{{{0}}}"),
            "a": ("a^{{[{l}]}}", "a^{{[{l}]}}_{{{0}}}"),
            "exp": ("e^{{z^{{[{l}]}}}}", "e^{{z^{{[{l}]}}_{{{0}}}}}"),
            "expsum": (r"\sum_j e^{{z^{{[{l}]}}_j}}", r"\sum_j e^{{z^{{[{l}]}}_j}}"),
            "loss": ("L", "L"),
            "delta": (r"\delta^{{[{l}]}}", r"\delta^{{[{l}]}}_{{{0}}}"),
            "dyhat": _grad(r"\hat{{y}}", r"\hat{{y}}_{{{0}}}"),
            "dW": _grad("W^{{[{l}]}}", "W^{{[{l}]}}_{{{0},{1}}}"),
            "db": _grad("b^{{[{l}]}}", "b^{{[{l}]}}_{{{0}}}"),
            "back": _grad("{sym}", "{sym}_{{{0}}}"),
            "dpool": _grad("{p}", "{p}^{{({0})}}_{{{1}{2}}}"),
            "dact": _grad("a", "a^{{({0})}}_{{{1}{2}}}"),
            "dconv": _grad("z", "z^{{({0})}}_{{{1}{2}}}"),
            "dkernels": _grad("w", kernel),
            "dconv_bias": _grad(r"\mathbf{{b}}^{{\text{{conv}}}}", r"b^{{\text{{conv}}}}_{{{0}}}"),
            "new.kernels": ("w'", new_kernel),
            "new.conv_bias": (r"\mathbf{{b}}'^{{\text{{conv}}}}", r"b'^{{\text{{conv}}}}_{{{0}}}"),
            "new.W": ("W'^{{[{l}]}}", "W'^{{[{l}]}}_{{{0},{1}}}"),
            "new.b": ("b'^{{[{l}]}}", "b'^{{[{l}]}}_{{{0}}}"),
        }
        for act, f in FUNCTIONS.items():
            table[f"slope.{act}"] = (f"{f}'(z^{{{{[{{l}}]}}}})", f"{f}'(z^{{{{[{{l}}]}}}}_{{{{{{0}}}}}})")
            table[f"gconv.{act}"] = (f"{f}'(z)", f"{f}'(z^{{{{({{0}})}}}}_{{{{{{1}}{{2}}}}}})")
        # a step noted without parameters prints its whole form as it is: written out here
        return {key: (whole if key in WITH_PARAMETERS or key.startswith("slope.") else whole.format(), entry)
                for key, (whole, entry) in table.items()}

    @property
    def BLOCKS(self):
        kernel = "{{({0})}}_{{{1}}}" if self.channels else "{{({0})}}"
        table = {"conv": "z^{{({0})}}", "act": "a^{{({0})}}", "pool": "p^{{({0})}}",
                 "dpool": r"\frac{{\partial L}}{{\partial {p}^{{({0})}}}}",
                 "dact": r"\frac{{\partial L}}{{\partial a^{{({0})}}}}",
                 "dconv": r"\frac{{\partial L}}{{\partial z^{{({0})}}}}",
                 "dkernels": r"\frac{{\partial L}}{{\partial w^" + kernel + "}}",
                 "new.kernels": "w'^" + kernel}
        for act, f in FUNCTIONS.items():
            table[f"gconv.{act}"] = f"{f}'(z^{{{{({{0}})}}}})"
        return table

    def padded(self):
        """The input with its zero padding, channel by channel: [(c, matrix)]."""
        return [(c, self.fmt.matrix([[self.fmt.num(v) for v in row] for row in grid]))
                for c, grid in enumerate(np.asarray(self.t.dec("padded_input"), dtype=object))]

    def kernel(self, name, k, c):
        """Channel c of kernel k of a kernel-shaped value, as a matrix."""
        v = np.asarray(self.t.dec(name), dtype=object)
        return self.fmt.mat(v[k, c] if v.ndim == 4 else v[k], self._kind(name))

    def map(self, name, k):
        """Map k of a K × h × w value, as a matrix."""
        return self.fmt.mat(np.asarray(self.t.dec(name), dtype=object)[k], self._kind(name))

    def flat_labels(self):
        """The flatten order: p_{k,i,j} for every entry, map by map, row by row."""
        K, h, w = self.model.pool_shape
        sym = "p" if self.model.pool_mode else "a"
        return [f"{sym}^{{({k + 1})}}_{{{i + 1}{j + 1}}}" for k in range(K) for i in range(h) for j in range(w)]

    def parameter_names(self):
        from .engine import parameter_names
        return parameter_names(self.model)
