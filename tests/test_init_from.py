"""``dryrun init --from DOCUMENT`` (issue 23): a draft spec read from the givens of a hand-written worked
solution.  The five seed documents (tests/fixtures/seeds/, copies of ../shared/seeds/) each draft a spec
that validates and whose givens equal those of specs/seed00N.yaml, compared as parsed YAML data (the
seeds' computed numbers hold mistakes, their givens do not; the specs' comments say so where it
matters)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.spec import parse_yaml
from tests.conftest import ROOT, SPECS

SEEDS = ROOT / "tests" / "fixtures" / "seeds"
PDFS = ROOT / "tests" / "fixtures" / "audit_pdf"


def seed(n: int) -> Path:
    (path,) = SEEDS.glob(f"00{n}_*.txt")
    return path


def draft(document, *extra) -> str:
    result = CliRunner().invoke(main, ["init", "--from", str(document), *extra])
    assert result.exit_code == 0, result.output
    return result.stdout


def validates(text: str, tmp_path: Path, name: str = "draft.yaml") -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- the givens


def network_givens(n: dict) -> dict:
    return {"input": n["input"], "target": n.get("target"), "output": n.get("output", "layer"),
            "layers": [{"activation": layer["activation"], "weights": layer["weights"], "bias": layer.get("bias")}
                       for layer in n["layers"]],
            "loss": n["loss"], "learning_rate": n["learning_rate"], "iterations": n["iterations"]}


#: The keys of a part that are givens (not ids, titles or texts).
PART_GIVENS = ("kind", "formula", "inputs", "parameters", "target", "loss", "learning_rate", "train",
               "input", "kernel", "stride", "padding", "mode", "window")


def part_givens(p: dict) -> dict:
    out = {k: p[k] for k in PART_GIVENS if k in p}
    if "formula" in out:
        out["formula"] = out["formula"].replace(" ", "")
    return out


def givens(data: dict):
    if "network" in data:
        return network_givens(data["network"])
    return [part_givens(p) for p in data["parts"]]


@pytest.mark.parametrize("n", range(5))
def test_each_seed_drafts_the_givens_of_its_spec(n, tmp_path):
    text = draft(seed(n))
    validates(text, tmp_path)
    expected = parse_yaml((SPECS / f"seed00{n}.yaml").read_text(encoding="utf-8"))
    assert givens(parse_yaml(text)) == givens(expected)


@pytest.mark.parametrize("n", range(5))
def test_the_header_names_the_document_and_where_each_given_came_from(n):
    text = draft(seed(n))
    head = [line for line in text.splitlines() if line.startswith("#")]
    assert head[0] == f"# Draft spec read from {seed(n)} by `dryrun init --from`."
    listed = [line for line in head if re.match(r"#   line \d+: ", line)]
    assert len(listed) >= 5
    lines = seed(n).read_text(encoding="utf-8").split("\n")
    for entry in listed:                                  # each names a line of the document that says it
        k = int(re.match(r"#   line (\d+)", entry).group(1))
        assert 1 <= k <= len(lines) and lines[k - 1].strip(), entry
    assert not text.startswith("# NOT VALID")


def test_the_givens_are_read_from_the_lines_that_state_them():
    head = draft(seed(0))
    assert "#   line 82: input x = [1, 2, 3, 4]" in head
    assert "#   line 85: weights of layer 1 (W) = [[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8], [0.9, 1.0, 1.1, 1.2]]" in head
    assert "#   line 80: iterations = 2" in head              # "two iterations of gradient descent"
    # seed 004 states its weights only inside products, w_{11}^1 · x_1 + … paired with 0.1 · 0.5 + …
    head = draft(seed(4))
    assert "#   line 26, line 28: weights of layer 1 (w_{jk}^1 entry by entry) = [[0.1, 0.2, 0.5], [0.4, 0.1, 0.5]]" in head
    assert "#   line 32, line 36: weights of layer 2 (w_{jk}^2 entry by entry) = [[0.6, 0.1], [0.5, 0.2]]" in head
    # seed 001 pairs Z = Wx + b (line 12) with the numbers of line 14, and W^2 X^2 + b^2 with line 43
    head = draft(seed(1))
    assert "#   line 14: bias of layer 1 = [0.3, 0.5]" in head and "#   line 43: bias of layer 2 = [0.5]" in head
    assert "#   line 59: loss = half_sse" in head             # C = ½(a − y)², the loss it backpropagates


def test_what_is_not_stated_is_marked_guessed():
    text = draft(seed(3))                                  # iterations: two updates are worked, none stated
    assert re.search(r"^  iterations: 2  # guessed: .*line 65, line 95", text, re.M)
    text = draft(seed(2))                                  # max(x, 2 × 2): the stride from the printed 2×2
    assert re.search(r"^    stride: 1  # guessed: not stated; stride 1 gives the 2×2 output .*line 400", text, re.M)
    text = draft(seed(4))
    assert re.search(r"^  notation: scalar +# guessed:", text, re.M)
    assert all("# guessed" not in line for line in draft(seed(0)).splitlines() if not line.startswith("#"))


# --------------------------------------------------------------------------- LaTeX and PDF


def to_latex(markdown: str) -> str:
    """The seed document as a LaTeX file: headings as sections, display math in \\[ … \\]."""
    out = [r"\documentclass{article}", r"\usepackage{amsmath}", r"\begin{document}"]
    for line in markdown.split("\n"):
        m = re.match(r"#+\s+(.*)", line)
        if m:
            line = r"\section*{" + m.group(1) + "}"
        line = re.sub(r"\$\$(.+?)\$\$", lambda m: r"\[" + m.group(1) + r"\]", line)
        out.append(line.replace("%", r"\%"))
    out.append(r"\end{document}")
    return "\n".join(out)


@pytest.mark.parametrize("n", range(5))
def test_a_latex_document_drafts_the_same_givens(n, tmp_path):
    tex = tmp_path / f"seed00{n}.tex"
    tex.write_text(to_latex(seed(n).read_text(encoding="utf-8")), encoding="utf-8")
    text = draft(tex)
    validates(text, tmp_path)
    assert givens(parse_yaml(text)) == givens(parse_yaml(draft(seed(n))))


@pytest.mark.parametrize("n", [0, 3, 4])
def test_a_seed_printed_to_pdf_drafts_the_givens_of_its_spec(n, tmp_path):
    pdf = PDFS / f"seed00{n}.pdf"
    if not pdf.is_file():
        pytest.skip("the PDF fixtures of the audit (tests/fixtures/audit_pdf/) are not there")
    text = draft(pdf)
    validates(text, tmp_path)
    expected = parse_yaml((SPECS / f"seed00{n}.yaml").read_text(encoding="utf-8"))
    assert givens(parse_yaml(text)) == givens(expected)
    assert re.search(r"^#   page \d+, line \d+: ", text, re.M)      # where: page and line


# --------------------------------------------------------------------------- output and bad input


def test_written_with_o_and_never_over_a_file(tmp_path):
    out = tmp_path / "draft.yaml"
    result = CliRunner().invoke(main, ["init", "--from", str(seed(3)), "-o", str(out)])
    assert result.exit_code == 0 and out.read_text(encoding="utf-8") == draft(seed(3))
    result = CliRunner().invoke(main, ["init", "--from", str(seed(3)), "-o", str(out)])
    assert result.exit_code == 2 and "exists" in result.output


def test_init_without_from_is_unchanged():
    from generator.cli import starter
    result = CliRunner().invoke(main, ["init", "network"])
    assert result.exit_code == 0 and result.stdout == starter("network").read_text(encoding="utf-8")


def bad(document) -> str:
    result = CliRunner().invoke(main, ["init", "--from", str(document)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"dryrun: error: {document}: "), result.output
    return lines[0]


def test_bad_input_is_one_line_naming_the_file(tmp_path):
    assert bad(tmp_path / "missing.md").endswith("no such file")
    assert bad(tmp_path).endswith("not a file")
    words = tmp_path / "words.md"
    words.write_text("# Notes\n\nA network with ReLU units and $\\eta = 0.1$, but no weights.\n", encoding="utf-8")
    assert "no givens found" in bad(words)
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"\x00\x01\x02")
    assert "binary" in bad(binary)
    fake = tmp_path / "fake.pdf"
    fake.write_text("not a PDF", encoding="utf-8")
    bad(fake)
    latin1 = tmp_path / "latin1.tex"
    latin1.write_bytes("$$W = [1 \\quad 2]$$ caf\xe9".encode("latin-1"))
    assert "UTF-8" in bad(latin1)


def test_document_text_is_never_run(tmp_path):
    flag = tmp_path / "ran"
    doc = tmp_path / "evil.md"
    doc.write_text(f"$$x = [1, 2]$$\n$$W = __import__('os').system('touch {flag}')$$\n"
                   f"$$b = eval(\"open('{flag}', 'w')\")$$\n$$W^{{(1)}} = \\begin{{bmatrix}} 1 & 2 \\end{{bmatrix}}$$\n",
                   encoding="utf-8")
    text = draft(doc)
    assert not flag.exists()
    assert "weights: [[1, 2]]" in text


def test_nested_or_unclosed_math_is_read_quickly_and_cleanly(tmp_path):
    doc = tmp_path / "nested.md"
    doc.write_text("$$W = " + "{" * 5000 + "1" + "}" * 5000 + "$$\n" + "\\[ " * 50_000 + "\n$ unclosed\n",
                   encoding="utf-8")
    assert "no givens found" in bad(doc)


def test_the_drafter_is_not_imported_at_start_up():
    code = "import sys, generator.cli; print('generator.draft' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- one draft hook per kind


def test_each_kind_that_can_be_drafted_has_its_hook_in_its_folder():
    from generator.kinds import KINDS, kind_draft
    hooks = {name: kind_draft(name) for name in KINDS}
    drafted = {name for name, hook in hooks.items() if hook is not None}
    assert {"network", "expression", "conv", "pool"} <= drafted
    for name in drafted:
        assert hooks[name].__name__ == f"generator.kinds.{name}.draft" and callable(hooks[name].draft)
    assert drafted == {name for name in KINDS if (ROOT / "generator" / "kinds" / name / "draft.py").is_file()}


def test_the_core_of_the_drafter_names_no_kind():
    """generator/draft/ reads documents; what an exercise of a kind looks like in a spec is its
    hook's business: no kind's name in the core's strings (not even inside a longer one), no
    ``kind:`` written there."""
    import ast
    from generator.kinds import KINDS
    named = []
    for path in sorted((ROOT / "generator" / "draft").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {id(n.body[0].value) for n in ast.walk(tree)
                if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
                and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                if set(re.findall(r"[a-z]+", node.value)) & set(KINDS) or "kind:" in node.value:
                    named.append(f"{path.name}:{node.lineno} {node.value!r}")
    assert not named, named


def test_parts_are_ordered_by_line_and_the_default_kind_is_drafted_only_alone(tmp_path):
    doc = tmp_path / "two.md"
    doc.write_text("# Two exercises\n\n"
                   "$$X = \\begin{bmatrix} 1 & 2 & 0 \\\\ 0 & 1 & 3 \\\\ 2 & 0 & 1 \\end{bmatrix}$$\n"
                   "$$Y = \\max(X, 2 \\times 2, stride = 1)$$\n\n"
                   "$$K = \\begin{bmatrix} 1 & 0 \\\\ 0 & -1 \\end{bmatrix}$$\n"
                   "$$Z = conv(X, K, stride = 1, padding = 0)$$\n\n"
                   "$$W = \\begin{bmatrix} 0.1 & 0.2 \\end{bmatrix} \\quad x = [1, 2]$$\n", encoding="utf-8")
    text = draft(doc)
    validates(text, tmp_path)
    data = parse_yaml(text)
    assert "network" not in data and [p["kind"] for p in data["parts"]] == ["pool", "conv"]
    alone = tmp_path / "alone.md"                  # without the calls: the weights make a network
    alone.write_text("$$W = \\begin{bmatrix} 0.1 & 0.2 \\end{bmatrix} \\quad x = [1, 2]$$\n", encoding="utf-8")
    data = parse_yaml(draft(alone))
    assert "parts" not in data and data["network"]["layers"][0]["weights"] == [[0.1, 0.2]]


def test_a_byte_order_mark_is_not_text(tmp_path):
    doc = tmp_path / "bom.md"
    doc.write_bytes(b"\xef\xbb\xbf" + seed(0).read_bytes())
    text = draft(doc)
    assert 'title: "Neural Network: Diagram and Dry Run Calculations"' in text
    assert text.split("\n", 1)[1] == draft(seed(0)).split("\n", 1)[1]


def test_no_draft_module_is_imported_at_start_up():
    code = ("import sys, generator.cli; "
            "print(sorted(m for m in sys.modules if m.startswith('generator.draft') or m.endswith('.draft')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
