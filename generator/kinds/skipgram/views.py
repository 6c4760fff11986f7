"""The skip-gram notation (CS224n's): the center word's input vector v_c, the context word's output
vector u_o, the negative samples' output vectors u_k (the rows of U_neg), ℓ the loss of the pair; a
prime marks a vector after the update (v_c′) and what is computed from it.  A step's symbol is looked
up by its note, which is its trace name (``View.NOTATION``: the whole value, and one entry as a
``str.format`` pattern of its 1-based indices)."""

from __future__ import annotations

from ...view import View as BaseView


def _escaped(tex: str) -> str:
    """``tex`` as a ``str.format`` pattern without fields."""
    return tex.replace("{", "{{").replace("}", "}}")


def _scalar(tex: str) -> tuple[str, str]:
    return tex, _escaped(tex)


#: {vector: (its LaTeX, the pattern of its entry)}: v_{c,j}, u_{o,j}, u_{k,j} (row k of U_neg).
VECTORS = {"v_c": (r"\mathbf{v}_c", "v_{{c,{0}}}"), "u_o": (r"\mathbf{u}_o", "u_{{o,{0}}}"),
           "negatives": (r"\mathbf{U}_{\text{neg}}", "u_{{{0},{1}}}")}


def _pass(pre: str, mark: str) -> dict:
    """The symbols of a forward pass (``pre``: "" or "updated."), its vectors marked ``mark``."""
    score_o = r"\mathbf{u}_o" + mark + r"^{\top} \mathbf{v}_c" + mark
    scores = r"\mathbf{U}_{\text{neg}}" + mark + r" \mathbf{v}_c" + mark
    score_k = r"\mathbf{{u}}_{{{0}}}" + mark + r"^{{\top}} \mathbf{{v}}_c" + mark      # u_kᵀ v_c, k = {0}
    score_1 = r"\mathbf{u}_1" + mark + r"^{\top} \mathbf{v}_c" + mark                # the one sample's
    return {
        pre + "score_o": _scalar(score_o),
        pre + "score_neg": (scores, score_k),
        pre + "sigma_o": _scalar(rf"\sigma({score_o})"),
        pre + "sigma_neg": (rf"\sigma({scores})", rf"\sigma({score_k})"),
        pre + "sigma_neg_minus": (rf"\sigma(-{scores})", rf"\sigma(-{score_k})"),
        pre + "loss": _scalar(r"\ell" + mark),
        # one negative sample (K = 1): its score is u_1ᵀ v_c rather than a vector U_neg v_c of one entry
        pre + "score_neg.one": (score_1, score_k),
        pre + "sigma_neg.one": (rf"\sigma({score_1})", rf"\sigma({score_k})"),
        pre + "sigma_neg_minus.one": (rf"\sigma(-{score_1})", rf"\sigma(-{score_k})"),
    }


NOTATION = {
    **_pass("", ""),
    **_pass("updated.", "'"),
    "coef_o": _scalar(r"\sigma(\mathbf{u}_o^{\top} \mathbf{v}_c) - 1"),
    **{f"grad.{name}": (rf"\frac{{\partial \ell}}{{\partial {whole}}}", r"\partial \ell / \partial " + entry)
       for name, (whole, entry) in VECTORS.items()},
    **{f"updated.{name}": (whole + "'", entry + "'") for name, (whole, entry) in VECTORS.items()},
}


class View(BaseView):
    NOTATION = NOTATION

    def word(self, key: str, k: int | None = None) -> str | None:
        """The word the exercise names for ``key`` (center, context, or the ``k``-th negative
        sample, from 0), or None."""
        words = self.model.words or {}
        if k is None:
            return words.get(key)
        return words["negatives"][k] if "negatives" in words else None
