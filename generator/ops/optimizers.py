"""One step of an optimizer on one parameter, the composition every kind that updates parameters
by an optimizer shares (a network's training, an exercise that applies given gradients): the
state variables it writes down and the update, entry by entry, in PyTorch's equations
(torch.optim: SGD with momentum or Nesterov, RMSprop, Adagrad, Adam, AdamW, NAdam), ε inside the
square root where asked, resumed from a given state where given.

Names (docs/trace.md, "Names (optimizers)"): per pass ``pre`` (``itk``) and parameter P,
``pre.stepP`` (what is subtracted), ``pre.velP``, ``pre.dirP``, ``pre.sP``, ``pre.denP``,
``pre.mP``, ``pre.vP``, ``pre.mhatP``, ``pre.vhatP``, ``pre.decayP``; the updated value is the
caller's name.  The constants the lines print are given values (``opt.beta1`` …, ``itk.bc_beta1``,
NAdam's ``itk.mu`` …), the given state ``init.mP`` ….  The optimizer is a model with ``name``,
``settings``, ``step``, ``inside_sqrt`` and ``given_state()`` (``kinds.optimizers.Optimizer``);
nothing here computes a value itself."""

from __future__ import annotations

#: The trace name of each state variable of a given state (``init.velW1``: the velocity of W1).
_STATE = {"velocity": "vel"}


def constants(g, opt, steps: int) -> None:
    """The constants an optimizer's lines print (β, 1 − β, ε, ηλ, and Adam's 1 − βᵗ per step),
    exact and recorded as given values: the templates only format them; the given state
    (``init.mW1`` …) and NAdam's momentum schedule (``nadam_schedule``), for ``steps`` updates
    (``it1`` … ``it<steps>``).  The learning rate is the given step ``learning_rate``."""

    def constant(op, name, operands, formula, **params):
        g.apply(op, name, operands, "given", formula=formula, rounded=False, given=True, **params)

    for key, value in opt.settings:
        g.given(f"opt.{key}", value, key)
        if key in ("beta1", "beta2", "rho"):
            constant("complement", f"opt.one_minus_{key}", [f"opt.{key}"], f"1 - {key}")
    if opt.name == "adamw":
        constant("product", "opt.eta_lambda", ["learning_rate", "opt.weight_decay"], "eta lambda")
    for var, P, value in opt.given_state():      # optimizer.state: where each state variable starts
        key = _STATE.get(var, var)
        g.given(f"init.{key}{P}", value, f"given {var} of {P}")
    if opt.name in ("adam", "adamw", "nadam"):
        for k in range(1, steps + 1):
            t = opt.step + k                      # the step counter goes on from the given state
            for key in ("beta1", "beta2") if opt.name != "nadam" else ("beta2",):
                if t > 1:                         # 1 − βᵗ written down, rounded (its exact digits grow with t:
                                                  # 42 at t = 14 for β₂ = 0.999); t = 1 gives 1 − β, exact
                    g.apply("complement_power", f"it{k}.bc_{key}", [f"opt.{key}"], "gradient",
                            formula=f"1 - {key}^{t}", count=t, note=("bc", {"b": key[-1], "t": t}))
                else:
                    constant("complement_power", f"it{k}.bc_{key}", [f"opt.{key}"], f"1 - {key}^{t}", count=t)
    if opt.name == "nadam":
        nadam_schedule(g, opt, steps)


