"""Legibility of a rendered PDF, measured from its word boxes (``pdftotext -bbox``): no word
smaller than a readable size, no two words on top of each other, nothing past the margins."""

from __future__ import annotations

import html
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

MIN_HEIGHT = 4.5          # pt: the height of a word box of 6 pt type is about 6 pt
MARGIN = 62.36            # pt: 2.2 cm, the geometry of base.tex.j2
SLACK = 2.0               # pt a box may reach into the margin (italic overhang, rounding)
OVERLAP = 0.3             # a pair overlaps when their intersection covers this much of the smaller box

_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)


@dataclass(frozen=True)
class Word:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def area(self) -> float:
        return max(0.0, self.x1 - self.x0) * max(0.0, self.y1 - self.y0)


def words(pdf: Path) -> tuple[list[Word], list[tuple[float, float]]]:
    """Every word box of ``pdf`` and the size of each page."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    found, sizes = [], []
    for n, page in enumerate(_PAGE.finditer(out), start=1):
        sizes.append((float(page.group(1)), float(page.group(2))))
        for m in _WORD.finditer(page.group(3)):
            x0, y0, x1, y1 = map(float, m.groups()[:4])
            found.append(Word(n, x0, y0, x1, y1, html.unescape(m.group(5))))
    return found, sizes


def problems(pdf: Path) -> list[str]:
    """What is illegible in ``pdf``: tiny words, overlapping words, words past the margins."""
    found, sizes = words(pdf)
    bad = []
    # glyphs without text, and the pieces of big delimiters (private-use code points)
    found = [w for w in found if any(not ("\ue000" <= c <= "\uf8ff") for c in w.text.strip())]
    for w in found:
        if w.height < MIN_HEIGHT:
            bad.append(f"page {w.page}: '{w.text}' is {w.height:.1f} pt high")
        width, height = sizes[w.page - 1]
        if w.x0 < MARGIN - SLACK or w.x1 > width - MARGIN + SLACK or w.y0 < 0 or w.y1 > height:
            bad.append(f"page {w.page}: '{w.text}' passes the margin (x {w.x0:.0f}–{w.x1:.0f})")
    by_page: dict[int, list[Word]] = {}
    for w in found:
        by_page.setdefault(w.page, []).append(w)
    for page, ws in by_page.items():
        ws.sort(key=lambda w: w.x0)
        for i, a in enumerate(ws):
            for b in ws[i + 1:]:
                if b.x0 >= a.x1:
                    break
                ix = min(a.x1, b.x1) - max(a.x0, b.x0)
                iy = min(a.y1, b.y1) - max(a.y0, b.y0)
                if ix > 0 and iy > 0 and ix * iy > OVERLAP * min(a.area(), b.area()):
                    bad.append(f"page {page}: '{a.text}' and '{b.text}' overlap")
    return bad
