"""A plain (non-editable) install carries the templates and renders from any working folder."""

import os
import shutil
import subprocess
import sys

from tests.conftest import ROOT, SPECS


def test_wheel_renders_from_a_temporary_folder(tmp_path):
    dist, site, work, src = tmp_path / "dist", tmp_path / "site", tmp_path / "work", tmp_path / "src"
    # built from a clean copy: a stale build/ folder of a working tree must not fill the wheel
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", "build", "output", ".git", "__pycache__",
                                                           "*.egg-info", ".hypothesis", ".pytest_cache"))
    # packages are found, not listed: a new kind's modules ship without editing pyproject.toml
    (src / "generator" / "kinds" / "newkind").mkdir()
    for module in ("__init__.py", "engine.py", "schema.py"):
        (src / "generator" / "kinds" / "newkind" / module).write_text('"""A kind added by a test."""\n')
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist)], check=True, capture_output=True)
    wheel = next(dist.glob("dryrun-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
                    str(wheel)], check=True, capture_output=True)
    assert (site / "generator" / "templates" / "base.tex.j2").is_file()
    modules = {p.relative_to(src).as_posix() for p in (src / "generator").rglob("*.py")}
    assert modules == {p.relative_to(site).as_posix() for p in (site / "generator").rglob("*.py")}
    assert "generator/kinds/newkind/engine.py" in modules
    from generator.cli import STARTERS, starter
    from generator.kinds import KINDS
    for kind in KINDS:                  # every kind's own templates travel in its folder
        assert (site / "generator" / "kinds" / kind / "templates" / "solution.tex.j2").is_file(), kind
        if (src / "generator" / "kinds" / kind / "starter.yaml").is_file():     # and its starter spec
            assert (site / "generator" / "kinds" / kind / "starter.yaml").is_file(), kind
    for name in STARTERS:               # every starter dryrun init prints, wherever it lives
        assert (site / starter(name).relative_to(ROOT)).is_file(), name
    work.mkdir()
    (work / "x.yaml").write_text((SPECS / "seed000.yaml").read_text())
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = ("import generator, sys; from generator.cli import main; "
            "assert generator.__file__.startswith(sys.argv[1]), generator.__file__; "
            "sys.argv = ['dryrun', 'render', 'x.yaml', '--format', 'tex', '-o', 'out']; main()")
    result = subprocess.run([sys.executable, "-c", code, str(site)], cwd=work, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (work / "out" / "x-solution.tex").read_text().count(r"\eqbox") > 20
    # a new user's first steps with the installed package: a starter spec, then render it
    start = ("import sys; from generator.cli import main; sys.argv = ['dryrun'] + sys.argv[1:]; main()")
    made = subprocess.run([sys.executable, "-c", start, "init", "network", "-o", "first.yaml"], cwd=work,
                          env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    rendered = subprocess.run([sys.executable, "-c", start, "render", "first.yaml", "--format", "tex"],
                              cwd=work, env=env, capture_output=True, text=True)
    assert rendered.returncode == 0, rendered.stderr
    assert (work / "output" / "first-solution.tex").is_file()
    made = subprocess.run([sys.executable, "-c", start, "init", "cnn", "-o", "cnn.yaml"], cwd=work,
                          env=env, capture_output=True, text=True)
    rendered = subprocess.run([sys.executable, "-c", start, "render", "cnn.yaml", "--format", "tex"],
                              cwd=work, env=env, capture_output=True, text=True)
    assert made.returncode == rendered.returncode == 0, made.stderr + rendered.stderr
    assert r"\frac{\partial L}{\partial w" in (work / "output" / "cnn-solution.tex").read_text()
