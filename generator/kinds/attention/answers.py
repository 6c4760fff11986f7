"""What a self-attention exercise asks: O and, with an upstream gradient, the gradients of the
projections and of the tokens."""

from __future__ import annotations

from ..common import upstream_groups, upstream_is_key

#: Every variant of the same shapes feeds its answers from the same entries, except through values
#: that are exactly 0: grading learns one dependency table for them (``Kind.shares_structure``).
SHARED_STRUCTURE = True


#: The inputs whose gradient an upstream ∂L/∂O gives (``grad.<input>``), in the order computed.
INPUTS = ("W_q", "W_k", "W_v", "tokens")


def groups(model, p) -> dict[str, list[str]]:
    return upstream_groups(model, INPUTS)


is_key = upstream_is_key(INPUTS)


def given(model, p) -> list[tuple[str, object]]:
    rows = [("tokens X (one per row)", p.dec("tokens")), ("W_q", p.dec("W_q")), ("W_k", p.dec("W_k")),
            ("W_v", p.dec("W_v")), ("mask", model.mask)]
    if model.scale != "sqrt_dk":             # the default, 1/sqrt(d_k), goes without saying
        rows.append(("scale: S = Q K^T" if model.scale == "none" else "scale c: S = c Q K^T",
                     model.scale if model.scale == "none" else p.dec("scale")))
    if model.upstream is not None:
        rows.append(("dL/dO", p.dec("upstream")))
    return rows
