"""Homework for a learning management system: a Moodle XML question bank (one category per
exercise, one cloze question per variant, every asked value a numerical answer with its
tolerance) and a Canvas QTI 1.2 question bank (a zip: one numerical question per asked value of
each variant).  Both accept the carried and the full-precision value.  The question text holds
the given values and, for a network, its diagram as an embedded image.

Import: Moodle — Question bank → Import → "Moodle XML format"; then a quiz question "Random
question from category" hands each student a variant.  Canvas — Settings → Import course content
→ "QTI .zip file"; the bank appears under Question banks."""

from __future__ import annotations

import base64
import html
import io
import zipfile
from xml.sax.saxutils import escape, quoteattr

import numpy as np


def _num(x) -> str:
    return repr(float(x))


def _matrix_html(value) -> str:
    """A matrix as an HTML table; a stack of matrices (channels, kernels) as tables side by side."""
    a = np.atleast_2d(np.asarray(value, dtype=float))
    if a.ndim > 2:
        return " ".join(_matrix_html(part) for part in a)
    rows = "".join("<tr>" + "".join(f"<td>{_short(v)}</td>" for v in row) + "</tr>" for row in a)
    return f'<table border="1" style="border-collapse:collapse;display:inline-table">{rows}</table>'


def _short(v) -> str:
    return format(float(v), ".12g")


def given_html(spec, trace) -> str:
    """The data of every exercise of a variant, as HTML."""
    from .kinds import kind
    parts = []
    for model, p in zip(spec.problems, trace.problems):
        rows = kind(model.kind).given(model, p)
        cells = "".join(f"<tr><th>{html.escape(str(k))}</th><td>"
                        f"{_matrix_html(v) if np.ndim(v) else html.escape(str(v))}</td></tr>" for k, v in rows)
        title = getattr(model, "title", "") or model.kind
        parts.append(f"<p><b>{html.escape(title)}</b></p><table>{cells}</table>")
    return "".join(parts)


def figures(batch, templates=None) -> dict[str, bytes]:
    """A PNG of the (first) network diagram of each variant, where pdflatex and pdftoppm are there."""
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


def _prompt(spec, v, answers, field) -> str:
    """The question text: the statement, the data, the figure, then one field per answer (no
    student's name: a bank's question may be drawn by anyone)."""
    lines = [f"<p>{html.escape(spec.description or spec.title or spec.name)}</p>", given_html(v.spec, v.trace),
             f"<p>{html.escape(_rounding(v.trace.rounding))}</p>"]
    if field is not None:
        lines += ["<p>Give (rounded as the exercise says):</p><ul>"]
        lines += [f"<li>{html.escape(a.label)}: {field(i, a)}</li>" for i, a in enumerate(answers, 1)]
        lines.append("</ul>")
    return "".join(lines)


def moodle_xml(spec, rows, pictures) -> bytes:
    """``rows``: [(variant, [Answer])]; ``pictures``: {variant id: PNG}."""
    category = f"$course$/top/dryrun/{spec.title or spec.name}"
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>",
           f'<question type="category"><category><text>{escape(category)}</text></category></question>']
    for v, answers in rows:
        def cloze(i, a):
            accepted = [f"={_num(a.value)}:{_num(a.tolerance)}"]
            if abs(a.full - a.value) > a.tolerance:
                accepted.append(f"%100%{_num(a.full)}:{_num(a.tolerance)}")
            return "{1:NUMERICAL:" + "~".join(accepted) + "}"
        text = _prompt(spec, v, answers, cloze)
        files = ""
        if v.ident in pictures:
            text = f'<p><img src="@@PLUGINFILE@@/{v.ident}.png" alt="network diagram"></p>' + text
            files = (f'<file name="{v.ident}.png" path="/" encoding="base64">'
                     f"{base64.b64encode(pictures[v.ident]).decode()}</file>")
        out.append('<question type="cloze">'
                   f"<name><text>{escape(f'{spec.name} variant {v.index}')}</text></name>"
                   f'<questiontext format="html"><text><![CDATA[{text}]]></text>{files}</questiontext>'
                   '<generalfeedback format="html"><text></text></generalfeedback>'
                   "<penalty>0</penalty><hidden>0</hidden></question>")
    out.append("</quiz>")
    return ("\n".join(out) + "\n").encode("utf-8")


