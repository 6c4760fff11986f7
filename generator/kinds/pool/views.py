"""Pooling's notation: the input x, the output p and the gradient of the input."""

from __future__ import annotations

from ..common import GridView


class View(GridView):
    NOTATION = {
        "input": (r"\mathbf{x}", "x_{{{0}{1}}}"),
        "p": (r"\mathbf{p}", "p_{{{0}{1}}}"),
        "grad.input": (r"\frac{\partial L}{\partial \mathbf{x}}", r"\frac{{\partial L}}{{\partial x_{{{0}{1}}}}}"),
    }
