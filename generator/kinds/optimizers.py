"""What the kinds that update parameters by an optimizer share (a network's training, one step of an
optimizer on given gradients): the optimizers and their settings with PyTorch's defaults, the
schema of a spec's ``optimizer:`` (its name, settings, ``epsilon_placement`` and the ``state:`` it
resumes from, shaped like each parameter), its settings as the documents state them, its words,
and the notation of the lines an update writes.  The composition of the update itself is
``ops.optimizers``; the lines' templates are the macros of ``templates/optimizer_lines.tex.j2``.
A kind names its parameters and their shapes; everything else is here."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ..validate import choice, join, mapping, matrix, number, plural, shape_text, vector

#: Optimizers and their settings with PyTorch's defaults (torch.optim).
OPTIMIZERS = {
    "sgd": {},
    "momentum": {"beta": 0.9},
    "nesterov": {"beta": 0.9},
    "rmsprop": {"rho": 0.99, "epsilon": 1e-8},
    "adagrad": {"epsilon": 1e-10},
    "adam": {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
    "adamw": {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.01},
    "nadam": {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "momentum_decay": 0.004},
}

#: Where ε goes in an adaptive step: ``outside`` the square root, η g/(√s + ε) (PyTorch's, the
#: default), or ``inside_sqrt``, η g/√(s + ε) (Keras/TensorFlow's RMSprop and Adagrad, d2l.ai).
EPSILON_PLACEMENTS = ("outside", "inside_sqrt")
EPSILON_OPTIMIZERS = ("rmsprop", "adagrad", "adam", "adamw")

#: The state an optimizer may start from (``optimizer.state``) instead of zeros: the number of
#: steps already taken (the bias corrections go on from it) and each state variable, per parameter.
OPTIMIZER_STATE_KEYS = {"momentum": ("velocity",), "nesterov": ("velocity",), "rmsprop": ("s",), "adagrad": ("s",),
                        "adam": ("step", "m", "v"), "adamw": ("step", "m", "v"), "nadam": ("step", "m", "v")}
#: The words and the symbol of each state variable (the symbol of parameter P is P's own, ``@``).
OPTIMIZER_STATE_WORDS = {"velocity": ("velocity", "v_{@}"), "s": ("accumulated squares", "s_{@}"),
                         "m": ("first moment", "m_{@}"), "v": ("second moment", "v_{@}")}
#: A hand calculation resumes after at most this many steps (NAdam's product of μ has one factor each).
MAX_STATE_STEP = 10000
#: The keys of a spec's ``optimizer:`` mapping.
OPTIMIZER_KEYS = ("name", "beta", "beta1", "beta2", "rho", "epsilon", "weight_decay", "momentum_decay",
                  "epsilon_placement", "state")

#: What the documents call each optimizer, and the state variables its update writes down.
OPTIMIZER_NAMES = {"sgd": "gradient descent", "momentum": "gradient descent with momentum",
                   "nesterov": "Nesterov momentum", "rmsprop": "RMSProp", "adagrad": "Adagrad",
                   "adam": "Adam", "adamw": "AdamW", "nadam": "NAdam"}
OPTIMIZER_STATE = {"sgd": "", "momentum": "the velocity $v$", "nesterov": "the velocity $v$",
                   "rmsprop": "the accumulated squares $s$", "adagrad": "the accumulated squares $s$",
                   "adam": r"the moments $m$, $v$ and their corrections $\hat{m}$, $\hat{v}$",
                   "adamw": r"the moments $m$, $v$ and their corrections $\hat{m}$, $\hat{v}$",
                   "nadam": r"the momentum schedule $\mu_t$ and its products $\Pi_t$, the moments $m$, $v$ and "
                            r"their corrections $\hat{m}$, $\hat{v}$"}

#: The symbol and the words of every optimizer setting (each key of OPTIMIZERS has one): the
#: question sheet, "Given values" and the equations print a setting with this symbol only.
OPTIMIZER_SYMBOLS = {
    "beta": (r"\beta", "momentum coefficient"),
    "beta1": (r"\beta_1", "decay rate of the first moment"),
    "beta2": (r"\beta_2", "decay rate of the second moment"),
    "rho": (r"\rho", "decay rate of the mean square"),
    "epsilon": (r"\varepsilon", "added to the denominator"),
    "weight_decay": (r"\lambda", "decoupled weight decay"),
    "momentum_decay": (r"\psi", "momentum decay"),
}

#: Lines an optimizer writes per parameter entry and step (its state variables and the update).
OPTIMIZER_LINES = {"sgd": 3, "momentum": 4, "nesterov": 5, "rmsprop": 6, "adagrad": 6, "adam": 10, "adamw": 12,
                   "nadam": 11}

#: The names (after the pass's prefix ``itk.``) each optimizer's step of parameter P writes besides
#: P itself, ``<key>P`` (docs/trace.md: ``it1.mW1`` …), and the names of a whole update it writes
#: once (Adam's bias corrections, NAdam's momentum schedule).
STEP_KEYS = {"sgd": ("step",), "momentum": ("vel", "step"), "nesterov": ("vel", "dir", "step"),
             "rmsprop": ("s", "den", "step"), "adagrad": ("s", "den", "step"),
             "adam": ("m", "v", "mhat", "vhat", "den", "step"), "adamw": ("decay", "m", "v", "mhat", "vhat", "den", "step"),
             "nadam": ("m", "v", "mhat", "vhat", "den", "step")}
UPDATE_NAMES = {"adam": ("bc_beta1", "bc_beta2"), "adamw": ("bc_beta1", "bc_beta2"),
                "nadam": ("bc_beta2", "mu", "mu_next", "mu_prod", "mu_prod_next", "coef_g", "coef_m")}


@dataclass(frozen=True)
class Optimizer:
    name: str = "sgd"
    settings: tuple = ()          # ((key, value), …) as given or defaulted
    epsilon_placement: str = "outside"   # EPSILON_PLACEMENTS: ε outside or inside the square root
    step: int = 0                 # steps already taken (optimizer.state.step): the first update is step + 1
    state: tuple = ()             # ((variable, ((P, rows as tuples), …)), …): the given state, else zeros

    def get(self, key: str) -> float:
        return dict(self.settings)[key]

    @property
    def inside_sqrt(self) -> bool:
        return self.epsilon_placement == "inside_sqrt"

    def given_state(self) -> list[tuple[str, str, np.ndarray]]:
        """(variable, parameter, value) of the given state, in the order of the spec's keys and
        the parameters: ("m", "W1", 2×3 array) …; empty when every state variable starts at 0."""
        return [(var, P, np.array(value, dtype=float)) for var, params in self.state for P, value in params]


def optimizer_source(opt: Optimizer) -> str:
    """Whose equations an optimizer's update rule is: PyTorch's, or with ε inside the square root
    (RMSProp and Adagrad as Keras/TensorFlow and d2l.ai write them)."""
    if not opt.inside_sqrt:
        return "PyTorch's equations"
    who = "the equations of Keras/TensorFlow and d2l.ai" if opt.name in ("rmsprop", "adagrad") else "PyTorch's equations"
    return who + r" with $\varepsilon$ inside the square root"


# --------------------------------------------------------------------------- schema

@dataclass(frozen=True)
class Shape:
    """The shape of a parameter as a given state must repeat it, and the words an error says it
    with: "the shape of W2" (a matrix), "one per unit of layer 1" (a vector)."""
    shape: tuple
    words: str


def parse(value, field: str, shapes: dict[str, Shape], absent: dict[str, str] | None = None) -> Optimizer:
    """A spec's optimizer (a name, or a mapping of the name and its settings, ``epsilon_placement``
    and ``state``) at ``field``; ``shapes``: the trained parameters {P: Shape}, in order, that a
    given state covers; ``absent``: the parameters a state must not name, each with why."""
    if value is None:
        return Optimizer()
    if isinstance(value, str):
        value = {"name": value}
    m = mapping(value, field, OPTIMIZER_KEYS, ("name",))
    name = choice(m["name"], join(field, "name"), tuple(OPTIMIZERS))
    settings = dict(OPTIMIZERS[name])
    placement = "outside"
    for key, v in m.items():
        if key in ("name", "state"):
            continue
        if key == "epsilon_placement":
            if name not in EPSILON_OPTIMIZERS:
                raise SpecError(f"'epsilon_placement' is a setting of {', '.join(EPSILON_OPTIMIZERS)}, not of {name}",
                                field=join(field, key))
            placement = choice(v, join(field, key), EPSILON_PLACEMENTS)
            continue
        if key not in settings:
            raise SpecError(f"'{key}' is not a setting of {name} (its settings: "
                            f"{', '.join(settings) or 'none'})", field=join(field, key))
        x = number(v, join(field, key), nonnegative=True)
        if key in ("beta", "beta1", "beta2", "rho") and not x < 1:
            raise SpecError(f"must be below 1, got {x}", field=join(field, key))
        if key == "epsilon" and x <= 0:
            raise SpecError(f"must be greater than 0, got {x}", field=join(field, key))
        settings[key] = x
    step, state = 0, ()
    if m.get("state") is not None:
        step, state = _state(m["state"], join(field, "state"), name, shapes, absent or {})
    return Optimizer(name, tuple(settings.items()), placement, step, state)


def _state(value, field: str, name: str, shapes: dict[str, Shape], absent: dict[str, str]) -> tuple[int, tuple]:
    """``optimizer.state``: the steps already taken and each state variable of every trained
    parameter, shaped like it; sums of squares not negative.  Returns (step, state) as
    ``Optimizer`` keeps them."""
    keys = OPTIMIZER_STATE_KEYS.get(name)
    if keys is None:
        raise SpecError(f"{name} keeps no state between steps; remove 'state'", field=field)
    m = mapping(value, field, keys, keys)
    step = 0
    if "step" in keys:
        step = int(number(m["step"], join(field, "step"), integer=True, nonnegative=True))
        if step > MAX_STATE_STEP:
            raise SpecError(f"{step} steps already taken, more than {MAX_STATE_STEP} (a hand calculation)",
                            field=join(field, "step"))
    state = []
    for var in keys:
        if var == "step":
            continue
        where = join(field, var)
        given = m[var]
        if not isinstance(given, dict):
            raise SpecError(f"expected a mapping of the parameters ({', '.join(shapes)}) to their "
                            f"{OPTIMIZER_STATE_WORDS[var][0]}", field=where)
        for P in given:
            if P in absent:
                raise SpecError(absent[P], field=join(where, P))
        mapping(given, where, tuple(shapes), tuple(shapes))
        params = []
        for P, want in shapes.items():
            at = join(where, P)
            shape = want.shape
            if len(shape) == 2:
                a = matrix(given[P], at)
                if a.shape != shape:
                    raise SpecError(f"expected {shape[0]} × {shape[1]} entries ({want.words}), got "
                                    f"{shape_text(a)}", field=at)
            else:
                a = vector(given[P], at)
                if a.shape != shape:
                    raise SpecError(f"expected {plural(shape[0], 'entry', 'entries')} ({want.words}), got {a.size}",
                                    field=at)
            if var in ("s", "v") and (a < 0).any():
                raise SpecError(f"a sum of squares is not negative, got {a.min():g}", field=at)
            params.append((P, tuple(map(tuple, a)) if a.ndim == 2 else tuple(a)))
        state.append((var, tuple(params)))
    return step, tuple(state)


def clash(name: str, parameters) -> tuple[str, str] | None:
    """Where two values of an update by optimizer ``name`` of ``parameters`` (their names) would
    have one trace name — parameter mW and the first moment of W (``itk.mW``), parameter mu and
    NAdam's μ_t (``itk.mu``): (the parameter to rename, why, in words), else None."""
    once = UPDATE_NAMES.get(name, ())
    for P in parameters:
        if P in once:
            return P, f"'{P}' is the name of a value of every update of {OPTIMIZER_NAMES[name]} (it1.{P}); rename it"
        for key in STEP_KEYS[name]:
            if key + P in parameters:
                return key + P, (f"'{key}{P}' is also the name of the value '{key}' of parameter '{P}' "
                                 f"(it1.{key}{P}); rename one of them")
            if key + P in once:
                return P, (f"the value '{key}' of '{P}' would be named like a value of every update of "
                           f"{OPTIMIZER_NAMES[name]} (it1.{key}{P}); rename '{P}'")
    return None


