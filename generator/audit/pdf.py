"""A PDF worked solution as text the audit can read (issue 23: "a PDF … is read as well as its text").

pypdf's own ``extract_text`` glues what a PDF sets apart only by position: the exponent of
``21.6²`` comes out as ``21.62``, the indices of ``z₁¹`` as ``z11``, the numerator and
denominator of ``1/(1 + e^{-0.6})`` as ``11 +e−0.6``.  So this module reads every glyph with its
position, size and font (pypdf parses the file, decodes each character code and reads the
content stream; the positions are worked out here from the text operators), and writes the
structure the positions show, no more:

- a glyph smaller than the line's and raised or lowered is a superscript or a subscript:
  ``21.6^{2}``, ``z^{1}_{1}``, ``e^{−0.6}``;
- glyphs just above a horizontal rule and glyphs just below it, in that order in the content
  stream (how TeX ships a fraction), are a fraction: ``\\frac{1}{1 + e^{−0.6}}``;
- a tall delimiter (TeX's math extension font, or the private-use bracket pieces) and its
  matching closing one around several rows, or around one row with column gaps, are a matrix:
  ``\\begin{bmatrix} 0.1 & 0.2 \\\\ 0.5 & 0.6 \\end{bmatrix}`` (rows by baseline, cells by gaps of at
  least 0.6 em); around a single row without gaps, plain brackets;
- a display sum's limits are its scripts; a tall brace without a closing one over several rows is
  ``cases``; a gap of more than 0.155 em is a space, one of at least 0.8 em a ``\\quad`` (what
  separates two equations of one display); a minus much nearer to the number after it than to
  what precedes it is a sign (``[1 \\quad -1]``).

``pdf_pages`` gives these lines per page with the PDF's own characters (Unicode: −, ·, σ …);
``pdf_text`` turns them into the Markdown-like text the audit parses, one line per PDF line: a
line with a digit or a formula sign is wrapped as ``$$ … $$`` with its Unicode mathematics written
as LaTeX (``−`` → ``-``, ``·`` → ``\\cdot``, ``σ`` → ``\\sigma`` …), a bold or large line
without mathematics is a ``#`` heading, a lone whole number (a page number) stays plain text.
``where[k]`` says where line k came from ("page P, line L").
pypdf is imported only when a PDF is read."""

from __future__ import annotations

import contextlib
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SpecError

MAX_PDF_BYTES = 20 * 1024 * 1024     # as generator/audit/document.py's limit for a document
_MAX_FORM_DEPTH = 8

# ------------------------------------------------------------------------------------------------
# Glyph classes of TeX's math extension font (cmex10 and its clones), by character code:
# (text, kind) with kind "open"/"close" (a delimiter, or the top piece of a tall one), "piece"
# (the middle, extension or bottom piece of a tall delimiter: no text of its own) or "op" (a large
# operator).  pypdf decodes few of these codes (they have no standard Unicode), so they are
# classified here by code.
_CMEX: dict[int, tuple[str, str]] = {}
_CMEX_DEPTH: dict[int, float] = {}      # how far a delimiter glyph hangs below its origin, in em
for _codes, _pair in (((0x00, 0x10, 0x12, 0x20), ("(", ")")), ((0x02, 0x14, 0x22, 0x68), ("[", "]")),
                      ((0x08, 0x1A, 0x28, 0x6E), ("{", "}")), ((0x0A, 0x1C, 0x2A, 0x44), ("⟨", "⟩")),
                      ((0x04, 0x16, 0x24, 0x6A), ("⌊", "⌋")), ((0x06, 0x18, 0x26, 0x6C), ("⌈", "⌉"))):
    for _c in _codes:
        _CMEX[_c], _CMEX[_c + 1] = (_pair[0], "open"), (_pair[1], "close")
        _CMEX_DEPTH[_c] = _CMEX_DEPTH[_c + 1] = (1.2 if _c < 0x10 else 3.0 if 0x20 <= _c < 0x30
                                                 else 2.4 if _c not in (0x10, 0x44, 0x68, 0x6A,
                                                                        0x6C, 0x6E) else 1.8)
_CMEX.update({0x30: ("(", "open"), 0x31: (")", "close"), 0x32: ("[", "open"), 0x33: ("]", "close"),
              0x38: ("{", "open"), 0x39: ("}", "close")})
for _c in (0x34, 0x35, 0x36, 0x37, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x40, 0x41, 0x42, 0x43):
    _CMEX[_c] = ("", "piece")
_CMEX.update({0x0C: ("|", "g"), 0x0D: ("‖", "g"), 0x50: ("∑", "op"), 0x58: ("∑", "op"),
              0x51: ("∏", "op"), 0x59: ("∏", "op"), 0x52: ("∫", "op"), 0x5A: ("∫", "op"),
              0x48: ("∮", "op"), 0x49: ("∮", "op"), 0x53: ("⋃", "op"), 0x5B: ("⋃", "op"),
              0x54: ("⋂", "op"), 0x5C: ("⋂", "op"), 0x4A: ("⨀", "op"), 0x4B: ("⨀", "op"),
              0x4C: ("⨁", "op"), 0x4D: ("⨁", "op"), 0x4E: ("⨂", "op"), 0x4F: ("⨂", "op"),
              0x0E: ("/", "g"), 0x1E: ("/", "g"), 0x2C: ("/", "g"), 0x2E: ("/", "g")})