def nadam_schedule(g, opt, steps: int) -> None:
    """NAdam's momentum schedule (torch.optim.NAdam) for the update of iteration k, step t = step + k:
    μ_t = β₁(1 − ½·0.96^{tψ}) and μ_{t+1} (``itk.mu``, ``itk.mu_next``), their running products
    Π_t = μ_1 ⋯ μ_t and Π_{t+1} (``itk.mu_prod``, ``itk.mu_prod_next``), and the two weights of m̂ =
    μ_{t+1}/(1 − Π_{t+1}) · m + (1 − μ_t)/(1 − Π_t) · g (``itk.coef_m``, ``itk.coef_g``).  Each is
    rounded as a student writes it; an iteration after the first takes μ_t and Π_t from the one before."""
    b1, psi = ("opt.beta1", ()), ("opt.momentum_decay", ())
    for k in range(1, steps + 1):
        t, pre = opt.step + k, f"it{k}"
        if k == 1:
            g.apply("nadam_mu", f"{pre}.mu", [b1, psi], "gradient", formula=f"mu_{t} = beta1 (1 - 0.5 0.96^({t} psi))",
                    count=t, note=("mu", {"t": t}))
        else:
            g.apply("identity", f"{pre}.mu", [f"it{k - 1}.mu_next"], "gradient", formula=f"mu_{t}", rounded=False,
                    note=("mu", {"t": t}))
        g.apply("nadam_mu", f"{pre}.mu_next", [b1, psi], "gradient",
                formula=f"mu_{t + 1} = beta1 (1 - 0.5 0.96^({t + 1} psi))", count=t + 1, note=("mu", {"t": t + 1}))
        if k > 1:
            g.apply("identity", f"{pre}.mu_prod", [f"it{k - 1}.mu_prod_next"], "gradient", formula=f"prod_{t}",
                    rounded=False, note=("mu_prod", {"t": t}))
        elif t == 1:
            g.apply("identity", f"{pre}.mu_prod", [f"{pre}.mu"], "gradient", formula="prod_1 = mu_1", rounded=False,
                    note=("mu_prod", {"t": t}))
        else:                                     # resumed: the product of the μ of every step so far
            g.apply("nadam_mu_product", f"{pre}.mu_prod", [b1, psi], "gradient", formula=f"prod_{t} = mu_1 ... mu_{t}",
                    count=t, note=("mu_prod", {"t": t}))
        g.apply("product", f"{pre}.mu_prod_next", [f"{pre}.mu_prod", f"{pre}.mu_next"], "gradient",
                formula=f"prod_{t + 1} = prod_{t} mu_{t + 1}", note=("mu_prod", {"t": t + 1}))
        g.apply("complement_over_complement", f"{pre}.coef_g", [f"{pre}.mu", f"{pre}.mu_prod"], "gradient",
                formula=f"(1 - mu_{t}) / (1 - prod_{t})", note=("coef_g", {"t": t}))
        g.apply("over_complement", f"{pre}.coef_m", [f"{pre}.mu_next", f"{pre}.mu_prod_next"], "gradient",
                formula=f"mu_{t + 1} / (1 - prod_{t + 1})", note=("coef_m", {"t": t + 1}))


def update(g, opt, P: str, grad: str, value: str, out: str, pre: str, state: dict, k: int, note) -> str:
    """Update k of parameter ``P``: its step (``step``) from the gradient ``grad``, then the
    updated value ``out`` from ``value`` (W − η ∂L/∂W in one line for plain gradient descent, else
    W − Δ); ``note(key)``: the note of the step ``key`` of P (the kind's notation of it), the
    updated value's ``note("param")``.  Returns ``out``."""
    before = step(g, opt, P, grad, value, pre, state, k, note)
    if opt.name == "sgd":                        # W − η ∂L/∂W, as the rule is written
        g.apply("sgd", out, [before, grad, ("learning_rate", ())], "parameter",
                formula=f"{P} <- {P} - eta dL/d{P}", note=note("param"))
    else:
        g.apply("difference", out, [before, f"{pre}.step{P}"], "parameter",
                formula=f"{P} <- {P} - eta dL/d{P}", note=note("param"))
    return out


