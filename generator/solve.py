"""Solve a validated spec into its trace: run each problem's engine under a recorder."""

from __future__ import annotations

from dataclasses import replace

from .errors import SpecError
from .numbers import RoundingPolicy
from .spec import Network, Spec
from .trace import ComputationError, ProblemTrace, Recorder, Trace


def solve(spec: Spec, rounding: RoundingPolicy | None = None, overrides=None) -> Trace:
    """The trace of every problem of ``spec`` under ``rounding`` (default: the spec's own policy).
    In carry mode the trace also holds the full-precision solution (``reference``), so that a
    document can say where carried rounding changed an answer."""
    policy = rounding or spec.rounding
    trace = _solve(spec, policy, overrides)
    if overrides:                     # a student's values: the recomputation is all that is wanted
        return trace
    if policy.mode == "carry":
        trace.reference = _solve(spec, replace(policy, mode="display"))
    return trace


def _solve(spec: Spec, policy: RoundingPolicy, overrides=None) -> Trace:
    problems = []
    for p in spec.problems:
        try:
            if p.kind == "network":     # overrides: {problem id: {trace name: {index: value}}}
                problems.append(solve_network(p, policy, (overrides or {}).get(p.id)))
            else:
                problems.append(_SOLVERS[p.kind](p, policy))
        except SpecError as e:   # found while computing: name the exercise (and the file)
            raise SpecError(e.detail, where=spec.path, field=e.field or p.id) from None
    return Trace(rounding=policy, problems=problems)


def solve_network(net: Network, policy: RoundingPolicy, overrides=None) -> ProblemTrace:
    from .engine import dense, exact, network as engine

    info = {"batch": net.batch, "samples": net.samples, "iterations": net.iterations,
            "layers": [{"units": l.units, "activation": l.activation, "bias": l.bias is not None,
                        "train_weights": l.train_weights, "train_bias": l.train_bias}
                       for l in net.layers],
            "inputs": int(net.inputs.shape[0]), "output": net.output, "loss": net.loss,
            "learning_rate": net.learning_rate, "mode": policy.mode,
            # δ of the output layer is ŷ − y (sigmoid + BCE, softmax + CCE): as the engine computes it
            "combined_delta": net.output != "sum" and dense.combined_delta(net.loss, net.layers[-1].activation)}
    problem = ProblemTrace(id=net.id, kind="network", info=info)
    rec = Recorder(problem, policy, batch=net.batch, overrides=overrides)
    rec.given("x", net.inputs if net.batch else net.inputs[:, 0], "input")
    if net.targets is not None:
        rec.given("target", net.targets if net.batch else net.targets[:, 0], "target")
    for l, layer in enumerate(net.layers, start=1):
        rec.given(f"init.W{l}", layer.weights, f"initial W{l}")
        if layer.bias is not None:
            rec.given(f"init.b{l}", layer.bias, f"initial b{l}")
    rec.given("learning_rate", net.learning_rate, "eta")
    for l, layer in enumerate(net.layers, start=1):
        if layer.dropout_mask is not None:
            from .engine import exact
            with exact.arithmetic():
                rec.given(f"drop.keep{l}", 1 - exact.D(layer.dropout_p), "1 - p")
    _optimizer_constants(net, rec)
    with exact.arithmetic():
        try:
            engine.train(net, rec)
        except ArithmeticError as e:
            why = str(e) if isinstance(e, ComputationError) else "a number overflows"
            raise SpecError(f"the computation diverges or leaves the domain of the loss ({why}); "
                            "choose smaller weights or another learning rate", field=net.id) from None
    losses = [problem.dec(f"it{k}.loss") for k in range(1, net.iterations + 1)] + [problem.dec("final.loss")]
    problem.info["loss_decreased"] = all(b < a for a, b in zip(losses, losses[1:]))
    return problem


def _optimizer_constants(net, rec) -> None:
    """The constants an optimizer's lines print (β, 1 − β, ε, ηλ, and Adam's 1 − βᵗ per step),
    exact decimals recorded as given values: the templates only format them."""
    from .engine import exact
    opt = net.optimizer
    with exact.arithmetic():
        for key, value in opt.settings:
            rec.given(f"opt.{key}", value, key)
            if key in ("beta1", "beta2", "rho"):
                rec.given(f"opt.one_minus_{key}", 1 - exact.D(value), f"1 - {key}")
        if opt.name == "adamw":
            rec.given("opt.eta_lambda", exact.D(net.learning_rate) * exact.D(opt.get("weight_decay")), "eta lambda")
        if opt.name in ("adam", "adamw"):
            for t in range(1, net.iterations + 1):
                for key in ("beta1", "beta2"):
                    rec.given(f"it{t}.bc_{key}", 1 - exact.D(opt.get(key)) ** t, f"1 - {key}^{t}")


def solve_expression(problem, policy: RoundingPolicy) -> ProblemTrace:
    from .engine import expression as engine

    pt = ProblemTrace(id=problem.id, kind="expression",
                      info={"output": problem.output, "loss": problem.loss, "train": list(problem.train)})
    rec = Recorder(pt, policy, batch=False)
    if problem.learning_rate is not None:
        rec.given("learning_rate", float(problem.learning_rate), "alpha", symbolic=problem.learning_rate)
    graph = engine.run(problem, rec)
    pt.info["graph"] = [{"id": n.id, "op": n.op, "inputs": list(n.inputs), "role": n.role}
                        for n in graph.nodes.values()]
    return pt


def solve_conv(problem, policy: RoundingPolicy) -> ProblemTrace:
    from .engine import conv as engine, exact

    pt = ProblemTrace(id=problem.id, kind=problem.kind,
                      info={"stride": problem.stride, "padding": problem.padding})
    # the channel axis is kept only for several channels (as the sample axis of a batch is)
    channels = problem.input.shape[0] if problem.kind == "conv" else 1
    rec = Recorder(pt, policy, batch=channels > 1)
    run = engine.convolve if problem.kind == "conv" else engine.pool
    with exact.arithmetic():
        pt.info.update(run(problem, rec))
    return pt


_SOLVERS = {"network": solve_network, "expression": solve_expression, "conv": solve_conv,
            "pool": solve_conv}
