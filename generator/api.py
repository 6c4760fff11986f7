"""The Python API: the pipeline's four stages, for notebooks and other programs.

    from generator.api import load_spec, solve, render, compile_pdf
    spec = load_spec("specs/seed000.yaml")          # YAML -> validated model
    trace = solve(spec)                              # model -> every intermediate value
    tex = render(spec, trace, "solution")            # trace -> LaTeX (templates/)
    compile_pdf(tex, Path("seed000-solution.pdf"))   # LaTeX -> PDF
"""

from .compile import compile_pdf
from .errors import DryrunError, LatexError, SpecError
from .render import render, render_body
from .snapshot import compare, snapshot
from .solve import solve
from .spec import load_spec, spec_from_data

__all__ = ["load_spec", "spec_from_data", "solve", "render", "render_body", "compile_pdf",
           "snapshot", "compare", "DryrunError", "SpecError", "LatexError"]
