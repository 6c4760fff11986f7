"""The skip-gram notation of the labels (answer keys, feedback, the carried-rounding table): in
LaTeX the symbols the pages print (``views.NOTATION``, one table; every step's note is its name),
in plain text the same names spelled out (u_o.v_c, dl/dv_c[2], v_c[2] (after the update))."""

from __future__ import annotations

from ...labels import index_text
from .views import NOTATION

#: Plain text of each value by its name (``updated.<name>``: the same, after the update).
_PLAIN = {"score_o": "u_o.v_c", "score_neg": "u_k.v_c", "sigma_o": "sigma(u_o.v_c)",
          "sigma_neg": "sigma(u_k.v_c)", "sigma_neg_minus": "sigma(-u_k.v_c)", "loss": "l",
          "coef_o": "sigma(u_o.v_c) - 1", "grad.v_c": "dl/dv_c", "grad.u_o": "dl/du_o",
          "grad.negatives": "dl/du_k", "v_c": "v_c", "u_o": "u_o", "negatives": "u_k"}


def label(name: str, index, tex: bool = True) -> str | None:
    """The symbol of trace value ``name`` (entry ``index``, 0-based), or None for a name the kind
    does not name (then the generic one)."""
    if tex:
        forms = NOTATION.get(name)
        if forms is None:
            return None
        whole, entry = forms
        return entry.format(*[int(i) + 1 for i in index]) if index else whole
    base = name.removeprefix("updated.")
    plain = _PLAIN.get(base)
    if plain is None:
        return None
    return plain + index_text(index, False) + (" (after the update)" if base != name else "")
