"""Hand-check a kind's rendered solution in the tests: every relation of its pages (tests.handcheck)."""

from generator.render import render
from generator.solve import solve
from tests.handcheck import explain


def by_hand(spec, policy) -> int:
    """The relations of the rendered solution that check by hand (display mode strict: each line
    within a unit of its last digit, as the rounding note promises); fails listing the first wrong."""
    relations = explain(render(spec, solve(spec, policy), "solution"), policy.mode, strict=policy.mode == "display")
    wrong = [f"{r.left} {r.rel} {r.right}: {r.why}" for r in relations if r.status == "fail"]
    assert not wrong, "\n".join(wrong[:10])
    return sum(r.status == "ok" for r in relations)