def step(g, opt, P: str, grad: str, value: str, pre: str, state: dict, k: int, note) -> str:
    """The step ``{pre}.step{P}`` of parameter ``P`` (W1, b2 …) from its gradient ``grad`` and every
    state variable before it (``it2.mW1``, ``it2.vW1`` …, see docs/trace.md); returns the name of
    the value the step is taken from (``value``, the parameter, or after AdamW's decay).  A state
    variable that has no value yet is the given one (``init.mW1``, ``optimizer.state``), else 0.
    ``state``: the trace names of each parameter's velocity or moments so far (updated here)."""
    lr = ("learning_rate", ())
    c = lambda key: (f"opt.{key}", ())           # noqa: E731 — a constant of the optimizer
    t = opt.step + k                             # the step counter of the bias corrections
    if opt.name == "sgd":
        g.apply("product", f"{pre}.step{P}", [lr, grad], "gradient", formula=f"eta dL/d{P}", rounded=False,
                note=note("step"))
        return value
    if opt.name in ("momentum", "nesterov"):
        before = state.get(f"vel{P}", _given(opt, "vel", P))
        if before is None:
            g.apply("identity", f"{pre}.vel{P}", [grad], "gradient", formula=f"v{P} <- beta v{P} + dL/d{P}",
                    note=note("vel"))
        else:
            g.apply("sum_of_products", f"{pre}.vel{P}", [c("beta"), before, grad], "gradient",
                    formula=f"v{P} <- beta v{P} + dL/d{P}", groups=(2, 1), note=note("vel"))
        state[f"vel{P}"] = direction = f"{pre}.vel{P}"
        if opt.name == "nesterov":
            g.apply("sum_of_products", f"{pre}.dir{P}", [grad, c("beta"), direction], "gradient",
                    formula=f"dL/d{P} + beta v{P}", groups=(1, 2), note=note("dir"))
            direction = f"{pre}.dir{P}"
        g.apply("product", f"{pre}.step{P}", [lr, direction], "gradient", formula=f"eta v{P}", rounded=False,
                note=note("step"))
        return value
    if opt.name in ("rmsprop", "adagrad"):
        before, s = state.get(f"s{P}", _given(opt, "s", P)), f"{pre}.s{P}"
        formula = f"s{P} (accumulated squares)"
        if opt.name == "rmsprop" and before is None:
            g.apply("scaled_square", s, [c("one_minus_rho"), grad], "gradient", formula=formula, note=note("s"))
        elif opt.name == "rmsprop":
            g.apply("mix_square", s, [c("rho"), before, c("one_minus_rho"), grad], "gradient", formula=formula,
                    note=note("s"))
        elif before is None:
            g.apply("squared", s, [grad], "gradient", formula=formula, note=note("s"))
        else:
            g.apply("add_square", s, [before, grad], "gradient", formula=formula, note=note("s"))
        state[f"s{P}"] = s
        _denominator(g, opt, f"{pre}.den{P}", s, f"s{P}", note("den"))
        zeros = _spare(g, f"{pre}.den{P}", _zeros(g, grad))
        g.apply("scaled_quotient", f"{pre}.step{P}", [lr, grad, f"{pre}.den{P}"], "gradient",
                formula=f"eta dL/d{P} / ({_den_formula(opt, f's{P}')})", zeros=zeros, note=note("step"))
        return value
    if opt.name == "adamw":                       # decoupled weight decay, before the Adam step
        g.apply("decay", f"{pre}.decay{P}", [value, c("eta_lambda")], "parameter", formula=f"{P} - eta lambda {P}",
                note=note("decay"))
        value = f"{pre}.decay{P}"
    m, v = state.get(f"m{P}", _given(opt, "m", P)), state.get(f"v{P}", _given(opt, "v", P))
    formula = f"m{P} <- beta1 m{P} + (1 - beta1) dL/d{P}"
    if m is None:
        g.apply("product", f"{pre}.m{P}", [c("one_minus_beta1"), grad], "gradient", formula=formula, note=note("m"))
    else:
        g.apply("mix", f"{pre}.m{P}", [c("beta1"), m, c("one_minus_beta1"), grad], "gradient", formula=formula,
                note=note("m"))
    formula = f"v{P} <- beta2 v{P} + (1 - beta2) (dL/d{P})^2"
    if v is None:
        g.apply("scaled_square", f"{pre}.v{P}", [c("one_minus_beta2"), grad], "gradient", formula=formula,
                note=note("v"))
    else:
        g.apply("mix_square", f"{pre}.v{P}", [c("beta2"), v, c("one_minus_beta2"), grad], "gradient",
                formula=formula, note=note("v"))
    # m is 0 only where every gradient so far (and the given m) was exactly 0
    zeros = _zeros(g, grad) & state.get(f"zeros{P}", True if m is None else g.value(m) == 0)
    state[f"m{P}"], state[f"v{P}"] = f"{pre}.m{P}", f"{pre}.v{P}"
    if opt.name == "nadam":                       # m̂ = μ_{t+1} m / (1 − Π_{t+1}) + (1 − μ_t) g / (1 − Π_t)
        g.apply("mix", f"{pre}.mhat{P}", [(f"{pre}.coef_m", ()), f"{pre}.m{P}", (f"{pre}.coef_g", ()), grad],
                "gradient", formula=f"mu_{t + 1} m{P} / (1 - prod_{t + 1}) + (1 - mu_{t}) dL/d{P} / (1 - prod_{t})",
                note=note("mhat"))
    else:
        g.apply("quotient", f"{pre}.mhat{P}", [f"{pre}.m{P}", (f"{pre}.bc_beta1", ())], "gradient",
                formula=f"m{P} / (1 - beta1^{t})", note=note("mhat"))
    g.apply("quotient", f"{pre}.vhat{P}", [f"{pre}.v{P}", (f"{pre}.bc_beta2", ())], "gradient",
            formula=f"v{P} / (1 - beta2^{t})", note=note("vhat"))
    _denominator(g, opt, f"{pre}.den{P}", f"{pre}.vhat{P}", f"vhat{P}", note("den"))
    state[f"zeros{P}"] = zeros
    _spare(g, f"{pre}.den{P}", zeros)
    g.apply("scaled_quotient", f"{pre}.step{P}", [lr, f"{pre}.mhat{P}", f"{pre}.den{P}"], "gradient",
            formula=f"eta mhat{P} / ({_den_formula(opt, f'vhat{P}')})", zeros=zeros, note=note("step"))
    return value