def _item(ident, title, text, a) -> str:
    low, high = a.value - a.tolerance, a.value + a.tolerance
    alternatives = [f'<and><vargte respident="response1">{_num(low)}</vargte>'
                    f'<varlte respident="response1">{_num(high)}</varlte></and>']
    if abs(a.full - a.value) > a.tolerance:
        alternatives.append(f'<and><vargte respident="response1">{_num(a.full - a.tolerance)}</vargte>'
                            f'<varlte respident="response1">{_num(a.full + a.tolerance)}</varlte></and>')
    return (f"<item ident={quoteattr(ident)} title={quoteattr(title)}><itemmetadata><qtimetadata>"
            "<qtimetadatafield><fieldlabel>question_type</fieldlabel><fieldentry>numerical_question</fieldentry></qtimetadatafield>"
            "<qtimetadatafield><fieldlabel>points_possible</fieldlabel><fieldentry>1.0</fieldentry></qtimetadatafield>"
            "</qtimetadata></itemmetadata>"
            f'<presentation><material><mattext texttype="text/html">{escape(text)}</mattext></material>'
            '<response_str ident="response1" rcardinality="Single"><render_fib fibtype="Decimal">'
            '<response_label ident="answer1"/></render_fib></response_str></presentation>'
            '<resprocessing><outcomes><decvar maxvalue="100" minvalue="0" varname="SCORE" vartype="Decimal"/></outcomes>'
            f'<respcondition continue="No"><conditionvar><or>{"".join(alternatives)}</or></conditionvar>'
            '<setvar action="Set" varname="SCORE">100</setvar></respcondition></resprocessing></item>')


def canvas_qti(spec, rows, pictures) -> bytes:
    """A QTI 1.2 zip with one question bank: per variant and asked value a numerical question."""
    bank = f"dryrun_{spec.name}"
    items = []
    for v, answers in rows:
        intro = _prompt(spec, v, answers, None)
        if v.ident in pictures:
            intro = f'<p><img src="$IMS-CC-FILEBASE$/{v.ident}.png" alt="network diagram"></p>' + intro
        for i, a in enumerate(answers, 1):
            text = f"{intro}<p>Give {html.escape(a.label)}.</p>"
            items.append(_item(f"{bank}_v{v.index}_{i}", f"variant {v.index}: {a.label}", text, a))
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<questestinterop xmlns="http://www.imsglobal.org/xsd/ims_qtiasiv1p2">'
           f"<objectbank ident={quoteattr(bank)}><qtimetadata><qtimetadatafield><fieldlabel>bank_title</fieldlabel>"
           f"<fieldentry>{escape(spec.title or spec.name)}</fieldentry></qtimetadatafield></qtimetadata>"
           + "".join(items) + "</objectbank></questestinterop>\n")
    resources = [f'<resource identifier={quoteattr(bank)} type="imsqti_xmlv1p2"><file href="{bank}/{bank}.xml"/></resource>']
    resources += [f'<resource identifier="fig_{v}" type="webcontent" href="{v}.png"><file href="{v}.png"/></resource>'
                  for v in sorted(pictures)]
    manifest = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<manifest identifier="dryrun_manifest" xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1">'
                "<metadata><schema>IMS Content</schema><schemaversion>1.1.3</schemaversion></metadata>"
                f"<organizations/><resources>{''.join(resources)}</resources></manifest>\n")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in (("imsmanifest.xml", manifest.encode()), (f"{bank}/{bank}.xml", xml.encode())):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))     # reproducible
            z.writestr(info, data, zipfile.ZIP_DEFLATED)
        for ident in sorted(pictures):
            z.writestr(zipfile.ZipInfo(f"{ident}.png", date_time=(1980, 1, 1, 0, 0, 0)), pictures[ident])
    return buf.getvalue()
