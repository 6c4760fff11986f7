"""Pooling's own notation (LaTeX): the output p and the gradient of the input x."""

from ...labels import upstream

label = upstream("p", {"input": "x"})
