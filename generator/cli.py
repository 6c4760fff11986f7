"""The ``dryrun`` command line: a thin layer over the Python API.

Heavy modules (numpy, sympy, jinja2) are imported inside the commands, never at start-up."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import DryrunError


def _fail(err: DryrunError):
    click.echo(f"dryrun: error: {err}", err=True)
    sys.exit(err.exit_code)


class _Group(click.Group):
    """Turns every DryrunError into one line on stderr and its exit status."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DryrunError as err:
            _fail(err)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dryrun")
def main():
    """dryrun turns a short YAML spec of a neural-network exercise into its worked solution:
    every forward step, every chain-rule step, every update, with the numbers.

    \b
    Typical use:
      dryrun validate specs/*.yaml
      dryrun render specs/*.yaml -o output     # question and solution PDFs
      dryrun trace specs/seed000.yaml          # all values as JSON
    """


@main.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=True))
def validate(specs):
    """Check SPECS (and solve them); print "ok" per file or the first error of each (exit 2 if any is bad)."""
    from .solve import solve
    from .spec import load_spec

    bad = 0
    for path in specs:
        try:
            solve(load_spec(path))     # computing finds what only arises from the numbers
            click.echo(f"{path}: ok")
        except DryrunError as err:
            click.echo(f"dryrun: error: {err}", err=True)
            bad += 1
    if bad:
        sys.exit(2)


@main.command()
@click.argument("spec", type=click.Path(dir_okay=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the JSON here instead of stdout.")
@click.option("--mode", type=click.Choice(["display", "carry"]), help="Override the spec's rounding mode.")
def trace(spec, output, mode):
    """Print every intermediate value of SPEC as JSON (full float64 precision).

    \b
    {"problems": [{"id": "main", "kind": "network", "values": {"it1.z1": [...], ...},
                   "steps": [{"name", "kind", "formula", "exact"}, ...]}], "rounding": {...}}
    See docs/trace.md for every name."""
    from .solve import solve
    from .spec import load_spec
    from .files import write_atomic

    s = load_spec(spec)
    policy = s.rounding.with_overrides(mode=mode)
    text = solve(s, policy).to_json() + "\n"
    if output:
        write_atomic(Path(output), text.encode())
    else:
        click.echo(text, nl=False)


def _rounding_options(f):
    options = [
        click.option("--mode", type=click.Choice(["display", "carry"]),
                     help="display: round only what is shown; carry: go on with the rounded values."),
        click.option("--decimals", type=click.IntRange(0, 15), help="Round to this many decimals."),
        click.option("--significant", type=click.IntRange(1, 15), help="Round to significant figures."),
        click.option("--decimal-comma/--decimal-point", default=None, help="Write 0,5 instead of 0.5."),
        click.option("--trailing-zeros/--no-trailing-zeros", default=None, help="Write 0.500 or 0.5."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _rounding_override(mode, decimals, significant, decimal_comma, trailing_zeros):
    """A function that applies the command line's rounding options to a spec's policy."""
    if decimals is not None and significant is not None:
        raise click.UsageError("give --decimals or --significant, not both")
    from .numbers import Precision

    default = None
    if decimals is not None:
        default = Precision("decimals", decimals)
    elif significant is not None:
        default = Precision("significant", significant)

    def apply(policy):
        changed = policy.with_overrides(mode=mode, default=default, decimal_comma=decimal_comma,
                                        trailing_zeros=trailing_zeros)
        return changed if default is None else changed.with_overrides(per_kind=())
    return apply


@main.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option("-o", "--output", "out_dir", default="output", show_default=True,
              type=click.Path(file_okay=False), help="Directory for the documents.")
@click.option("--what", type=click.Choice(["both", "solution", "question"]), default="both",
              show_default=True, help="Which documents to produce.")
@click.option("--format", "fmt", type=click.Choice(["pdf", "tex", "both"]), default="pdf",
              show_default=True, help="PDF, the LaTeX source, or both.")
@_rounding_options
@click.option("--templates", type=click.Path(file_okay=False, exists=True),
              help="A directory of templates that override the built-in ones (e.g. base.tex.j2).")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None,
              help="Documents compiled in parallel [default: number of cores].")
def render(specs, out_dir, what, fmt, mode, decimals, significant, decimal_comma, trailing_zeros,
           templates, jobs):
    """Render SPECS to NAME-solution.pdf and NAME-question.pdf in the output directory.

    Every spec is checked before anything is written; a document whose LaTeX fails is reported
    (with LaTeX's first error and the offending source line, the .tex kept) and the others are
    still written."""
    import os

    from .pipeline import plan, write

    whats = ("question", "solution") if what == "both" else (what,)
    override = _rounding_override(mode, decimals, significant, decimal_comma, trailing_zeros)
    todo = plan(specs, Path(out_dir), what=whats, rounding=override, templates=templates)
    report = write(todo, pdf=fmt in ("pdf", "both"), tex=fmt in ("tex", "both"),
                   jobs_n=jobs or os.cpu_count() or 1)
    for path in sorted(report.written):
        click.echo(f"wrote {path}")
    for path, message in report.failed:
        click.echo(f"dryrun: error: {path}: {message}", err=True)
    if report.failed:
        sys.exit(3)