for _c in range(0x70, 0x75):
    _CMEX[_c] = ("√", "g")
# Adobe's private-use code points for the pieces of tall delimiters (what pypdf gives for them)
_PUA = {"\uf8eb": ("(", "open"), "\uf8f6": (")", "close"), "\uf8ee": ("[", "open"),
        "\uf8f9": ("]", "close"), "\uf8f1": ("{", "open"), "\uf8fc": ("}", "close")}
_PUA.update({chr(c): ("", "piece") for c in range(0xF8E5, 0xF8FF) if chr(c) not in _PUA})
_CLOSING = {"(": ")", "[": "]", "{": "}", "⟨": "⟩", "⌊": "⌋", "⌈": "⌉"}
_ENV = {"(": "pmatrix", "[": "bmatrix", "{": "Bmatrix"}

_BOLD = re.compile(r"(?i)bold|black|heavy|demi|medi(?:um)?\b|BX\d|^(?:cm|sf|ec|lm)b")
_EXT = re.compile(r"(?i)^(?:cm|lm|eu|tx|px|ntx|npx)ex|mathex")
_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_QUAD = "\u2003"              # a gap of at least 0.8 em (TeX's \quad between two equations)


def _mul(m, n):
    """The product m·n of two PDF matrices [a b c d e f]."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
            e * A + f * C + E, e * B + f * D + F)


def _num(x, default: float = 0.0) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return default
    return v if math.isfinite(v) else default


# ------------------------------------------------------------------------------------------------
# Fonts: how many bytes a character code takes, its width, and its decoding (done by pypdf).

@dataclass
class _Font:
    key: object
    ref: object                 # the font as the page resources hold it (for decoding)
    name: str                   # /BaseFont without the subset prefix
    two_byte: bool
    widths: dict[int, float]
    default_width: float
    scale: float                # glyph space → text space (1/1000, or a Type3 font's matrix)
    bold: bool
    ext: bool                   # TeX's math extension font: codes classified by _CMEX
    size_scale: float = 1.0     # a Type3 font's em against a Type1 font's of the same size

    def codes(self, data: bytes) -> list[int]:
        if self.two_byte:
            return [int.from_bytes(data[k:k + 2], "big") for k in range(0, len(data) - 1, 2)]
        return list(data)

    def width(self, code: int) -> float:
        return self.widths.get(code, self.default_width) * self.scale


def _font(ref) -> _Font:
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
    obj = ref.get_object() if isinstance(ref, IndirectObject) else ref
    key = (ref.idnum, ref.generation) if isinstance(ref, IndirectObject) else id(obj)
    if not isinstance(obj, DictionaryObject):
        return _Font(key, ref, "", False, {}, 500.0, 0.001, False, False)
    name = str(obj.get("/BaseFont", "")).lstrip("/")
    name = name.split("+", 1)[1] if re.match(r"^[A-Z]{6}\+", name) else name
    subtype = obj.get("/Subtype")
    widths: dict[int, float] = {}
    default = 500.0
    scale = 0.001
    size_scale = 1.0
    two_byte = subtype == "/Type0"
    if two_byte:
        desc = obj.get("/DescendantFonts")
        desc = desc.get_object() if desc is not None else None
        d = desc[0].get_object() if isinstance(desc, ArrayObject) and desc else DictionaryObject()
        default = _num(d.get("/DW", 1000), 1000.0)
        w = d.get("/W")
        w = w.get_object() if w is not None else []
        k = 0
        while isinstance(w, ArrayObject) and k + 1 < len(w) and len(widths) < 65536:
            first = int(_num(w[k]))
            nxt = w[k + 1].get_object() if hasattr(w[k + 1], "get_object") else w[k + 1]
            if isinstance(nxt, ArrayObject):
                for j, v in enumerate(nxt):
                    widths[first + j] = _num(v)
                k += 2
            elif k + 2 < len(w):
                last = int(_num(nxt))
                for c in range(first, min(last, first + 65536) + 1):
                    widths[c] = _num(w[k + 2])
                k += 3
            else:
                break
    else:
        first = int(_num(obj.get("/FirstChar", 0)))
        w = obj.get("/Widths")
        w = w.get_object() if w is not None else None
        if isinstance(w, ArrayObject):
            for j, v in enumerate(w[:256]):
                widths[first + j] = _num(v)
        fd = obj.get("/FontDescriptor")
        fd = fd.get_object() if fd is not None else None
        if isinstance(fd, DictionaryObject) and "/MissingWidth" in fd:
            default = _num(fd["/MissingWidth"], 500.0)
        if subtype == "/Type3":
            fm = obj.get("/FontMatrix")
            fm = fm.get_object() if fm is not None else None
            if isinstance(fm, ArrayObject) and len(fm) == 6:
                scale = _num(fm[0], 0.001)
                size_scale = abs(_num(fm[3], 0.001)) * 1000 or 1.0
    return _Font(key, ref, name, two_byte, widths, default, scale,
                 bool(_BOLD.search(name)), bool(_EXT.search(name)), size_scale)


def _decode(reader, pairs: list[tuple[_Font, int]]) -> dict[tuple, str]:
    """The text pypdf reads for each (font, character code): every code is shown alone on a
    scratch page whose resources are those fonts, so the decoding is exactly pypdf's."""
    from pypdf import PageObject
    from pypdf.generic import (ByteStringObject, ContentStream, DictionaryObject, FloatObject,
                               NameObject)
    if not pairs:
        return {}
    fonts = {}
    names = {}
    for f, _ in pairs:
        if f.key not in names:
            names[f.key] = NameObject(f"/D{len(names)}")
            fonts[names[f.key]] = f.ref
    ops = []
    for k, (f, code) in enumerate(pairs):
        data = code.to_bytes(2, "big") if f.two_byte else bytes([code & 0xFF])
        ops += [([], b"BT"), ([names[f.key], FloatObject(10)], b"Tf"),
                ([FloatObject(v) for v in (1, 0, 0, 1, 0, 20 * (k + 1))], b"Tm"),
                ([ByteStringObject(data)], b"Tj"), ([], b"ET")]
    content = ContentStream(None, reader)
    content.operations = ops
    page = PageObject.create_blank_page(reader, 100, 100)
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(fonts)})
    page.replace_contents(content)
    got: dict[int, str] = {}

    def visit(text, cm, tm, font, size):
        if text:
            k = round(_num(tm[5]) / 20) - 1
            got[k] = got.get(k, "") + text

    try:
        page.extract_text(visitor_text=visit)
    except Exception:                     # a font pypdf cannot decode: its glyphs read as nothing
        pass
    return {(f.key, code): got.get(k, "").replace("\n", "") for k, (f, code) in enumerate(pairs)}


