"""Caches that cannot lie, and one writer per output folder."""

import os
import shutil
import stat

import pytest
from click.testing import CliRunner

from generator import compile as compile_mod
from generator.api import load_spec, render, solve
from generator.cli import main
from generator.errors import DryrunError
from generator.files import output_lock
from tests.conftest import SPECS

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")


def question_tex():
    spec = load_spec(SPECS / "seed000.yaml")
    return render(spec, solve(spec), "question")


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("DRYRUN_CACHE", str(folder))
    return folder


@needs_tex
def test_a_truncated_or_planted_cached_pdf_is_rebuilt(own_cache, tmp_path):
    tex = question_tex()
    compile_mod.compile_pdf(tex, tmp_path / "a.pdf")
    good = (tmp_path / "a.pdf").read_bytes()
    cached = next((own_cache / "pdf").glob("*.pdf"))
    cached.write_bytes(good[:1000])                       # truncated
    compile_mod.compile_pdf(tex, tmp_path / "b.pdf")
    assert (tmp_path / "b.pdf").read_bytes() == good
    cached.write_bytes(good.replace(b"Exercise", b"ANSWER:42"))   # planted, hash not updated
    compile_mod.compile_pdf(tex, tmp_path / "c.pdf")
    assert (tmp_path / "c.pdf").read_bytes() == good


@needs_tex
def test_output_bytes_do_not_depend_on_the_cache(own_cache, tmp_path):
    tex = question_tex()
    compile_mod.compile_pdf(tex, tmp_path / "nocache.pdf", cache=False)
    compile_mod.compile_pdf(tex, tmp_path / "cold.pdf")
    compile_mod.compile_pdf(tex, tmp_path / "warm.pdf")
    data = {p.name: p.read_bytes() for p in tmp_path.glob("*.pdf")}
    assert len(set(data.values())) == 1


def test_a_cache_folder_writable_by_others_is_refused(own_cache):
    own_cache.mkdir()
    own_cache.chmod(0o777)
    with pytest.raises(DryrunError, match="writable by others"):
        compile_mod.checked_cache_dir()
    own_cache.chmod(0o700)
    assert compile_mod.checked_cache_dir() == own_cache.resolve()


@needs_tex
def test_a_failed_format_build_is_retried_by_the_next_run(own_cache, tmp_path, monkeypatch):
    tex = question_tex()
    real = compile_mod._run

    def fail_ini(cmd, work, timeout):
        if "-ini" in cmd:
            raise compile_mod.subprocess.TimeoutExpired(cmd, timeout)    # as an interrupted build
        return real(cmd, work, timeout)
    monkeypatch.setattr(compile_mod, "_run", fail_ini)
    compile_mod.compile_pdf(tex, tmp_path / "a.pdf", cache=True)
    assert not list((own_cache / "fmt").glob("*.failed"))                 # nothing marked forever
    monkeypatch.setattr(compile_mod, "_run", real)
    compile_mod._FAILED_FORMATS.clear()                                   # a new run
    (own_cache / "pdf").exists() and shutil.rmtree(own_cache / "pdf")
    compile_mod.compile_pdf(tex, tmp_path / "b.pdf")
    assert list((own_cache / "fmt").glob("*.fmt"))


@needs_tex
def test_cache_verify_and_clear(own_cache, tmp_path):
    compile_mod.compile_pdf(question_tex(), tmp_path / "a.pdf")
    cached = next((own_cache / "pdf").glob("*.pdf"))
    cached.write_bytes(b"%PDF-1.5 broken")
    result = CliRunner().invoke(main, ["cache", "verify"])
    assert result.exit_code == 0 and "removed" in result.output and not cached.exists()
    result = CliRunner().invoke(main, ["cache", "clear"])
    assert result.exit_code == 0 and not list((own_cache / "fmt").glob("*.fmt"))


def test_the_pdf_cache_keeps_its_size_bound(tmp_path):
    for k in range(5):
        p = tmp_path / f"{k}.pdf"
        p.write_bytes(b"x" * 100)
        os.utime(p, (k, k))
    compile_mod._evict(tmp_path, limit=250)
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == ["3.pdf", "4.pdf"]     # oldest first


def test_one_writer_per_output_folder(tmp_path):
    with output_lock(tmp_path / "out"):
        result = CliRunner().invoke(main, ["render", str(SPECS / "seed000.yaml"), "-o", str(tmp_path / "out"),
                                           "--format", "tex"])
        assert result.exit_code == 6 and "is writing into" in result.output
    assert not (tmp_path / "out" / ".dryrun.lock").exists()


@needs_tex
def test_sigterm_kills_pdflatex_and_leaves_no_temporary_folder(tmp_path):
    import signal
    import subprocess
    import sys
    import tempfile
    import time
    spec = tmp_path / "slow.yaml"
    spec.write_text((SPECS / "seed000.yaml").read_text())
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp"), "DRYRUN_CACHE": str(tmp_path / "cache")}
    (tmp_path / "tmp").mkdir()
    proc = subprocess.Popen([sys.executable, "-c", "from generator.cli import main; main()", "render", str(spec),
                             "-o", str(tmp_path / "out")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=tmp_path)
    deadline = time.time() + 60
    while time.time() < deadline and not any((tmp_path / "tmp").glob("dryrun-*")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    time.sleep(0.5)
    assert not list((tmp_path / "tmp").glob("dryrun-*"))
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(tmp_path) not in ps
