"""Hostile input: the corpus of bad specs, fuzzing of the loader and the parser, resource limits,
LaTeX confinement, and attacks of our own."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.cli import main
from generator.compile import compile_pdf
from generator.errors import LatexError, SpecError
from generator.kinds import KINDS, kind
from generator.kinds.expression.formula import parse
from generator.spec import parse_yaml, spec_from_data
from tests.conftest import SPECS

BAD = Path(__file__).parent / "bad_specs"
#: every folder of bad specs: the shared one, and each kind's own (generator/kinds/<kind>/bad_specs/)
FOLDERS = [BAD] + [k.folder / "bad_specs" for k in map(kind, KINDS) if (k.folder / "bad_specs").is_dir()]
CORPUS = [(folder, *line.split("\t", 1)) for folder in FOLDERS
          for line in (folder / "EXPECTED.tsv").read_text(encoding="utf-8").splitlines()]
needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def test_the_corpus_is_large_and_complete():
    assert len(CORPUS) >= 60
    for folder in FOLDERS:          # every file of every folder is listed in its EXPECTED.tsv
        assert sorted(n for f, n, _ in CORPUS if f == folder) == \
            sorted(p.name for p in folder.iterdir() if p.name != "EXPECTED.tsv"), folder


@pytest.mark.parametrize("folder,name,message", CORPUS,
                         ids=[n if f == BAD else f"{f.parent.name}/{n}" for f, n, _ in CORPUS])
def test_bad_spec_gives_its_one_line_error(folder, name, message):
    path = folder / name
    code, out = cli("validate", path)
    assert code == 2
    # {KINDS}: the table of kinds, which grows with every new kind folder
    assert out == f"dryrun: error: {path}: {message.replace('{KINDS}', ', '.join(KINDS))}\n"


# ---- fuzzing: any input is a valid model or a SpecError, never another exception ----

KEYS = ["title", "description", "rounding", "network", "parts", "input", "target", "layers", "loss",
        "learning_rate", "iterations", "activation", "weights", "bias", "kind", "formula", "inputs",
        "parameters", "kernel", "window", "stride", "padding", "mode", "decimals", "randomize", "values"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**15, 10**15),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                    st.sampled_from(["relu", "sigmoid", "sse", "bce", "pi/2", "x", "sin(x)", "max", "conv"]))
data = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5),
    st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), inner, max_size=6)),
    max_leaves=40)


@settings(max_examples=300, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(data)
def test_fuzz_spec_from_data(value):
    try:
        spec_from_data(value)
    except SpecError as e:
        assert str(e) and "\n" not in str(e)


NETWORK = st.fixed_dictionaries({"network": st.fixed_dictionaries({
    "input": st.lists(st.integers(-3, 3), min_size=1, max_size=3),
    "layers": st.lists(st.fixed_dictionaries({
        "activation": st.sampled_from(["relu", "sigmoid", "tanh", "identity", "softmax", "elu"]),
        "weights": st.lists(st.lists(st.floats(-5, 5), min_size=1, max_size=3), min_size=1, max_size=3)}),
        min_size=1, max_size=3),
    "target": st.lists(st.floats(0, 1), min_size=1, max_size=3),
    "loss": st.sampled_from(["sse", "mse", "bce", "cce", "square"]),
    "learning_rate": st.floats(-1, 2), "iterations": st.integers(-1, 3)})})


@settings(max_examples=200, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(NETWORK)
def test_fuzz_nearly_valid_networks_solve_or_fail_cleanly(value):
    from generator.solve import solve
    try:
        solve(spec_from_data(value))
    except SpecError as e:
        assert str(e) and "\n" not in str(e)


@settings(max_examples=300, deadline=5000)
@given(st.text(max_size=300))
def test_fuzz_yaml_text(text):
    try:
        spec_from_data(parse_yaml(text))
    except SpecError as e:
        assert "\n" not in str(e)


def test_a_leading_zero_is_a_decimal_integer_not_a_traceback():
    """Found by the fuzzer: YAML 1.1 reads 08 as a broken octal number (a ValueError inside the
    YAML library); a spec's integers are decimal, as in YAML 1.2."""
    assert parse_yaml("a: 08\nb: -012\nc: 0") == {"a": 8, "b": -12, "c": 0}