# ------------------------------------------------------------------------------------------------
# The content stream: glyphs (with position, size, font) and horizontal rules, in stream order.

@dataclass
class _Raw:
    font: _Font
    code: int
    x: float
    y: float
    end: float
    size: float


@dataclass
class _Rule:
    x0: float
    x1: float
    y: float


def _operands(stream, reader):
    from pypdf.generic import ContentStream
    try:
        return ContentStream(stream, reader).operations
    except Exception:                 # a damaged stream: what was read so far is lost, not the page
        return []


def _bytes(s) -> bytes:
    if isinstance(s, bytes):
        return bytes(s)
    orig = getattr(s, "original_bytes", None)
    if isinstance(orig, bytes):
        return orig
    return str(s).encode("latin-1", "replace")


def _interpret(ops, resources, ctm, reader, fonts: dict, out: list, depth: int = 0) -> None:
    """Walk a content stream, appending a _Raw per glyph and a _Rule per thin horizontal line or
    rectangle that is painted."""
    from pypdf.generic import ArrayObject, DictionaryObject

    def res(kind):
        d = resources.get(kind) if isinstance(resources, DictionaryObject) else None
        d = d.get_object() if d is not None else None
        return d if isinstance(d, DictionaryObject) else DictionaryObject()

    font_res, xobj_res = res("/Font"), res("/XObject")
    st = {"ctm": ctm, "font": None, "size": 0.0, "tc": 0.0, "tw": 0.0, "tz": 1.0, "tl": 0.0,
          "rise": 0.0, "lw": 1.0}
    stack: list[dict] = []
    tm = tlm = _IDENTITY
    path: list[tuple] = []
    point = (0.0, 0.0)

    def user(x, y):
        a, b, c, d, e, f = st["ctm"]
        return (a * x + c * y + e, b * x + d * y + f)

    def show(data: bytes):
        nonlocal tm
        f: _Font | None = st["font"]
        if f is None:
            return
        for code in f.codes(data):
            m = _mul(tm, st["ctm"])
            trm = _mul((st["size"] * st["tz"], 0, 0, st["size"], 0, st["rise"]), m)
            adv = (f.width(code) * st["size"] + st["tc"]
                   + (st["tw"] if code == 32 and not f.two_byte else 0.0)) * st["tz"]
            tm = _mul((1, 0, 0, 1, adv, 0), tm)
            out.append(_Raw(f, code, trm[4], trm[5], _mul(tm, st["ctm"])[4],
                            math.hypot(trm[2], trm[3]) * f.size_scale))

    for operands, op in ops:
        args = list(operands)
        nums = [_num(a) for a in args]
        if op == b"q":
            stack.append(dict(st))
        elif op == b"Q":
            if stack:
                st = stack.pop()
        elif op == b"cm" and len(nums) == 6:
            st["ctm"] = _mul(tuple(nums), st["ctm"])
        elif op == b"w" and nums:
            st["lw"] = nums[0]
        elif op == b"BT":
            tm = tlm = _IDENTITY
        elif op == b"Tf" and len(args) >= 2:
            name = str(args[0])
            ref = font_res.raw_get(name) if name in font_res else None
            if ref is not None:
                key = id(ref) if not hasattr(ref, "idnum") else (ref.idnum, ref.generation)
                if key not in fonts:
                    fonts[key] = _font(ref)
                st["font"] = fonts[key]
            else:
                st["font"] = None
            st["size"] = nums[1]
        elif op in (b"Tc", b"Tw", b"TL", b"Ts") and nums:
            st[{b"Tc": "tc", b"Tw": "tw", b"TL": "tl", b"Ts": "rise"}[op]] = nums[0]
        elif op == b"Tz" and nums:
            st["tz"] = nums[0] / 100
        elif op in (b"Td", b"TD") and len(nums) >= 2:
            if op == b"TD":
                st["tl"] = -nums[1]
            tlm = tm = _mul((1, 0, 0, 1, nums[0], nums[1]), tlm)
        elif op == b"Tm" and len(nums) == 6:
            tlm = tm = tuple(nums)
        elif op in (b"T*", b"'", b'"'):
            if op == b'"' and len(nums) >= 3:
                st["tw"], st["tc"] = nums[0], nums[1]
            tlm = tm = _mul((1, 0, 0, 1, 0, -st["tl"]), tlm)
            if op != b"T*" and args:
                show(_bytes(args[-1]))
        elif op == b"Tj" and args:
            show(_bytes(args[0]))
        elif op == b"TJ" and args and isinstance(args[0], (list, ArrayObject)):
            for item in args[0]:
                if isinstance(item, (str, bytes)):
                    show(_bytes(item))
                else:
                    tm = _mul((1, 0, 0, 1, -_num(item) / 1000 * st["size"] * st["tz"], 0), tm)
        elif op == b"m" and len(nums) >= 2:
            point = user(nums[0], nums[1])
        elif op == b"l" and len(nums) >= 2:
            p = user(nums[0], nums[1])
            path.append(("line", point, p, st["lw"] * math.hypot(st["ctm"][2], st["ctm"][3])))
            point = p
        elif op == b"re" and len(nums) == 4:
            x, y, w, h = nums
            a, b = user(x, y), user(x + w, y + h)
            path.append(("rect", a, b, 0.0))
        elif op in (b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"):
            for kind, a, b, width in path:
                if abs(a[1] - b[1]) <= (0.01 if kind == "line" else 1.5) and abs(a[0] - b[0]) > 1.0 \
                        and (kind == "rect" or width <= 1.5):
                    out.append(_Rule(min(a[0], b[0]), max(a[0], b[0]), (a[1] + b[1]) / 2))
            path = []
        elif op == b"n":
            path = []
        elif op == b"Do" and args and depth < _MAX_FORM_DEPTH:
            ref = xobj_res.get(str(args[0]))
            xo = ref.get_object() if ref is not None else None
            if isinstance(xo, DictionaryObject) and xo.get("/Subtype") == "/Form":
                mat = xo.get("/Matrix")
                mat = tuple(_num(v) for v in mat) if isinstance(mat, ArrayObject) and len(mat) == 6 \
                    else _IDENTITY
                inner = xo.get("/Resources")
                inner = inner.get_object() if inner is not None else resources
                _interpret(_operands(xo, reader), inner, _mul(mat, st["ctm"]), reader, fonts, out,
                           depth + 1)


# ------------------------------------------------------------------------------------------------
# Layout: glyphs → boxes (fractions, delimited groups, operators with limits) → lines.

@dataclass
class _G:
    ch: str
    x: float
    y: float
    end: float
    size: float
    kind: str = "g"             # g, open, close, piece, op
    bold: bool = False
    y_low: float = 0.0          # how low a delimiter reaches (its lowest piece, or its depth)
    float_: bool = False        # does not set or break a line's baseline (delimiters, operators)


@dataclass
class _Box:
    kind: str                   # frac, group, cases, op
    x: float
    end: float
    y: float
    size: float
    parts: list = field(default_factory=list)
    open: str = ""
    close: str = ""
    float_: bool = False
    bold: bool = False
    ch: str = ""


def _glyphs(raws: list, table: dict) -> list:
    items: list = []
    for r in raws:
        if isinstance(r, _Rule):
            items.append(r)
            continue
        depth = 0.0
        if r.font.ext:
            ch, kind = _CMEX.get(r.code, ("", "piece"))
            depth = _CMEX_DEPTH.get(r.code, 1.8)
        else:
            ch = table.get((r.font.key, r.code), "")
            kind = "g"
            if ch in _PUA:
                ch, kind = _PUA[ch]
                depth = 1.8
        if kind == "piece":
            prev = items[-1] if items else None
            if isinstance(prev, _G) and prev.kind in ("open", "close") and abs(prev.x - r.x) < 0.5:
                prev.y_low = min(prev.y_low, r.y - 1.8 * r.size)
            continue
        if kind == "g" and not ch.strip():
            continue                     # spaces: the gaps say where words end
        items.append(_G(ch, r.x, r.y, r.end, r.size, kind, r.font.bold, r.y - depth * r.size,
                        float_=kind != "g"))
    return items


def _fractions(items: list) -> list:
    """Glyphs just above a rule, the rule, glyphs just below it (in stream order): a fraction."""
    out: list = []
    k = 0
    while k < len(items):
        it = items[k]
        k += 1
        if not isinstance(it, _Rule):
            out.append(it)
            continue
        near = [g for g in out[-3:] + items[k:k + 3] if isinstance(g, (_G, _Box)) and not g.float_]
        ref = max((g.size for g in near), default=10.0)
        num: list = []
        while out and isinstance(out[-1], (_G, _Box)) and not out[-1].float_ \
                and it.y < out[-1].y <= it.y + 1.5 * ref \
                and it.x0 - 1 <= out[-1].x and out[-1].end <= it.x1 + 1:
            num.insert(0, out.pop())
        den: list = []
        j = k
        while j < len(items) and isinstance(items[j], (_G, _Box)) and not items[j].float_ \
                and it.y - 1.9 * ref <= items[j].y < it.y \
                and it.x0 - 1 <= items[j].x and items[j].end <= it.x1 + 1:
            den.append(items[j])
            j += 1
        if num and den and _centred(it, num, den, ref):
            size = max(g.size for g in num + den)
            out.append(_Box("frac", it.x0, it.x1, it.y - 0.25 * size, size, [num, den]))
            k = j
        else:
            out.extend(num)
    return out


def _centred(rule: _Rule, num: list, den: list, ref: float) -> bool:
    """TeX's fraction bar is as wide as the wider of numerator and denominator, both centred on
    it; a table's rule reaches past its cells, a text's underline has nothing centred below."""
    tol = 0.35 * ref + 1.0
    mid = (rule.x0 + rule.x1) / 2
    lo = min(g.x for g in num + den)
    hi = max(g.end for g in num + den)
    if abs((rule.x1 - rule.x0) - (hi - lo)) > tol:
        return False
    return all(abs((min(g.x for g in part) + max(g.end for g in part)) / 2 - mid) <= tol
               for part in (num, den))


def _operators(items: list) -> list:
    """A large operator with its limits: the small glyphs right before it and above it, and right
    after it and below it, within its width."""
    out: list = []
    k = 0
    while k < len(items):
        it = items[k]
        k += 1
        if not (isinstance(it, _G) and it.kind == "op"):
            out.append(it)
            continue
        lo, hi = it.x - 0.6 * it.size, it.end + 0.6 * it.size
        upper: list = []
        while out and isinstance(out[-1], _G) and out[-1].kind == "g" and out[-1].size < 0.9 * it.size \
                and out[-1].y > it.y - 0.2 * it.size and lo <= out[-1].x and out[-1].end <= hi:
            upper.insert(0, out.pop())
        lower: list = []
        while k < len(items) and isinstance(items[k], _G) and items[k].kind == "g" \
                and items[k].size < 0.9 * it.size and items[k].y < it.y - 0.8 * it.size \
                and lo <= items[k].x and items[k].end <= hi:
            lower.append(items[k])
            k += 1
        if not upper and not lower:
            out.append(it)
            continue
        out.append(_Box("op", it.x, max([it.end] + [g.end for g in upper + lower]), it.y, it.size,
                        [lower, upper], float_=True, ch=it.ch))
    return out


def _groups(items: list) -> list:
    """A tall opening delimiter and the closing one set at the same height (TeX sets a \\left …
    \\right pair and a matrix's brackets so) enclose a group."""
    out: list = []
    opens: list[int] = []                   # indices in out of unmatched opening delimiters
    for it in items:
        if isinstance(it, _G) and it.kind == "close":
            match = None
            for j in range(len(opens) - 1, -1, -1):
                o = out[opens[j]]
                if _CLOSING.get(o.ch) == it.ch and abs(o.y - it.y) < 0.6 and abs(o.y_low - it.y_low) < 0.6:
                    match = j
                    break
            if match is None:
                out.append(it)
                continue
            start = opens[match]
            del opens[match:]
            o = out[start]
            inner = out[start + 1:]
            del out[start:]
            rows = _rows(inner)
            ys = [r[0] for r in rows] or [o.y]
            out.append(_Box("group", o.x, it.end, sum(ys) / len(ys), o.size, rows, o.ch, it.ch,
                            bold=o.bold))
        else:
            if isinstance(it, _G) and it.kind == "open":
                opens.append(len(out))
            out.append(it)
    for start in reversed(opens):          # a tall brace without a closing one: cases
        o = out[start]
        if o.ch != "{" or o.y - o.y_low < 1.5 * o.size:
            continue
        end = start + 1
        while end < len(out) and (out[end].float_ or o.y_low - 0.2 * o.size <= out[end].y <= o.y):
            end += 1
        rows = _rows(out[start + 1:end])
        if len(rows) < 2:
            continue
        ys = [r[0] for r in rows]
        out[start:end] = [_Box("cases", o.x, max(i.end for i in out[start:end]), sum(ys) / len(ys),
                               o.size, rows, "{", "", bold=o.bold)]
    return out


def _rows(items: list) -> list[tuple[float, list]]:
    """Items in rows by baseline (a smaller raised or lowered glyph stays in its row)."""
    rows: list[tuple[float, float, list]] = []
    for it in items:
        if not rows:
            rows.append((it.y, it.size, [it]))
            continue
        y, size, row = rows[-1]
        dy = abs(it.y - y)
        script = it.size < 0.85 * size and dy <= 1.0 * size
        if dy <= 0.5 * size or script or getattr(it, "float_", False):
            row.append(it)
            if size < 0.85 * it.size and dy <= 0.5 * it.size:     # the row began with a script
                rows[-1] = (it.y, it.size, row)
        else:
            rows.append((it.y, it.size, [it]))
    return [(y, row) for y, _, row in rows]


def _cells(row: list) -> list[list]:
    """A row split at the gaps of at least 0.6 em between its items (an array's columns)."""
    cells: list[list] = [[]]
    end = None
    base = max((it.size for it in row), default=10.0)
    for it in row:
        if end is not None and it.x - end >= 0.6 * base and it.size >= 0.85 * base:
            cells.append([])
        cells[-1].append(it)
        end = it.end if end is None else max(end, it.end) if it.x < end else it.end
    return cells


def _render(items: list) -> str:
    """One line (or a cell, a numerator …) as text: scripts as ^{…}/_{…}, boxes in LaTeX."""
    base = next((it for it in items if not it.float_ and it.size >= 0.85 * max(
        i.size for i in items if not i.float_)), None) if any(not i.float_ for i in items) else None
    if base is None:
        base = items[0] if items else None
    if base is None:
        return ""
    by, bs = base.y, base.size
    out: list[str] = []
    script: list | None = None          # [kind, y, size, chars, end]
    end = None
    prev_box = None
    minus_gap: float | None = None      # the gap before a minus just written

    def close_script():
        nonlocal script
        if script:
            body = "".join(script[3]).strip()
            if body:
                out.append(("^{" if script[0] == "sup" else "_{") + body + "}")
        script = None

    for it in items:
        dy = it.y - by
        window = 1.0 * bs
        if prev_box is not None and prev_box.kind in ("group", "cases"):
            window = max(window, abs(prev_box.y - by) + 0.5 * _height(prev_box) + 0.6 * bs)
        is_script = isinstance(it, _G) and it.kind == "g" and it.size < 0.85 * bs \
            and 0.12 * bs < abs(dy) <= window
        if is_script:
            kind = "sup" if dy > 0 else "sub"
            if script and script[0] == kind and abs(it.y - script[1]) <= 0.6 * script[2] \
                    and it.x >= script[4] - 0.5 * bs:
                if it.x - script[4] > 0.3 * it.size:
                    script[3].append(" ")
                script[3].append(it.ch)
                script[4] = it.end
            else:
                close_script()
                script = [kind, it.y, it.size, [it.ch], it.end]
            end = max(end or it.end, it.end)
            continue
        close_script()
        gap = it.x - end if end is not None else 0.0
        # a minus much nearer to what follows than to what precedes it is a sign: [1 \quad -1]
        sign = minus_gap is not None and gap <= 0.3 * bs and minus_gap - gap >= 0.5 * bs
        if end is not None and gap > 0.155 * bs and out and not out[-1].endswith((" ", _QUAD)) \
                and not sign:
            out.append(_QUAD if gap >= 0.8 * bs else " ")
        out.append(_box_text(it) if isinstance(it, _Box) else it.ch)
        minus_gap = gap if isinstance(it, _G) and it.ch in "−-" and end is not None else None
        end = it.end
        prev_box = it if isinstance(it, _Box) else None
    close_script()
    return "".join(out).strip(" " + _QUAD)


def _height(box: _Box) -> float:
    if box.kind in ("group", "cases") and box.parts:
        ys = [y for y, _ in box.parts]
        return max(ys) - min(ys) + box.size
    return box.size


def _box_text(box: _Box) -> str:
    if box.kind == "frac":
        return r"\frac{" + _render(box.parts[0]) + "}{" + _render(box.parts[1]) + "}"
    if box.kind == "op":
        lower, upper = box.parts
        text = box.ch
        if lower:
            text += "_{" + _render(lower) + "}"
        if upper:
            text += "^{" + _render(upper) + "}"
        return text
    rows = [_cells(row) for _, row in box.parts]
    if box.kind == "cases":
        body = r" \\ ".join(" & ".join(_render(c) for c in cells) for cells in rows)
        return rf"\begin{{cases}} {body} \end{{cases}}"
    if box.open in _ENV and _CLOSING[box.open] == box.close and \
            (len(rows) > 1 or (rows and len(rows[0]) > 1)):
        env = _ENV[box.open]
        body = r" \\ ".join(" & ".join(_render(c) for c in cells) for cells in rows)
        return rf"\begin{{{env}}} {body} \end{{{env}}}"
    return box.open + " ".join(_render(row) for _, row in box.parts) + box.close


@dataclass
class _Line:
    text: str
    y: float
    size: float
    bold: bool                  # every glyph of it is in a bold font
    chars: int


def _lines(items: list) -> list[_Line]:
    """Items in lines: a new line where an item of the line's size leaves its baseline."""
    lines: list[list] = []
    base: tuple[float, float] | None = None
    for it in items:
        if isinstance(it, _Rule):
            continue
        if not lines:
            lines.append([it])
            base = None if it.float_ else (it.y, it.size)
            continue
        if it.float_:
            lines[-1].append(it)
            continue
        if base is None:
            lines[-1].append(it)
            base = (it.y, it.size)
            continue
        y, size = base
        dy = abs(it.y - y)
        prev = lines[-1][-1]
        window = 1.0 * size
        if isinstance(prev, _Box) and prev.kind in ("group", "cases"):
            window = max(window, abs(prev.y - y) + 0.5 * _height(prev) + 0.6 * size)
        script = isinstance(it, _G) and it.size < 0.85 * size and dy <= window
        tol = 0.6 * size if isinstance(it, _Box) else 0.35 * size
        if dy <= tol or script:
            lines[-1].append(it)
        else:
            lines.append([it])
            base = (it.y, it.size)
    out = []
    for line in lines:
        text = _render(line)
        if not text:
            continue
        solid = [it for it in line if not it.float_] or line
        glyphs = [it for it in _flat(line) if isinstance(it, _G) and it.kind == "g"]
        big = max(solid, key=lambda it: it.size)
        out.append(_Line(text, min(it.y for it in solid), big.size,
                         bool(glyphs) and all(g.bold for g in glyphs), len(glyphs)))
    return out


def _flat(items):
    for it in items:
        if isinstance(it, _Box):
            for part in it.parts:
                yield from _flat(part[1] if isinstance(part, tuple) else part)
        else:
            yield it


# ------------------------------------------------------------------------------------------------
# Reading a file

def _reader(path):
    from pypdf import PdfReader
    from ..files import read_limited
    where = str(path)
    data = read_limited(path, MAX_PDF_BYTES, "PDF document", "20 MB")
    if not data.lstrip()[:5] == b"%PDF-" and b"%PDF-" not in data[:1024]:
        raise SpecError("not a PDF file (no %PDF- header)", where=where)
    import io
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SpecError("the PDF is encrypted with a password; save an unprotected copy",
                            where=where)
        pages = list(reader.pages)
    except SpecError:
        raise
    except Exception as e:
        detail = " ".join(str(e).split()) or type(e).__name__
        raise SpecError(f"not a readable PDF ({detail})", where=where) from None
    return reader, pages


@contextlib.contextmanager
def _quiet():
    """pypdf's warnings about a sloppy file (logged, or Python warnings) are not the user's
    business here: what cannot be read shows as missing text, or as a SpecError."""
    import logging
    import warnings
    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.ERROR + 10)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        log.setLevel(level)


