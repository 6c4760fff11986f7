"""The facts of a worked solution: every equation as a chain of sides, and every value a symbol is
given in it (set to a literal, paired with a number of a numeric line of the same shape, or worked
out), in the document's order; ``Facts.first`` is the first value each symbol gets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .latex import chains
from .parse import Atom, Term, atom_value, has_numbers, side_value, single_symbol, symbolic, terms
from .reading import Seg

_CONTINUE_LINES = 6                  # a line starting with "=" continues a chain this close above


# --------------------------------------------------------------------------- symbols


def clean_script(s: str) -> str:
    s = re.sub(r"\\(?:text|mathrm|mathit|textrm|mathbf)\{([^}]*)\}", r"\1", s)
    return s.replace("{", "").replace("}", "").replace(" ", "").replace("\\", "")


def layer_number(sup: str) -> int | None:
    m = re.fullmatch(r"[(\[]?(\d{1,2})[)\]]?", clean_script(sup))
    return int(m.group(1)) if m else None


def indices(sub: str) -> tuple[int, ...] | None:
    t = clean_script(sub)
    if re.fullmatch(r"\d{1,2},\d{1,2}", t):
        return tuple(int(x) for x in t.split(","))
    if re.fullmatch(r"\d+", t):
        return tuple(int(x) for x in t) if len(t) <= 2 else None
    return None


@dataclass(frozen=True)
class Sym:
    base: str
    accent: str
    sub: str
    sup: str

    def show(self) -> str:
        """The symbol as the header writes it: ŷ, ỹ, η, W^{(2)}, w_{11}^{1}."""
        base = {"eta": "η", "alpha": "α", "lambda": "λ"}.get(self.base, self.base)
        base += {"hat": "\u0302", "tilde": "\u0303", "bar": "\u0304"}.get(self.accent, "")
        return base + (f"_{{{self.sub}}}" if self.sub else "") + (f"^{{{self.sup}}}" if self.sup else "")


def sym_of(a: Atom) -> Sym:
    return Sym(a.text, a.accent, clean_script(a.sub), clean_script(a.sup))


# --------------------------------------------------------------------------- facts


@dataclass
class Event:
    sym: Sym
    value: object        # number text / list / rows, or None for "computed"
    line: int
    how: str             # literal, paired, computed
    source: str = ""


@dataclass
class Facts:
    events: list = field(default_factory=list)
    chains: list = field(default_factory=list)       # every Chain in order

    def first(self, pred, skip_computed: bool = False):
        """The first event of each symbol matching ``pred``, where it gives a value: a symbol whose
        first value is worked out (ŷ = σ(2) ≈ 0.881) is left out, unless ``skip_computed``."""
        seen = {}
        for e in self.events:
            if pred(e.sym) and e.sym not in seen and not (skip_computed and e.how == "computed"):
                seen[e.sym] = e
        return {s: e for s, e in seen.items() if e.how != "computed"}


def _pair(sym_terms: list[Term], num_terms: list[Term], line: int, source: str, out: list, depth: int = 0):
    """Symbols of a symbolic side paired with the literals of a numeric side of the same shape."""
    if depth > 3 or len(sym_terms) != len(num_terms):
        return
    for st, nt in zip(sym_terms, num_terms):
        if st.sign != nt.sign or len(st.atoms) != len(nt.atoms):
            continue
        for sa, na in zip(st.atoms, nt.atoms):
            if sa.kind == "sym" and not sa.prime:
                v = atom_value(na)
                if v is not None:
                    out.append(Event(sym_of(sa), v, line, "paired", source))
            elif sa.kind == "group" and na.kind == "group" and sa.text == na.text:
                _pair(terms(sa.raw), terms(na.raw), line, source, out, depth + 1)


@dataclass
class Chain:
    """One equation ``a = b ≈ c ← d``: its sides with the relation before each, and the line of each."""
    sides: list                # [(relation before, side text)]
    lines: list                # the line of each side
    prose: str                 # the prose of the line it starts on
    own: bool = True           # False: it goes on from an equation above ("= …" on the next line)

    @property
    def line(self) -> int:
        return self.lines[0]

    def text(self) -> str:
        return " = ".join(side for _, side in self.sides)


def facts_of(segs: list[Seg]) -> Facts:
    f = Facts()
    for seg in segs:
        for sides in chains(seg.text):
            c = Chain(sides, [seg.line] * len(sides), seg.prose)
            last = f.chains[-1] if f.chains else None
            if not sides[0][1] and last is not None and seg.line - last.lines[-1] <= _CONTINUE_LINES:
                c = Chain(last.sides + sides[1:], last.lines + c.lines[1:], last.prose, False)
            elif sides[0][1] and len(sides) >= 2:
                lhs = sides[0][1].replace(" ", "")
                for prev in reversed(f.chains[-8:]):
                    if seg.line - prev.lines[-1] > _CONTINUE_LINES:
                        break
                    if prev.sides[0][1].replace(" ", "") == lhs and len(prev.sides) >= 2:
                        if symbolic(terms(prev.sides[-1][1])) and has_numbers(terms(sides[1][1])):
                            # "Z = Wx + b", then "Z = [..] [..] + [..]": one equation
                            c = Chain(prev.sides + sides[1:], prev.lines + c.lines[1:], prev.prose, False)
                        break
            _chain_events(c, f.events, len(c.sides) - len(sides) if not c.own else 0)
            f.chains.append(c)
    return f


def _chain_events(c: Chain, events, start: int = 0):
    """The events of an equation; of one continued from above, those of the sides from ``start`` on
    (the pairs before were read with the equation above)."""
    chain, lines, source = c.sides, c.lines, c.text()
    sides = [terms(side) for _, side in chain]
    # literal assignments: a symbol, then (after symbolic sides only) a literal
    for i in range(max(0, start - 1), len(sides) - 1):
        a = single_symbol(sides[i])
        if a is None or a.prime or chain[i + 1][0] in (r"\leftarrow", r"\gets"):
            continue
        v = side_value(sides[i + 1])
        if v is not None and all(not has_numbers(s) for s in sides[:i + 1]):
            events.append(Event(sym_of(a), v, lines[i + 1], "literal", source))
    # a symbol on the left whose value is worked out: computed, not given
    lhs = single_symbol(sides[0]) if sides and chain[0][1] else None
    if lhs is not None and not any(has_numbers(s) for s in sides[:start]):
        for j in range(1, len(sides)):
            if has_numbers(sides[j]):
                if side_value(sides[j]) is None or chain[j][0] in (r"\leftarrow", r"\gets"):
                    events.append(Event(sym_of(lhs), None, lines[j], "computed", source))
                break
    # symbolic side followed by a numeric side of the same shape
    for i in range(max(0, start - 1), len(sides) - 1):
        if symbolic(sides[i]) and has_numbers(sides[i + 1]):
            _pair(sides[i], sides[i + 1], lines[i + 1], source, events)
