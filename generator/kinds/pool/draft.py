"""Drafting a pooling from a hand-written worked solution (``dryrun init --from``, generator/draft/):
every ``max(X, 2 × 2)`` / ``avg(X, 2 × 2, stride = s)`` (also ``maxpool``, ``average pooling``) the
document writes, with the matrix its X last holds, written as a ``parts:`` entry (one per distinct
call)."""

from __future__ import annotations

import re

from ...draft.common import grid_calls, guessed, show, stride_padding, to_yaml

_CALL = re.compile(r"\b(max|avg|average|mean)(?:[\s_-]*pool(?:ing)?(?:2d)?)?\s*\(\s*\\?([A-Za-z]+)\s*,\s*"
                   r"(\d+)\s*(?:\\times|x|\*)\s*(\d+)\s*((?:,\s*[a-z]+\s*=\s*\d+\s*)*)\)")
#: Words of its formulas the drafter's tokenizer reads whole; the options' also mark a formula.
WORDS = ("maxpool", "avgpool", "pool", "avg", "stride", "padding", "pad")
FORMULA_WORDS = ("stride", "padding", "pad")


def draft(d) -> list[tuple[int, list[str]]]:
    """[(line, the part's YAML lines)] of every distinct pooling call whose input has values."""
    parts = []
    for calls, x in grid_calls(d, _CALL, 2):
        line, m = calls[0].line, calls[0].match
        kh, kw = int(m.group(3)), int(m.group(4))
        stride, why, pad, pad_why = stride_padding(d, calls, x.value, (kh, kw),
                                                   (kh, "not stated; the window size (PyTorch's default)"))
        mode = "max" if m.group(1) == "max" else "average"
        d.given(f"pooling input {m.group(2)}", show(x.value), x.line, x.source)
        d.given("pooling", f"{mode}, window {kh}×{kw}", line, m.group(0))
        lines = ["  - kind: pool", f"    id: {'maxpool' if mode == 'max' else 'avgpool'}",
                 f'    title: "{"Max" if mode == "max" else "Average"} pooling {kh}x{kw}"',
                 f"    input: {to_yaml(x.value)}", f"    mode: {mode}",
                 f"    window: {kh if kh == kw else f'[{kh}, {kw}]'}", guessed(f"    stride: {stride}", why)]
        if pad:
            lines.append(guessed(f"    padding: {pad}", pad_why))
        parts.append((line, lines))
    return parts
