"""The schema of an optimizer exercise: named parameters (matrices, vectors or single numbers),
their gradients of the same names and shapes, the learning rate, the optimizer as a network takes
it (``kinds.optimizers``: its name and settings, ``epsilon_placement``, the ``state`` it resumes
from, keyed by the parameters' names) and how many steps apply the same gradients; every error
names the field."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ...errors import SpecError
from ...validate import iterations, join, mapping, matrix, number, plural, shape_text, text, typename, vector
from .. import optimizers
from ..optimizers import Optimizer, Setting, Shape

KEYS = ("id", "title", "text", "parameters", "gradients", "learning_rate", "optimizer", "steps")
#: A parameter's name: a letter, then letters, digits and underscores (it names trace values).
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,15}")
#: The Greek letters a parameter may be named after (``gamma`` is written γ).
GREEK = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
         "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
         "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega")


@dataclass(frozen=True, eq=False)
class OptimizerStep:
    id: str
    title: str
    text: str
    parameters: tuple            # ((name, value), …) in the spec's order: a matrix, or a vector
    gradients: tuple             # ((name, value), …): ∂L/∂ each parameter, in the same order and shapes
    learning_rate: float
    optimizer: Optimizer
    steps: int = 1               # how many updates apply the same gradients (the state carried)
    kind: str = "optimizer"

    @property
    def names(self) -> list[str]:
        """The parameters' names, in order."""
        return [P for P, _ in self.parameters]

    def symbol(self, P: str) -> str:
        """The LaTeX of parameter ``P``."""
        return symbol(P)


def symbol(P: str) -> str:
    """The LaTeX of a parameter's name: its leading letters (a Greek letter's name as the letter,
    one letter as it is, more letters upright), the rest as a subscript: W, b, W_{1}, W_{xh}, γ,
    \\mathrm{bias}_{2}."""
    lead = re.match(r"[A-Za-z]+", P).group(0)
    rest = P[len(lead):].strip("_").replace("_", ",")
    base = f"\\{lead}" if lead in GREEK else lead if len(lead) == 1 else rf"\mathrm{{{lead}}}"
    return f"{base}_{{{rest}}}" if rest else base


def _value(value, field: str) -> np.ndarray:
    """A parameter or its gradient: a matrix (a list of rows), a vector (a list of numbers) or a
    single number (a vector of one entry)."""
    if isinstance(value, list) and any(isinstance(row, list) for row in value):
        return matrix(value, field)
    return vector(value, field)


def _words(a: np.ndarray) -> str:
    """A shape as an error says it: "2 × 3 entries", "3 entries"."""
    return f"{a.shape[0]} × {a.shape[1]} entries" if a.ndim == 2 else plural(a.shape[0], "entry", "entries")


def _parameters(value, field: str, limits) -> dict[str, np.ndarray]:
    if not isinstance(value, dict) or not value:
        raise SpecError(f"expected a mapping of names to values (W: [[…]], b: […]), got {typename(value)}"
                        + (" without entries" if isinstance(value, dict) else ""), field=field)
    out = {}
    for P, v in value.items():
        if not isinstance(P, str) or not NAME.fullmatch(P):
            raise SpecError(f"'{P}' is no parameter name (a letter, then up to 15 letters, digits or '_')",
                            field=field)
        at = join(field, P)
        a = _value(v, at)
        for n, what in zip(a.shape, ("rows", "columns") if a.ndim == 2 else ("entries",)):
            if n > limits.max_units:
                raise SpecError(f"{n} {what}, more than {limits.max_units} (limit max_units)", field=at)
        if a.size > limits.max_matrix:
            raise SpecError(f"{a.size} entries, more than {limits.max_matrix} (limit max_matrix)", field=at)
        out[P] = a
    _distinct(out, field)
    return out


def _distinct(params: dict, field: str) -> None:
    """Two parameters must not share a symbol on the page (W1 and W_1 are both W₁)."""
    seen = {}
    for P in params:
        other = seen.setdefault(symbol(P), P)
        if other != P:
            raise SpecError(f"'{P}' and '{other}' are written the same on the page; rename one of them",
                            field=join(field, P))


