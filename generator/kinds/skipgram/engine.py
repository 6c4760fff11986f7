"""The engine: one skip-gram step with negative sampling composed of the shared operations
(``generator.ops``), no arithmetic of its own.

Forward: s_o = u_oᵀ v_c and s_k = u_kᵀ v_c (every dot product written out), σ(s_o), σ(s_k) and
σ(−s_k) = 1 − σ(s_k), the loss ℓ = −ln σ(s_o) − Σ_k ln σ(−s_k).  Backward (CS224n's equations):
∂ℓ/∂v_c = (σ(s_o) − 1) u_o + Σ_k σ(s_k) u_k, ∂ℓ/∂u_o = (σ(s_o) − 1) v_c and
∂ℓ/∂u_k = σ(s_k) v_c.
Update: every vector takes one SGD step with the gradients of the same (old) vectors — word2vec's
own order, which computes v_c's step before it moves any u; then, optionally, the same forward
pass with the updated vectors under ``updated.``."""

from __future__ import annotations

from ...ops import Graph
from ...trace import ProblemTrace, Recorder

#: The three vectors of the exercise, in the order the solution updates them.
VECTORS = ("v_c", "u_o", "negatives")


def solve(model, policy, overrides=None) -> ProblemTrace:
    pt = ProblemTrace(id=model.id, kind=model.kind, info={"dim": model.dim, "samples": model.samples,
                                                          "stop_after": model.stop_after})
    g = Graph(Recorder(pt, policy, batch=False, overrides=overrides))
    g.given("v_c", model.v_c, "v_c (the center word's input vector)")
    g.given("u_o", model.u_o, "u_o (the context word's output vector)")
    g.given("negatives", model.negatives, "u_1 ... u_K (the negative samples' output vectors, one per row)")
    forward(g, "", {v: v for v in VECTORS}, model.samples)
    if model.stop_after == "forward":
        return pt
    grads = gradients(g, model.dim)
    if model.stop_after == "gradients":
        return pt
    g.given("learning_rate", model.learning_rate, "eta")
    new = {v: g.apply("sgd", f"updated.{v}", [v, grads[v], ("learning_rate", ())], "parameter",
                      formula=f"{v} - eta dl/d{v}", note=(f"updated.{v}", {})) for v in VECTORS}
    if model.loss_after:
        forward(g, "updated.", new, model.samples)
    return pt


def forward(g, pre: str, vec: dict, samples: int) -> str:
    """The scores, their sigmoids and the loss of the vectors ``vec`` ({vector: step name}), named
    ``{pre}score_o`` … ``{pre}loss``; with one negative sample its values are noted as that
    sample's (u_1ᵀv_c, not a vector U_neg v_c of one entry)."""
    def step(op, name, operands, kind, formula, **params):
        one = ".one" if samples == 1 and name.endswith(("_neg", "_neg_minus")) else ""
        return g.apply(op, pre + name, operands, kind, formula=formula, note=(pre + name + one, {}), **params)
    step("dot_along", "score_o", [vec["u_o"], vec["v_c"]], "preactivation", "u_o^T v_c", axis=None)
    step("affine", "score_neg", [vec["negatives"], vec["v_c"]], "preactivation", "u_k^T v_c for each sample k")
    step("sigmoid", "sigma_o", [pre + "score_o"], "activation", "sigma(u_o^T v_c)")
    step("sigmoid", "sigma_neg", [pre + "score_neg"], "activation", "sigma(u_k^T v_c)")
    step("complement", "sigma_neg_minus", [pre + "sigma_neg"], "activation", "sigma(-u_k^T v_c) = 1 - sigma(u_k^T v_c)")
    return step("neg_ln_sum", "loss", [(pre + "sigma_o", ()), pre + "sigma_neg_minus"], "loss",
                "l = -ln sigma(u_o^T v_c) - sum_k ln sigma(-u_k^T v_c)", axis=None)


def gradients(g, dim: int) -> dict[str, str]:
    """∂ℓ/∂v_c, ∂ℓ/∂u_o and ∂ℓ/∂u_k of the vectors as given (of ``dim`` entries), by their vector."""
    g.given("one", 1, "1 (the label of the true context word)")
    g.apply("difference", "coef_o", ["sigma_o", ("one", ())], "gradient", formula="sigma(u_o^T v_c) - 1",
            note=("coef_o", {}))
    # u_o as the one row of a matrix, beside the rows u_k: ∂ℓ/∂v_c = u_oᵀ(σ_o − 1) + Σ_k u_kᵀ σ(s_k)
    g.apply("reshape", "u_o_row", ["u_o"], "parameter", formula="u_o as a 1 x d row", rounded=False, given=True,
            shape=(1, dim))
    return {
        "v_c": g.apply("transposed", "grad.v_c", ["u_o_row", "coef_o", "negatives", "sigma_neg"], "gradient",
                       formula="(sigma(u_o^T v_c) - 1) u_o + sum_k sigma(u_k^T v_c) u_k", note=("grad.v_c", {})),
        "u_o": g.apply("product", "grad.u_o", [("coef_o", ()), "v_c"], "gradient",
                       formula="(sigma(u_o^T v_c) - 1) v_c", note=("grad.u_o", {})),
        "negatives": g.apply("outer", "grad.negatives", ["sigma_neg", "v_c"], "gradient",
                             formula="sigma(u_k^T v_c) v_c for each sample k", note=("grad.negatives", {})),
    }
