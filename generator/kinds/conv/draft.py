"""Drafting a convolution from a hand-written worked solution (``dryrun init --from``,
generator/draft/): every ``conv(X, W, stride = s, padding = p)`` the document writes, with the
matrices its X and W last hold, written as a ``parts:`` entry (one per distinct call)."""

from __future__ import annotations

import re

from ...draft.common import grid_calls, guessed, latest_before, show, stride_padding, to_yaml

_CALL = re.compile(r"\bconv(?:2d)?\s*\(\s*\\?([A-Za-z]+)\s*,\s*\\?([A-Za-z]+)\s*((?:,\s*[a-z]+\s*=\s*\d+\s*)*)\)")
#: Words of its formulas: the drafter's tokenizer reads them whole, and they mark a formula.
WORDS = FORMULA_WORDS = ("conv", "stride", "padding", "pad")


def draft(d) -> list[tuple[int, list[str]]]:
    """[(line, the part's YAML lines)] of every distinct convolution call whose input and kernel
    have values."""
    parts = []
    for calls, x in grid_calls(d, _CALL, 1):
        line, m = calls[0].line, calls[0].match
        w = latest_before(d.facts, m.group(2), line)
        if w is None:
            continue
        stride, why, pad, pad_why = stride_padding(d, calls, x.value, (len(w.value), len(w.value[0])),
                                                   (1, "not stated; 1"))
        d.given(f"convolution input {m.group(1)}", show(x.value), x.line, x.source)
        d.given(f"convolution kernel {m.group(2)}", show(w.value), w.line, w.source)
        d.given("convolution", f"stride {stride}, padding {pad}", line, m.group(0))
        parts.append((line, ["  - kind: conv", f"    id: conv-s{stride}p{pad}",
                             f'    title: "Convolution, stride {stride}, padding {pad}"',
                             f"    input: {to_yaml(x.value)}", f"    kernel: {to_yaml(w.value)}",
                             guessed(f"    stride: {stride}", why), guessed(f"    padding: {pad}", pad_why)]))
    return parts
