"""The convolution's notation: the output z, the gradients of the kernel w, the input x and the
bias b; with several channels, channel c of the kernel and of the input is w^{[c]}, x^{[c]}.  A layer
of kernels over a batch of samples: sample n is x^{(n)}, kernel f is w^{(f)} with its bias b_f, and
their output map is z^{(n,f)} (z^{(f)} for one sample, z^{(n)} for one kernel)."""

from __future__ import annotations

import numpy as np

from ..common import GridView, Packed


def _grad(var: str, channels: bool) -> tuple[str, str]:
    """∂L/∂ of a given value ``var``: the whole (bold) and an entry (channel first where several)."""
    entry = (r"\frac{{\partial L}}{{\partial VAR^{{[{0}]}}_{{{1}{2}}}}}" if channels else
             r"\frac{{\partial L}}{{\partial VAR_{{{0}{1}}}}}")
    return r"\frac{\partial L}{\partial \mathbf{VAR}}".replace("VAR", var), entry.replace("VAR", var)


def _lead(var: str, channels: bool, bold: bool = False) -> str:
    """``var`` of sample or kernel {0} and channel {1} (str.format fields; the channel only where
    there are several): x^{(n)[c]}, w^{(f)}."""
    return (rf"\mathbf{{{{{var}}}}}" if bold else var) + (r"^{{({0})[{1}]}}" if channels else r"^{{({0})}}")


