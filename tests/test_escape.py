"""generator.escape: one escaping function per medium, each checked with a table and a real reader."""

import csv
import io
import xml.etree.ElementTree as ET
import zipfile

import pytest

from generator.escape import csv_cell, html_text, moodle_text, terminal, xml_attr, xml_text, zip_name

HOSTILE = ["plain", "Q&A <b> ]]> \"quoted\" 'single'", "form\x0cfeed", "nul\x00byte", "esc\x1b[2J",
           "c1\x85\x9b", "tab\tnew\nline\rcr", "surrogate\ud800", "=HYPERLINK(\"x\")", "{1:NUMERICAL:=42:0}",
           "Zoë Müller", "Łukasz", "王伟", "\ufffe\uffff"]


@pytest.mark.parametrize("text,shown", [
    ("plain", "plain"), ("esc\x1b[2J", "esc\\x1b[2J"), ("bell\x07", "bell\\x07"), ("del\x7f", "del\\x7f"),
    ("c1\x9b", "c1\\x9b"), ("keep\nnew\tline", "keep\nnew\tline"), ("Zoë", "Zoë")])
def test_terminal(text, shown):
    assert terminal(text) == shown


@pytest.mark.parametrize("cell,written", [
    ("=1+2", "'=1+2"), ("+cmd", "'+cmd"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("-0.25", "-0.25"), ("+3", "+3"), ("-1,5", "-1,5"), ("name", "name"), ("a\x00b", "ab"), (0.5, "0.5")])
def test_csv_cell(cell, written):
    assert csv_cell(cell) == written


@pytest.mark.parametrize("text", HOSTILE)
def test_xml_text_and_attr_parse_back(text):
    doc = f"<r a={xml_attr(text)}>{xml_text(text)}<h>{html_text(text)}</h></r>"
    root = ET.fromstring(doc)                      # every character XML 1.0 allows, nothing else
    assert "\x0c" not in root.text and "\x00" not in root.text
    if all(ch in "\t\n\r" or 0x20 <= ord(ch) < 0x7f or 0xa0 <= ord(ch) < 0xd800 for ch in text):
        assert root.text == text.replace("\r", "\n") and root.get("a") == text


def test_moodle_text_makes_no_cloze_field():
    shown = moodle_text("{1:NUMERICAL:=42:0}")
    assert "{" not in shown and "}" not in shown
    assert ET.fromstring(f"<t>{xml_text(shown)}</t>").text == shown      # the HTML keeps its entities


@pytest.mark.parametrize("name", ["..\\..\\evil", "../../etc/passwd", "/abs", "Q&A", ".hidden", "..", "", "王伟",
                                  "a/b\\c", "Zoë Müller.yaml"])
def test_zip_name_stays_inside(name, tmp_path):
    safe = zip_name(name)
    assert safe and "/" not in safe and "\\" not in safe and ".." not in safe and not safe.startswith(".")
    with zipfile.ZipFile(tmp_path / "t.zip", "w") as z:
        z.writestr(f"folder/{safe}", b"x")
    with zipfile.ZipFile(tmp_path / "t.zip") as z:
        assert (tmp_path / "x").joinpath(*z.namelist()[0].split("/")).resolve().is_relative_to(tmp_path / "x")


def test_csv_cells_read_back_by_the_csv_module():
    buf = io.StringIO()
    csv.writer(buf).writerow([csv_cell(c) for c in HOSTILE])
    row = next(csv.reader(io.StringIO(buf.getvalue())))
    assert len(row) == len(HOSTILE) and not any(c.startswith("=") for c in row)
