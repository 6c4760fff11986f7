"""Audit a worked solution: align its printed numbers with the computation, find the wrong ones and
say why each is wrong.

1. Every number of the document's mathematics is read with its chain (``numbers``); the
   computation is solved exactly (display mode) into ``values.Element``s, each with the entries of
   the operands it is computed from.
2. Alignment.  A printed result after an expression (``0.1·0.5 + … + 0.2 = 0.6``) is aligned with the
   entry whose operands the expression's numbers are (the one a teacher would say it computes);
   a printed vector or matrix with the step whose entries it agrees with best, position by
   position; any other number with an entry it equals at its printed precision.  Each number is
   compared both with the exact value and with the value the document's own earlier numbers give
   (``values.recompute``): a number that follows from an earlier wrong one is still aligned.  This is
   repeated until the document's values no longer change.
3. Each aligned number that is not its entry's value at its printed precision is a finding, and
   its cause is decided: ``arithmetic`` (its printed expression does not give it), ``operand`` (an
   operand copied wrongly into an expression), ``consequence`` (it follows from an earlier wrong
   number, named), ``rounding`` (it follows from the document's own correctly rounded numbers but
   not from the exact values), ``method`` (2, 3 or 4 times the value or that fraction of it),
   ``slip`` (none of these).
Numbers that no entry explains are "not checked" (whole numbers and indices of notation, which
a document prints for many reasons, are ignored).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from . import arithmetic as ar
from . import numbers as nb
from .values import Element, as_array, at_precision, elements, recompute, rounds_to, step_value, unit

CAUSES = ("slip", "rounding", "consequence", "operand", "method", "arithmetic")
_ROUNDS = 4


@dataclass
class Finding:
    number: nb.Number
    expected: str
    cause: str
    value: str                     # the trace name of the entry ('it1.z1[1]')
    label: str                     # its plain-text label ('z1[1]')
    because: nb.Number | None = None
    why: str = ""

    @property
    def root(self) -> nb.Number | None:
        """The first wrong number a consequence comes from, following ``because`` back."""
        n, seen = self.because, set()
        while n is not None and n.finding is not None and n.finding.because is not None and n.id not in seen:
            seen.add(n.id)
            n = n.finding.because
        return n


@dataclass
class Audit:
    numbers: list[nb.Number]
    findings: list[Finding]
    where: object                  # line -> "line 12" / "page 2, line 5"

    @property
    def checked(self) -> int:
        return sum(n.status in ("correct", "wrong") for n in self.numbers)

    @property
    def by_value(self) -> int:
        """How many of the checked numbers were placed by their value alone (no expression, vector
        or label placed them): right as printed, but it is not known which quantity they stand for."""
        return sum(n.status == "correct" and n.via == "value" for n in self.numbers)

    def explained(self) -> tuple[int, int]:
        """(how many, of the decimals with three significant digits or more) are computed values
        the document prints right, or follow from its own numbers (consequence, rounding): what a
        document of this spec's exercise has many of, and a document of another exercise few."""
        telling = [n for n in self.numbers if not n.script and not n.integer and _significant(n) >= 3]
        return sum(1 for n in telling if (n.status == "correct" and n.via != "value") or (
            n.finding is not None and n.finding.cause in ("consequence", "rounding"))), len(telling)

    @property
    def not_checked(self) -> list[nb.Number]:
        return [n for n in self.numbers if n.status == "unchecked"]


def _fmt(d: Decimal, places: int, comma: bool) -> str:
    s = format(at_precision(d, places), "f")
    if s.startswith("-") and Decimal(s) == 0:
        s = s[1:]
    return s.replace(".", ",") if comma else s