class View(Packed, GridView):

    @property
    def channels(self) -> bool:
        """Whether the input has several channels: an entry then names its channel."""
        return self.model.channels > 1

    @property
    def multi(self) -> bool:
        """A layer of kernels or a batch of samples (``kernels:`` or ``inputs:``)."""
        return self.model.multi

    @property
    def NOTATION(self):
        m, ch = self.model, self.channels
        table = {"z": (r"\mathbf{z}", "z_{{{0}{1}}}"), "grad.kernel": _grad("w", ch), "grad.input": _grad("x", ch),
                 "grad.bias": (r"\frac{\partial L}{\partial b}", r"\frac{\partial L}{\partial b}")}
        if m.samples or m.filters:       # z^{(n,f)}_{ij}: its sample and kernel, then its row and column
            lead = "({0},{1})" if m.samples and m.filters else "({0})"
            first = 2 if m.samples and m.filters else 1
            table["z"] = (r"\mathbf{z}", "z^{{" + lead + "}}_{{{" + str(first) + "}{" + str(first + 1) + "}}}")
        if m.filters:
            table["grad.kernel"] = (table["grad.kernel"][0],
                                    r"\frac{{\partial L}}{{\partial " + _lead("w", ch) + r"_{{{2}{3}}}}}")
            table["grad.bias"] = (r"\frac{\partial L}{\partial \mathbf{b}}",
                                  r"\frac{{\partial L}}{{\partial b_{{{0}}}}}")
        if m.samples:
            table["grad.input"] = (table["grad.input"][0],
                                   r"\frac{{\partial L}}{{\partial " + _lead("x", ch) + r"_{{{2}{3}}}}}")
        return table

    @property
    def BLOCKS(self):
        """The symbol of each block (a map, a channel) of a grid step, by its 1-based indices:
        channel c of the gradients of a several-channel kernel and input; with a layer or a batch
        the map z^{(n,f)} and the gradients of kernel f and of sample n (channel by channel)."""
        m, ch = self.model, self.channels
        table = {"grad.kernel": r"\frac{{\partial L}}{{\partial \mathbf{{w}}^{{[{0}]}}}}",
                 "grad.input": r"\frac{{\partial L}}{{\partial \mathbf{{x}}^{{[{0}]}}}}"}
        if m.samples or m.filters:
            table["z"] = r"\mathbf{{z}}^{{" + ("({0},{1})" if m.samples and m.filters else "({0})") + "}}"
        if m.filters:
            table["grad.kernel"] = r"\frac{{\partial L}}{{\partial " + _lead("w", ch, bold=True) + "}}"
        if m.samples:
            table["grad.input"] = r"\frac{{\partial L}}{{\partial " + _lead("x", ch, bold=True) + "}}"
        return table

    # --- the given data, as the templates state it ----------------------------------------------

    def x_symbol(self, n, c, bold: bool = True, pad: bool = False) -> str:
        """Sample n, channel c of the input (0-based, or a letter): \\mathbf{x}^{(n)[c]}, the parts
        that apply (the sample with ``inputs:``, the channel where there are several)."""
        return _symbol(r"\mathbf{x}" if bold else "x", [n] if self.model.samples else [],
                       c if self.channels else None, r"_{\text{pad}}" if pad else "")

    def w_symbol(self, f, c, bold: bool = True) -> str:
        """Kernel f, channel c (0-based, or a letter): \\mathbf{w}^{(f)[c]}, the parts that apply."""
        return _symbol(r"\mathbf{w}" if bold else "w", [f] if self.model.filters else [], c if self.channels else None)

    def z_symbol(self, n, f, bold: bool = True) -> str:
        """Output map (n, f) (0-based, or letters): \\mathbf{z}^{(n,f)}, the parts that apply."""
        lead = [i for i, there in ((n, self.model.samples), (f, self.model.filters)) if there]
        return _symbol(r"\mathbf{z}" if bold else "z", lead, None)

    def window_symbol(self, n, c, r, q) -> str:
        """Window (r, q) of sample n, channel c (0-based): X^{(n)[c]}_{rq}."""
        return _symbol("X", [n] if self.model.samples else [], c if self.channels else None) + f"_{{{r + 1}{q + 1}}}"

    @staticmethod
    def count(n: int) -> str:
        """The indices 1 … n as the question lists them: 1, 2, 3 (up to three), else 1, …, n."""
        return ", ".join(str(i) for i in range(1, n + 1)) if n <= 3 else rf"1, \dots, {n}"

    def given_lines(self, upstream: bool = True) -> list[str]:
        """The data as display lines, packed side by side: every sample's channels, every kernel's
        channels, the biases and (``upstream``) ∂L/∂z of every map."""
        m, fmt = self.model, self.fmt
        N, C = m.inputs.shape[:2]
        F = m.kernels.shape[0]
        # several channels: a sample's (a kernel's) channels side by side, the next on a new line
        each = (lambda items: [line for group in items for line in self.packed(group)]) if C > 1 else \
            (lambda items: self.packed([item for group in items for item in group]))
        lines = each([[f"{self.x_symbol(n, c)} = {fmt.mat(m.inputs[n, c])}" for c in range(C)] for n in range(N)])
        lines += each([[f"{self.w_symbol(f, c)} = {fmt.mat(m.kernels[f, c])}" for c in range(C)] for f in range(F)])
        if m.bias is not None:
            lines += self.packed([f"b{f'_{{{f + 1}}}' if m.filters else ''} = {fmt.num(b)}"
                                  for f, b in enumerate(m.bias)])
        if upstream and m.upstream is not None:
            dz = r"\frac{{\partial L}}{{\partial {}}}"
            lines += self.packed([f"{dz.format(self.z_symbol(n, f))} = {fmt.mat(m.upstream[n, f])}"
                                  for n in range(N) for f in range(F)])
        return lines

    def window(self, r, q, c=0, n=0):
        """Window (r, q) of the padded input in channel ``c`` (of sample ``n``; the given data, as it is)."""
        value = np.asarray(self.t.dec("windows"), dtype=object)
        value = value[n, r, q] if self.model.samples else value[r, q]
        return value[c] if value.ndim == 3 else value

    def channel(self, name, c=0, n=0):
        """Channel ``c`` (of sample ``n``) of a value of the given data (the padded input)."""
        value = np.asarray(self.t.dec(name), dtype=object)
        value = value[n] if self.model.samples else value
        return value[c] if value.ndim == 3 else value


def _number(i) -> str:
    """A 0-based index as the text writes it (1-based), or a letter as it is."""
    return i if isinstance(i, str) else str(int(i) + 1)


def _symbol(var: str, lead: list, channel, sub: str = "") -> str:
    """``var`` with its sample and kernel (round brackets: (n,f)) and channel (square brackets)."""
    sup = (f"({','.join(_number(i) for i in lead)})" if lead else "") + \
        (f"[{_number(channel)}]" if channel is not None else "")
    return var + sub + (f"^{{{sup}}}" if sup else "")
