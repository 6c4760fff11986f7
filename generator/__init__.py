"""dryrun: worked solutions of neural-network hand calculations.

The Python API is ``generator.api`` (load_spec → solve → render → compile_pdf); the command line
is ``generator.cli``.  Importing this package alone loads nothing heavy."""

from .errors import DryrunError, LatexError, SpecError

__all__ = ["DryrunError", "LatexError", "SpecError"]