class _Aligner:
    def __init__(self, trace, doc_numbers, chains):
        self.trace = trace
        self.problems = {p.id: p for p in trace.problems}
        self.el: dict = elements(trace)
        self.keys = list(self.el)
        self.numbers = doc_numbers
        self.chains = chains
        self.consumers: dict = {}
        for e in self.el.values():
            for o in e.operands:
                self.consumers.setdefault(o, []).append(e.key)
        self.world: dict = {}             # each entry as the document's own earlier numbers give it
        self.printed: dict = {}           # each entry as the document has it: (start, value, places)
        self.prints: dict = {}            # every value printed for each entry: {value: first start}
        self._index: dict = {}
        self._seen: dict = {}             # matches() of this round
        self._hints: dict = {}
        self._orders_cache = None

    # -- matching
    def _bucket(self, places: int) -> dict:
        """{rounded |value|: [keys]} at ``places`` decimals, exact and as the document has it."""
        if places not in self._index:
            idx: dict = {}
            u = unit(places)
            for k, e in self.el.items():
                for v in {e.value, self.world.get(k, e.value), *self.prints.get(k, {})}:
                    for q in {(abs(v) / u).to_integral_value(rounding="ROUND_HALF_UP"),
                              (abs(v) / u).to_integral_value(rounding="ROUND_HALF_DOWN")}:
                        idx.setdefault(q, []).append(k)
            self._index[places] = idx
        return self._index[places]

    def matches(self, n: nb.Number, key) -> str | None:
        got = self._seen.get((n.id, key), False)
        if got is False:
            got = self._seen[(n.id, key)] = self._matches(n, key)
        return got

    def _matches(self, n: nb.Number, key) -> str | None:
        """'exact' when ``n`` is entry ``key`` at its printed precision; 'doc' when it is the value
        the document printed for the entry earlier (a copy), or (two significant digits or more)
        the value the document's own earlier numbers give.  By magnitude: a document prints -z in
        e^{-z}, and a minus may belong to the expression (0.140 - 0.041)."""
        e = self.el[key]
        if n.signless:
            near = (lambda v: abs(v) == abs(n.value)) if n.integer else \
                (lambda v: rounds_to(abs(v), abs(n.value), n.places))  # a whole number: exactly
        else:
            near = (lambda v: v == n.value) if n.integer else (lambda v: rounds_to(v, n.value, n.places))
        if near(e.value):
            return "exact"
        if not e.given and any(start < n.tok.start and near(v) for v, start in self.prints.get(key, {}).items()):
            return "doc"
        w = self.world.get(key)        # recomputed from rounded numbers: within a unit, or 0.05 %
        if w is not None and _significant(n) >= 2 and not n.integer and abs(
                (abs(w) if n.signless else w) - (abs(n.value) if n.signless else n.value)) <= \
                max(unit(n.places), abs(w) / 2000):
            return "doc"
        return None

    def follows(self, n: nb.Number, key) -> bool:
        """Whether ``n`` is what the document's own earlier numbers give for ``key``: its earlier
        printing, or its recomputation from them within half a unit plus what the rounding of
        those numbers allows."""
        value = abs(n.value) if n.signless else n.value
        if any(start < n.tok.start and (abs(v) if n.signless else v) == value
               for v, start in self.prints.get(key, {}).items()):
            return True
        w = self.world.get(key)
        if w is None:
            return False
        w = abs(w) if n.signless else w
        return abs(w - value) <= unit(n.places) / 2 + self._slack(key, w)

    def _slack(self, key, w: Decimal) -> Decimal:
        """How far the rounding of the printed operands of ``key`` can move its recomputation:
        |w| times the largest relative rounding of one of them."""
        rel = Decimal(0)
        for o in self.el[key].operands:
            src = self.printed.get(o)
            if src is not None and src[1] != 0 and abs(self.el[o].value) != abs(src[1]) and \
                    _digits(str(abs(src[1]))) >= 3:
                rel = max(rel, unit(src[2]) / 2 / abs(src[1]))
        return abs(w) * rel

    def candidates(self, n: nb.Number) -> list:
        """The entries ``n`` matches (``matches``), looked up by value."""
        got = self._seen.get(n.id)
        if got is None:
            got = self._seen[n.id] = self._candidates(n)
        return got

    def _candidates(self, n: nb.Number) -> list:
        u = unit(n.places)
        q = int((abs(n.value) / u).to_integral_value())
        spread = 1 if n.integer or _significant(n) < 2 else min(60, int(abs(n.value) / 2000 / u) + 2)
        bucket = self._bucket(n.places)
        near = [k for d in range(-spread, spread + 1) for k in bucket.get(q + d, ())]
        return list(dict.fromkeys(k for k in near if self.matches(n, k)))

    def nearest(self, keys, cursor: int, prefer_exact_of: nb.Number | None = None):
        def rank(k):
            e = self.el[k]
            exact = prefer_exact_of is not None and self.matches(prefer_exact_of, k) == "exact"
            return (not exact, e.given, abs(e.order - cursor) + (0 if e.order >= cursor else 0.5))
        return min(keys, key=rank) if keys else None

    # -- one round of alignment
    def align(self):
        for n in self.numbers:
            n.key, n.via = None, ""
        cursor = 0
        for c in self.chains:
            for ei, ri in c.pairs:
                cursor = self._pair(c.segments[ei], c.segments[ri], cursor, c.segments[:ei])
            results = {ri for _, ri in c.pairs}       # tried with their expression above
            for j, s in enumerate(c.segments):
                if j not in results and s.plain and len(s.numbers) > 1 and all(m.key is None for m in s.numbers):
                    cursor = self._group(s, cursor, label=c.segments[0] if j else None)
        for n in self.numbers:
            if n.key is None and not n.script and not n.integer:
                cands = self.candidates(n)
                if _significant(n) < 2:          # 0.1 stands for a 0.1, not for a 0.0849
                    cands = [k for k in cands if self._equal(n, k)]
                if cands:
                    n.key, n.via = self.nearest(cands, cursor, n), "value"

    def _group(self, s: nb.Segment, cursor: int, e: nb.Segment | None = None, label=None) -> int:
        nums = [m for m in s.numbers if not m.script]
        if not nums:
            return cursor
        best = None
        told = e.value.cells() if e is not None and e.value is not None else []
        hint = _hint(label.toks) if label is not None and label.value is None and label.toks else None
        for ordered, part in self._orders().get(len(nums), ()):
            if part and not told:       # a row or block of some step agrees by chance: only when the
                continue                # expression printed before it computes it
            # a decimal that agrees says more than a whole number (0, 1 are everywhere)
            score = sum((2 if self.matches(m, k) == "exact" else 1 if self.matches(m, k) else 0) *
                        (1 if m.integer else 2) for m, k in zip(nums, ordered))
            if score == 0:
                continue
            if len(told) == len(ordered):      # the expression before it computes this entry …
                near = unit(max(m.places for m in nums))       # printed operands are rounded
                near = near / 2 if all(m.integer for m in nums) else near
                agree = sum(abs(x.mid - self.el[k].value) <= max(near, abs(self.el[k].value) / 2000)
                            for x, k in zip(told, ordered))
                if 2 * agree < len(ordered):   # … or something else: not this entry
                    continue
                score += 6 * agree
            if hint is not None and hint == self._hint_of(ordered[0]):    # the symbol before "="
                score += 1.5
            order = self.el[ordered[0]].order
            rank = (score, -abs(order - cursor))
            if best is None or rank > best[0]:
                best = (rank, ordered)
        if best is None or 2 * best[0][0] < sum(2 if m.integer else 4 for m in nums):   # half agree
            return cursor
        if all(m.integer for m in nums) and not self._sure(nums, best[1], e):
            return cursor
        for m, k in zip(nums, best[1]):
            m.key = k
        return self.el[best[1][-1]].order          # where the document is in the computation now

    def _orders(self) -> dict:
        """{length: [(entries in the order a document prints them, whether it is a part of a
        step)]}: every step whole (row by row, and a matrix column by column), each of its rows and
        columns, and each 2-D block of a step of three axes or more (one kernel, one channel)."""
        if self._orders_cache is None:
            steps: dict = {}
            for k in self.keys:
                steps.setdefault(k[:2], []).append(k)
            out: dict = {}
            for ks in steps.values():
                shape = tuple(max(i[d] for _, _, i in ks) + 1 for d in range(len(ks[0][2])))
                at = {k[2]: k for k in ks}
                orders = [(ks, False)]
                if len(shape) >= 2:
                    lead = list(np.ndindex(shape[:-2]))
                    for pre in lead:
                        r, c = shape[-2], shape[-1]
                        if len(lead) > 1:
                            orders.append(([at[pre + (i, j)] for i in range(r) for j in range(c)], True))
                        if r > 1 and c > 1:
                            orders.append(([at[pre + (i, j)] for j in range(c) for i in range(r)], len(lead) > 1))
                            orders += [([at[pre + (i, j)] for j in range(c)], True) for i in range(r)]
                            orders += [([at[pre + (i, j)] for i in range(r)], True) for j in range(c)]
                for o, part in orders:
                    out.setdefault(len(o), []).append((o, part))
            self._orders_cache = out
        return self._orders_cache

    def _sure(self, nums: list, keys: list, e: nb.Segment | None) -> bool:
        """Whether whole numbers (which agree with many entries by chance) are this entry: the
        expression before them computes it, or all agree; or all but one of four or more do and
        they are not a block of another step (a window of a convolution's input)."""
        told = e.value.cells() if e is not None and e.value is not None else []
        if len(told) == len(keys) and all(x.mid == self.el[k].value for x, k in zip(told, keys)):
            return True
        agree = sum(self.matches(m, k) is not None for m, k in zip(nums, keys))
        if agree == len(nums):
            return True
        if agree < len(nums) - 1 or agree < 3:
            return False
        values = [m.value for m in nums]
        return not any(self._block(values, name) for name in {k[:2] for k in self.keys} if name != keys[0][:2])

    def _block(self, values: list, name: tuple) -> bool:
        """Whether ``values`` (row-major, a square or a row) are a contiguous block of step ``name``."""
        cells = {k[2]: self.el[k].value for k in self.keys if k[:2] == name}
        if not cells or len(next(iter(cells))) != 2 or len(cells) <= len(values):
            return False
        side = int(len(values) ** 0.5)
        if side * side != len(values):
            return False
        rows = max(i for i, _ in cells) + 1
        cols = max(j for _, j in cells) + 1
        for r0 in range(rows - side + 1):
            for c0 in range(cols - side + 1):
                if all(cells.get((r0 + a, c0 + b)) == values[a * side + b]
                       for a in range(side) for b in range(side)):
                    return True
        return False

    def _pair(self, e: nb.Segment, r: nb.Segment, cursor: int, before: list) -> int:
        if len(r.numbers) != 1:
            if all(m.key is None for m in r.numbers):
                cursor = self._group(r, cursor, e, before[0] if before else None)
            self._leaves(e, [m.key for m in r.numbers if m.key is not None])
            return cursor
        res = r.numbers[0]
        leaves = [m for s in before + [e] for m in s.numbers if not m.script]
        uses: Counter = Counter()          # how many of the leaves each step could be made of
        leaf_cands = {}
        for m in leaves:
            leaf_cands[m.id] = set(self.candidates(m))
            uses.update({c for k in leaf_cands[m.id] for c in self.consumers.get(k, ())})
        pool = {k for k, n in uses.items() if n >= min(2, len(self.el[k].operands))}
        pool.update(self.candidates(res))
        said = e.value.cells()[0].mid if e.value is not None and len(e.value.cells()) == 1 else None
        label = before[0].toks if before and before[0].value is None and before[0].toks else None
        hint, where = (_hint(label), _subscript(label)) if label else (None, None)
        named = set()             # the step the label names, one of its operands wrongly printed
        if hint is not None and where is not None and said is not None:
            named = {k for k, n in uses.items() if n == len(self.el[k].operands) - 1 and
                     where in _entry_texts(k[2]) and self._hint_of(k) == hint}
            pool |= named
        decimals = sum(not m.integer for m in leaves)
        best = None
        for k in sorted(pool, key=lambda k: self.el[k].order):     # ties: the earlier step, always
            el = self.el[k]
            if el.given:
                continue
            ops = list(el.operands)
            matched = 0
            weighted = 0
            subs, spare = {}, []
            for m in leaves:          # an exact agreement counts for more than one with the document's
                hit = next((o for o in ops if o in leaf_cands[m.id]), None)
                if hit is not None:
                    ops.remove(hit)
                    matched += 1
                    weighted += 1 if self.matches(m, hit) == "exact" else 0.6
                    subs.setdefault(hit, m.value.copy_abs().copy_sign(self.el[hit].value) if m.signless
                                    else m.value)
                elif not m.integer:
                    spare.append(m)
            how = self.matches(res, k)
            weight = 2.5 if how == "exact" else 2 if how else 0
            if how and _significant(res) < 2 and abs(el.value) != abs(res.value):
                weight = 1                     # a 0.6 is hardly the 0.6034 of another step
            if how is None:
                # the result is neither it nor its value from the document's numbers: then the
                # expression computes it (the result is wrong), or it is the expression's
                # operands (most of them, making most of the expression: an operand is wrong)
                computes = said is not None and any(
                    v is not None and abs(said - v) <= (unit(res.places) / 2 if res.integer else
                                                        max(unit(res.places), abs(v) / 100))
                    for v in (el.value, self.world.get(k)))
                made_of = matched >= min(2, len(el.operands)) and (
                    said is None or (matched >= 0.6 * len(el.operands) and matched >= 0.6 * decimals))
                made_of = made_of or (k in named and len(ops) == 1 and len(spare) == 1)
                if made_of and said is not None and not computes:
                    # the expression is this step's operation on the printed operands (one of
                    # them wrong)? Not when it is another quantity: e^{-0.15}, a sum before /n
                    if len(ops) == 1 and len(spare) == 1:
                        subs[ops[0]] = spare[0].value
                    v = self._apply(k, subs)
                    made_of = v is not None and abs(said - v) <= max(unit(res.places), abs(v) / 50)
                if not (computes or made_of):
                    continue
            score = weighted + weighted / max(1, len(el.operands)) + weight
            if e.value is not None and len(e.value.cells()) == 1 and _significant(res) >= 2:
                x, half = e.value.cells()[0], unit(res.places) / 2     # the expression computes it
                if abs(x.mid - el.value) <= half or abs(x.mid - self.world.get(k, el.value)) <= half:
                    score += 3
            if hint is not None and hint == self._hint_of(k):    # the symbol before "=" names it
                score += 0.75
            if where is not None and where in _entry_texts(k[2]):  # and its subscript the entry
                score += 0.75
            rank = (score, -abs(el.order - cursor))
            if best is None or rank > best[0]:
                best = (rank, k)
        if best is None:
            return cursor
        res.key = best[1]
        self._leaves(e, [best[1]], before)
        return self.el[best[1]].order

    def _equal(self, m: nb.Number, key) -> bool:
        """Whether ``m`` is exactly entry ``key``, or exactly what the document printed for it before."""
        same = (lambda v: abs(v) == abs(m.value)) if m.signless else (lambda v: v == m.value)
        return same(self.el[key].value) or not self.el[key].given and any(
            start < m.tok.start and same(v) for v, start in self.prints.get(key, {}).items())

    def _operand(self, m: nb.Number, ops: list):
        """The operand ``m`` stands for: one equal to it, else (two significant digits or more) one
        it is a rounding of — a printed 0.1 is the learning rate, not a gradient of 0.0849."""
        hit = next((o for o in ops if self._equal(m, o)), None)
        if hit is None and _significant(m) >= 2:
            hit = next((o for o in ops if self.matches(m, o)), None)
        return hit

    def _leaves(self, e: nb.Segment, results: list, before: list = ()):
        """Align the numbers of each expression of a chain with the operands of the entries it
        computes (each expression on its own: sigma(0.6) = 1/(1 + e^{-0.6}) writes z twice).  Where
        an expression writes all its entry's operands but one, and one decimal printed number is
        left over, that number stands for the missing operand (a wrongly copied operand)."""
        direct = [o for k in results for o in self.el[k].operands]
        deeper = self._closure(direct)
        for s in list(before) + [e]:
            ops = list(direct)
            free = []
            for m in s.numbers:
                if m.script:
                    continue
                hit = self._operand(m, ops)
                if hit is not None:
                    ops.remove(hit)
                    m.key = hit
                else:
                    free.append(m)
            decimals = [m for m in free if not m.integer]
            if len(results) == 1 and len(decimals) == 1 and len(ops) == 1 and len(direct) >= 3:
                decimals[0].key = ops[0]
                continue
            for m in decimals:            # an operand written twice (a(1 - a)), or the chain rule
                hit = self._operand(m, direct) or self._operand(m, deeper)   # written out
                if hit is not None:
                    m.key = hit

    def _hint_of(self, key) -> str | None:
        """The letter a document would write for entry ``key`` (its plain label's: 'z', 'b', 'dw',
        'delta'), for telling apart steps of equal values by the symbol before '='."""
        if key not in self._hints:
            from ..labels import label
            pid, name, idx = key
            p = self.problems[pid]
            try:
                text = label(name, idx, tex=False, kind=p.kind, problem=p)
            except Exception:
                text = name
            self._hints[key] = _plain_hint(text)
        return self._hints[key]

    def _apply(self, key, subs: dict) -> Decimal | None:
        """Entry ``key`` computed by its step's operation with the operand entries ``subs`` as the
        document printed them (the others exact); None for a step without an operation."""
        pid, name, idx = key
        entries = self.problems[pid].entries
        values = []
        for o in entries[name].operands:
            a = as_array(entries[o].dec)
            for (qp, qn, qi), v in subs.items():
                if qp == pid and qn == o:
                    a[qi] = v
            values.append(a)
        r = step_value(entries[name], values)
        return None if r is None else (r[idx] if r.ndim else r.item())

    def _closure(self, keys: list, depth: int = 4, most: int = 200) -> list:
        """The operands of ``keys``' operands, and theirs, breadth first (not ``keys`` themselves)."""
        out, seen, level = [], set(keys), list(keys)
        for _ in range(depth):
            nxt = []
            for k in level:
                for o in self.el[k].operands:
                    if o not in seen:
                        seen.add(o)
                        nxt.append(o)
            out += nxt
            level = nxt
            if len(out) > most:
                break
        return out[:most]