def _page_lines(path) -> list[list[_Line]]:
    with _quiet():
        return _read_pages(path)


def _read_pages(path) -> list[list[_Line]]:
    reader, pages = _reader(path)
    fonts: dict = {}
    table: dict = {}
    result = []
    for page in pages:
        raws: list = []
        try:
            contents = page.get_contents()
            resources = page.get("/Resources")
            resources = resources.get_object() if resources is not None else None
            if contents is not None:
                _interpret(contents.operations, resources, _IDENTITY, reader, fonts, raws)
        except SpecError:
            raise
        except Exception as e:
            detail = " ".join(str(e).split()) or type(e).__name__
            raise SpecError(f"cannot read page {len(result) + 1} of the PDF ({detail})",
                            where=str(path)) from None
        missing = sorted({(r.font.key, r.code): r.font for r in raws if isinstance(r, _Raw)
                          and (r.font.key, r.code) not in table}.items(), key=lambda kv: str(kv[0]))
        table.update(_decode(reader, [(f, code) for (_, code), f in missing]))
        items = _groups(_operators(_fractions(_glyphs(raws, table))))
        result.append(_lines(items))
    if not any(result):
        raise SpecError("the PDF has no text layer (a scanned page?): audit its LaTeX or Markdown "
                        "source, or a PDF made from it", where=str(path))
    return result


