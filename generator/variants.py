"""Randomized variants of a spec: "nice" values drawn per variant (``randomize.Randomizer``), each
solved and checked against the spec's constraints by rejection sampling.  Variant k depends only
on the spec, the seed and k."""

from __future__ import annotations

import copy
import time
from collections import Counter

import numpy as np

from .errors import ComputationError, SpecError
from .randomize import fill, locate
from .solve import solve
from .spec import spec_from_data


def solved_variant(randomizer, data: dict, seed: int, k: int, limits=None, avoid=frozenset(),
                   redrawn: list | None = None):
    """Variant k (1-based) as (spec, trace), solved while its constraints were checked;
    ``avoid``: fingerprints of variants already drawn (a draw equal to one is rejected).
    A draw that cannot be computed (``ComputationError``: a value overflows, or carried rounding
    makes a divisor 0 …) is drawn again; ``redrawn`` hears each one's message.
    Raises SpecError naming the constraint that rejected most draws."""

    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), int(k)])))
    rejected: Counter = Counter()
    budget = getattr(limits, "max_seconds", 60) if limits is not None else 60
    start = time.monotonic()
    computable = None               # the reason a draw could not be computed (the first one's message)
    for attempt in range(1, randomizer.max_attempts + 1):
        if time.monotonic() - start > budget and rejected:
            worst, count = rejected.most_common(1)[0]
            raise SpecError(f"no variant satisfies the constraints within {budget} s ({attempt - 1} "
                            f"attempts, limit max_seconds); '{worst}' rejected {count} of them",
                            field="randomize")
        variant = copy.deepcopy(data)
        variant.pop("randomize", None)
        for steps, draw in randomizer.values:
            node, last = locate(variant, steps, "randomize")
            node[last] = fill(node[last], draw, rng)
        if avoid and randomizer.fingerprint(variant) in avoid:
            rejected["different numbers from the other variants"] += 1
            continue
        try:
            spec = spec_from_data(variant, limits=limits)
            trace = solve(spec)
        except ComputationError as e:
            computable = computable or f"a computable solution (the first failed: {e.detail})"
            rejected[computable] += 1
            if redrawn is not None:
                redrawn.append(e.detail)
            continue
        except SpecError:
            rejected["a valid spec (e.g. finite values)"] += 1
            continue
        failed = first_failed(randomizer.constraints, spec, trace)
        if failed is None:
            return spec, trace
        rejected[failed] += 1
    worst, count = rejected.most_common(1)[0]
    raise SpecError(f"no variant satisfies the constraints in {randomizer.max_attempts} attempts; "
                    f"'{worst}' rejected {count} of them", field="randomize")


def first_failed(constraints, spec, trace) -> str | None:
    """The name of the first constraint the solved variant violates, or None."""
    for name, arg in constraints:
        if not _holds(name, arg, spec, trace):
            return name if arg is None else f"{name}: {arg}"
    return None


def _holds(name, arg, spec, trace) -> bool:
    from .kinds import kind as kind_of
    for model, pt in zip(spec.problems, trace.problems):
        values = [np.asarray(e.value, dtype=float) for e in pt.entries.values()]
        if name == "max_abs_value":
            if any(np.abs(v).max(initial=0) > arg for v in values):
                return False
        own = kind_of(model.kind).holds(name, arg, model, pt)    # the kind's constraints.py
        if own is None:                 # a kind without its own: nonzero_gradients over its grad.*
            if name == "nonzero_gradients":
                grads = [np.asarray(pt[n]) for n in pt.entries if n.startswith("grad.")]
                if any(np.any(g == 0) for g in grads):
                    return False
        elif not own:
            return False
    return True
