"""The LSTM notation: time step t and gate • (i, f, g, o) in every symbol.  A value of a step is a
bold vector with subscript t (the whole) and a plain entry with t and its row (i_{t,1}); a parameter
is a bold matrix (vector) with its gate, an entry (W_i)_{12} (b_{i,1}).  ``NOTATION`` is built from
these two rules, so that every symbol follows them; the keys of the parameters are those of the
shared training loop (``ops.recurrent``): ``grad.<p>``, ``<p>`` (after update k), ``final.<p>``."""

from __future__ import annotations

from ...view import View as BaseView
from ..common import Packed
from .schema import PARAMETERS


def _step(symbol: str) -> tuple[str, str]:
    """A value of time step t written as ``symbol``: ``<x>`` the vector x (bold in the whole,
    plain in an entry), ``@`` where the subscript goes (t, or t and the entry's row)."""
    whole, entry = symbol, symbol
    while "<" in whole:
        head, _, rest = whole.partition("<")
        name, _, tail = rest.partition(">")
        bold = r"\boldsymbol" if name.startswith("\\") else r"\mathbf"
        whole = f"{head}{bold}{{{{{name}}}}}{tail}"
    entry = entry.replace("<", "").replace(">", "")
    return whole.replace("@", "_{{{t}}}"), entry.replace("@", "_{{{t},{0}}}")


def _parameter(name: str, around: str = "@", after: bool = False) -> tuple[str, str]:
    """Parameter ``name`` (W_i, U_f, b_g …) where ``@`` stands in ``around``: bold, an entry
    (W_i)_{12} or b_{i,1}; ``after``: its value after the update of iteration k, ^{(k)}."""
    m, gate = name.split("_")
    sup = "^{{({k})}}" if after else ""
    if m == "b":
        return (around.replace("@", rf"\mathbf{{{{b}}}}_{{{{{gate}}}}}{sup}"),
                around.replace("@", f"b_{{{{{gate},{{0}}}}}}{sup}"))
    return (around.replace("@", rf"\mathbf{{{{{m}}}}}_{{{{{gate}}}}}{sup}"),
            around.replace("@", f"({m}_{{{{{gate}}}}}{sup})_{{{{{{0}}{{1}}}}}}"))


_GRADIENT = r"\frac{{\partial L}}{{\partial @}}"


class View(Packed, BaseView):
    NOTATION = {
        "z": _step("<z>^{{({gate})}}@"),
        "gate": _step("<{gate}>@"),
        "c": _step("<c>@"),
        "tanh_c": _step(r"\tanh(<c>@)"),
        "h": _step("<h>@"),
        "loss": ("L", "L"),
        "dh": _step(_GRADIENT.replace("@", "<h>@")),
        "dc": _step(_GRADIENT.replace("@", "<c>@")),
        "tanh_c_slope": _step(r"\tanh'(<c>@)"),
        "slope_sigmoid": _step(r"\sigma'(<z>^{{({gate})}}@)"),
        "slope_tanh": _step(r"\tanh'(<z>^{{({gate})}}@)"),
        "dz": _step(r"<\delta>^{{({gate})}}@"),
        **{f"grad.{p}": _parameter(p, _GRADIENT) for p in PARAMETERS},
        **{p: _parameter(p, after=True) for p in PARAMETERS},
        **{f"final.{p}": _parameter(p) for p in PARAMETERS},
    }
