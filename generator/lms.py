"""Homework for a learning management system: a Moodle XML question bank (one category per
exercise, one cloze question per variant, every asked value a numerical answer) and a Canvas QTI 1.2
package (a zip: one quiz per variant, one numerical question per asked value).  Every answer accepts
exactly the intervals of ``answers.accepted`` — the ones ``dryrun grade`` calls correct — written as
the decimals they are.  The question text holds the given values and, where the exercise's kind draws
a figure (a network's diagram), that figure as an image named by its content's hash.  No student's name appears in either file: a quiz is known by
its variant number, which answers.json (and ``canvas_assignments``) maps to its student.

Import: Moodle — Question bank → Import → "Moodle XML format"; then a quiz question "Random
question from category" hands each student a variant.  Canvas — Settings → Import course content
→ "QTI .zip file"; each variant becomes a graded quiz, assigned to its student with "Assign to"
(docs/homework.md)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile
from decimal import Decimal, localcontext

import numpy as np

from . import escape as esc

# Every user string (a spec's title, description, name, an exercise's title, a value's label, a
# variant's id) reaches these files through one function of ``escape``: ``xml_text``/``xml_attr``
# for XML, ``html_text`` for the HTML of a Canvas question, ``moodle_text`` for that of a Moodle
# cloze question (no brace of a description makes a graded field) and ``zip_name`` for every name
# inside the zip and every file a manifest or question refers to.


def _dec(d: Decimal) -> str:
    """A decimal as the plain decimal string it is (0.02845, -3, 12.5): never an exponent, never float
    noise."""
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def intervals(a) -> list[tuple[Decimal, Decimal]]:
    """``answers.accepted(a)`` as (midpoint, half-width) pairs, exact: the form of a Moodle numerical
    answer (value:tolerance) and of a Canvas exact answer with its margin."""
    from .answers import accepted
    out = []
    with localcontext() as ctx:
        ctx.prec = 400                      # exact for the 60-digit full-precision values
        for lo, hi in accepted(a):
            out.append(((lo + hi) / 2, (hi - lo) / 2))
    return out


def _matrix_html(value) -> str:
    """A matrix as an HTML table; a stack of matrices (channels, kernels) as tables side by side."""
    a = np.atleast_2d(np.asarray(value, dtype=float))
    if a.ndim > 2:
        return " ".join(_matrix_html(part) for part in a)
    rows = "".join("<tr>" + "".join(f"<td>{_short(v)}</td>" for v in row) + "</tr>" for row in a)
    return f'<table border="1" style="border-collapse:collapse;display:inline-table">{rows}</table>'


def _short(v) -> str:
    return format(float(v), ".12g")


def given_html(spec, trace, text=esc.html_text) -> str:
    """The data of every exercise of a variant, as HTML; ``text`` escapes user text for the HTML
    (``escape.moodle_text`` for a Moodle cloze question)."""
    from .kinds import kind
    parts = []
    for model, p in zip(spec.problems, trace.problems):
        rows = kind(model.kind).given(model, p)
        cells = "".join(f"<tr><th>{text(k)}</th><td>"
                        f"{_matrix_html(v) if np.ndim(v) else text(v)}</td></tr>" for k, v in rows)
        title = getattr(model, "title", "") or model.kind
        parts.append(f"<p><b>{text(title)}</b></p><table>{cells}</table>")
    return "".join(parts)


def figures(batch, templates=None) -> dict[str, bytes]:
    """A PNG of the (first) figure of each variant (``render.render_figure``), where pdflatex and
    pdftoppm are there."""
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    from .compile import compile_pdf
    from .render import render_figure
    out = {}
    if not shutil.which("pdftoppm") or not shutil.which("pdflatex"):
        return out
    for v in batch.variants:
        tex = render_figure(v.spec, v.trace, templates)
        if tex is None:
            continue
        with tempfile.TemporaryDirectory(prefix="dryrun-fig-") as work:
            pdf = Path(work, "fig.pdf")
            compile_pdf(tex, pdf)
            subprocess.run(["pdftoppm", "-png", "-r", "110", "-singlefile", str(pdf), str(Path(work, "fig"))],
                           check=True, capture_output=True, timeout=60)
            out[v.ident] = Path(work, "fig.png").read_bytes()
    return out


def _rounding(policy) -> str:
    p = policy.default
    kinds = "".join(f", {k} values to {pr.digits} {'decimal places' if pr.style == 'decimals' else 'significant figures'}"
                    for k, pr in policy.per_kind)
    how = ("rounding every result where it is written down and computing on with the rounded value"
           if policy.mode == "carry" else "computing at full precision and rounding only the answers")
    return (f"Round to {p.digits} {'decimal places' if p.style == 'decimals' else 'significant figures'}"
            f"{kinds}, {how}.")


def _prompt(spec, v, answers, field, text=esc.html_text) -> str:
    """The question text (HTML): the statement, the data, the figure, then one field per answer (no
    student's name: a bank's question may be drawn by anyone).  ``text`` escapes user text."""
    lines = [f"<p>{text(spec.description or spec.title or spec.name)}</p>", given_html(v.spec, v.trace, text),
             f"<p>{text(_rounding(v.trace.rounding))}</p>"]
    if field is not None:
        lines += ["<p>Give (rounded as the exercise says):</p><ul>"]
        lines += [f"<li>{text(a.label)}: {field(i, a)}</li>" for i, a in enumerate(answers, 1)]
        lines.append("</ul>")
    return "".join(lines)


def _picture_names(rows, pictures) -> dict[str, str]:
    """{variant id: its PNG's name inside an archive or a Moodle question}: the first 16 hex digits of
    the SHA-256 of its content (never a student's name); the same picture, the same name."""
    return {v.ident: f"{hashlib.sha256(pictures[v.ident]).hexdigest()[:16]}.png"
            for v, _ in rows if v.ident in pictures}


def _category(spec) -> str:
    """Moodle's category path: a '/' inside a name is written '//' (else it would nest a category)."""
    name = " ".join(str(spec.title or spec.name).split()) or "dryrun"
    return f"$course$/top/dryrun/{name.replace('/', '//')}"


def moodle_xml(spec, rows, pictures) -> bytes:
    """``rows``: [(variant, [Answer])]; ``pictures``: {variant id: PNG}."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>",
           f'<question type="category"><category><text>{esc.xml_text(_category(spec))}</text></category></question>']
    png = _picture_names(rows, pictures)
    for v, answers in rows:
        def cloze(i, a):
            # one full-credit answer per interval of answers.accepted: its midpoint and half-width
            return "{1:NUMERICAL:" + "~".join(f"={_dec(mid)}:{_dec(half)}" for mid, half in intervals(a)) + "}"
        text = _prompt(spec, v, answers, cloze, esc.moodle_text)
        files = ""
        if v.ident in png:
            text = f'<p><img src={esc.xml_attr("@@PLUGINFILE@@/" + png[v.ident])} alt="network diagram"></p>' + text
            files = (f'<file name={esc.xml_attr(png[v.ident])} path="/" encoding="base64">'
                     f"{base64.b64encode(pictures[v.ident]).decode()}</file>")
        # the HTML as XML character data (not CDATA, which cannot hold ']]>' or a form feed)
        out.append('<question type="cloze">'
                   f"<name><text>{esc.xml_text(f'{spec.name} variant {v.index}')}</text></name>"
                   f'<questiontext format="html"><text>{esc.xml_text(text)}</text>{files}</questiontext>'
                   '<generalfeedback format="html"><text></text></generalfeedback>'
                   "<penalty>0</penalty><hidden>0</hidden></question>")
    out.append("</quiz>")
    return ("\n".join(out) + "\n").encode("utf-8")


def _item(ident, title, text, a) -> str:
    """A numerical question in the shape Canvas's importer reads (the one Canvas and text2qti write):
    per interval of ``answers.accepted`` one condition ``<or><varequal>exact</varequal><and><vargte>low
    </vargte><varlte>high</varlte></and></or>``, the exact value its midpoint; Canvas takes the exact
    answer from the varequal and the margin as high − exact, so every interval is symmetric.  Two
    intervals (carried and full precision far apart) are two conditions: two answers in Canvas."""
    conditions = "".join(
        '<respcondition continue="No"><conditionvar><or>'
        f'<varequal respident="response1">{_dec(mid)}</varequal>'
        f'<and><vargte respident="response1">{_dec(mid - half)}</vargte>'
        f'<varlte respident="response1">{_dec(mid + half)}</varlte></and>'
        '</or></conditionvar><setvar action="Set" varname="SCORE">100</setvar></respcondition>'
        for mid, half in intervals(a))
    return (f"<item ident={esc.xml_attr(ident)} title={esc.xml_attr(title)}><itemmetadata><qtimetadata>"
            "<qtimetadatafield><fieldlabel>question_type</fieldlabel><fieldentry>numerical_question</fieldentry></qtimetadatafield>"
            "<qtimetadatafield><fieldlabel>points_possible</fieldlabel><fieldentry>1.0</fieldentry></qtimetadatafield>"
            "</qtimetadata></itemmetadata>"
            f'<presentation><material><mattext texttype="text/html">{esc.xml_text(text)}</mattext></material>'
            '<response_str ident="response1" rcardinality="Single"><render_fib fibtype="Decimal">'
            '<response_label ident="answer1"/></render_fib></response_str></presentation>'
            '<resprocessing><outcomes><decvar maxvalue="100" minvalue="0" varname="SCORE" vartype="Decimal"/></outcomes>'
            f"{conditions}</resprocessing></item>")


def quiz_title(spec, v) -> str:
    """The title of a variant's Canvas quiz: the homework's title and the variant's number (no name)."""
    return f"{spec.title or spec.name}: variant {v.index}"


def _quiz_ident(spec, v) -> str:
    # an identifier, a folder and (with '.xml') a file: short enough that every name stays a zip_name
    base = esc.zip_name(f"dryrun_{spec.name}", "dryrun")[:80].rstrip(".-") or "dryrun"
    return f"{base}_v{v.index}"


def _assessment(spec, v, answers, png) -> str:
    """One variant as a QTI 1.2 assessment (a Canvas quiz, graded: qmd_assessmenttype Examination)
    holding its own items, in one section."""
    ident = _quiz_ident(spec, v)
    intro = _prompt(spec, v, answers, None)
    if v.ident in png:
        src = esc.xml_attr("$IMS-CC-FILEBASE$/" + png[v.ident])
        intro = f'<p><img src={src} alt="network diagram"></p>' + intro
    items = [_item(f"{ident}_{i}", f"variant {v.index}: {a.label}", f"{intro}<p>Give {esc.html_text(a.label)}.</p>", a)
             for i, a in enumerate(answers, 1)]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<questestinterop xmlns="http://www.imsglobal.org/xsd/ims_qtiasiv1p2">'
            f"<assessment ident={esc.xml_attr(ident)} title={esc.xml_attr(quiz_title(spec, v))}><qtimetadata>"
            "<qtimetadatafield><fieldlabel>qmd_assessmenttype</fieldlabel><fieldentry>Examination</fieldentry></qtimetadatafield>"
            "<qtimetadatafield><fieldlabel>cc_maxattempts</fieldlabel><fieldentry>1</fieldentry></qtimetadatafield>"
            '</qtimetadata><section ident="root_section">' + "".join(items)
            + "</section></assessment></questestinterop>\n")


def canvas_qti(spec, rows, pictures) -> bytes:
    """A QTI 1.2 zip: per variant one quiz (assessment) with a numerical question per asked value, so
    that each quiz can be assigned to its own student (a question group would draw single items,
    mixing variants)."""
    png = _picture_names(rows, pictures)
    entries, resources = [], []
    for v, answers in rows:
        ident = _quiz_ident(spec, v)
        path = f"{ident}/{ident}.xml"
        entries.append((path, _assessment(spec, v, answers, png).encode()))
        resources.append(f'<resource identifier={esc.xml_attr(ident)} type="imsqti_xmlv1p2">'
                         f"<file href={esc.xml_attr(path)}/></resource>")
    figures_ = sorted(set(png.values()))
    data = {name: pictures[ident] for ident, name in png.items()}
    resources += [f'<resource identifier={esc.xml_attr("fig_" + name[:-4])} type="webcontent" '
                  f'href={esc.xml_attr(name)}><file href={esc.xml_attr(name)}/></resource>' for name in figures_]
    entries += [(name, data[name]) for name in figures_]
    manifest = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<manifest identifier="dryrun_manifest" xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1">'
                "<metadata><schema>IMS Content</schema><schemaversion>1.1.3</schemaversion></metadata>"
                f"<organizations/><resources>{''.join(resources)}</resources></manifest>\n")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, blob in [("imsmanifest.xml", manifest.encode())] + entries:
            # every name is made of escape.zip_name components joined by '/' (no '..', no '\\', no leading
            # '/'); the manifest and the questions refer to these same names
            assert all(part == esc.zip_name(part) for part in name.split("/")), name
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))     # reproducible
            z.writestr(info, blob, zipfile.ZIP_STORED if name.endswith(".png") else zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def canvas_assignments(spec, rows) -> bytes:
    """Which Canvas quiz is whose: a CSV (quiz title, variant number, variant id, student, roster id)
    kept beside canvas.zip and never imported — the one LMS-side file that names students."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["quiz", "variant", "id", "student", "roster_id"])
    for v, _ in rows:
        student = v.label if v.label != f"Variant {v.ident}" else ""
        w.writerow([esc.csv_cell(c) for c in (quiz_title(spec, v), v.index, v.ident, student, v.key or "")])
    return buf.getvalue().encode("utf-8")