FORMULA_ALPHABET = "xyw ^T*/+-().,0123456789episnctaqrlogdbhmu_'\"[];:"


@settings(max_examples=500, deadline=5000)
@given(st.one_of(st.text(alphabet=FORMULA_ALPHABET, max_size=60), st.text(max_size=40)))
def test_fuzz_formula_parser(text):
    try:
        parse(text, ["x", "y", "w"])
    except SpecError as e:
        assert str(e)


@settings(max_examples=150, deadline=10000, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet="xw ^*/+-()0123456789.sincoexplgtarh", min_size=1, max_size=40))
def test_fuzz_formulas_evaluate_or_fail_cleanly(text):
    from generator.solve import solve
    spec = {"parts": [{"kind": "expression", "formula": text, "inputs": {"x": 2},
                       "parameters": {"w": "pi/3"}, "loss": "sse", "target": 1, "learning_rate": 0.5}]}
    try:
        solve(spec_from_data(spec))
    except SpecError as e:
        assert str(e) and "\n" not in str(e)


# ---- resource limits ----

def test_limits_can_be_raised_on_purpose():
    code, out = cli("validate", BAD / "iterations_too_many.yaml")
    assert code == 2 and "limit max_iterations" in out
    code, out = cli("--limit", "max_iterations=1000", "validate", BAD / "iterations_too_many.yaml")
    assert code == 0 and out.endswith(": ok\n")
    code, out = cli("--limit", "max_units=64", "--limit", "max_matrix=4096", "validate", BAD / "limit_units.yaml")
    assert code == 0, out


def test_unknown_limit_is_refused():
    code, out = cli("--limit", "max_unit=64", "validate", SPECS / "seed000.yaml")
    assert code != 0 and "did you mean 'max_units'?" in out
    code, out = cli("--limit", "max_units=lots", "validate", SPECS / "seed000.yaml")
    assert code != 0 and "whole number" in out


def test_variant_count_is_limited(tmp_path):
    code, out = cli("homework", SPECS / "seed003.yaml", "--variants", "1000000", "-o", tmp_path)
    assert code != 0 and "limit max_variants" in out and not list(tmp_path.iterdir())


# ---- LaTeX: confinement and escaping ----

ATTACKS = [r"\input{/etc/passwd}", r"\immediate\write18{touch /tmp/dryrun-pwned}", r"\openin5=/etc/passwd",
           r"\catcode`\@=0 @input{/etc/passwd}", r"^^5cinput{/etc/passwd}", r"$\x$ & % # ~ _ ^ { }",
           "((( 7*7 ))) ((* for i in range(3) *))x((* endfor *))", "\u202egnp.exe \u0000 \x1b[31m"]


@needs_tex
def test_attacks_in_every_text_field_print_literally(tmp_path):
    text = "\n".join(ATTACKS)
    spec = tmp_path / "attack.yaml"
    import yaml
    data = yaml.safe_load((SPECS / "seed002.yaml").read_text())
    data["title"] = ATTACKS[0]
    data["description"] = text
    for part in data["parts"]:
        part["title"] = ATTACKS[1]
        part["text"] = text
    spec.write_text(yaml.safe_dump(data), encoding="utf-8")
    code, out = cli("render", spec, "-o", tmp_path / "out")
    assert code == 0, out
    assert not Path("/tmp/dryrun-pwned").exists()
    for pdf in (tmp_path / "out").glob("*.pdf"):
        words = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        flat = "".join(words.split())
        assert "root:" not in words
        assert "".join(r"\input{/etc/passwd}".split()) in flat
        assert "(((7*7)))((*foriinrange(3)*))x((*endfor*))" in flat     # not 49, not xxx


@needs_tex
@pytest.mark.parametrize("body,message", [
    (r"\input{/etc/passwd}", "LaTeX error"),
    (r"\newread\f\openin\f=/etc/passwd \read\f to\x \x", "LaTeX error"),
])
def test_pdflatex_cannot_read_outside_its_directory(tmp_path, body, message):
    tex = "\\documentclass{article}\n\\begin{document}\n" + body + "\n\\end{document}\n"
    try:
        compile_pdf(tex, tmp_path / "x.pdf", cache=False)
        text = subprocess.run(["pdftotext", str(tmp_path / "x.pdf"), "-"], capture_output=True,
                              text=True).stdout
        assert "root:" not in text
    except LatexError as e:
        assert message in str(e)