#: Numbers a document may print: a worked solution by hand has hundreds, a long rendered one ~5000.
MAX_NUMBERS = 50_000


def audit(trace, document) -> Audit:
    nums, chains = nb.read(document.text, document.comma)
    if len(nums) > MAX_NUMBERS:
        from ..errors import SpecError
        raise SpecError(f"the document prints {len(nums)} numbers, more than the {MAX_NUMBERS} of any worked "
                        f"solution", where=document.path)
    al = _Aligner(trace, nums, chains)
    for _ in range(_ROUNDS):
        al.world = recompute(trace, {k: v for k, (_, v, _) in al.printed.items()}) if al.printed else {}
        al._index, al._seen = {}, {}
        al.align()
        new, prints = {}, {}    # each entry's last printing with the most decimals; all of them
        placed = {n.key for n in nums if n.key is not None and n.via != "value"}
        for n in sorted(nums, key=lambda n: n.tok.start):
            if n.key is None or (n.via == "value" and n.key in placed):   # by its value alone: weak
                continue
            v = n.value.copy_abs() * (-1 if al.el[n.key].value < 0 else 1) if n.signless else n.value
            prints.setdefault(n.key, {}).setdefault(v, n.tok.start)
            if n.key not in new or n.places >= new[n.key][2]:
                new[n.key] = (n.tok.start, v, n.places)
        al.prints = prints
        if new == al.printed:
            break
        al.printed = new
    al.world = recompute(trace, {k: v for k, (_, v, _) in al.printed.items()})
    al._seen = {}
    return _classify(al, trace, nums, chains, document)


