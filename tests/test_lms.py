"""Moodle XML and Canvas QTI question banks: they parse, every answer and tolerance is the one of
answers.json, the figures decode, the manifest lists every resource."""

import base64
import json
import re
import shutil
import xml.etree.ElementTree as ET
import zipfile

import pytest
from click.testing import CliRunner

from generator.cli import main
from tests.conftest import SPECS

QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftoppm") is None,
                               reason="pdflatex and pdftoppm are needed")


@pytest.fixture(scope="module")
def banks(tmp_path_factory):
    out = tmp_path_factory.mktemp("lms")
    roster = out / "roster.csv"
    roster.write_text("First name,Surname,ID number,Email address\nZoë,Müller,s100,zoe@u.edu\n"
                      "Pat,O'Brien,s101,pat@u.edu\nAda,Lovelace,s102,ada@u.edu\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["homework", str(SPECS / "seed003.yaml"), "--students", str(roster),
                                       "--seed", "2", "-o", str(out / "hw"), "--lms", "moodle", "--lms", "canvas"])
    assert result.exit_code == 0, result.output
    return out / "hw"


@needs_tex
def test_moodle_xml_matches_the_answers(banks):
    answers = json.loads((banks / "answers.json").read_text())
    root = ET.parse(banks / "moodle.xml").getroot()
    questions = root.findall("question")
    assert questions[0].get("type") == "category"
    cloze = questions[1:]
    assert len(cloze) == len(answers["variants"]) == 3
    for q, v in zip(cloze, answers["variants"]):
        assert q.find("name/text").text.endswith(f"variant {v['index']}")
        assert "Müller" not in q.find("questiontext/text").text        # no student's name in a bank
        text = q.find("questiontext/text").text
        fields = re.findall(r"\{1:NUMERICAL:([^}]*)\}", text)
        assert len(fields) == len(v["answers"])
        for field, (name, a) in zip(fields, v["answers"].items()):
            value, tol = field.split("~")[0].lstrip("=").split(":")
            assert float(value) == a["value"] and float(tol) == a["tolerance"], name
        png = base64.b64decode(q.find("questiontext/file").text)
        assert png.startswith(b"\x89PNG")
        assert "@@PLUGINFILE@@" in text


@needs_tex
def test_canvas_qti_matches_the_answers(banks):
    answers = json.loads((banks / "answers.json").read_text())
    with zipfile.ZipFile(banks / "canvas.zip") as z:
        names = set(z.namelist())
        manifest = ET.fromstring(z.read("imsmanifest.xml"))
        hrefs = {f.get("href") for f in manifest.iter() if f.tag.endswith("file")}
        assert hrefs == names - {"imsmanifest.xml"}              # every resource listed, nothing missing
        quizzes = sorted((n for n in names if n.endswith(".xml") and n != "imsmanifest.xml"),
                         key=lambda n: int(n.rsplit("_v", 1)[1][:-4]))
        assert len(quizzes) == len(answers["variants"])          # one quiz per variant
        items = [i for n in quizzes for i in ET.fromstring(z.read(n)).findall(f".//{QTI}item")]
        expected = [(f"variant {v['index']}", a) for v in answers["variants"] for a in v["answers"].values()]
        assert len(items) == len(expected)
        for item, (ident, a) in zip(items, expected):
            assert item.get("title").startswith(ident)
            low = float(item.find(f".//{QTI}vargte").text)
            high = float(item.find(f".//{QTI}varlte").text)
            assert low == pytest.approx(a["value"] - a["tolerance"]) and high == pytest.approx(a["value"] + a["tolerance"])
            assert float(item.find(f".//{QTI}varequal").text) == pytest.approx(a["value"])   # the key, exactly
        for png in (n for n in names if n.endswith(".png")):
            assert z.read(png).startswith(b"\x89PNG")


@needs_tex
@pytest.mark.parametrize("kind", ["cnn", "rnn", "attention", "batchnorm"])
def test_the_new_kinds_export_to_moodle(tmp_path, kind):
    """A question bank of each new kind: the XML parses, states the data (kernels and channels as
    tables) and asks every answer of answers.json."""
    result = CliRunner().invoke(main, ["homework", str(SPECS / f"{kind}.yaml"), "--variants", "2", "--seed", "1",
                                       "-o", str(tmp_path), "--lms", "moodle", "--key", "none"])
    assert result.exit_code == 0, result.output
    answers = json.loads((tmp_path / "answers.json").read_text())
    cloze = ET.parse(tmp_path / "moodle.xml").getroot().findall("question")[1:]
    assert len(cloze) == 2
    for q, v in zip(cloze, answers["variants"]):
        text = q.find("questiontext/text").text
        assert "<table" in text
        assert len(re.findall(r"\{1:NUMERICAL:", text)) == len(v["answers"]) > 0


def test_lms_questions_state_every_setting_the_sheet_states(tmp_path):
    """The LMS question text (network/answers.given) lists every setting of schema.settings — the same list
    the question sheet prints — so an LMS student is told the optimizer, L2, batches and dropout too."""
    from generator.kinds.network import answers as network_answers
    from generator.kinds.network.schema import settings
    from generator.solve import solve
    from generator.spec import load_spec
    spec = tmp_path / "s.yaml"
    spec.write_text("network:\n  input: [[1,0,-1,0.5],[0.5,1,0,-0.5],[0,-1,1,2]]\n  target: [0.5,-0.2,0.3,1.0]\n"
                    "  loss: half_mse\n  learning_rate: 0.1\n  iterations: 3\n  batch_size: 2\n  l2: 0.01\n"
                    "  optimizer: {name: adam, beta1: 0.8}\n  layers:\n"
                    "    - {activation: tanh, weights: [[0.1,0.2,-0.1],[0.3,-0.2,0.1]], bias: [0,0.1],\n"
                    "       dropout: {p: 0.5, mask: [[1,0,1,1],[0,1,1,0]]}}\n"
                    "    - {activation: identity, weights: [[0.6,-0.4]], bias: [0.05]}\n")
    s = load_spec(spec)
    rows = network_answers.given(s.problems[0], solve(s).problems[0])
    text = " | ".join(f"{label}: {value}" for label, value in rows)
    wanted = settings(s.problems[0])
    assert len(wanted) >= 9
    for st in wanted:
        assert st.label.replace("$\\times$", "×").casefold() in text.casefold(), st.field
    assert "beta1): 0.8" in text and "epsilon)" in text and "iteration 2: 3, 4" in text and "L2" in text