@needs_tex
def test_pdflatex_cannot_run_commands_or_write_outside(tmp_path):
    target = tmp_path / "written.txt"
    tex = ("\\documentclass{article}\n\\begin{document}\n\\immediate\\write18{touch " + str(tmp_path / "shell") +
           "}\n\\newwrite\\w\\immediate\\openout\\w=" + str(target) + "\n\\immediate\\write\\w{x}"
           "\\immediate\\closeout\\w\nhello\n\\end{document}\n")
    try:
        compile_pdf(tex, tmp_path / "x.pdf", cache=False)
    except LatexError:
        pass
    assert not (tmp_path / "shell").exists()
    assert not target.exists()


@needs_tex
def test_a_looping_document_is_stopped(tmp_path):
    tex = "\\documentclass{article}\n\\begin{document}\n\\def\\x{\\x}\\x\n\\end{document}\n"
    with pytest.raises(LatexError, match="did not finish within 3 s"):
        compile_pdf(tex, tmp_path / "x.pdf", timeout=3, cache=False, keep_tex_on_error=tmp_path / "x.tex")
    assert not (tmp_path / "x.pdf").exists() and (tmp_path / "x.tex").exists()


# ---- attacks of our own ----

def test_spec_that_is_a_device_or_fifo(tmp_path):
    code, out = cli("validate", "/dev/zero")
    assert code == 2 and "not a file" in out
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    code, out = cli("validate", fifo)
    assert code == 2 and "not a file" in out


def test_roster_names_cannot_escape_the_output_directory(tmp_path):
    from generator.homework import plan_variants, read_roster
    roster = tmp_path / "r.csv"
    roster.write_text("name\n../../etc/passwd\n\\input{x}\n/abs/path\n", encoding="utf-8")
    ids = [v.ident for v in plan_variants(None, read_roster(str(roster)))]
    assert ids == ["etc-passwd", "input-x", "abs-path"]
    assert all("/" not in i and ".." not in i for i in ids)


def test_output_name_cannot_be_code(write_spec):
    path = write_spec('parts:\n  - kind: expression\n    formula: "__class__ = x"\n    inputs: {x: 1}\n')
    code, out = cli("validate", path)
    assert code == 2 and "cannot name the output" in out


def test_nan_in_random_choices_is_refused(write_spec):
    text = (SPECS / "seed003.yaml").read_text().replace("network.target: {choices: [0, 1]}",
                                                         "network.target: {choices: [0, .nan]}")
    code, out = cli("validate", write_spec(text))
    assert code == 2 and "randomize.values.network.target.choices[1]: expected a finite number" in out


def test_bad_shards_are_refused(tmp_path):
    for shard in ("0/2", "3/2", "1/0", "a/b"):
        code, out = cli("homework", SPECS / "seed003.yaml", "-n", "2", "--shard", shard, "-o", tmp_path)
        assert code != 0 and "--shard must be K/N" in out


def test_overflowing_network_is_an_error_not_a_crash(write_spec):
    path = write_spec("network:\n  input: [1000000, 1]\n  target: [1]\n  layers:\n"
                      "    - {activation: identity, weights: [[1000000, 1000000]]}\n"
                      "    - {activation: identity, weights: [[1000000]]}\n"
                      "    - {activation: identity, weights: [[1000000]]}\n"
                      "  loss: sse\n  learning_rate: 1000000\n  iterations: 3\n")
    code, out = cli("trace", path)
    assert code == 2 and "diverges" in out


def test_towering_exponentials_are_refused_quickly(write_spec):
    path = write_spec('parts:\n  - kind: expression\n    formula: "exp(exp(exp(exp(x))))"\n    inputs: {x: 10}\n')
    code, out = cli("validate", path)
    assert code == 2 and "not a finite real number below 1e+15" in out


