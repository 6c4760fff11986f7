"""What an audit says: a readable report (the first wrong number first, then the findings grouped by
cause), its JSON, and an annotated copy of the document."""

from __future__ import annotations

import json

from .audit import CAUSES, Audit, Finding

_TITLES = {
    "slip": "slips (its own inputs as printed give another value)",
    "rounding": "rounding (follows from the document's rounded numbers, not from the exact values)",
    "consequence": "consequences (follow correctly from an earlier wrong number)",
    "operand": "operands (the right formula with a wrong operand)",
    "method": "method (another formula)",
    "arithmetic": "arithmetic (the printed expression does not give it)",
}


def _place(where: str) -> dict:
    """{"page": P, "line": L} of "page P, line L", {"line": L} of "line L"."""
    out = {}
    for part in where.split(","):
        word, _, num = part.strip().partition(" ")
        if word in ("page", "line") and num.isdigit():
            out[word] = int(num)
    return out


def _finding_line(a: Audit, f: Finding) -> str:
    n = f.number
    text = f"{a.where(n.line)}: {n.printed} should be {f.expected} — {f.label}"
    if f.why:
        text += f"; {f.why}"
    if f.because is not None:
        text += f" ({a.where(f.because.line)})"
        root = f.root
        if root is not None and root is not f.because:
            text += f", which comes from {root.printed} ({a.where(root.line)})"
    return text


def text_report(a: Audit, document: str, spec: str) -> str:
    wrong = len(a.findings)
    out = [f"audit of {document} against {spec}",
           f"{a.checked} numbers checked: {a.checked - wrong} right ({a.by_value} of them placed by their value "
           f"alone), {wrong} wrong; {len(a.not_checked)} not checked"]
    if a.findings:
        out.append(f"first wrong number ({a.findings[0].cause}): " + _finding_line(a, a.findings[0]))
    seen = []
    for f in a.findings:
        if f.cause not in seen:
            seen.append(f.cause)
    for cause in seen:
        group = [f for f in a.findings if f.cause == cause]
        out += ["", f"{_TITLES[cause]}: {len(group)}"]
        out += ["  " + _finding_line(a, f) for f in group]
    if a.not_checked:
        out += ["", f"not checked (no value of the computation is printed like them): {len(a.not_checked)}"]
        by_line: dict = {}
        for n in a.not_checked:
            by_line.setdefault(a.where(n.line), []).append(n.printed)
        out += [f"  {where}: {', '.join(printed)}" for where, printed in by_line.items()]
    if not a.findings:
        out += ["", "no wrong number found"]
    return "\n".join(out) + "\n"


def json_report(a: Audit, document: str, spec: str) -> str:
    def one(f: Finding) -> dict:
        d = {**_place(a.where(f.number.line)), "where": a.where(f.number.line), "printed": f.number.printed,
             "expected": f.expected, "cause": f.cause, "value": f.value, "label": f.label, "why": f.why}
        for field, n in (("because", f.because), ("root", f.root)):
            if n is not None:
                d[field] = {**_place(a.where(n.line)), "printed": n.printed,
                            "value": n.finding.value if n.finding else None}
        return d
    doc = {"document": document, "spec": spec, "checked": a.checked, "checked_by_value": a.by_value,
           "not_checked": len(a.not_checked),
           "wrong": len(a.findings), "causes": {c: sum(f.cause == c for f in a.findings) for c in CAUSES},
           "findings": [one(f) for f in a.findings],
           "not_checked_numbers": [{**_place(a.where(n.line)), "printed": n.printed} for n in a.not_checked]}
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def annotated(a: Audit, doc) -> str:
    """The document with every wrong number boxed with its correct value and cause beside it:
    ``\\boxed{0.6 \\to 0.4\\ \\text{consequence}}`` (amsmath; MathJax reads it too)."""
    text = doc.text
    for f in sorted(a.findings, key=lambda f: f.number.tok.start, reverse=True):
        t = f.number.tok
        start = t.start - 1 if f.number.printed.startswith("-") and text[t.start - 1] == "-" else t.start
        old = text[start:t.end]
        expected = f.expected.replace(",", "{,}") if "{," in old else f.expected
        text = text[:start] + r"\boxed{" + old + r" \to " + expected + r"\ \text{" + f.cause + "}}" + text[t.end:]
    return doc.restore(text)
