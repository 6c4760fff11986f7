"""Read numbers back out of a rendered .tex: the result of each step, as a person reads it."""

from __future__ import annotations

import re
from decimal import Decimal

_NUM = r"-?\d+(?:\{,\}\d+|\.\d+)?"


def number(text: str) -> Decimal:
    return Decimal(text.replace("{,}", "."))


def parse_value(text: str):
    """A bmatrix or a number (as Decimals): a flat list for one column, else a list of rows."""
    text = text.strip()
    m = re.match(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", text, re.S)
    if m:
        rows = [[number(c.strip()) for c in r.split("&")] for r in m.group(1).split(r"\\")]
        if all(len(r) == 1 for r in rows):
            return [r[0] for r in rows]
        return rows
    m = re.match(_NUM, text)
    if not m:
        raise ValueError(f"no number at {text[:40]!r}")
    return number(m.group())


def eqboxes(chunk: str) -> list[str]:
    """The contents of every \\eqbox{...} and \\eqlines{...} in ``chunk`` (balanced braces), in order;
    \\eqlines rows (\\EN) and alignment marks (\\EA) become spaces."""
    out, i = [], 0
    while True:
        found = [(k, m) for m in (r"\eqbox{", r"\eqlines{") if (k := chunk.find(m, i)) >= 0]
        if not found:
            return [b.replace(r"\EN", " ").replace(r"\EA", " ") for b in out]
        i, macro = min(found)
        depth, j = 0, i + len(macro) - 1
        for j in range(j, len(chunk)):
            if chunk[j] == "{":
                depth += 1
            elif chunk[j] == "}":
                depth -= 1
                if depth == 0:
                    break
        out.append(chunk[i + len(macro):j])
        i = j


def result(box: str):
    """(relation, value) of the last '=' or '\\approx' at the top level of an equation."""
    positions = [(m.start(), m.group()) for m in re.finditer(r"(?<![<>\\])=|\\approx", box)]
    pos, rel = positions[-1]
    rest = box[pos + len(rel):].replace("\\end{aligned}", "")
    return ("=" if rel == "=" else "approx"), parse_value(rest.lstrip(" &"))


def steps(tex: str, iteration: int) -> dict[str, str]:
    """Step title -> step text, within the given iteration's subsection."""
    part = tex.split(f"\\subsection{{Iteration {iteration}}}", 1)[1]
    part = re.split(r"\\subsection\{Iteration|\\subsection\{Loss after|\\section\{Summary\}", part)[0]
    chunks = part.split(r"\step{")[1:]
    return {c.split("}", 1)[0].split("$")[0].strip(" :"): c for c in chunks}