def _classify(al: _Aligner, trace, nums, chains, document) -> Audit:
    from ..labels import label

    problems = {p.id: p for p in trace.problems}
    first: dict = {}                      # key -> first number aligned with it
    for n in nums:
        if n.key is not None:
            first.setdefault(n.key, n)
    pair_of: dict = {}
    for c in chains:
        for ei, ri in c.pairs:
            for m in c.segments[ri].numbers:
                pair_of[m.id] = (c.segments[ei], c.segments[ri], c.segments[:ei])
    findings: list[Finding] = []
    by_id: dict = {}

    def wrong_root(key, places: int, seen=None) -> nb.Number | None:
        """The first printed wrong number the document's value of ``key`` comes from, through
        entries whose value from the document's numbers is off (at ``places`` decimals)."""
        seen = seen or set()
        if key in seen:
            return None
        seen.add(key)
        wrong = [g.number for g in by_id.values() if g.number.key == key]
        if wrong:
            return wrong[0]
        w = al.world.get(key)
        if not al.el[key].operands or w is None or abs(w - al.el[key].value) <= unit(places) / 2:
            return None                   # nothing wrong reaches it
        roots = [r for o in al.el[key].operands if (r := wrong_root(o, places, seen)) is not None]
        return min(roots, key=lambda r: r.tok.start) if roots else None

    for n in nums:
        if n.script:
            n.status = "ignored"
            continue
        if n.key is None:
            chain = _chain_value(al, n, pair_of.get(n.id))
            if chain is not None and not _holds(chain, n):
                n.status = "wrong"        # not a value of the computation, but its expression's
                n.finding = f = Finding(n, _fmt(chain.mid, n.places, "," in n.printed), "arithmetic", "",
                                        "the printed expression",
                                        why=f"the expression before it gives {_short(chain.mid)}")
                by_id[n.id] = f
                findings.append(f)
                continue
            n.status = "ignored" if n.integer else "unchecked"
            continue
        el = al.el[n.key]
        if al.matches(n, n.key) == "exact":
            n.status = "correct"
            continue
        n.status = "wrong"
        exp = el.value if not n.signless else abs(el.value) * (-1 if n.value < 0 else 1)
        pid, name, idx = n.key
        value = (f"{pid}/" if len(problems) > 1 else "") + name + (
            "[" + ",".join(str(i + 1) for i in idx) + "]" if idx else "")
        try:
            lab = label(name, idx, tex=False, kind=problems[pid].kind, problem=problems[pid])
        except Exception:
            lab = value
        expected = _fmt(exp, n.places, "," in n.printed)
        if expected.lstrip("-") == n.printed.lstrip("-").lstrip("0") or expected == n.printed or \
                Decimal(expected.replace(",", ".")) == n.value:
            n.status = "correct"          # its correction would read as it does: it is right as printed
            continue
        f = Finding(n, expected, "slip", value, lab)
        f.cause, f.because, f.why = _cause(al, n, el, pair_of.get(n.id), first, by_id, wrong_root)
        by_id[n.id] = f
        n.finding = f
        findings.append(f)
    return Audit(nums, findings, document.where)