# --------------------------------------------------------------------------- settings

def settings(opt: Optimizer, setting, symbol, field: str) -> list:
    """The optimizer's settings as the documents state them, beyond the learning rate: its name
    and whose equations, each constant, ε's placement and the given state; ``setting``: the kind's
    Setting class (field, label, value, symbol, note, group), ``symbol(P)``: the LaTeX of
    parameter P, ``field``: the spec's key of the optimizer (its settings' fields start with it)."""
    out = []
    if opt.name == "sgd":
        return out
    start = f"from the given state after {plural(opt.step, 'step')}" if opt.step else \
        "from the given state" if opt.state else "every state variable starting at 0"
    out.append(setting(field, "Optimizer", OPTIMIZER_NAMES[opt.name],
                       note=f" ({optimizer_source(opt)}, {start})", group=field))
    for key, value in opt.settings:
        sym, words = OPTIMIZER_SYMBOLS[key]
        out.append(setting(f"{field}.{key}", words, value, sym, group=field))
    if opt.inside_sqrt:
        out.append(setting(f"{field}.epsilon_placement", "placement of epsilon", "inside the square root",
                           group=field))
    return out + state_settings(opt, setting, symbol, field)


def state_settings(opt: Optimizer, setting, symbol, field: str) -> list:
    """The given optimizer state (``optimizer.state``): the steps already taken, then each state
    variable of every trained parameter, one item of "Given values" per variable."""
    out = []
    if "step" in OPTIMIZER_STATE_KEYS.get(opt.name, ()) and opt.state:
        out.append(setting(f"{field}.state.step", "Steps already taken", opt.step, "t_0", group=f"{field}_state",
                           note=f", so the first update here is step $t = {opt.step + 1}$"))
    for var, P, value in opt.given_state():
        words, sym = OPTIMIZER_STATE_WORDS[var]
        out.append(setting(f"{field}.state.{var}", f"{words[0].upper()}{words[1:]} of {P} before the first update",
                           value, sym.replace("@", symbol(P)), group=f"{field}_state_{var}"))
    return out