def test_snapshot_that_is_not_json(tmp_path):
    f = tmp_path / "s.json"
    f.write_bytes(b"\xff\xfe garbage")
    code, out = cli("check", SPECS / "seed000.yaml", "--against", f)
    assert code == 2 and "cannot read the snapshot" in out


def test_yaml_merge_key_bomb(write_spec):
    text = "a: &a {x: 1, y: 2}\n" + "".join(
        f"b{i}: &b{i} {{<<: [*{'a' if i == 0 else f'b{i - 1}'}, *{'a' if i == 0 else f'b{i - 1}'}], k{i}: 1}}\n"
        for i in range(40))
    code, out = cli("validate", write_spec(text))
    assert code == 2 and out.count("\n") == 1
    assert "line 2: YAML syntax error: merge keys (<<) are not supported (YAML 1.2 has none)" in out


def test_merge_key_refused_outright(write_spec):
    """YAML 1.2 has no merge keys: even one harmless << is refused, before anything is expanded."""
    text = "base: &b {activation: relu}\nnetwork:\n  layers:\n    - {<<: *b, weights: [[1]], bias: [0]}\n"
    code, out = cli("validate", write_spec(text))
    assert code == 2 and "line 4: YAML syntax error: merge keys (<<) are not supported" in out
    # a quoted "<<" is an ordinary key (and an unknown one here), not a merge
    code, out = cli("validate", write_spec('"<<": 1\n'))
    assert code == 2 and "unknown key '<<'" in out


@pytest.mark.parametrize("number", ["1" * 5000, "-" + "9" * 4400, "1" * 300 + ".5", "0." + "1" * 4400 + "e5"])
def test_number_with_thousands_of_digits(write_spec, number):
    """Python refuses int() of more than 4300 digits (ValueError): the loader refuses them first."""
    code, out = cli("validate", write_spec(f"network:\n  learning_rate: {number}\n"))
    assert code == 2 and out.count("\n") == 1
    assert "line 2: YAML syntax error: a number with" in out and "digits (at most 100)" in out


# ---- found in review: each was a wrong result or a traceback ----

@pytest.mark.parametrize("part,message", [
    ({"kind": "expression", "formula": "2*y + y", "inputs": {"y": 1}}, "'y' cannot name the output"),
    ({"kind": "expression", "formula": "u1 = x", "inputs": {"x": 1}}, "'u1' cannot name the output"),
    ({"kind": "expression", "formula": "x * 1e999999999999", "inputs": {"x": 1}}, "out of range"),
    ({"kind": "expression", "formula": "x*w", "inputs": {"x": 1}, "parameters": {"w": 1},
      "train": [["w"]], "learning_rate": 1}, "is not a parameter"),
    ({"kind": "expression", "formula": "x", "inputs": {"x": 1}, "loss": "square", "target": 1},
     "takes no target"),
    ({"kind": "pool", "input": [[1, 2], [3, 4]], "window": 2, "padding": 2}, "more than half the window"),
])
def test_review_findings_in_parts(part, message):
    with pytest.raises(SpecError) as err:
        from generator.solve import solve
        solve(spec_from_data({"parts": [part]}))
    assert message in str(err.value)


@pytest.mark.parametrize("randomize,message", [
    ({"values": {1: {"integers": [0, 1]}}}, "is not a path"),
    ({"values": {"network.loss[0]": {"integers": [0, 1]}}}, "no such place in the spec"),
    ({"values": {"network.input": {"integers": [0, 1], "nonzero": "no"}}}, "expected true or false"),
])
def test_review_findings_in_randomize(randomize, message):
    import yaml
    data = yaml.safe_load((SPECS / "seed000.yaml").read_text())
    data["randomize"] = randomize
    with pytest.raises(SpecError) as err:
        spec_from_data(data)
    assert message in str(err.value)


def test_huge_integer_range_is_drawn_without_building_it():
    import yaml
    from generator.homework import draw, plan_variants
    data = yaml.safe_load((SPECS / "seed000.yaml").read_text())
    data["randomize"] = {"values": {"network.layers[0].bias": {"integers": [-10**12, 10**12], "nonzero": True}}}
    data["network"]["layers"][0]["bias"] = [0, 0, 0]
    spec = spec_from_data(data)
    batch = draw(spec, plan_variants(2, None), seed=0)
    assert len(batch.variants) == 2 and not batch.failed


