"""A well-kept tool: starter specs, the built-in templates, permissions of output files, the
Python API's arguments, template errors that name their line, overrides that override nothing."""

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import api
from generator.cli import STARTERS, main
from generator.errors import TemplateError, UsageError
from generator.files import write_atomic
from tests.conftest import SPECS


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.mark.parametrize("kind", STARTERS)
def test_every_starter_validates_and_renders(kind, tmp_path):
    code, text = run("init", kind)
    assert code == 0 and text.startswith("#")
    spec = tmp_path / f"{kind}.yaml"
    spec.write_text(text)
    assert run("validate", spec)[0] == 0
    if kind != "homework":
        code, out = run("render", spec, "-o", tmp_path / "out", "--format", "tex")
        assert code == 0, out
    else:
        loaded = api.load_spec(spec)
        assert loaded.randomize is not None


def test_init_does_not_overwrite(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text("mine")
    code, out = run("init", "network", "-o", f)
    assert code == 2 and "exists" in out and f.read_text() == "mine"


def test_templates_list_and_copy(tmp_path):
    code, out = run("templates", "list")
    assert code == 0 and "base.tex.j2" in out.split() and "network/forward.tex.j2" in out.split()
    code, out = run("templates", "copy", "network/loss.tex.j2", tmp_path / "mine")
    assert code == 0 and (tmp_path / "mine" / "network" / "loss.tex.j2").is_file()
    code, out = run("templates", "copy", "network/los.tex.j2", tmp_path / "mine")
    assert code == 2 and "did you mean 'network/loss.tex.j2'" in out


def test_output_files_get_the_umask_permissions_and_keep_an_existing_mode(tmp_path):
    old = os.umask(0o022)
    try:
        f = tmp_path / "a.pdf"
        write_atomic(f, b"x")
        assert stat.S_IMODE(f.stat().st_mode) == 0o644
        f.chmod(0o664)
        write_atomic(f, b"y")
        assert stat.S_IMODE(f.stat().st_mode) == 0o664 and f.read_bytes() == b"y"
        code, _ = run("render", SPECS / "seed000.yaml", "-o", tmp_path / "o", "--format", "tex")
        assert code == 0
        assert stat.S_IMODE((tmp_path / "o" / "seed000-solution.tex").stat().st_mode) == 0o644
    finally:
        os.umask(old)


def test_api_takes_str_paths_and_names_allowed_values(tmp_path):
    spec = api.load_spec(str(SPECS / "seed000.yaml"))
    trace = api.solve(spec)
    with pytest.raises(UsageError, match="what must be one of solution, question, not 'answers'"):
        api.render(spec, trace, "answers")


def test_api_homework_and_check_take_str_paths(tmp_path):
    run = api.homework(str(SPECS / "seed003.yaml"), str(tmp_path / "hw"), variants=2, seed=4)
    assert len(run.batch.variants) == 2 and not run.failures
    assert (tmp_path / "hw" / "answers.csv").is_file() and (tmp_path / "hw" / "key.pdf").is_file()
    with pytest.raises(UsageError, match="not both"):
        api.homework(str(SPECS / "seed003.yaml"), str(tmp_path / "x"), variants=2, students="r.csv")
    snap = tmp_path / "s.json"
    import json
    spec, doc = api.take_snapshot(str(SPECS / "seed000.yaml"))
    snap.write_text(json.dumps(doc))
    result = api.check(str(SPECS / "seed000.yaml"), str(snap))
    assert not result.changed and result.values == len(doc["values"]) and result.page_count == 2


def test_compile_pdf_takes_a_str_path(tmp_path):
    spec = api.load_spec(SPECS / "seed000.yaml")
    api.compile_pdf(api.render(spec, api.solve(spec), "question"), str(tmp_path / "q.pdf"))
    assert (tmp_path / "q.pdf").read_bytes().startswith(b"%PDF")


def test_a_template_error_names_the_file_and_line(tmp_path):
    (tmp_path / "question.tex.j2").write_text("line one\n((( no_such_name )))\n")
    spec = api.load_spec(SPECS / "seed000.yaml")
    with pytest.raises(TemplateError, match=r"question.tex.j2:2: 'no_such_name' is undefined"):
        api.render(spec, api.solve(spec), "question", templates=tmp_path)
    code, out = run("render", SPECS / "seed000.yaml", "-o", tmp_path / "o", "--format", "tex",
                    "--what", "question", "--templates", tmp_path)
    assert code == 5 and "question.tex.j2:2" in out


def test_an_override_block_that_does_not_exist_is_a_warning(tmp_path):
    (tmp_path / "base.tex.j2").write_text('((* extends "builtin/base.tex.j2" *))\n((* block titel *))X((* endblock *))\n')
    result = CliRunner().invoke(main, ["render", str(SPECS / "seed000.yaml"), "-o", str(tmp_path / "o"),
                                       "--format", "tex", "--templates", str(tmp_path)])
    assert result.exit_code == 0
    assert "block 'titel' is not in builtin/base.tex.j2" in result.stderr and "did you mean 'title'" in result.stderr


def test_without_a_terminal_progress_is_a_line_per_tenth_and_reruns_say_unchanged(tmp_path):
    result = CliRunner().invoke(main, ["render", str(SPECS / "seed000.yaml"), str(SPECS / "seed004.yaml"),
                                       "-o", str(tmp_path), "--format", "tex"])
    assert result.exit_code == 0
    assert "compiled 4/4 documents" in result.stderr
    assert result.output.count("wrote ") == 4
    again = CliRunner().invoke(main, ["render", str(SPECS / "seed000.yaml"), str(SPECS / "seed004.yaml"),
                                      "-o", str(tmp_path), "--format", "tex"])
    assert again.output.count("unchanged ") == 4 and "wrote " not in again.output


def test_trace_says_what_it_wrote(tmp_path):
    result = CliRunner().invoke(main, ["trace", str(SPECS / "seed000.yaml"), "-o", str(tmp_path / "t.json")])
    assert result.exit_code == 0 and f"wrote {tmp_path / 't.json'}" in result.stderr