def _chain_value(al: _Aligner, n: nb.Number, pair):
    """The value (an interval, ``arithmetic.Num``) that the expression printed before ``n`` gives
    from its printed numbers, or None (no such expression, or one the reader cannot evaluate)."""
    if pair is None:
        return None
    e, r, _ = pair
    if e.value is None or not (len(r.numbers) == len(e.value.cells()) or len(e.value.cells()) == 1):
        return None
    try:
        v = ar.evaluate(e.toks, 1, ar.document_functions(""), _exact_starts(al, [e]))
    except (ar.Symbolic, ar.Malformed):
        return None
    cells = v.cells()
    return cells[r.numbers.index(n) if len(cells) == len(r.numbers) else 0]


def _holds(x, n: nb.Number) -> bool:
    """Whether printed ``n`` is the interval ``x`` at its printed precision (either sign: a minus
    may be the expression's)."""
    half = unit(n.places) / 2
    return x.lo - half <= n.value <= x.hi + half or x.lo - half <= -n.value <= x.hi + half


def _exact_starts(al: _Aligner, segs) -> frozenset:
    """The printed numbers of ``segs`` that are exact (not roundings): those equal to the entry
    they stand for, and those of fewer than three significant digits that stand for none."""
    out = set()
    for s in segs:
        for m in s.numbers:
            if m.key is not None:
                if abs(al.el[m.key].value) == abs(m.value):
                    out.add(m.tok.start)
            elif _significant(m) < 3:
                out.add(m.tok.start)
    return frozenset(out)