def pdf_pages(path: str | Path) -> list[list[str]]:
    """The text lines of each page of the PDF at ``path``, top to bottom as the PDF draws them,
    with the PDF's own characters; what only positions show is written in LaTeX notation
    (``21.6^{2}``, ``\\frac{1}{2}``, ``\\begin{bmatrix} … \\end{bmatrix}``).  A bad file raises a
    ``SpecError`` naming it."""
    return [[ln.text for ln in page] for page in _page_lines(path)]


# ------------------------------------------------------------------------------------------------
# Unicode mathematics → LaTeX the audit parses

_GREEK = dict(zip("αβγδεζηθικλμνξπρστυφχψωϵϑϖϱςϕΓΔΘΛΞΠΣΥΦΨΩ",
                  ["alpha", "beta", "gamma", "delta", "varepsilon", "zeta", "eta", "theta", "iota",
                   "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon",
                   "varphi", "chi", "psi", "omega", "epsilon", "vartheta", "varpi", "varrho",
                   "varsigma", "phi", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma",
                   "Upsilon", "Phi", "Psi", "Omega"]))
_SYMBOLS = {"·": "cdot", "⋅": "cdot", "∙": "cdot", "×": "times", "≈": "approx", "≃": "simeq",
            "≤": "le", "≥": "ge", "≠": "ne", "±": "pm", "∓": "mp", "←": "leftarrow",
            "→": "rightarrow", "⇒": "Rightarrow", "⇐": "Leftarrow", "↔": "leftrightarrow",
            "∈": "in", "∉": "notin", "∂": "partial", "∇": "nabla", "∞": "infty", "∑": "sum",
            "∏": "prod", "∫": "int", "∮": "oint", "⊙": "odot", "⊗": "otimes", "⊕": "oplus",
            "⨀": "bigodot", "⨁": "bigoplus", "⨂": "bigotimes", "⋃": "bigcup", "⋂": "bigcap",
            "∘": "circ", "√": "sqrt", "⟨": "langle", "⟩": "rangle", "⌊": "lfloor", "⌋": "rfloor",
            "⌈": "lceil", "⌉": "rceil", "…": "dots", "⋯": "cdots", "∀": "forall", "∃": "exists",
            "∼": "sim", "∝": "propto", "≡": "equiv", "ℓ": "ell", "•": "bullet", "∗": "ast",
            "⊤": "top", "‖": "|", "∥": "|", "ℝ": "mathbb{R}", "ℕ": "mathbb{N}", "ℤ": "mathbb{Z}"}
