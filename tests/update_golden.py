"""Rewrite the golden .tex files in tests/golden/ from the current templates and engine.

Use deliberately: run the whole test suite first (it proves the values independently: finite
differences, sympy, hand computations, numbers parsed back out of the .tex), then

    make golden        # or: .venv/bin/python -m tests.update_golden

and review the diff (git diff tests/golden) before committing it."""

from pathlib import Path

from generator.render import render
from generator.solve import solve
from generator.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
SEEDS = ("seed000", "seed001", "seed002", "seed003", "seed004")


def golden_documents():
    for name in SEEDS:
        spec = load_spec(ROOT / "specs" / f"{name}.yaml")
        trace = solve(spec)
        for what in ("solution", "question"):
            yield GOLDEN / f"{name}-{what}.tex", render(spec, trace, what)


if __name__ == "__main__":
    GOLDEN.mkdir(exist_ok=True)
    for path, tex in golden_documents():
        path.write_text(tex, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
