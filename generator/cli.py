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
      dryrun trace specs/seed000.yaml          # all values as JSON
    """


@main.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=True))
def validate(specs):
    """Check SPECS; print "ok" per file or the first error of each (exit 2 if any is bad)."""
    from .spec import load_spec

    bad = 0
    for path in specs:
        try:
            load_spec(path)
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