def _cause(al: _Aligner, n: nb.Number, el: Element, pair, first, by_id, wrong_root):
    full = el.value
    # 1. its own printed expression does not give it
    if pair is not None:
        e, r, before = pair
        x = _chain_value(al, n, pair)
        if x is not None and not _holds(x, n):
            return "arithmetic", None, f"the expression before it gives {_short(x.mid)}"
        wrong_ops = [m for s in before + [e] for m in s.numbers if m.id in by_id]
        if wrong_ops:
            m = wrong_ops[0]
            return "consequence", m, f"follows from {m.printed} ({by_id[m.id].label})"
    # 2. a copy of an earlier wrong number of the same entry
    f = first.get(n.key)
    same = [g.number for g in by_id.values() if g.number.key == n.key and not el.given and
            g.number.printed.lstrip("-") == n.printed.lstrip("-")]        # a given is miscopied anew
    if same:
        return "consequence", same[0], f"copies {same[0].printed}"
    # 3. what the document's own earlier numbers give
    w = al.world.get(n.key)
    if not el.given and al.follows(n, n.key):
        root = None
        for o in el.operands:
            r = wrong_root(o, n.places)
            if r is not None and (root is None or r.tok.start < root.tok.start):
                root = r
        if root is not None:
            return "consequence", root, f"follows from {root.printed} ({by_id[root.id].label})"
        if f is not None and f is not n and f.id in by_id:
            return "consequence", f, f"copies {f.printed}"
        return "rounding", None, (f"follows from the document's rounded numbers ({_short(w)}), "
                                  f"not from the exact {_short(full)}" if w is not None else
                                  f"follows from the document's rounded numbers, not from the exact {_short(full)}")
    # 4. an operand of an expression that is not the value it stands for
    if pair is None and any(n in s.numbers for c in al.chains for ei, ri in c.pairs for s in c.segments[:ri]):
        if f is not None and f is not n and f.id in by_id:
            return "consequence", f, f"copies {f.printed}"
        return "operand", None, f"the operand should be {_short(full)}"
    # 5. another formula
    if full != 0 and _significant(n) >= 2:
        if n.value != 0 and rounds_to(-full, n.value, n.places):
            return "slip", None, f"the sign is wrong: the value is {_short(full)}"
        for k in (2, 3, 4):           # a missing or extra factor: 2, ½, n or 1/n of a small batch
            if k > 2 and _significant(n) < 3:
                break
            for factor, why in ((Decimal(k), f"{k} times"), (Decimal(1) / k, f"1/{k} of")):
                if rounds_to(abs(full * factor), abs(n.value), n.places):
                    return "method", None, f"it is {why} the value {_short(full)}: another formula (a factor missing?)"
    return "slip", None, f"the value is {_short(full)}"