_PLAIN = {"−": "-", "–": "-", "‒": "-", "‐": "-", "′": "'", "″": "''", "∣": "|", "∕": "/",
          "＝": "=", "＋": "+", "ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl",
          "ﬅ": "st", "ﬆ": "st", "’": "'", "‘": "`", "“": "``", "”": "''", "\u00ad": "",
          "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": ""}
_ACCENTS = {"ˆ": "hat", "˜": "tilde", "¯": "bar", "˙": "dot", "¨": "ddot", "ˇ": "check"}
_SUP = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵀ", "0123456789+-=()niT"))
_SUB = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓᵢⱼₖₙ", "0123456789+-=()aeoxijkn"))
_ODD_SPACE = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t]")


def _clean(text: str) -> str:
    """Ligatures, odd spaces and invisible characters: what any line needs."""
    text = _ODD_SPACE.sub(" ", text)
    text = "".join(_PLAIN.get(c, c) for c in text if c >= " " or c == "\t")
    return re.sub(r" {2,}", " ", text).strip()


def _latex(text: str) -> str:
    """A line of mathematics with the PDF's Unicode symbols written as LaTeX commands."""
    text = _clean(text.replace(_QUAD, r" \quad "))
    for chars, mark in ((_SUP, "^"), (_SUB, "_")):
        text = re.sub("[%s]+" % "".join(chars),
                      lambda m: mark + "{" + "".join(chars[c] for c in m.group()) + "}", text)
    # an accent glyph set just before its letter (how TeX draws \hat{y}): \hat{y}
    text = re.sub("([%s]) ?([A-Za-zα-ωΑ-Ω])" % "".join(_ACCENTS),
                  lambda m: "\\" + _ACCENTS[m.group(1)] + "{" + m.group(2) + "}", text)
    out = []
    for k, c in enumerate(text):
        name = _GREEK.get(c) or _SYMBOLS.get(c)
        if name is None:
            out.append(c)
            continue
        cmd = name if name == "|" else "\\" + name
        nxt = text[k + 1] if k + 1 < len(text) else ""
        out.append(cmd + (" " if nxt.isalpha() and cmd[-1].isalpha() else ""))
    text = "".join(out)
    text = text.replace("%", r"\%").replace("$", r"\$").replace("#", r"\#")
    # an exponent pypdf-style glued to e (e−0.6 where no position set it apart): e^{-0.6}
    text = re.sub(r"(?<![A-Za-z\\])e-(\d+(?:[.,]\d+)?)(?![\d.,])", r"e^{-\1}", text)
    return text