def _given(opt, key: str, P: str) -> str | None:
    """The trace name of the given state variable ``key`` (vel, s, m, v) of parameter ``P`` before
    the first update (``init.velW1`` …: ``optimizer.state``), or None: it starts at 0."""
    var = {"vel": "velocity"}.get(key, key)
    return f"init.{key}{P}" if any(v == var and Q == P for v, Q, _ in opt.given_state()) else None


def _den_formula(opt, of: str) -> str:
    return f"sqrt({of} + epsilon)" if opt.inside_sqrt else f"sqrt({of}) + epsilon"


def _denominator(g, opt, name: str, of: str, text: str, note) -> None:
    """The denominator of an adaptive step: √s + ε (PyTorch's), or √(s + ε) with ε inside the root
    (``epsilon_placement: inside_sqrt``, Keras/TensorFlow's RMSprop and Adagrad, d2l.ai)."""
    op = "sqrt_sum" if opt.inside_sqrt else "sqrt_plus"
    g.apply(op, name, [of, ("opt.epsilon", ())], "gradient", formula=_den_formula(opt, text), note=note)


def _zeros(g, grad: str):
    """Where the gradient ``grad`` is exactly 0 with no rounding involved (an input or an
    activation that is exactly 0, a given 0): there the step is exactly 0 (a bool array).  A
    gradient that carried rounding made 0 (1e−9 written 0.0000) is not: its step is not 0 at full
    precision."""
    zero = g.value(grad) == 0
    mask = g.record.problem.entries[grad].exact_mask
    return zero & mask if mask.shape == zero.shape else zero


def _spare(g, name: str, zeros):
    """``zeros``, after telling the guard that the entries of the denominator ``name`` over an
    exactly-0 numerator are harmless where rounding made them 0 (a later failure then names an
    entry that does divide by it)."""
    critical = g.record.critical
    if critical and critical[-1][0] == name:
        what, formula, hits, prec = critical[-1]
        kept = [h for h in hits if not (zeros[h[0]] if zeros.shape else bool(zeros))]
        if kept:
            critical[-1] = (what, formula, kept, prec)
        else:
            critical.pop()
    return zeros