_GREEK_HINTS = {r"\delta": "delta"}
_WRAPPERS = {r"\mathbf", r"\boldsymbol", r"\bm", r"\hat", r"\bar", r"\tilde", r"\vec", r"\mathrm", r"\mathit"}


def _hint(toks: list) -> str | None:
    """The symbol a chain's label names, as ``_plain_hint`` writes it: 'z' of z^{(1)}_2, 'dw' of
    ∂L/∂w_{11}, 'delta' of δ^{(2)}; None when it says nothing clear."""
    texts = [t.text for t in toks]
    if r"\partial" in texts:
        k = len(texts) - 1 - texts[::-1].index(r"\partial")
        rest = [t for t in toks[k + 1:] if not (t.kind == "ch" and t.text in "{}") and t.text not in _WRAPPERS]
        first = rest[0] if rest else None
        if first is not None and first.kind in ("ch", "sym") and first.text[:1].isalpha():
            return "d" + first.text[:1].lower()
        return None
    for t in toks:
        if t.text in _WRAPPERS or (t.kind == "ch" and t.text in "{}"):
            continue
        if t.text in _GREEK_HINTS:
            return _GREEK_HINTS[t.text]
        if t.kind in ("ch", "sym") and t.text[:1].isalpha():
            return t.text[:1].lower()
        return None
    return None


