"""Self-attention's own notation (LaTeX): the output O and the gradients of W_q, W_k, W_v and of the
tokens X (the answers, as the key writes them); every other step with the symbol its line prints
(``views.View.NOTATION``: Q, S, A, ∂L/∂V …)."""

from ...labels import from_notation, upstream
from .views import View

_ANSWERS = upstream("O", {"W_q": "W_q", "W_k": "W_k", "W_v": "W_v", "tokens": "X"})
_STEPS = from_notation(View.NOTATION)


def label(name: str, index, tex: bool) -> str | None:
    own = _ANSWERS(name, index, tex)
    return own if own is not None else _STEPS(name, index, tex)
