"""The engine: the given parameters and gradients, then ``steps`` updates of every parameter by the
optimizer with the same gradients, the state carried from one to the next — the shared composition
of a network's update (``ops.optimizers``), no arithmetic of its own.  Names (docs/trace.md):
``init.P``, ``grad.P``, ``learning_rate`` given; per update k the network's ``itk.stepP``,
``itk.mP`` … and ``itk.P``; ``final.P`` the parameters after the last update."""

from __future__ import annotations

from ...ops import Graph, optimizers
from ...trace import ProblemTrace, Recorder, training


def solve(model, policy, overrides=None) -> ProblemTrace:
    opt = model.optimizer
    info = {"parameters": {P: list(a.shape) for P, a in model.parameters}, "updates": model.steps,
            "optimizer": opt.name, "first_step": opt.step + 1, "learning_rate": model.learning_rate,
            "mode": policy.mode}
    problem = ProblemTrace(id=model.id, kind=model.kind, info=info)
    g = Graph(Recorder(problem, policy, batch=False, overrides=overrides))
    for P, value in model.parameters:
        g.given(f"init.{P}", value, f"initial {P}")
    for P, value in model.gradients:
        g.given(f"grad.{P}", value, f"dL/d{P}")
    g.given("learning_rate", model.learning_rate, "eta")
    with training(model.id):
        optimizers.constants(g, opt, model.steps)
        state: dict = {}
        for k in range(1, model.steps + 1):
            for P in model.names:
                note = lambda key, P=P: (key, {"P": P})      # noqa: E731 — the notation of P's values
                optimizers.update(g, opt, P, f"grad.{P}", f"init.{P}" if k == 1 else f"it{k - 1}.{P}", f"it{k}.{P}",
                                  f"it{k}", state, k, note)
        for P in model.names:
            g.apply("identity", f"final.{P}", [f"it{model.steps}.{P}"], "parameter",
                    formula=f"{P} after {model.steps} updates", note=("final", {"P": P}))
    return problem
