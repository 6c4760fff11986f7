"""Hostile input for the LMS banks and for snapshots (issue 18, hardening III): every XML file parses
whatever a title or a description holds, zip entries stay inside the archive, user braces make no
Moodle cloze field; 'check' reads every snapshot 'snapshot' writes, 'snapshot' keeps the LaTeX limit,
a snapshot's text never reaches the terminal as an escape sequence, and a malformed snapshot is one
line naming the file and the field, exit status 2 — never a traceback."""

import copy
import json
import re
import shutil
import tempfile
import xml.dom.minidom
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import escape
from generator.cli import main
from tests.conftest import ROOT, SPECS

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is needed")

# XML 1.0 characters, less the discouraged DEL and C1 controls
XML_CHARS = re.compile("[\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")
# what Moodle's qtype_multianswer takes for a cloze field: {N:TYPE:…} (N optional)
CLOZE = re.compile(r"\{[0-9]*:[A-Za-z_]+:")

# YAML double-quoted escapes: form feed, NUL, SOH, ESC, DEL, NEL; XML's specials; a cloze field
HOSTILE_TITLE = r"T\f\0\x01\e\x7f\N & <x> ]]> \"q\" 'a' {1:NUMERICAL:=7:0}"
HOSTILE_TEXT = r'D\f & <b>bold</b> ]]> {1:NUMERICAL:=42:0} {:SA:=x} \"q\" \x1b[2J'


def _parsers():
    out = [("ElementTree", ET.fromstring), ("minidom", xml.dom.minidom.parseString)]
    try:
        from lxml import etree
        out.append(("lxml", lambda data: etree.fromstring(data, etree.XMLParser(recover=False))))
    except ImportError:
        pass
    return out


def _assert_parses(name: str, data: bytes):
    text = data.decode("utf-8")
    bad = [f"U+{ord(c):04X}" for c in re.sub(XML_CHARS, "", text)]
    assert not bad, f"{name}: characters XML 1.0 forbids or discourages: {bad[:5]}"
    for parser, parse in _parsers():
        try:
            parse(data)
        except Exception as e:                 # noqa: BLE001 — any parser's error is a failure here
            pytest.fail(f"{name} does not parse with {parser}: {e}")


def _hostile_seed003(path: Path) -> Path:
    src = (SPECS / "seed003.yaml").read_text(encoding="utf-8")
    src = src.replace('title: "Training by Hand"', f'title: "{HOSTILE_TITLE}"')
    src = re.sub(r"description: \|\n(  .*\n)+", lambda m: f'description: "{HOSTILE_TEXT}"\n', src)
    assert HOSTILE_TITLE in src and HOSTILE_TEXT in src
    path.write_text(src, encoding="utf-8")
    return path


