"""The shared operations every exercise kind composes: a typed trace graph.

A kind's engine builds its solution from ``Graph`` (``graph.py``): each operation (``OPS``: an
elementwise formula, a reduction along an axis, a matrix–vector product, a function map …)
computes in exact decimals (``engine.exact``) and records its result as a step of the trace
together with the names of its operands and its parameters, in the spirit of micrograd's
``Value(_prev, _op)``.  Nothing here knows a kind, and nothing here is LaTeX: a step is printed by
the printer of its operation (``latex.py``, one dispatch on the operation's name), which writes it
the same way in every kind and decides "=" or "≈" from the recorded operands and the rounding
policy.  A second printer (HTML, MathML) is a second table of printers, not a change to a kind."""

from .graph import OPS, Graph, Op

__all__ = ["OPS", "Graph", "Op"]