def test_same_roster_names_get_distinct_files():
    from generator.homework import plan_variants
    assert [v.ident for v in plan_variants(None, ["Ann", "Ann", "Ann 2"])] == ["ann", "ann-2", "ann-2-2"]


def test_scalar_notation_with_a_summed_output_is_refused():
    import yaml
    data = yaml.safe_load((SPECS / "seed000.yaml").read_text())
    data["network"]["notation"] = "scalar"
    with pytest.raises(SpecError, match="output 'layer'"):
        spec_from_data(data)


# ---- hardening II ----

def test_a_key_given_twice_is_an_error_naming_both_lines(write_spec):
    path = write_spec("network:\n  learning_rate: 0.1\n  learning_rate: 50\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2 and "key 'learning_rate' is given twice (lines 2 and 3)" in result.output


def test_yaml_1_2_scalars_no_sexagesimal_or_hex(write_spec):
    from generator.spec import parse_yaml
    data = parse_yaml("title: 1:30\nid: 0x1F\nx: 1e-3\n")
    assert data == {"title": "1:30", "id": "0x1F", "x": 0.001}


def test_terminal_escapes_from_a_spec_are_shown_not_obeyed(write_spec):
    path = write_spec('"\\e[2J\\e[32mok": 1\nnetwork: 1\n')      # YAML's \e is ESC
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2 and "\x1b" not in result.output and "\\x1b" in result.output


def test_a_relative_cache_folder_works(tmp_path, monkeypatch):
    import shutil
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DRYRUN_CACHE", "rel-cache")
    result = CliRunner().invoke(main, ["render", str(SPECS / "seed000.yaml"), "-o", "out", "--what", "question"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "seed000-question.pdf").is_file() and (tmp_path / "rel-cache").is_dir()


def test_a_matrix_wider_than_ten_columns_renders(write_spec, tmp_path):
    import shutil
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed")
    xs = [[round(0.1 * k, 1) for k in range(12)], [round(-0.05 * k, 2) for k in range(12)]]
    path = write_spec(f"network:\n  input: {xs}\n  target: [{[0.5] * 12}]\n  layers:\n"
                      "    - {activation: sigmoid, weights: [[0.3, -0.2]], bias: [0.1]}\n"
                      "  loss: half_mse\n  learning_rate: 0.5\n  iterations: 1\n")
    result = CliRunner().invoke(main, ["render", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output


def test_whole_job_limits(write_spec, tmp_path):
    import time
    # a formula of more operations than max_ops
    path = write_spec("parts:\n  - kind: expression\n    formula: \"y = " + "x+" * 60 + "w\"\n"
                      "    inputs: {x: 1}\n    parameters: {w: 0.5}\n    train: []\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2 and "limit max_ops" in result.output
    # exact values that would grow without bound are computed as floats, quickly
    path = write_spec('parts:\n  - kind: expression\n    formula: "y = (((x^100)^100)^100)*w"\n'
                      '    inputs: {x: "1+1/999999"}\n    parameters: {w: 0.5}\n    train: [w]\n'
                      '    learning_rate: 0.1\n', "pow.yaml")
    start = time.monotonic()
    result = CliRunner().invoke(main, ["render", str(path), "-o", str(tmp_path / "o"), "--format", "tex"])
    assert result.exit_code == 0 and time.monotonic() - start < 30
    # !!pairs tuples count towards the alias expansion limit
    bomb = "a: &a !!pairs [" + ", ".join(["x: 1"] * 20) + "]\n"
    for k in range(6):
        bomb += f"b{k}: &b{k} !!pairs [" + ", ".join([f"y: *{'a' if k == 0 else f'b{k - 1}'}"] * 20) + "]\n"
    result = CliRunner().invoke(main, ["validate", str(write_spec(bomb, "bomb.yaml"))])
    assert result.exit_code == 2 and "document too large" in result.output


def test_rosters_and_snapshots_only_from_small_regular_files(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for args in (["homework", str(SPECS / "seed003.yaml"), "--students", "/dev/zero", "-o", str(tmp_path / "h")],
                 ["check", str(SPECS / "seed000.yaml"), "--against", "/dev/zero"],
                 ["check", str(SPECS / "seed000.yaml"), "--against", str(fifo)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and "not a regular file" in result.output, result.output
    big = tmp_path / "big.csv"
    big.write_text("name\n" + "x" * 2_000_000 + "\n")
    result = CliRunner().invoke(main, ["homework", str(SPECS / "seed003.yaml"), "--students", str(big),
                                       "-o", str(tmp_path / "h")])
    assert result.exit_code == 2 and "limit max_input_bytes" in result.output


def test_a_document_too_large_is_refused_before_compiling(tmp_path):
    result = CliRunner().invoke(main, ["--limit", "max_tex_bytes=1000", "render", str(SPECS / "seed000.yaml"),
                                       "-o", str(tmp_path)])
    assert result.exit_code == 2 and "limit max_tex_bytes" in result.output


def test_text_beyond_latin_1_prints_or_is_refused(write_spec, tmp_path):
    import shutil
    import subprocess
    base = (SPECS / "seed000.yaml").read_text()
    good = write_spec(base.replace('title: "Neural Network: Diagram and Dry Run Calculations"',
                                   'title: "Zoë’s “dry run” – Łódź, α ≤ β … 5 € -- x"'), "good.yaml")
    bad = write_spec(base.replace('title: "Neural Network: Diagram and Dry Run Calculations"',
                                  'title: "안녕하세요"'), "bad.yaml")      # Hangul: no font here
    result = CliRunner().invoke(main, ["validate", str(bad)])
    assert result.exit_code == 2 and "U+C548" in result.output and "title" in result.output
    if shutil.which("pdflatex") is None or shutil.which("pdftotext") is None:
        return
    result = CliRunner().invoke(main, ["render", str(good), "-o", str(tmp_path), "--what", "question"])
    assert result.exit_code == 0, result.output
    text = subprocess.run(["pdftotext", str(tmp_path / "good-question.pdf"), "-"], capture_output=True,
                          text=True).stdout
    for piece in ("Zoë’s", "“dry run”", "–", "Łódź", "α", "≤", "β", ". . .", "€", "--"):
        assert piece in text, piece                  # (\ldots reads back as ". . .")


def test_tiny_numbers_are_written_in_scientific_notation(write_spec):
    from generator.api import load_spec, render, solve
    path = write_spec((SPECS / "seed000.yaml").read_text().replace("learning_rate: 0.001", "learning_rate: 1e-300"))
    spec = load_spec(path)
    tex = render(spec, solve(spec), "solution")
    assert r"1 \cdot 10^{-300}" in tex and "0" * 30 not in tex


def test_a_full_disk_names_the_file(tmp_path, monkeypatch):
    import errno
    real = os.replace

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "replace", full)
    result = CliRunner().invoke(main, ["render", str(SPECS / "seed000.yaml"), "-o", str(tmp_path), "--format", "tex"])
    monkeypatch.setattr(os, "replace", real)
    assert result.exit_code == 7 and "No space left on device" in result.output
    assert "seed000-" in result.output and ".tex" in result.output
    assert not list(tmp_path.glob(".*.part"))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_valid_specs_near_every_limit_render_or_fail_cleanly(tmp_path_factory, data):
    from generator.limits import DEFAULT
    tmp = tmp_path_factory.mktemp("near")
    depth = data.draw(st.integers(DEFAULT.max_layers - 2, DEFAULT.max_layers))
    width = data.draw(st.integers(8, 16))                   # width × width ≤ max_matrix
    samples = data.draw(st.sampled_from([1, DEFAULT.max_samples]))
    iterations = data.draw(st.sampled_from([1, 3, DEFAULT.max_iterations]))
    w = [[round(((i * 7 + j * 3) % 11 - 5) / 10, 1) for j in range(width)] for i in range(width)]
    x = [[round(((i + s) % 5 - 2) / 4, 2) for s in range(samples)] for i in range(width)]
    layers = "".join(f"    - {{activation: tanh, weights: {w}, bias: {[0.1] * width}}}\n" for _ in range(depth - 1))
    text = (f"network:\n  input: {x if samples > 1 else [r[0] for r in x]}\n  layers:\n{layers}"
            f"    - {{activation: identity, weights: [{w[0]}], bias: [0]}}\n"
            f"  loss: square\n  learning_rate: 0.01\n  iterations: {iterations}\n")
    spec = tmp / "near.yaml"
    spec.write_text(text)
    result = CliRunner().invoke(main, ["render", str(spec), "-o", str(tmp / "out"), "--format", "tex",
                                       "--what", "solution"])
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert result.output.count("\n") == 1 and result.output.startswith("dryrun: error:")


def test_long_text_and_long_lines_render(write_spec, tmp_path):
    import shutil
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed")
    text = (SPECS / "seed000.yaml").read_text().replace("description: |", "description: |\n  " + "\\\\" * 9500 + "\n ", 1)
    result = CliRunner().invoke(main, ["render", str(write_spec(text)), "-o", str(tmp_path), "--what", "question"])
    assert result.exit_code == 0, result.output
    xs = [[round(0.1 * ((i + s) % 7 - 3), 1) for s in range(10)] for i in range(3)]
    ys = [[(i + s) % 2 for s in range(10)] for i in range(10)]
    W = [[round(0.1 * ((i * 3 + j) % 5 - 2), 1) for j in range(3)] for i in range(10)]
    spec = write_spec(f"network:\n  input: {xs}\n  target: {ys}\n  layers:\n"
                      f"    - {{activation: sigmoid, weights: {W}, bias: {[0] * 10}}}\n"
                      "  loss: bce\n  learning_rate: 0.5\n  iterations: 1\n", "bce10.yaml")
    result = CliRunner().invoke(main, ["render", str(spec), "-o", str(tmp_path), "--what", "solution"])
    assert result.exit_code == 0, result.output            # 200 loss terms: no "Dimension too large"


def test_a_latex_failure_keeps_its_log(tmp_path):
    import shutil
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed")
    from generator.errors import LatexError
    with pytest.raises(LatexError, match="log in"):
        compile_pdf(r"\documentclass{article}\begin{document}\undefinedcommand\end{document}",
                    tmp_path / "x.pdf", keep_tex_on_error=tmp_path / "x.tex", cache=False)
    assert (tmp_path / "x.log").read_text().count("Undefined control sequence") >= 1


def test_exit_status_1_is_only_a_result(tmp_path, monkeypatch):
    """1 means `check` found differences; no error class may use it (`--variants 2000` exited 1)."""
    import inspect

    import generator.errors as errors
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, errors.DryrunError)]
    assert classes and all(c.exit_code != 1 for c in classes)
    monkeypatch.chdir(tmp_path)
    code, out = cli("homework", SPECS / "seed003.yaml", "--variants", 2000, "--seed", 1, "-o", "unused/hw")
    assert code == 2 and "more than 500 per run (limit max_variants" in out and out.count("\n") == 1
    assert not Path("unused").exists()          # nothing half-written, not even an empty folder


def test_lock_file_symlink_is_not_followed(tmp_path):
    """A planted .dryrun.lock symlink must not truncate the file it points at."""
    from generator.files import output_lock
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".dryrun.lock").symlink_to(victim)
    with pytest.raises(Exception) as err:
        with output_lock(out):
            pass
    assert getattr(err.value, "exit_code", None) == 2 and "not a plain file" in str(err.value)
    assert victim.read_text() == "precious"


def test_written_file_never_inherits_setuid_or_a_link_target_mode(tmp_path):
    from generator.files import write_atomic
    target = tmp_path / "target"
    target.write_text("x")
    os.chmod(target, 0o4755)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    write_atomic(link, b"data")
    assert not link.is_symlink() and link.read_bytes() == b"data" and target.read_text() == "x"
    assert os.stat(link).st_mode & 0o7000 == 0
    own = tmp_path / "own.csv"
    own.write_text("y")
    os.chmod(own, 0o2640)
    write_atomic(own, b"z")
    assert os.stat(own).st_mode & 0o7777 == 0o640
