"""The schema of a skip-gram exercise: the center word's input vector v_c (a row of W_in), the
context word's output vector u_o and the negative samples' output vectors u_1 … u_K (rows of
W_out), the learning rate; optionally the words themselves, the loss after the update, or
``stop_after``: the loss alone (``forward``) or the loss and the gradients, no update."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import SpecError
from ...validate import flag, join, mapping, matrix, number, plural, text, typename, vector
from ..common import refuse_training, stop_after

KEYS = ("id", "title", "text", "v_c", "u_o", "negatives", "learning_rate", "loss_after", "stop_after", "words")
#: What an exercise that stops before the update (``stop_after``) does not take.
TRAINING_ONLY = ("learning_rate", "loss_after")
WORD_KEYS = ("center", "context", "negatives")


@dataclass(frozen=True, eq=False)
class SkipGram:
    id: str
    title: str
    text: str
    v_c: np.ndarray                 # d: the center word's input vector
    u_o: np.ndarray                 # d: the context word's output vector
    negatives: np.ndarray           # K × d: u_1 … u_K, one per row
    learning_rate: float | None     # None: an exercise that stops before the update
    loss_after: bool                # the loss with the updated vectors (only with an update)
    words: dict | None              # {"center": str, "context": str, "negatives": (str, …)} or None
    kind: str = "skipgram"
    stop_after: str | None = None   # "forward" (the loss) or "gradients" (and its gradients); None: update

    @property
    def dim(self) -> int:
        """d, the length of every word vector."""
        return int(self.v_c.size)

    @property
    def samples(self) -> int:
        """K, the negative samples."""
        return int(self.negatives.shape[0])

    @property
    def updates(self) -> bool:
        """Whether the exercise makes the SGD step (no ``stop_after``)."""
        return self.stop_after is None


def _vector(value, field: str, d: int | None, limits) -> np.ndarray:
    """A word vector: d numbers (``d`` None: its length sets d, at most limits.max_units)."""
    if isinstance(value, list) and any(isinstance(v, list) for v in value):
        raise SpecError(f"expected a list of numbers (one word vector), got {typename(value)} of lists", field=field)
    v = vector(value, field)
    if d is None and v.size > limits.max_units:
        raise SpecError(f"{v.size} entries, more than {limits.max_units} (limit max_units)", field=field)
    if d is not None and v.size != d:
        raise SpecError(f"expected {plural(d, 'entry', 'entries')} like v_c, got {v.size}", field=field)
    return v


def _negatives(value, field: str, d: int, limits) -> np.ndarray:
    """u_1 … u_K, one row each (a flat list of d numbers is one sample)."""
    U = matrix(value, field)
    if U.shape[1] != d:
        raise SpecError(f"each negative sample is a row of {plural(d, 'number')} like v_c, got rows of "
                        f"{U.shape[1]}", field=field)
    if U.shape[0] > limits.max_units:
        raise SpecError(f"{U.shape[0]} negative samples, more than {limits.max_units} (limit max_units)",
                        field=field)
    return U


def _words(value, field: str, samples: int) -> dict | None:
    """The words of the pair and of the samples (for the page), or None."""
    if value is None:
        return None
    m = mapping(value, field, WORD_KEYS)
    out = {key: text(m[key], join(field, key), 40) for key in ("center", "context") if key in m}
    if "negatives" in m:
        words = m["negatives"]
        if not isinstance(words, list) or len(words) != samples:
            raise SpecError(f"expected a list of {plural(samples, 'word')}, one per negative sample",
                            field=join(field, "negatives"))
        out["negatives"] = tuple(text(w, join(join(field, "negatives"), i), 40) for i, w in enumerate(words))
    return out


def parse(value, field: str, ident: str, limits) -> SkipGram:
    stop = stop_after(value, field)
    required = ("v_c", "u_o", "negatives") + (() if stop else ("learning_rate",))
    m = mapping(value, field, KEYS, required)
    refuse_training(m, field, stop, TRAINING_ONLY)
    at = lambda key: join(field, key)                 # noqa: E731
    v_c = _vector(m["v_c"], at("v_c"), None, limits)
    negatives = _negatives(m["negatives"], at("negatives"), v_c.size, limits)
    return SkipGram(id=ident, title=text(m.get("title"), at("title"), 300), text=text(m.get("text"), at("text")),
                    v_c=v_c, u_o=_vector(m["u_o"], at("u_o"), v_c.size, limits), negatives=negatives,
                    learning_rate=None if stop else number(m["learning_rate"], at("learning_rate"), positive=True),
                    loss_after=False if stop else flag(m.get("loss_after", True), at("loss_after")),
                    words=_words(m.get("words"), at("words"), negatives.shape[0]), stop_after=stop)


def cost(model: SkipGram) -> int:
    """The terms the worked solution computes and writes out (each product of a dot product, each
    printed entry), from the shapes alone: limits.max_part_terms bounds it before any work."""
    d, K = model.dim, model.samples
    forward = 2 * d * (K + 1) + 4 * (K + 1)              # the dot products, the sigmoids, the loss
    gradients = 2 * d * (K + 1) + d * (K + 1) + 2 * d    # ∂ℓ/∂v_c, ∂ℓ/∂u_o, ∂ℓ/∂u_k
    updates = 3 * d * (K + 2)
    return forward + (gradients if model.stop_after != "forward" else 0) + \
        ((updates + (forward if model.loss_after else 0)) if model.updates else 0)