def state_heading(setting) -> str:
    """The item of "Given values" that lists a given optimizer state variable (its settings are
    one per parameter): "First moment before the first update"."""
    words = OPTIMIZER_STATE_WORDS[setting.field.rsplit(".", 1)[1]][0]
    return f"{words[0].upper()}{words[1:]} before the first update"


# --------------------------------------------------------------------------- notation

def notation(opt: Optimizer, param) -> dict:
    """The symbols of the steps an update writes (``View.NOTATION``), by the note the engine
    declared on each: ``param(base)`` makes the (whole, entry) forms of a value of parameter P
    from ``base`` with ``@`` for P's symbol; the bias corrections and NAdam's schedule are
    indexed by the step t."""
    step = {"sgd": r"\eta \frac{\partial L}{\partial @}", "momentum": r"\eta\, v_{@}", "nesterov": r"\eta\, d_{@}",
            "rmsprop": r"\eta\, \frac{\partial L}{\partial @} \Big/ \bigl(\sqrt{s_{@}} + \varepsilon\bigr)",
            "adam": r"\eta\, \frac{\hat{m}_{@}}{\sqrt{\hat{v}_{@}} + \varepsilon}"}
    if opt.inside_sqrt:      # ε inside the square root (epsilon_placement: inside_sqrt)
        step.update({"rmsprop": r"\eta\, \frac{\partial L}{\partial @} \Big/ \sqrt{s_{@} + \varepsilon}",
                     "adam": r"\eta\, \frac{\hat{m}_{@}}{\sqrt{\hat{v}_{@} + \varepsilon}}"})
    name = {"adagrad": "rmsprop", "adamw": "adam", "nadam": "adam"}.get(opt.name, opt.name)
    root = "s_{@}" if name == "rmsprop" else r"\hat{v}_{@}"
    den = rf"\sqrt{{{root} + \varepsilon}}" if opt.inside_sqrt else rf"\sqrt{{{root}}} + \varepsilon"
    return {
        "step": param(step[name]), "vel": param("v_{@}"), "dir": param("d_{@}"), "s": param("s_{@}"),
        "m": param("m_{@}"), "v": param("v_{@}"), "mhat": param(r"\hat{m}_{@}"), "vhat": param(r"\hat{v}_{@}"),
        "den": param(den),
        "decay": param(r"@ - \eta \lambda @"),
        # a resumed optimizer's bias correction 1 − βᵗ; NAdam's schedule at step t: μ_t, Π_t = μ_1 ⋯ μ_t,
        # and the weights of g and m in its m̂
        "bc": (r"1 - \beta_{{{b}}}^{{{t}}}", r"1 - \beta_{{{b}}}^{{{t}}}"),
        "mu": (r"\mu_{{{t}}}", r"\mu_{{{t}}}"), "mu_prod": (r"\Pi_{{{t}}}", r"\Pi_{{{t}}}"),
        "coef_g": (r"\frac{{1 - \mu_{{{t}}}}}{{1 - \Pi_{{{t}}}}}", r"\frac{{1 - \mu_{{{t}}}}}{{1 - \Pi_{{{t}}}}}"),
        "coef_m": (r"\frac{{\mu_{{{t}}}}}{{1 - \Pi_{{{t}}}}}", r"\frac{{\mu_{{{t}}}}}{{1 - \Pi_{{{t}}}}}"),
    }


