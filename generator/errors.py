"""The one exception hierarchy of dryrun; each class carries the CLI's exit status.

Exit statuses: 0 ok; 1 ``check`` found differences, or ``grade`` left response rows that match
no student; 2 bad input (a spec, an argument, a roster, a snapshot); 3 LaTeX failed; 4 pdflatex is
missing; 5 a template is broken; 6 another run is writing into the same output folder; 7 a file
cannot be read or written (a full disk, no permission); 130 interrupted."""

from __future__ import annotations


class DryrunError(Exception):
    """Base of every error dryrun reports to a user as one clean line.

    Exit status 2 unless a subclass says otherwise: 1 is reserved for ``check`` finding differences
    (and ``grade`` rows that match no student), which are results, not errors."""

    exit_code = 2


class SpecError(DryrunError):
    """A spec file is missing, unreadable, malformed or inconsistent.

    ``where`` is the file, ``field`` the path inside it (``network.layers[1].weights``).
    """

    exit_code = 2

    def __init__(self, message: str, *, where: str = "", field: str = ""):
        self.where = where
        self.field = field
        self.detail = " ".join(str(message).split())      # always one line
        super().__init__(message)

    def __str__(self) -> str:
        parts = [p for p in (self.where, self.field) if p]
        return ": ".join(parts + [self.detail])

    def located(self, where: str) -> "SpecError":
        """The same error, naming the file it came from."""
        return type(self)(self.detail, where=where, field=self.field)


class ComputationError(SpecError):
    """A value of the computation cannot be computed: it overflows or underflows, a step divides
    by 0 or takes the logarithm of 0 (often a value that carried rounding made 0 or 1).  The
    message names the value and why; a property of the spec (its numbers, its precision)."""


class UsageError(DryrunError):
    """An argument of a command or of the Python API is not one of the allowed values."""

    exit_code = 2


class TemplateError(DryrunError):
    """A template (usually a user's override) fails; the message names the file and line."""

    exit_code = 5


class BusyError(DryrunError):
    """Another dryrun run holds the output folder."""

    exit_code = 6


class FileSystemError(DryrunError):
    """The system refused to read or write a file (a full disk, a folder without permission)."""

    exit_code = 7


class LatexError(DryrunError):
    """pdflatex failed; carries the first error of its log and the offending source line."""

    exit_code = 3

    def __init__(self, message: str, *, log_excerpt: str = "", tex_path: str = ""):
        self.log_excerpt = log_excerpt
        self.tex_path = tex_path
        super().__init__(message)


class ToolMissingError(DryrunError):
    """An external program (pdflatex) is not installed."""

    exit_code = 4