def _subscript(toks: list) -> str | None:
    """The digits of a label's last subscript: '41' of w^{(1)}_{41}, '4,1' of W_{4,1}."""
    last = None
    for k, t in enumerate(toks):
        if t.kind == "ch" and t.text == "_" and k + 1 < len(toks):
            if toks[k + 1].kind == "num":
                last = toks[k + 1].text
            elif toks[k + 1].text == "{":
                depth, out = 0, []
                for u in toks[k + 1:]:
                    depth += u.text == "{" if u.kind == "ch" else 0
                    depth -= u.text == "}" if u.kind == "ch" else 0
                    if depth == 0:
                        break
                    if u.kind == "num" or (u.kind == "ch" and u.text == ","):
                        out.append(u.text)
                last = "".join(out) or last
    return last


def _entry_texts(idx: tuple) -> tuple:
    """How a document writes entry ``idx`` (0-based) in a subscript: '41' and '4,1' for (3, 0)."""
    one = [str(i + 1) for i in idx]
    return ("".join(one), ",".join(one)) if one else ()


def _plain_hint(text: str) -> str | None:
    """'z' of 'z1[1] (iteration 1)', 'dw' of 'dL/dW1[1,1]', 'delta' of 'delta2[1]', 'b' of
    'init.b1[1]'; None of '(W2 a)[1]'."""
    head = text.split("[")[0].split(" ")[0]
    head = head.rsplit(".", 1)[-1]
    if head.startswith("dL/d") and len(head) > 4:
        return "d" + head[4].lower()
    if head.startswith("delta"):
        return "delta"
    return head[:1].lower() if head[:1].isalpha() else None


def _digits(text: str) -> int:
    """Significant digits of a printed decimal: 3 of 0.0250, 1 of 0.1."""
    return len(text.replace(".", "").lstrip("0"))


def _significant(n: nb.Number) -> int:
    return _digits(n.tok.text)


def _short(d: Decimal) -> str:
    return format(d.quantize(Decimal("1e-6")).normalize(), "f") if abs(d) < 10 ** 9 else str(d)


def run(spec_path: str, document_path: str, limits=None, force: bool = False) -> tuple[Audit, object]:
    """Audit the document at ``document_path`` against the computation of the spec at
    ``spec_path``: (the audit, the document read).  A document most of whose numbers the
    computation does not explain is refused as the wrong spec's, unless ``force``."""
    from dataclasses import replace

    from ..errors import SpecError
    from ..solve import solve
    from ..spec import load_spec
    from .document import read

    spec = load_spec(spec_path, limits=limits)
    doc = read(document_path)
    trace = solve(spec, replace(spec.rounding, mode="display"))
    result = audit(trace, doc)
    if result.checked == 0 and not force:
        raise SpecError(f"no number of the document is a value of this spec's computation "
                        f"(is it the spec of {document_path}?)", where=str(spec_path))
    explained, telling = result.explained()
    if not force and telling >= 10 and explained < 0.35 * telling:
        raise SpecError(f"only {explained} of the {telling} numbers of {document_path} with three digits or "
                        f"more are values of this spec's computation or follow from the document's own "
                        f"numbers: is it the spec of that document? (--force audits it anyway)",
                        where=str(spec_path))
    return result, doc
