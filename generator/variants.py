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
    for model, pt in zip(spec.problems, trace.problems):
        values = [np.asarray(e.value, dtype=float) for e in pt.entries.values()]
        if name == "max_abs_value":
            if any(np.abs(v).max(initial=0) > arg for v in values):
                return False
        if model.kind != "network":
            if name == "nonzero_gradients":
                grads = [np.asarray(pt[n]) for n in pt.entries if n.startswith("grad.")]
                if any(np.any(g == 0) for g in grads):
                    return False
            continue
        L = len(model.layers)
        if name in ("no_dead_relu", "dead_relu"):
            dead = sum(int(np.all(np.atleast_2d(np.asarray(pt[f"it1.z{l}"])).reshape(layer.units, -1) <= 0, axis=1).sum())
                       for l, layer in enumerate(model.layers, start=1)
                       if layer.activation in ("relu", "leaky_relu"))
            if dead != (0 if name == "no_dead_relu" else arg):
                return False
        elif name == "sigmoid_output_within" and model.layers[-1].activation == "sigmoid":
            lo, hi = arg
            for k in range(1, model.iterations + 1):
                y = np.asarray(pt[f"it{k}.a{L}"])
                if y.min() < lo or y.max() > hi:
                    return False
        elif name == "loss_decreases" and not pt.info["loss_decreased"]:
            return False
        elif name == "nonzero_gradients":
            for l in range(1, L + 1):
                if np.any(np.asarray(pt[f"it1.dW{l}"]) == 0):
                    return False
    return True