def _hostile_batchnorm(path: Path) -> Path:
    src = (SPECS / "batchnorm.yaml").read_text(encoding="utf-8")
    src = src.replace("    id: bn\n", f'    id: bn\n    title: "{HOSTILE_TITLE}"\n')
    src = src.replace('title: "Batch normalization: two features, four samples"', f'title: "{HOSTILE_TEXT}"')
    path.write_text(src, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def banks(tmp_path_factory):
    """Homework with both banks for a spec named Q&A.yaml, one literally named ..\\..\\evil.yaml and one
    with a 230-character name, titles and descriptions full of control characters, XML specials and
    cloze markup."""
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is needed")
    base = tmp_path_factory.mktemp("hostile_lms")
    out = {}
    for label, spec in (("qa", _hostile_seed003(base / "Q&A.yaml")),
                        ("evil", _hostile_batchnorm(base / "..\\..\\evil.yaml")),
                        ("long", _hostile_batchnorm(base / ("Q&A.." * 45 + ".yaml")))):
        assert spec.parent == base                          # a file name with backslashes, not a path
        result = CliRunner().invoke(main, ["homework", str(spec), "-n", "2", "--seed", "1",
                                           "-o", str(base / label), "--lms", "moodle", "--lms", "canvas"])
        assert result.exit_code == 0, result.output
        out[label] = base / label
    return out


def _xml_files(folder: Path):
    yield "moodle.xml", (folder / "moodle.xml").read_bytes()
    with zipfile.ZipFile(folder / "canvas.zip") as z:
        for name in z.namelist():
            if name.endswith(".xml"):
                yield f"canvas.zip:{name}", z.read(name)


@needs_tex
@pytest.mark.parametrize("label", ["qa", "evil", "long"])
def test_every_xml_file_parses_whatever_the_titles_hold(banks, label):
    files = dict(_xml_files(banks[label]))
    assert len(files) == 4                                  # moodle.xml, the manifest, one quiz per variant (2)
    for name, data in files.items():
        _assert_parses(name, data)


@needs_tex
def test_the_titles_are_shown_as_written(banks):
    """Parsed back, the category and the bank's title are the spec's title, a control character
    written out as \\xNN; the description is escaped HTML (its <b> is text, not markup)."""
    root = ET.fromstring((banks["qa"] / "moodle.xml").read_bytes())
    category = root.find("question/category/text").text
    assert "& <x> ]]> \"q\" 'a' {1:NUMERICAL:=7:0}" in category and "\\x01" in category
    question = root.findall("question")[1].find("questiontext/text").text
    assert "&lt;b&gt;bold&lt;/b&gt;" in question and "]]&gt;" in question and "\x1b" not in question
    with zipfile.ZipFile(banks["qa"] / "canvas.zip") as z:
        bank = next(n for n in z.namelist() if n.endswith(".xml") and n != "imsmanifest.xml")
        title = ET.fromstring(z.read(bank)).find(".//{*}assessment").get("title")
    assert title.startswith("T\\x0c\\x00\\x01\\x1b\\x7f\\x85 & <x> ]]>")


@needs_tex
def test_a_spec_named_q_and_a_gives_a_manifest_that_parses(banks):
    with zipfile.ZipFile(banks["qa"] / "canvas.zip") as z:
        names = set(z.namelist())
        manifest = ET.fromstring(z.read("imsmanifest.xml"))
    hrefs = {f.get("href") for f in manifest.iter() if f.tag.endswith("file")}
    assert hrefs == names - {"imsmanifest.xml"}             # every resource listed, nothing missing
    assert len(hrefs) >= 1


@needs_tex
@pytest.mark.parametrize("label", ["qa", "evil", "long"])
def test_zip_entries_stay_inside_the_archive(banks, label):
    with zipfile.ZipFile(banks[label] / "canvas.zip") as z:
        names = z.namelist()
    for name in names:
        assert ".." not in name and "\\" not in name and not name.startswith("/"), name
        assert all(part and part == escape.zip_name(part) for part in name.split("/")), name


@needs_tex
@pytest.mark.parametrize("label", ["qa", "evil", "long"])
def test_user_braces_make_no_cloze_field(banks, label):
    """Each question has exactly one cloze field per asked answer; the description's
    {1:NUMERICAL:=42:0} is shown (as entities), never graded."""
    answers = json.loads((banks[label] / "answers.json").read_text())
    questions = ET.fromstring((banks[label] / "moodle.xml").read_bytes()).findall("question")[1:]
    assert len(questions) == len(answers["variants"]) == 2
    for q, v in zip(questions, answers["variants"]):
        text = q.find("questiontext/text").text
        assert len(CLOZE.findall(text)) == len(v["answers"]) > 0
        assert "&#123;1:NUMERICAL:=" in text


def test_escape_functions_keep_their_promises():
    hostile = "a\f\0\x1b[2J\x7f\x85\ud800 & < > ]]> \" ' {1:NUMERICAL:=1:0}"
    for f in (escape.xml_text, escape.html_text, escape.moodle_text):
        _assert_parses(f.__name__, f"<r>{f(hostile)}</r>".encode("utf-8", "surrogatepass"))
    _assert_parses("xml_attr", f"<r a={escape.xml_attr(hostile)}/>".encode())
    assert not CLOZE.search(escape.moodle_text(hostile))
    assert "\x1b" not in escape.terminal(hostile)
    for name in ("..\\..\\evil", "../../x", "/etc/passwd", "..", ".", "", "Q&A", "con", "NUL.png", "é" * 300):
        z = escape.zip_name(name)
        assert z and ".." not in z and "/" not in z and "\\" not in z and not z.startswith(".")
        assert len(z) <= 100 and z.split(".")[0].upper() not in ("CON", "NUL") and escape.zip_name(z) == z


# ---------------------------------------------------------------------------------------- snapshots

def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _big_spec(path: Path) -> Path:
    """A network within every spec limit whose snapshot is larger than 1 MB."""
    import random
    rnd = random.Random(1)
    n = 16

    def matrix(rows, cols):
        return json.dumps([[rnd.choice([-1, -0.5, 0.5, 1]) for _ in range(cols)] for _ in range(rows)])
    layers = "".join(f"    - activation: sigmoid\n      weights: {matrix(n, n)}\n      bias: {[0] * n}\n"
                     for _ in range(7))
    layers += f"    - activation: sigmoid\n      weights: {matrix(1, n)}\n      bias: [0]\n"
    path.write_text(f"title: Big\nrounding:\n  decimals: 4\nnetwork:\n  input: {[1] * n}\n  target: 1\n"
                    f"  layers:\n{layers}  loss: bce\n  learning_rate: 0.1\n  iterations: 1\n")
    return path


def test_check_reads_every_snapshot_snapshot_writes(tmp_path):
    """'snapshot' writes nothing 'check' would refuse: a large spec within the spec limits is snapshotted
    and checked with the default limits; with max_snapshot_bytes lowered to exactly the snapshot's size both
    succeed, one byte less and 'snapshot' refuses (exit 2, the limit named, no file)."""
    spec = _big_spec(tmp_path / "big.yaml")
    snap = tmp_path / "big.json"
    code, out = cli("snapshot", spec, "-o", snap)
    assert code == 0, out
    size = snap.stat().st_size
    assert size > 1_000_000
    code, out = cli("check", spec, "--against", snap)
    assert code == 0 and out.startswith("ok:"), out
    snap.unlink()
    code, out = cli("--limit", f"max_snapshot_bytes={size - 1}", "snapshot", spec, "-o", snap)
    assert code == 2 and not snap.exists() and f"max_snapshot_bytes={size}" in out, out
    assert len(out.strip().splitlines()) == 1
    code, out = cli("--limit", f"max_snapshot_bytes={size}", "snapshot", spec, "-o", snap)
    assert code == 0 and snap.stat().st_size == size, out
    code, out = cli("--limit", f"max_snapshot_bytes={size}", "check", spec, "--against", snap)
    assert code == 0 and out.startswith("ok:"), out
    code, out = cli("--limit", f"max_snapshot_bytes={size - 1}", "check", spec, "--against", snap)
    assert code == 2 and "limit max_snapshot_bytes" in out, out
    # the invariant for any limit: snapshot writes it => check (same limits) reads it
    for limit in (size // 2, size + 1, 10 * size):
        snap.unlink(missing_ok=True)
        code, out = cli("--limit", f"max_snapshot_bytes={limit}", "snapshot", spec, "-o", snap)
        if code == 0:
            assert cli("--limit", f"max_snapshot_bytes={limit}", "check", spec, "--against", snap)[0] == 0
        else:
            assert code == 2 and not snap.exists()


def test_snapshot_keeps_the_latex_limit(tmp_path):
    snap = tmp_path / "s.json"
    code, out = cli("--limit", "max_tex_bytes=1000", "snapshot", SPECS / "seed000.yaml", "-o", snap)
    assert code == 2 and "limit max_tex_bytes" in out and len(out.strip().splitlines()) == 1, out
    assert not snap.exists()


def _seed000() -> dict:
    return json.loads((ROOT / "tests" / "snapshots" / "seed000.json").read_text(encoding="utf-8"))


def _write(tmp_path, doc, name="snap.json") -> Path:
    p = tmp_path / name
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return p


def test_a_snapshots_page_lines_reach_the_terminal_written_out(tmp_path):
    doc = _seed000()
    page = doc["pages"]["solution"]
    page["lines"][5] = "\u001b[2J\u001b]0;owned\u0007 evil \u009b31m"
    page["sha256"] = "0" * 64
    code, out = cli("check", SPECS / "seed000.yaml", "--against", _write(tmp_path, doc))
    assert code == 1 and "the page changed" in out, out
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "\\x1b[2J" in out


def test_a_snapshots_value_names_reach_the_terminal_written_out(tmp_path):
    doc = _seed000()
    doc["values"]["main/\u001b[2Jx"] = {"shown": "1", "value": 1, "given": True}
    code, out = cli("check", SPECS / "seed000.yaml", "--against", _write(tmp_path, doc))
    assert code == 1 and "\x1b" not in out and "\\x1b[2Jx" in out, out


@pytest.mark.parametrize("change, field", [
    (lambda d: d.update(problems=None), "problems"),
    (lambda d: d.update(problems=[1, None]), "problems[1]"),
    (lambda d: d["values"]["main/x"].update(value=[10 ** 400, 2, 3, 4]), 'values["main/x"].value[1]'),
    (lambda d: d["values"]["main/x"].update(value=-(10 ** 400)), 'values["main/x"].value'),
    (lambda d: d["values"]["main/x"].update(value=None), 'values["main/x"].value'),
    (lambda d: d["values"]["main/x"].update(shown=[1, 2, 3, 4]), 'values["main/x"].shown[1]'),
    (lambda d: d["values"]["main/x"].update(shown=["1"]), 'values["main/x"]'),
    (lambda d: d["values"]["main/x"].update(given="yes"), 'values["main/x"].given'),
    (lambda d: d["values"].update({"main/y": None}), 'values["main/y"]'),
    (lambda d: d.update(values=[]), "values"),
    (lambda d: d.update(pages=None), "pages"),
    (lambda d: d["pages"]["solution"].update(lines=None), 'pages["solution"].lines'),
    (lambda d: d["pages"]["solution"].update(lines=[None]), 'pages["solution"].lines[1]'),
    (lambda d: d["pages"]["solution"].update(sha256=5), 'pages["solution"].sha256'),
    (lambda d: d.update(spec=["seed000"]), "spec"),
])
def test_a_malformed_snapshot_is_one_line_naming_file_and_field(tmp_path, change, field):
    doc = _seed000()
    change(doc)
    snap = _write(tmp_path, doc)
    code, out = cli("check", SPECS / "seed000.yaml", "--against", snap)
    assert code == 2, out
    assert len(out.strip().splitlines()) == 1, out
    assert out.startswith(f"dryrun: error: {snap}: {field}: "), out


def test_a_snapshot_nested_too_deep_is_refused(tmp_path):
    deep = json.dumps(_seed000()).replace('"value": [1.0, 2.0, 3.0, 4.0]',
                                          '"value": ' + "[" * 50 + "1" + "]" * 50, 1)
    code, out = cli("check", SPECS / "seed000.yaml", "--against", _write(tmp_path, deep))
    assert code == 2 and "nested" in out and len(out.strip().splitlines()) == 1, out
    very = '{"values": ' + "[" * 200_000 + "]" * 200_000 + "}"
    code, out = cli("check", SPECS / "seed000.yaml", "--against", _write(tmp_path, very))
    assert code == 2 and len(out.strip().splitlines()) == 1, out


# -------------------------------------------------------------------------------------------- fuzz

try:
    from hypothesis import HealthCheck, given, settings, strategies as st
except ImportError:                                           # pragma: no cover
    given = None

DEEP = "@@DEEP@@"           # replaced in the JSON text by lists nested 1, 50 or 5000 deep
HUGE = "@@HUGE@@"           # replaced by a number of 5000 digits (beyond what Python's int() reads)
HOSTILE_VALUES = [None, True, False, 0, -1, 1.5, "", "x", "\u001b[2J", [], {}, [[]], {"a": None},
                  10 ** 400, -(10 ** 400), 1e308, float("inf"), float("-inf"), float("nan"), DEEP,
                  [None], ["1", 2], {"shown": None, "value": None}, HUGE]


def _paths(x, prefix=()):
    yield prefix
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _paths(v, prefix + (i,))


def _mutate(doc, path, how, value):
    doc = copy.deepcopy(doc)
    if not path:
        return value if how == "replace" else [doc]
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if how == "replace":
        parent[key] = value
    elif how == "delete":
        del parent[key]
    elif how == "wrap":
        parent[key] = [parent[key]]
    elif how == "to_list" and isinstance(parent[key], dict):
        parent[key] = list(parent[key].values())
    elif how == "add" and isinstance(parent[key], dict):
        parent[key]["\u001b[2J"] = value
    elif how == "add" and isinstance(parent[key], list):
        parent[key].append(value)
    return doc


if given is not None:
    _DOC = _seed000()
    _PATHS = list(_paths(_DOC))

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.tuples(st.sampled_from(_PATHS), st.sampled_from(["replace", "delete", "wrap", "to_list", "add"]),
                              st.sampled_from(HOSTILE_VALUES)), min_size=1, max_size=3),
           st.sampled_from([1, 50, 5000]))
    def test_fuzzed_snapshots_give_an_exit_status_never_a_traceback(now, mutations, depth):
        doc = _DOC
        for path, how, value in mutations:
            try:
                doc = _mutate(doc, path, how, value)
            except (KeyError, IndexError, TypeError):
                continue                                      # an earlier mutation removed this path
        text = json.dumps(doc).replace(json.dumps(DEEP), "[" * depth + "0" + "]" * depth) \
            .replace(json.dumps(HUGE), "9" * 5000)
        with tempfile.TemporaryDirectory() as work:
            snap = Path(work, "snap.json")
            snap.write_text(text, encoding="utf-8")
            result = CliRunner().invoke(main, ["check", str(SPECS / "seed000.yaml"), "--against", str(snap)])
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            "".join(__import__("traceback").format_exception(*result.exc_info))
        assert result.exit_code in (0, 1, 2), result.output
        assert "Traceback" not in result.output and "\x1b" not in result.output
        if result.exit_code == 2:
            assert len(result.output.strip().splitlines()) == 1, result.output


@pytest.fixture
def now(monkeypatch):
    """'check' solves and renders the spec once, not once per fuzzed snapshot."""
    from generator import snapshot as snapshot_mod
    cached = snapshot_mod.take_snapshot(SPECS / "seed000.yaml")
    monkeypatch.setattr(snapshot_mod, "take_snapshot", lambda spec_path, limits=None: cached)
    return "seed000 solved once"           # short: hypothesis prints it with a failing example