#: The plain text of the steps an update writes, by note ({p}: the parameter's name, {t}: the
#: step, {b}: 1 or 2), for labels in answer keys and messages; the step and the denominator
#: depend on the optimizer (``plain``).
PLAIN = {"vel": "v{p}", "dir": "d{p}", "s": "s{p}", "m": "m{p}", "v": "v{p}", "mhat": "mhat{p}", "vhat": "vhat{p}",
         "decay": "{p} - eta lambda {p}", "bc": "1 - beta{b}^{t}", "mu": "mu_{t}", "mu_prod": "Pi_{t}",
         "coef_g": "(1 - mu_{t})/(1 - Pi_{t})", "coef_m": "mu_{t}/(1 - Pi_{t})"}


@dataclass(frozen=True, eq=False)
class Setting:
    """One setting the computation uses, as the documents state it: ``label`` (words, LaTeX) and
    ``symbol`` with its ``value`` ("momentum coefficient: β = 0.9"), then ``note``.  Settings of
    one ``group`` share an item of "Given values"."""
    field: str                 # the model's field: "learning_rate", "optimizer.beta", "layers.dropout_p"
    label: str
    value: object              # a number, a text, or a 0/1 matrix
    symbol: str = ""
    note: str = ""
    group: str = ""

    @property
    def shape(self) -> str:
        """'number', 'text' or 'matrix': how the value is printed."""
        if isinstance(self.value, str):
            return "text"
        return "matrix" if isinstance(self.value, np.ndarray) else "number"


