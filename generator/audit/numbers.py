"""The document's side of an audit: every printed number with its line and its place in a printed
chain ``label = expression = result``, read with the hand-checker's reader (``arithmetic``)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from decimal import Decimal

from . import arithmetic as ar

#: tokens a printed result (a number, a vector, a matrix) may be made of besides its numbers
_PLAIN_CH = set("-()[],;{}")


@dataclass
class Number:
    id: int
    tok: ar.Tok
    line: int
    printed: str                 # as the document writes it (its sign if the minus touches it)
    value: Decimal               # signed as printed
    places: int                  # decimals printed
    script: bool = False         # an index or exponent of notation (w_{11}, ^{(1)}, x^2)
    signless: bool = False       # compared by magnitude: after a binary minus, or an exponent
    # filled by the alignment
    key: tuple | None = None
    via: str = ""                # how: "value" when only its value placed it (the weakest)
    status: str = "unchecked"    # correct | wrong | unchecked | ignored
    finding: object = None

    @property
    def integer(self) -> bool:
        return self.places == 0


@dataclass
class Segment:
    toks: list
    numbers: list[Number]
    plain: bool                  # only printed numbers (a result)
    value: object = None         # ar.Arr, or None when not evaluable


@dataclass
class Chain:
    segments: list[Segment]
    rels: list[str]
    line: int
    pairs: list[tuple[int, int]] = field(default_factory=list)   # (expression, result) segments


def _scripts(toks: list) -> tuple[set[int], set[int]]:
    """Starts of the number tokens that are indices or exponents of notation: everything in a
    subscript, a superscript of whole numbers (^2, ^{(1)}, ^{T}) — not e^{-0.6}; and the starts of
    the numbers in such value exponents."""
    out: set[int] = set()
    exponents: set[int] = set()
    close: dict[int, int] = {}
    stack = []
    for k, t in enumerate(toks):
        if t.kind == "ch" and t.text == "{":
            stack.append(k)
        elif t.kind == "ch" and t.text == "}" and stack:
            close[stack.pop()] = k
    k = 0
    while k < len(toks):
        t = toks[k]
        if t.kind == "ch" and t.text in "^_" and k + 1 < len(toks):
            nxt = toks[k + 1]
            if nxt.kind == "num":
                out.add(nxt.start)
                k += 2
                continue
            if nxt.kind == "ch" and nxt.text == "{" and k + 1 in close:
                body = toks[k + 2:close[k + 1]]
                value = t.text == "^" and any(b.kind == "num" and "." in b.text for b in body) or \
                    t.text == "^" and any(b.kind == "ch" and b.text == "-" for b in body)
                (exponents if value else out).update(b.start for b in body if b.kind == "num")
                k = close[k + 1] + 1
                continue
        k += 1
    return out, exponents


def _plain(seg: list) -> bool:
    """Only printed numbers (a number, a vector, a matrix): no operator but a sign."""
    for k, t in enumerate(seg[1:], 1):
        after_value = seg[k - 1].kind == "num" or seg[k - 1].text in ")]"
        if (t.kind == "ch" and t.text in "-(" or t.kind == "begin") and after_value:   # 0.65 - 0.9,
            return False                                            # 2 (-2), -0.119 [2 0]: products
    return any(t.kind == "num" for t in seg) and all(
        t.kind in ("num", "amp", "row", "sep") or (t.kind == "ch" and t.text in _PLAIN_CH) or
        (t.kind in ("begin", "end") and t.text in ar.MATRIX_ENVS) for t in seg)


def read(text: str, comma: bool) -> tuple[list[Number], list[Chain]]:
    """Every number of the document's mathematics, and its chains."""
    starts = [0] + [k + 1 for k, c in enumerate(text) if c == "\n"]

    def line_of(pos: int) -> int:
        return bisect.bisect_right(starts, pos)

    numbers: dict[int, Number] = {}
    chains: list[Chain] = []
    funcs = ar.document_functions(text)
    tail: list = []
    prev_end = -1
    for unit in ar._units(text):
        scripts, exponents = _scripts(unit.toks)
        for t in unit.toks:
            if t.kind != "num":
                continue
            raw = text[t.start:t.end]
            before = text[max(unit.start, t.start - 8):t.start].rstrip()
            touching = t.start > 0 and text[t.start - 1] == "-"
            binary = before.endswith("-") and before[:-1].rstrip()[-1:] in tuple("0123456789)]")
            signed = touching and not binary            # 0-0.1 and (a)-0.1: a minus between operands
            signless = t.start in exponents or binary or (not signed and before.endswith("-"))
            digits = t.text
            places = len(digits.split(".")[1]) if "." in digits else 0
            value = Decimal(digits) * (-1 if signed else 1)
            printed = ("-" if signed else "") + raw.replace("{,}", ",")     # as it reads: 0,070
            numbers[t.start] = Number(len(numbers), t, line_of(t.start), printed, value, places,
                                      t.start in scripts, signless)
        follows = unit.display and prev_end >= 0 and not text[prev_end:unit.start].strip()
        toks_chains = [c for line in ar._lines(unit.toks) for c in ar._chains(line)]
        if toks_chains and toks_chains[0][0].kind == "rel" and follows:
            toks_chains[0] = tail + toks_chains[0]
        for chain in toks_chains:
            depths = ar._depths(chain)
            segs = ar._split(chain, lambda t: t.kind == "rel")
            rels = [t.text for t, d in zip(chain, depths) if d <= 0 and t.kind == "rel"]
            segments = []
            for seg in segs:
                nums = [numbers[t.start] for t in seg if t.kind == "num" and t.start in numbers]
                s = Segment(seg, nums, _plain(seg))
                if nums:
                    try:
                        s.value = ar.evaluate(seg, None, funcs)
                    except (ar.Symbolic, ar.Malformed):
                        s.value = None
                segments.append(s)
            c = Chain(segments, rels, line_of(chain[0].start))
            for k in range(1, len(segments)):
                a, b = segments[k - 1], segments[k]
                if b.plain and a.value is not None and not a.plain:
                    c.pairs.append((k - 1, k))
            chains.append(c)
        tail = ar._split(toks_chains[-1], lambda t: t.kind == "rel")[-1] if toks_chains else []
        prev_end = unit.end if unit.display else -1
    return sorted(numbers.values(), key=lambda n: n.tok.start), chains
