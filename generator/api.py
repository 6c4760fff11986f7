"""The Python API: the pipeline's stages, a homework set and a snapshot check, for notebooks
and other programs.  Every path may be a ``str`` or a ``Path``; a wrong argument raises a
``DryrunError`` (``UsageError``, ``SpecError`` …) that names what is allowed.

    from generator.api import load_spec, solve, render, compile_pdf
    spec = load_spec("my.yaml")                      # YAML -> validated model
    trace = solve(spec)                              # model -> every intermediate value
    tex = render(spec, trace, "solution")            # trace -> LaTeX (the built-in templates)
    compile_pdf(tex, "my-solution.pdf")              # LaTeX -> PDF

    run = homework("hw.yaml", "out/hw", variants=30, seed=1)   # PDFs, key, answers.csv/json
    result = check("my.yaml", "my-snapshot.json")              # result.changed, report(result)
"""

from .compile import compile_pdf
from .errors import DryrunError, LatexError, SpecError, TemplateError, UsageError
from .homework import run as homework
from .render import render, render_body
from .snapshot import check, compare, report, snapshot, take_snapshot
from .solve import solve
from .spec import load_spec, spec_from_data

__all__ = ["load_spec", "spec_from_data", "solve", "render", "render_body", "compile_pdf",
           "homework", "snapshot", "take_snapshot", "compare", "check", "report",
           "DryrunError", "SpecError", "LatexError", "TemplateError", "UsageError"]