class NotationForm(str):
    """A notation pattern computed from the note's parameters and the entry's 1-based indices
    (``format`` as ``generator.ops.latex`` calls it), for the kinds whose symbols depend on them
    (a layer's input is x for l = 1, a parameter's name prints as its symbol)."""

    def __new__(cls, fn):
        form = super().__new__(cls, "")
        form.fn = fn
        return form

    def format(self, *indices, **params):
        return self.fn(*indices, **params)


def plain(opt: Optimizer, key: str) -> str | None:
    """The plain-text form of the step noted ``key`` (PLAIN), or None for a note no update writes."""
    if key == "step":
        return {"sgd": "eta dL/d{p}"}.get(opt.name, "step {p}")
    if key == "den":
        root = "vhat{p}" if opt.name in ("adam", "adamw", "nadam") else "s{p}"
        return f"sqrt({root} + epsilon)" if opt.inside_sqrt else f"sqrt({root}) + epsilon"
    return PLAIN.get(key)


class OptimizerView:
    """What the templates of a kind with an optimizer (``model.optimizer``) read of it: mixed into
    the kind's view."""

    @property
    def optimizer_name(self) -> str:
        return OPTIMIZER_NAMES[self.model.optimizer.name]

    @property
    def optimizer_source(self) -> str:
        """Whose equations the update rule is: PyTorch's, or with ε inside the square root (RMSProp
        and Adagrad as Keras/TensorFlow and d2l.ai write them)."""
        return optimizer_source(self.model.optimizer)

    @staticmethod
    def state_heading(setting) -> str:
        return state_heading(setting)

    @property
    def optimizer_state(self) -> str:
        return OPTIMIZER_STATE[self.model.optimizer.name]

    def optimizer_symbols(self):
        """(key, symbol) of each setting of the optimizer, in the order of its settings."""
        return [(key, OPTIMIZER_SYMBOLS[key][0]) for key, _ in self.model.optimizer.settings]
