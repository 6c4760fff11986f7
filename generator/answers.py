"""The answers a homework asks for, made for grading: per answer its label in the document's
notation, the string the key prints, the printed number, the full-precision value, the carried
value (carry mode) and a tolerance derived from the rounding policy.

Which values are asked is the spec's ``answers:`` list: trace names (``it1.dW2``) or groups —
``key`` (the default: losses, trained final parameters, outputs; the gradients of an exercise
that trains nothing), ``losses``, ``parameters``, ``gradients``, ``outputs``.  A final parameter
that still equals its given value asks nothing and is left out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from .errors import SpecError
from .numbers import format_number

GROUPS = ("key", "losses", "parameters", "gradients", "outputs")


@dataclass(frozen=True)
class Answer:
    name: str               # 'it1.loss', 'final.W1[1,2]' (1-based), 'part/…' in a parts spec
    label: str              # plain text: 'W1[1,2] (after training)'
    label_tex: str          # the document's notation: W^{(1)}_{12}
    shown: str              # as the key prints it ('0,2014' with a decimal comma)
    value: float            # the printed number
    full: float             # at full precision
    carried: float | None   # carry mode: the value the hand calculation carried
    tolerance: float        # float(unit): an answer within this of value or full is right
    unit: Decimal = Decimal(0)        # one unit of the last digit the rounding policy asks for
    key: Decimal = Decimal(0)         # the printed number, exactly
    full_exact: Decimal = Decimal(0)  # the full-precision value, exactly (60 digits)
    asked: str = ""                   # the precision asked: '4 decimals', '3 significant figures'


def asked_unit(value, precision) -> Decimal:
    """One unit of the last digit ``precision`` asks for at ``value``: 10⁻ᵈ for d decimals; for s
    significant figures the unit of the s-th significant digit of the rounded value (0.000123 at 3
    figures → 0.000001). Comes from the rounding policy, never from how a float prints."""
    from .numbers import round_decimal
    return Decimal(1).scaleb(round_decimal(value, precision).as_tuple().exponent)


def accepted(a: Answer) -> list[tuple[Decimal, Decimal]]:
    """The intervals in which an answer is correct, shared by the LMS files and ``grade``'s *correct*
    status: first the key ± one asked unit, then — where it differs from the key (carry mode) — the
    full-precision value rounded as asked ± one asked unit (a student who computes at full precision
    and rounds at the end). Each interval is centred on a value a student can write, so an LMS shows
    the key as the exact answer. Bounds are exact decimals with the asked digits (0.0283 … 0.0285)."""
    from decimal import ROUND_HALF_UP
    u = a.unit
    full = a.full_exact.quantize(u, rounding=ROUND_HALF_UP) if u else a.full_exact
    spans = [(a.key - u, a.key + u)]
    if full != a.key:
        spans.append((full - u, full + u))
    return spans


def _entries(value):
    a = np.asarray(value, dtype=object)
    if a.ndim == 0:
        return [("", a.item())]
    return [(f"[{','.join(str(i + 1) for i in idx)}]", a[idx]) for idx in np.ndindex(a.shape)]


def _group(group: str, model, p) -> list[str]:
    from .kinds import kind
    return kind(model.kind).groups(model, p)[group]


def trace_names(model, p, selection) -> list[str]:
    """The trace names of ``selection`` (groups and names) for one solved problem, in order."""
    out = []
    for item in selection:
        found = _group(item, model, p) if item in GROUPS else [item]
        for n in found:
            if n not in p.entries:
                raise SpecError(f"'{n}' is no value of exercise '{p.id}' (see docs/trace.md for the names, "
                                f"or use a group: {', '.join(GROUPS)})", field="answers")
            if n not in out:
                out.append(n)
    order = {n: i for i, n in enumerate(p.entries)}
    return sorted(out, key=lambda n: order[n])          # in the order of the computation


def answers(spec, trace, selection=("key",)) -> list[Answer]:
    """The answers of one solved variant."""
    from .labels import key_symbol, label
    from .numbers import round_decimal, to_decimal

    policy = trace.rounding
    ref = trace.reference or trace
    multi = len(trace.problems) > 1
    out = []
    for model, p, q in zip(spec.problems, trace.problems, ref.problems):
        pre = f"{p.id}/" if multi else ""
        for n in trace_names(model, p, selection):
            e, full = p.entries[n], q.entries[n]
            given = p.entries.get("init." + n[len("final."):]) if n.startswith("final.") else None
            start = dict(_entries(given.dec)) if given is not None else {}
            fulls = dict(_entries(full.dec))
            for (idx, value), mask in zip(_entries(e.dec), np.asarray(e.exact_mask).ravel()):
                if idx in start and start[idx] == value:
                    continue          # an answer that repeats a given value asks nothing
                kind = None if e.kind == "given" or e.full else e.kind
                shown = format_number(value, policy, kind)
                printed = round_decimal(to_decimal(value), policy.precision(kind)) if kind else to_decimal(value)
                precision = policy.precision(kind if kind else _asked_kind(e.kind))
                unit = asked_unit(to_decimal(value), precision)
                index = tuple(int(i) - 1 for i in idx.strip("[]").split(",")) if idx else ()
                out.append(Answer(
                    name=f"{pre}{n}{idx}", label=(f"{p.id}: " if multi else "") + label(n, index, tex=False, problem=p),
                    label_tex=key_symbol(n, index, problem=p), shown=shown, value=float(printed),
                    full=float(fulls[idx]), carried=float(value) if trace.reference is not None else None,
                    tolerance=float(unit), unit=unit, key=printed, full_exact=to_decimal(fulls[idx]),
                    asked=_asked_text(precision)))
    return out


def _asked_kind(kind):
    """The rounding kind whose precision an exact (unrounded) answer is asked at."""
    from .numbers import KINDS
    return kind if kind in KINDS else None


def _asked_text(precision) -> str:
    n = precision.digits
    if precision.style == "decimals":
        return f"{n} decimal{'s' if n != 1 else ''}"
    return f"{n} significant figure{'s' if n != 1 else ''}"


#: An answer's name as the answer files write it and a responses file's column names it: the
#: exercise's id in a parts spec, the trace name, the 1-based entry ('part/final.W1[1,2]').
_ANSWER_NAME = re.compile(r"(?:([\w-]+)/)?([^\W\d][\w.]*?)(?:\[([0-9]+(?:,[0-9]+)*)\])?")


def split_answer_name(name: str) -> tuple[str | None, str, tuple] | None:
    """(exercise id or None, trace name, 0-based entry) of an answer's name, 'part/final.W1[1,2]' →
    ('part', 'final.W1', (0, 1)); None for a text named like no answer. The one place an answer's
    name (a column of a responses file, a key's column) is read."""
    m = _ANSWER_NAME.fullmatch(name)
    if m is None:
        return None
    part, trace_name, idx = m.groups()
    return part, trace_name, tuple(int(i) - 1 for i in idx.split(",")) if idx else ()


def part_kinds(spec) -> dict:
    """The kind of each exercise of ``spec`` by the id its answers' names start with (None: a spec
    of one exercise, whose answers' names have no id)."""
    if len(spec.problems) == 1:
        return {None: spec.problems[0].kind}
    return {p.id: p.kind for p in spec.problems}


def key_label(name: str, kinds: dict | None = None, problems: dict | None = None) -> str:
    """The LaTeX header of an answer name ('final.W1[1,2]', 'part/it1.loss') in the notation of its
    exercise's kind (``kinds``: ``part_kinds`` of the spec; without it the default kind's), as its
    step declares it where ``problems`` (``part_problems`` of a solved variant) holds it."""
    part, trace_name, index = split_answer_name(name)
    kind = (kinds or {}).get(part)
    problem = (problems or {}).get(part)
    from .labels import key_symbol
    return (rf"\text{{{part}: }}" if part else "") + key_symbol(
        trace_name, index, kind, problem if problem is not None and trace_name in problem.entries else None)


def part_problems(spec, trace) -> dict:
    """The solved exercises of ``trace`` (a solved variant of ``spec``) by the id their answers'
    names start with, as ``part_kinds``."""
    if len(spec.problems) == 1:
        return {None: trace.problems[0]}
    return {p.id: p for p in trace.problems}


def parse_answers_doc(raw: bytes, where: str) -> dict:
    """An ``answers.json`` written by ``dryrun homework`` (or a shard's), parsed into a JSON object; a
    SpecError naming the file for anything else. Its fields are checked by each reader."""
    import json

    def bad(why):
        return SpecError(f"not an answers file of 'dryrun homework': {why}", where=where)
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise bad("it is not UTF-8") from None
    except RecursionError:
        raise bad("it is nested too deeply") from None
    except ValueError as e:
        raise bad(f"it is not valid JSON ({' '.join(str(e).split())[:80]})") from None
    if not isinstance(doc, dict):
        raise bad("it is not a JSON object")
    return doc