def _free(params: dict, opt: Optimizer, field: str) -> None:
    """No parameter is written like a symbol the update's lines use for something else: the
    learning rate η, a gradient g, the step t, the loss L, a constant of the optimizer (β, ρ, ε, λ,
    ψ, β₁ …) or NAdam's μ and Π."""
    flat = lambda tex: tex.replace("{", "").replace("}", "")      # noqa: E731 — β_{1} is β_1
    taken = {r"\eta": "the learning rate", "g": "a gradient", "t": "the step", "L": "the loss"}
    taken.update({flat(optimizers.OPTIMIZER_SYMBOLS[key][0]): "the " + optimizers.OPTIMIZER_SYMBOLS[key][1]
                  for key, _ in opt.settings})
    if opt.name == "nadam":
        taken.update({r"\mu": "NAdam's momentum schedule", r"\Pi": "NAdam's product of the schedule"})
    for P in params:
        what = taken.get(flat(symbol(P)))
        if what is not None:
            raise SpecError(f"'{P}' is written like the symbol of {what} in the update; rename it",
                            field=join(field, P))


def _gradients(value, field: str, params: dict) -> dict[str, np.ndarray]:
    if not isinstance(value, dict):
        raise SpecError(f"expected a mapping of the parameters ({', '.join(params)}) to their gradients, got "
                        f"{typename(value)}", field=field)
    mapping(value, field, tuple(params), tuple(params))
    out = {}
    for P, p in params.items():
        at = join(field, P)
        g = _value(value[P], at)
        if g.shape != p.shape:
            raise SpecError(f"expected {_words(p)} (the shape of {P}), got "
                            f"{shape_text(g) if g.ndim == 2 else plural(g.size, 'entry', 'entries')}", field=at)
        out[P] = g
    return out


def parse(value, field: str = "", ident: str = "main", limits=None) -> OptimizerStep:
    from ...limits import DEFAULT
    limits = limits or DEFAULT
    m = mapping(value, field, KEYS, ("parameters", "gradients", "learning_rate"))
    at = lambda key: join(field, key)                 # noqa: E731
    params = _parameters(m["parameters"], at("parameters"), limits)
    grads = _gradients(m["gradients"], at("gradients"), params)
    shapes = {P: Shape(a.shape, f"the shape of {P}") for P, a in params.items()}
    opt = optimizers.parse(m.get("optimizer"), at("optimizer"), shapes)
    found = optimizers.clash(opt.name, list(params))     # one trace name for two values
    if found is not None:
        raise SpecError(found[1], field=join(at("parameters"), found[0]))
    _free(params, opt, at("parameters"))
    return OptimizerStep(id=ident, title=text(m.get("title"), at("title"), 300), text=text(m.get("text"), at("text")),
                         parameters=tuple(params.items()), gradients=tuple(grads.items()),
                         learning_rate=number(m["learning_rate"], at("learning_rate"), positive=True),
                         optimizer=opt, steps=iterations(m.get("steps", 1), at("steps"), limits, "steps"))


def cost(model: OptimizerStep) -> int:
    """The terms the worked solution computes and writes out (each line of each entry's update),
    from the shapes alone: limits.max_part_terms bounds it before any work."""
    entries = sum(int(a.size) for _, a in model.parameters)
    return model.steps * (optimizers.OPTIMIZER_LINES[model.optimizer.name] * entries + 12)


# --------------------------------------------------------------------------- settings

def settings(model: OptimizerStep) -> list[Setting]:
    """The optimizer's settings beyond the learning rate (its name, constants, ε's placement and the
    given state), as the question sheet and the solution state them."""
    return optimizers.settings(model.optimizer, Setting, symbol, "optimizer")


def setting_groups(model: OptimizerStep) -> list[list[Setting]]:
    """``settings`` by group, in order: one item of "Given values" each."""
    groups: dict[str, list[Setting]] = {}
    for s in settings(model):
        groups.setdefault(s.group, []).append(s)
    return list(groups.values())
