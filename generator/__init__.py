"""dryrun: worked solutions of neural-network hand calculations.

The pipeline, one function per stage::

    spec = load_spec("specs/seed000.yaml")   # YAML -> validated model
    trace = solve(spec)                       # model -> every intermediate value
"""

from .errors import DryrunError, LatexError, SpecError

__all__ = ["DryrunError", "LatexError", "SpecError", "load_spec", "solve"]


def __getattr__(name):
    # Lazy: `import generator` (and the CLI's --help) stays free of numpy and sympy.
    if name == "load_spec":
        from .spec import load_spec
        return load_spec
    if name == "solve":
        from .solve import solve
        return solve
    raise AttributeError(name)
