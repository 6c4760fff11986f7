"""dryrun: worked solutions of neural-network hand calculations.

The Python API is ``generator.api`` (load_spec → solve → render → compile_pdf); the command line
is ``generator.cli``.  Importing this package alone loads nothing heavy."""

from .errors import DryrunError, LatexError, SpecError

__version__ = "0.3.0"     # the one place of the version (pyproject.toml reads it; CHANGELOG.md says what changed)

__all__ = ["DryrunError", "LatexError", "SpecError", "__version__"]