_FORMULA = re.compile(r"[=≈←→∈<>≤≥]|\\frac\{|\\begin\{|[\^_]\{")
_DIGIT_COMMA_DIGIT = re.compile(r"\d,\d")
_SPACED_DECIMAL_COMMA = re.compile(r"(?<![\d.,])(-?0), (\d+)(?![\d.])")


def pdf_text(path: str | Path) -> tuple[str, list[str]]:
    """The PDF at ``path`` as Markdown-like text for the audit, and where each line comes from.

    Line k of the text (``text.split("\\n")[k]``; no final newline) is the k-th text line of the
    PDF and ``where[k]`` says ``"page P, line L"`` (L counts the lines of
    ``pdf_pages(path)[P - 1]`` from 1).  A line with a digit, a relation sign or a layout the
    positions showed (``^{``, ``\\frac``, ``\\begin``) is mathematics: ``$$ … $$`` with LaTeX
    symbols.  A line all in bold, or set larger than the body text, without mathematics is a
    heading: ``#`` from 1.25 times the body size, ``##`` from 1.05 times, else ``###`` (LaTeX's
    section, subsection and subsubsection).  A lone whole number (a page number) and other lines
    stay text, their ligatures and odd spaces cleaned.  Where the document writes decimal commas
    (a digit, a comma and a digit without a space somewhere, as in an exponent), ``0, 658`` — how
    TeX spaces a comma in mathematics, like the list ``0.5, 0.5`` — is joined back to ``0,658``.
    The normalisation writes symbols, never digits: each line has the digits of its PDF line."""
    pages = _page_lines(path)
    sizes: Counter = Counter()
    for page in pages:
        for ln in page:
            sizes[round(ln.size, 1)] += ln.chars
    body = sizes.most_common(1)[0][0] if sizes else 10.0
    comma = any(_DIGIT_COMMA_DIGIT.search(ln.text) for page in pages for ln in page)

    def heading(ln: _Line) -> bool:
        return (ln.bold or ln.size > 1.15 * body) and ln.chars > 0 and len(ln.text) <= 120 \
            and not any(c in ln.text for c in "=\\^_") and not re.fullmatch(r"[\d\s.,]+", ln.text)

    lines, where = [], []
    for p, page in enumerate(pages, 1):
        for n, ln in enumerate(page, 1):
            where.append(f"page {p}, line {n}")
            text = _clean(ln.text)
            if heading(ln):
                level = 1 if ln.size >= 1.25 * body else 2 if ln.size >= 1.05 * body else 3
                lines.append("#" * level + " " + text.replace("$", r"\$").replace("%", r"\%"))
            elif re.fullmatch(r"\d{1,4}", text):
                lines.append(text)          # a page number (in the foot, or copied into the text)
            elif re.search(r"\d", text) or _FORMULA.search(text):
                math_text = _latex(ln.text)
                if comma:
                    math_text = _SPACED_DECIMAL_COMMA.sub(r"\1,\2", math_text)
                lines.append("$$ " + math_text + " $$")
            else:
                lines.append(text.replace("$", r"\$").replace("%", r"\%"))
    return "\n".join(lines), where
