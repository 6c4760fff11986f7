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
import io
import zipfile

import numpy as np

from . import escape as esc

# Every user string (a spec's title, description, name, an exercise's title, a value's label, a
# variant's id) reaches these files through one function of ``escape``: ``xml_text``/``xml_attr``
# for XML, ``html_text`` for the HTML of a Canvas question, ``moodle_text`` for that of a Moodle
# cloze question (no brace of a description makes a graded field) and ``zip_name`` for every name
# inside the zip and every file a manifest or question refers to.


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
    """{variant id: its PNG's name inside an archive or a Moodle question}: ``escape.zip_name``,
    made unique should two ids give the same name."""
    names, used = {}, set()
    for v, _ in rows:
        if v.ident not in pictures:
            continue
        base = esc.zip_name(v.ident, "figure")[:60].rstrip(".-") or "figure"     # room for '-N.png'
        name, n = base, 1
        while name.lower() in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name.lower())
        names[v.ident] = f"{name}.png"
    return names


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
            accepted = [f"={_num(a.value)}:{_num(a.tolerance)}"]
            if abs(a.full - a.value) > a.tolerance:
                accepted.append(f"%100%{_num(a.full)}:{_num(a.tolerance)}")
            return "{1:NUMERICAL:" + "~".join(accepted) + "}"
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
    low, high = a.value - a.tolerance, a.value + a.tolerance
    alternatives = [f'<and><vargte respident="response1">{_num(low)}</vargte>'
                    f'<varlte respident="response1">{_num(high)}</varlte></and>']
    if abs(a.full - a.value) > a.tolerance:
        alternatives.append(f'<and><vargte respident="response1">{_num(a.full - a.tolerance)}</vargte>'
                            f'<varlte respident="response1">{_num(a.full + a.tolerance)}</varlte></and>')
    return (f"<item ident={esc.xml_attr(ident)} title={esc.xml_attr(title)}><itemmetadata><qtimetadata>"
            "<qtimetadatafield><fieldlabel>question_type</fieldlabel><fieldentry>numerical_question</fieldentry></qtimetadatafield>"
            "<qtimetadatafield><fieldlabel>points_possible</fieldlabel><fieldentry>1.0</fieldentry></qtimetadatafield>"
            "</qtimetadata></itemmetadata>"
            f'<presentation><material><mattext texttype="text/html">{esc.xml_text(text)}</mattext></material>'
            '<response_str ident="response1" rcardinality="Single"><render_fib fibtype="Decimal">'
            '<response_label ident="answer1"/></render_fib></response_str></presentation>'
            '<resprocessing><outcomes><decvar maxvalue="100" minvalue="0" varname="SCORE" vartype="Decimal"/></outcomes>'
            f'<respcondition continue="No"><conditionvar><or>{"".join(alternatives)}</or></conditionvar>'
            '<setvar action="Set" varname="SCORE">100</setvar></respcondition></resprocessing></item>')


def canvas_qti(spec, rows, pictures) -> bytes:
    """A QTI 1.2 zip with one question bank: per variant and asked value a numerical question."""
    # an identifier, a folder and (with '.xml') a file: short enough that every name stays a zip_name
    bank = esc.zip_name(f"dryrun_{spec.name}", "dryrun_bank")[:80].rstrip(".-")
    png = _picture_names(rows, pictures)
    items = []
    for v, answers in rows:
        intro = _prompt(spec, v, answers, None)
        if v.ident in png:
            src = esc.xml_attr("$IMS-CC-FILEBASE$/" + png[v.ident])
            intro = f'<p><img src={src} alt="network diagram"></p>' + intro
        for i, a in enumerate(answers, 1):
            text = f"{intro}<p>Give {esc.html_text(a.label)}.</p>"
            items.append(_item(f"{bank}_v{v.index}_{i}", f"variant {v.index}: {a.label}", text, a))
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<questestinterop xmlns="http://www.imsglobal.org/xsd/ims_qtiasiv1p2">'
           f"<objectbank ident={esc.xml_attr(bank)}><qtimetadata><qtimetadatafield><fieldlabel>bank_title</fieldlabel>"
           f"<fieldentry>{esc.xml_text(spec.title or spec.name)}</fieldentry></qtimetadatafield></qtimetadata>"
           + "".join(items) + "</objectbank></questestinterop>\n")
    bank_file = f"{bank}/{bank}.xml"
    resources = [f'<resource identifier={esc.xml_attr(bank)} type="imsqti_xmlv1p2">'
                 f'<file href={esc.xml_attr(bank_file)}/></resource>']
    resources += [f'<resource identifier={esc.xml_attr("fig_" + name[:-4])} type="webcontent" '
                  f'href={esc.xml_attr(name)}><file href={esc.xml_attr(name)}/></resource>'
                  for name in sorted(png.values())]
    manifest = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<manifest identifier="dryrun_manifest" xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1">'
                "<metadata><schema>IMS Content</schema><schemaversion>1.1.3</schemaversion></metadata>"
                f"<organizations/><resources>{''.join(resources)}</resources></manifest>\n")
    entries = [("imsmanifest.xml", manifest.encode()), (bank_file, xml.encode())]
    entries += [(name, pictures[ident]) for ident, name in sorted(png.items(), key=lambda kv: kv[1])]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            # every name is made of escape.zip_name components joined by '/' (no '..', no '\\', no leading
            # '/'); the manifest and the questions refer to these same names
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))     # reproducible
            z.writestr(info, data, zipfile.ZIP_STORED if name.endswith(".png") else zipfile.ZIP_DEFLATED)
    return buf.getvalue()
