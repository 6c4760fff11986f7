"""Bad input: one clear line naming the file and the field, exit status 2, never a traceback."""

import pytest
from click.testing import CliRunner

from generator.cli import main

GOOD = """\
network:
  input: [1, 2]
  target: [0.5]
  layers:
    - activation: sigmoid
      weights: [[0.1, 0.2], [0.3, 0.4]]
      bias: [0.1, 0.2]
    - activation: identity
      weights: [[1, -1]]
  loss: half_sse
  learning_rate: 0.1
  iterations: 2
"""


def run(*args):
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output  # click >= 8.2: stdout and stderr interleaved


@pytest.mark.parametrize("old,new,expected", [
    ("iterations: 2", "iterations: [2", "line"),                                 # YAML syntax, with line
    ("learning_rate: 0.1", "learning_rat: 0.1", "unknown key 'learning_rat' (did you mean 'learning_rate'?)"),
    ("weights: [[1, -1]]", "weights: [[1, -1, 2]]", "network.layers[1].weights: W2 must be 1×2 (1 unit × 2 units in layer 1), got 1×3"),
    ("weights: [[0.1, 0.2], [0.3, 0.4]]", "weights: [[0.1, 0.2, 0], [0.3, 0.4, 0]]", "W1 must be 2×2"),
    ("target: [0.5]", "target: [0.5, 1]", "network.target: target has 2 entries but the output layer has 1 unit"),
    ("activation: sigmoid", "activation: sigmod", "unknown value 'sigmod' (known: identity, relu, leaky_relu, sigmoid, tanh, softmax); did you mean 'sigmoid'?"),
    ("loss: half_sse", "loss: huber", "network.loss: unknown value 'huber' (known: sse, half_sse, mse, half_mse, square, bce, cce, multiclass_hinge)"),
    ("input: [1, 2]", "input: [1, two]", "network.input[1]: expected a number, got text ('two')"),
    ("input: [1, 2]", "input: [1, .nan]", "network.input[1]: expected a finite number, got nan"),
    ("input: [1, 2]", "input: [1, .inf]", "expected a finite number"),
    ("learning_rate: 0.1", "learning_rate: 0", "network.learning_rate: must be greater than 0, got 0"),
    ("learning_rate: 0.1", "learning_rate: -0.5", "network.learning_rate: must be greater than 0"),
    ("iterations: 2", "iterations: 0", "network.iterations: must be at least 1, got 0"),
    ("iterations: 2", "iterations: 1.5", "network.iterations: expected a whole number"),
    ("bias: [0.1, 0.2]", "bias: [0.1, 0.2, 0.3]", "network.layers[0].bias: b1 must have 2 entries"),
    ("loss: half_sse", "loss: bce", "loss 'bce' needs outputs in (0, 1)"),
    ("  target: [0.5]\n", "", "network.target: loss 'half_sse' needs a target"),
    ("weights: [[1, -1]]", "weights: [[1, -1], [2]]", "rows have different lengths"),
    ("weights: [[1, -1]]", "weights: 7", "expected a matrix"),
])
def test_bad_field_gives_one_line_and_exit_2(write_spec, old, new, expected):
    assert old in GOOD
    path = write_spec(GOOD.replace(old, new))
    code, out = run("trace", str(path))
    assert code == 2
    assert expected in out
    assert str(path) in out
    assert "Traceback" not in out and len(out.strip().splitlines()) == 1


def test_empty_network(write_spec):
    path = write_spec(GOOD.split("  layers:")[0] + "  layers: []\n  loss: sse\n  learning_rate: 1\n  iterations: 1\n")
    code, out = run("validate", str(path))
    assert code == 2 and "network.layers: the network needs at least one layer" in out


@pytest.mark.parametrize("content,expected", [
    (b"", "spec is empty"),
    (b"\xff\xfe\x00bin", "binary file"),
    (b"title: caf\xe9\n", "not UTF-8 text"),
    (b"- 1\n- 2\n", "expected a mapping, got a list"),
    (b"network: {input: [1], layers: [{activation: relu, weights: [[1]]}], loss: square, "
     b"learning_rate: 1, iterations: 1}\ntitel: x\n", "unknown key 'titel' (did you mean 'title'?)"),
])
def test_bad_files(tmp_path, content, expected):
    p = tmp_path / "bad.yaml"
    p.write_bytes(content)
    code, out = run("validate", str(p))
    assert code == 2 and expected in out and "Traceback" not in out


def test_missing_file_and_directory(tmp_path):
    code, out = run("trace", str(tmp_path / "nope.yaml"))
    assert code == 2 and "nope.yaml: no such file" in out
    code, out = run("trace", str(tmp_path))
    assert code == 2 and "not a file" in out


def test_yaml_syntax_error_names_the_line(write_spec):
    path = write_spec(GOOD.replace("iterations: 2", "iterations: [2"))
    code, out = run("validate", str(path))
    assert code == 2 and "line 13: YAML syntax error" in out


def test_alias_bomb_is_refused(write_spec):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 9):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]\n"
    code, out = run("validate", str(write_spec(bomb)))
    assert code == 2 and "too large" in out


def test_good_spec_validates(write_spec):
    code, out = run("validate", str(write_spec(GOOD)))
    assert code == 0 and out.strip().endswith(": ok")
