"""Independent evaluation sets for the digit-string readers (test helper; never used for training).

Nothing here is shared with the training generator (``training/``) or the page's preprocessing:
the shapes, the layout and the image synthesis are written separately, so a model that reads
these sets reads handwriting it was not tuned to.  Pure numpy + Pillow (no torch).

Three sets:

- :func:`stroke_set`: mouse drawings on the page's canvas.  A stroke font (:data:`FONT`, 2-3
  styles per digit, different shapes from ``tests/digit_strokes.py``: open and closed 4, 7 with
  and without a bar, 1 as a stick / with flag and base / European, looped 2, flat-topped and curly
  3, slashed 0, 6 with an open loop, snowman 8, 9 with a curved tail, ...) is laid out by
  :func:`strokes_for` as pixel polylines a browser can replay as mouse strokes, and drawn by
  :func:`render_canvas` the way the canvas draws them.
- :func:`photo_set`: simulated phone photos of a digit string written on paper (ballpoint,
  felt pen or pencil; white or cream paper, ruled lines, margin line; lighting gradient,
  vignette, perspective, rotation, blur, sensor noise, JPEG).
- :func:`mnist_strings`: strings composed from real MNIST test digits of one writer group
  (first half SD-3, second half SD-1), dark ink on white as if written on paper.

What the canvas returns (streamlit-drawable-canvas 0.13.0, read from the installed package:
``streamlit_drawable_canvas/__init__.py`` and its fabric.js bundle ``frontend/build/index-*.js``):

- ``CanvasResult.image_data`` is ``np.asarray(PIL.Image.open(png))`` of the PNG the frontend makes
  with fabric's ``canvas.toDataURL({format: "png", multiplier: 1})``: exactly ``(height, width, 4)``
  uint8 RGBA (retina scaling is off in ``toDataURL``, so a HiDPI screen does not change the size).
- The background: Python puts ``background_color`` into the drawing JSON as ``background``;
  ``loadFromJSON`` makes it the canvas ``backgroundColor``, which ``toCanvasElement`` paints
  under the objects.  So the page's ``background_color="#ffffff"`` gives an opaque image: white
  ``(255, 255, 255, 255)`` where nothing was drawn and alpha 255 everywhere, strokes black with
  grey anti-aliased edges.  With the package default ``background_color=""`` nothing is painted:
  untouched pixels are ``(0, 0, 0, 0)`` and a black stroke is ``(0, 0, 0, a)`` with the coverage in
  alpha.  :func:`render_canvas` does both (``background="#ffffff"`` default, or ``None``).
- Free drawing is fabric's ``PencilBrush``: on mouse-up, points closer than 0.4 px to the
  previous kept point are dropped (``decimate = 0.4``; the second-to-last point always is), the
  path is ``M p0, Q p0 mid(p0, p1), Q p1 mid(p1, p2), ..., L p_last`` (quadratic curves through
  the midpoints), stroked with ``lineCap = lineJoin = "round"`` and ``lineWidth = stroke_width``
  in ``stroke_color``.  :func:`render_canvas` flattens that path and paints its anti-aliased
  coverage (distance to the path, a 1 px ramp at the edge, as a browser's canvas does).
"""
from __future__ import annotations

import gzip
import io
import math
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

Point = tuple[float, float]
Polyline = list[Point]

CANVAS = (440, 150)                        # (W, H) of the page's drawing canvas
MNIST_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"
MNIST_SKIP_REASON = (f"MNIST test set not found at {MNIST_DIR} (../shared/data/mnist from the repo "
                     "root: t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz); put it there "
                     "to run the MNIST writer-held-out checks")


# ----------------------------------------------------------------------------------------------
# the stroke font
# ----------------------------------------------------------------------------------------------

def _c(x: float, y: float) -> tuple[float, float, bool]:
    """A corner control point: the curve is not smoothed through it."""
    return (x, y, True)


def _arc(cx, cy, rx, ry, a0, a1, n=None, tilt=0.0):
    """Control points on an ellipse from angle ``a0`` to ``a1`` (degrees; 0 = right, 90 = bottom,
    -90 = top since y points down; increasing = clockwise on screen), rotated by ``tilt`` deg."""
    n = n or max(4, int(abs(a1 - a0) / 30) + 1)
    ct, st = math.cos(math.radians(tilt)), math.sin(math.radians(tilt))
    out = []
    for i in range(n + 1):
        a = math.radians(a0 + (a1 - a0) * i / n)
        dx, dy = rx * math.cos(a), ry * math.sin(a)
        out.append((cx + ct * dx - st * dy, cy + st * dx + ct * dy))
    return out


def _catmull_rom(pts: Sequence[Point], per: int = 8) -> list[Point]:
    """Centripetal Catmull-Rom spline through ``pts`` (no overshoot loops): ``per`` points per
    span, ends included."""
    p = np.asarray(pts, float)
    if len(p) < 3:
        return [tuple(q) for q in p]
    p = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    out = [tuple(p[1])]
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        t0 = 0.0
        t1 = t0 + max(np.linalg.norm(p1 - p0), 1e-6) ** 0.5
        t2 = t1 + max(np.linalg.norm(p2 - p1), 1e-6) ** 0.5
        t3 = t2 + max(np.linalg.norm(p3 - p2), 1e-6) ** 0.5
        for t in np.linspace(t1, t2, per + 1)[1:]:
            a1 = (t1 - t) / (t1 - t0) * p0 + (t - t0) / (t1 - t0) * p1
            a2 = (t2 - t) / (t2 - t1) * p1 + (t - t1) / (t2 - t1) * p2
            a3 = (t3 - t) / (t3 - t2) * p2 + (t - t2) / (t3 - t2) * p3
            b1 = (t2 - t) / (t2 - t0) * a1 + (t - t0) / (t2 - t0) * a2
            b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
            out.append(tuple((t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2))
    return out


def _smooth(ctrl) -> Polyline:
    """A stroke from control points: Catmull-Rom through the points, restarted at corners
    (points made with :func:`_c`)."""
    out: list[Point] = []
    piece: list[Point] = []
    for q in ctrl:
        piece.append((float(q[0]), float(q[1])))
        if len(q) > 2 and q[2] and len(piece) > 1:
            out.extend(_catmull_rom(piece)[(1 if out else 0):])
            piece = [piece[-1]]
    if len(piece) > 1:
        out.extend(_catmull_rom(piece)[(1 if out else 0):])
    return out


class Glyph:
    """One style of one digit: ``strokes`` are polylines in the unit box (x right, y down, both
    in [0, 1]), in drawing order; ``width`` is the box's width / height when laid out."""

    def __init__(self, name: str, width: float, *strokes, fine: bool = False):
        self.name = name
        self.width = width
        self.fine = fine                 # small details (slash, loop, curl) a thick pen fills in
        self.strokes: list[Polyline] = [_smooth(s) for s in strokes]

    def __repr__(self) -> str:
        return f"Glyph({self.name!r}, {len(self.strokes)} strokes)"


FONT: dict[str, list[Glyph]] = {
    "0": [
        Glyph("slashed", 0.66,
              _arc(0.5, 0.5, 0.44, 0.49, -80, -80 - 375),
              [(0.86, 0.12), (0.14, 0.88)], fine=True),
        Glyph("egg", 0.62,
              [(0.7, 0.04), (0.36, 0.08), (0.1, 0.4), (0.04, 0.74), (0.24, 0.98), (0.58, 0.92),
               (0.84, 0.58), (0.96, 0.24), (0.8, 0.02), (0.56, 0.04)]),
        Glyph("narrow", 0.5,
              _arc(0.5, 0.5, 0.32, 0.5, -100, 275, tilt=14)),
    ],
    "1": [
        Glyph("stick", 0.22, [(0.62, 0.0), (0.5, 0.5), (0.4, 1.0)]),
        Glyph("flag and base", 0.5,
              [(0.12, 0.3), _c(0.66, 0.0), (0.64, 0.5), (0.62, 1.0)],
              [(0.18, 1.0), (1.0, 0.98)]),
        Glyph("european", 0.55, [(0.02, 0.5), (0.4, 0.24), _c(0.82, 0.0), (0.8, 0.5), (0.76, 1.0)]),
    ],
    "2": [
        Glyph("looped", 0.7,
              [(0.06, 0.2), (0.3, 0.02), (0.64, 0.02), (0.8, 0.2), (0.72, 0.42), (0.5, 0.64),
               (0.3, 0.83), (0.14, 0.96), (0.04, 0.9), (0.1, 0.8), (0.24, 0.84), (0.36, 0.95),
               (0.65, 0.97), (0.98, 0.93)], fine=True),
        Glyph("z-like", 0.68,
              [(0.05, 0.18), (0.4, 0.0), (0.78, 0.05), (0.88, 0.22), _c(0.8, 0.36),
               _c(0.08, 1.0), (0.5, 0.97), (0.98, 0.99)]),
        Glyph("swan", 0.66,
              [(0.14, 0.4), (0.12, 0.14), (0.4, 0.0), (0.74, 0.04), (0.94, 0.24), (0.8, 0.52),
               (0.46, 0.76), _c(0.06, 0.94), (0.5, 0.86), (0.96, 0.96)]),
    ],
    "3": [
        Glyph("flat top", 0.66,
              [(0.08, 0.02), _c(0.88, 0.02), _c(0.38, 0.4), (0.7, 0.45), (0.92, 0.68),
               (0.8, 0.92), (0.48, 1.0), (0.08, 0.86)]),
        Glyph("curly", 0.66,
              [(0.3, 0.2), (0.24, 0.08), (0.45, 0.0), (0.66, 0.06), (0.66, 0.24), _c(0.36, 0.38),
               (0.8, 0.5), (0.98, 0.74), (0.8, 0.96), (0.4, 0.98), (0.14, 0.86), (0.22, 0.76)],
              fine=True),
        Glyph("round", 0.62,
              [(0.12, 0.08), (0.45, 0.0), (0.8, 0.1), (0.78, 0.3), _c(0.28, 0.42),
               (0.78, 0.52), (0.95, 0.75), (0.78, 0.96), (0.42, 1.0), (0.05, 0.9)]),
    ],
    "4": [
        Glyph("open", 0.72,
              [(0.32, 0.0), _c(0.06, 0.62), (0.98, 0.6)],
              [(0.72, 0.24), (0.7, 1.0)]),
        Glyph("closed", 0.72,
              [(0.78, 0.0), _c(0.02, 0.56), (0.98, 0.56)],
              [(0.78, 0.0), (0.76, 1.0)]),
        Glyph("slanted open", 0.72,
              [(0.42, 0.0), _c(0.04, 0.7), (0.96, 0.66)],
              [(0.82, 0.08), (0.66, 1.0)]),
    ],
    "5": [
        Glyph("two strokes", 0.66,
              [(0.34, 0.04), _c(0.3, 0.56), (0.6, 0.46), (0.9, 0.6), (0.94, 0.82),
               (0.74, 0.98), (0.44, 1.0), (0.16, 0.9)],
              [(0.34, 0.04), (0.98, 0.06)]),
        Glyph("round belly", 0.66,
              [(0.36, 0.0), _c(0.26, 0.38), (0.62, 0.36), (0.92, 0.6), (0.82, 0.9), (0.52, 1.0),
               (0.2, 0.92)],
              [(0.38, 0.02), (0.98, 0.08)]),
    ],
    "6": [
        Glyph("open loop", 0.62,
              [(0.7, 0.0), (0.35, 0.2), (0.14, 0.55), (0.14, 0.8), (0.34, 1.0), (0.7, 0.98),
               (0.92, 0.8), (0.84, 0.62), (0.56, 0.6), (0.36, 0.7)]),
        Glyph("straight back", 0.6,
              [(0.78, 0.0), (0.36, 0.36), (0.14, 0.72), (0.26, 0.96), (0.56, 1.0), (0.84, 0.84),
               (0.76, 0.62), (0.46, 0.58), (0.18, 0.74)]),
        Glyph("round", 0.68,
              [(0.86, 0.12), (0.58, 0.0), (0.26, 0.14), (0.08, 0.46), (0.12, 0.8), (0.4, 1.0),
               (0.76, 0.94), (0.9, 0.7), (0.72, 0.48), (0.42, 0.46), (0.14, 0.62)]),
    ],
    "7": [
        Glyph("plain", 0.66, [(0.04, 0.08), _c(0.96, 0.0), (0.76, 0.3), (0.64, 0.62), (0.62, 1.0)]),
        Glyph("hooked", 0.66, [(0.06, 0.2), _c(0.06, 0.02), _c(0.96, 0.04), (0.66, 0.5), (0.56, 1.0)]),
        Glyph("with bar", 0.66,
              [(0.02, 0.02), _c(0.92, 0.0), (0.7, 0.5), (0.62, 1.0)],
              [(0.36, 0.53), (0.94, 0.5)]),
    ],
    "8": [
        Glyph("snowman", 0.6,
              _arc(0.5, 0.23, 0.3, 0.23, 0, 365),
              _arc(0.5, 0.72, 0.42, 0.28, -90, -90 + 365)),
        Glyph("s-and-back", 0.62,
              [(0.9, 0.12), (0.62, 0.0), (0.36, 0.08), (0.38, 0.3), (0.56, 0.48), (0.78, 0.7),
               (0.66, 0.96), (0.3, 0.98), (0.1, 0.8), (0.34, 0.58), (0.8, 0.36), (0.92, 0.14)]),
    ],
    "9": [
        Glyph("curved tail", 0.64,
              _arc(0.46, 0.27, 0.38, 0.27, -10, -10 - 360)
              + [(0.84, 0.5), (0.78, 0.76), (0.58, 0.96), (0.3, 1.0), (0.12, 0.9)]),
        Glyph("stick", 0.62,
              _arc(0.46, 0.28, 0.38, 0.28, 0, -360),
              [(0.86, 0.02), (0.84, 0.5), (0.8, 1.0)]),
        Glyph("diagonal tail", 0.64,
              _arc(0.52, 0.28, 0.36, 0.28, 0, -360),
              [(0.88, 0.05), _c(0.86, 0.32), (0.62, 0.7), (0.44, 1.0)]),
    ],
}


def glyph_strokes(digit: str, style: int = 0) -> list[Polyline]:
    """The unit-box polylines of one style of ``digit`` (``style`` taken modulo the count)."""
    if digit not in FONT:
        raise ValueError(f"not a digit: {digit!r}")
    g = FONT[digit][style % len(FONT[digit])]
    return [list(s) for s in g.strokes]


# ----------------------------------------------------------------------------------------------
# layout: a digit string as pixel polylines
# ----------------------------------------------------------------------------------------------

def _resample(line: np.ndarray, step: float) -> np.ndarray:
    """Points every ``step`` px along a polyline ``(N, 2)`` (ends kept)."""
    seg = np.linalg.norm(np.diff(line, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] < 1e-9:
        return line[:1].copy()
    n = max(2, int(math.ceil(s[-1] / step)) + 1)
    t = np.linspace(0.0, s[-1], n)
    return np.stack([np.interp(t, s, line[:, 0]), np.interp(t, s, line[:, 1])], 1)


def _wobble(line: np.ndarray, rng, amp: float, wave: float) -> np.ndarray:
    """Add a smooth hand tremor of about ``amp`` px (random sines of wavelength ~``wave`` px
    along the stroke) to a polyline ``(N, 2)``."""
    if len(line) < 2 or amp <= 0:
        return line
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(line, axis=0), axis=1))])
    out = line.copy()
    for k in range(2):
        for _ in range(2):
            f = 2 * math.pi / (wave * rng.uniform(0.6, 1.6))
            out[:, k] += amp * rng.uniform(0.3, 0.7) * np.sin(f * s + rng.uniform(0, 2 * math.pi))
    return out


def _pick_styles(text: str, rng, style, thick: bool = False) -> list[int]:
    """Style indices per digit: random (only glyphs without fine details when ``thick``), one
    for all, or as given."""
    if style is None:
        out = []
        for ch in text:
            ok = [k for k, g in enumerate(FONT[ch]) if not (thick and g.fine)]
            out.append(ok[int(rng.integers(len(ok)))])
        return out
    if isinstance(style, (int, np.integer)):
        return [int(style)] * len(text)
    style = list(style)
    if len(style) != len(text):
        raise ValueError(f"style has {len(style)} entries for {len(text)} digits")
    return [int(s) for s in style]


def _layout(text: str, rng, height: float, style=None, slant: Optional[float] = None,
            tremor: float = 1.0, pen: float = 0.0) -> list[np.ndarray]:
    """The digits of ``text`` as pixel polylines, baseline near y = 0, starting near x = 0: each
    digit ``height`` tall (jittered), slanted by ``slant`` degrees (positive leans right), on a
    wobbling baseline, strokes resampled every ~``height / 30`` px with a hand tremor.  Spacing
    is uneven and measured between the inks (row by row, plus the ``pen`` width): usually a gap
    of 0-0.4 height, sometimes the digits touch or overlap a little (never a 1, which would read
    as part of its neighbour)."""
    styles = _pick_styles(text, rng, style, thick=pen > 0.14 * height)
    slant = rng.uniform(-15, 20) if slant is None else slant
    shear = math.tan(math.radians(slant))
    out: list[np.ndarray] = []
    base_gap = rng.uniform(0.1, 0.3)
    nb = 24                                                     # rows for the spacing
    prev_right = np.full(nb, -np.inf)
    for i, (ch, st) in enumerate(zip(text, styles)):
        g = FONT[ch][st % len(FONT[ch])]
        h = height * rng.uniform(0.9, 1.08)
        w = g.width * h * rng.uniform(0.88, 1.12)
        dy = height * rng.uniform(-0.06, 0.06)                 # baseline wobble
        rot = math.radians(rng.uniform(-5, 5))
        cr, sr = math.cos(rot), math.sin(rot)
        sh = shear + rng.uniform(-0.06, 0.06)
        digit = []
        for line in g.strokes:
            p = np.asarray(line, float)
            u = (p[:, 0] - 0.5) * w                             # box centre = origin
            v = (p[:, 1] - 0.5) * h
            u, v = cr * u - sr * v, sr * u + cr * v
            q = np.stack([u - sh * v, v - 0.5 * h + dy], 1)     # shear about the middle
            q = _resample(q, max(1.5, height / 30))
            q = _wobble(q, rng, tremor * height * 0.012, height * 0.5)
            digit.append(q)
        pts = np.concatenate(digit)
        rows = np.clip(((pts[:, 1] + 1.3 * height) / (1.6 * height) * nb).astype(int), 0, nb - 1)
        left = np.full(nb, np.inf)
        np.minimum.at(left, rows, pts[:, 0])
        if i == 0:
            shift = -pts[:, 0].min()
        else:
            gap = base_gap + rng.uniform(-0.08, 0.12)
            if rng.random() < 0.1:
                gap = rng.uniform(-0.03, 0.0)                   # touching / overlapping a bit
            if "1" in (ch, text[i - 1]):
                gap = max(gap, 0.12)
            ok = np.isfinite(prev_right) & np.isfinite(left)
            if ok.any():
                shift = float((prev_right[ok] - left[ok]).max())
            else:                                               # no shared rows: side by side
                shift = float(prev_right[np.isfinite(prev_right)].max() - pts[:, 0].min())
            shift += gap * height + pen
        digit = [q + np.array([shift, 0.0]) for q in digit]
        right = np.full(nb, -np.inf)
        np.maximum.at(right, rows, pts[:, 0] + shift)
        # a row's "previous ink" also reaches 2 rows up and down (~13% of the height): the
        # next digit keeps out of concave parts (a 4's bar does not poke into a 3's middle)
        r0 = right.copy()
        for k in (1, 2):
            right[k:] = np.maximum(right[k:], r0[:-k])
            right[:-k] = np.maximum(right[:-k], r0[k:])
        prev_right = np.maximum(prev_right, right)
        out.extend(digit)
    return out


def strokes_for(text: str, rng, canvas: tuple[int, int] = CANVAS, pen: Optional[float] = None,
                style: Union[None, int, Sequence[int]] = None) -> list[Polyline]:
    """Lay out the digit string ``text`` as pixel polylines on a ``canvas = (W, H)`` canvas,
    ready to replay as mouse strokes (mouse down at the first point, moves, up at the last).

    Per string: digit height 45-110 px (at least 4.5 pen widths, up to 90 px: people write big
    with a thick pen; shrunk if the string would not fit), slant -15..+20 deg,
    uneven spacing (sometimes touching or slightly overlapping digits), baseline wobble, random
    left margin and vertical position.  ``pen`` (px, default 20) keeps the strokes ``pen / 2 + 1``
    px inside the canvas so no ink is clipped; every point is within ``[0, W - 1] x [0, H - 1]``.
    ``style`` None picks a random style per digit; an int or one int per digit chooses.
    ``rng`` is a ``numpy.random.Generator`` (or an int seed).  Points come every 1.5-3.7 px
    along each stroke, like mouse events: replay them with one mouse move each."""
    text = text.replace(" ", "")
    if not text or not text.isdigit():
        raise ValueError(f"text must be digits, got {text!r}")
    rng = np.random.default_rng(rng)
    W, H = canvas
    m = (20.0 if pen is None else float(pen)) / 2 + 1
    low = 45.0 if pen is None else max(45.0, min(5.0 * float(pen), 90.0))   # thick pens write big
    height = rng.uniform(low, 110.0)
    room = np.array([W - 2 * m, H - 2 * m])
    for _ in range(2):                  # too big for the canvas: write smaller, once, then shrink
        lines = _layout(text, rng, height, style, pen=12.0 if pen is None else float(pen))
        pts = np.concatenate(lines)
        lo, hi = pts.min(0), pts.max(0)
        size = hi - lo
        k = min(1.0, *(room / np.maximum(size, 1e-6)))
        if k > 0.97:
            break
        height *= k
    if k < 1.0:
        lines = [lo + (q - lo) * k for q in lines]
        size = size * k
    free = room - size
    off = np.array([m, m]) - lo + np.array([free[0] * rng.beta(1.2, 2.2), free[1] * rng.uniform(0.15, 0.85)])
    out = []
    for q in lines:
        q = q + off
        q[:, 0] = np.clip(q[:, 0], m, W - m)
        q[:, 1] = np.clip(q[:, 1], m, H - m)
        out.append([(round(float(a), 2), round(float(b), 2)) for a, b in q])
    return out


# ----------------------------------------------------------------------------------------------
# drawing
# ----------------------------------------------------------------------------------------------

def _pencil_path(line: Sequence[Point]) -> np.ndarray:
    """fabric.js PencilBrush's path for mouse points, flattened to a polyline ``(N, 2)``.

    As ``decimatePoints`` does: keep the first point, then points 1 .. N-3 that are at least
    0.4 px from the last kept one, then the last point (point N-2 is always dropped).  As
    ``convertPointsToSVGPath`` does: ``M p0, Q p0 mid(p0,p1), Q p1 mid(p1,p2), ...,
    Q p[-2] mid(p[-2],p[-1]), L p[-1]`` (its width/1000 end nudges left out)."""
    p = np.asarray(line, float).reshape(-1, 2)
    if len(p) > 2:
        keep = [p[0]]
        for q in p[1:-2]:
            if ((keep[-1] - q) ** 2).sum() >= 0.4 ** 2:
                keep.append(q)
        keep.append(p[-1])
        p = np.asarray(keep)
    if len(p) < 2:
        return p
    out = [p[0]]
    start = p[0]
    for i in range(len(p) - 1):
        if np.array_equal(p[i], p[i + 1]):
            continue
        ctrl, end = p[i], (p[i] + p[i + 1]) / 2
        span = np.hypot(*(ctrl - start)) + np.hypot(*(end - ctrl))
        t = np.linspace(0, 1, int(min(8, max(1, span // 2))) + 1)[1:, None]   # ~2 px pieces
        out.extend((1 - t) ** 2 * start + 2 * (1 - t) * t * ctrl + t ** 2 * end)
        start = end
    out.append(p[-1])
    return np.asarray(out)


def _coverage(lines: Sequence[np.ndarray], shape: tuple[int, int], radius) -> np.ndarray:
    """Anti-aliased coverage ``(H, W)`` float in [0, 1] of polylines stroked with round caps
    and joins: 1 within ``radius`` px of the path, a 1-px linear ramp at the edge (like a
    browser's canvas).  ``radius`` is a number or one per polyline point list (same lengths)."""
    H, W = shape
    cov = np.zeros(shape, np.float32)
    for li, line in enumerate(lines):
        p = np.asarray(line, float).reshape(-1, 2)
        if isinstance(radius, (int, float)):
            rad = np.full(len(p), float(radius))
        else:
            rad = np.asarray(radius[li], float)
        if len(p) == 1:
            p = np.vstack([p, p])
            rad = np.concatenate([rad, rad])
        for (a, b), (ra, rb) in zip(zip(p[:-1], p[1:]), zip(rad[:-1], rad[1:])):
            r = max(ra, rb) + 1
            x0 = int(max(0, math.floor(min(a[0], b[0]) - r)))
            x1 = int(min(W, math.ceil(max(a[0], b[0]) + r) + 1))
            y0 = int(max(0, math.floor(min(a[1], b[1]) - r)))
            y1 = int(min(H, math.ceil(max(a[1], b[1]) + r) + 1))
            if x0 >= x1 or y0 >= y1:
                continue
            ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
            xs += 0.5                                          # pixel centres
            ys += 0.5
            d = b - a
            L2 = float(d @ d)
            if L2 < 1e-12:
                t = np.zeros_like(xs)
            else:
                t = np.clip(((xs - a[0]) * d[0] + (ys - a[1]) * d[1]) / L2, 0, 1)
            dist = np.hypot(xs - (a[0] + t * d[0]), ys - (a[1] + t * d[1]))
            rr = ra + (rb - ra) * t
            c = np.clip(rr + 0.5 - dist, 0, 1)
            np.maximum(cov[y0:y1, x0:x1], c, out=cov[y0:y1, x0:x1])
    return cov


def _parse_color(c) -> tuple[int, int, int]:
    if isinstance(c, str):
        from PIL import ImageColor
        return tuple(ImageColor.getrgb(c)[:3])
    return tuple(int(v) for v in c[:3])


def render_canvas(polylines: Sequence[Polyline], canvas: tuple[int, int] = CANVAS, pen: float = 12,
                  color=(0, 0, 0), background: Optional[str] = "#ffffff") -> np.ndarray:
    """What ``st_canvas(..., return_image_data=True).image_data`` holds after these mouse
    strokes: ``(H, W, 4)`` uint8 RGBA for ``canvas = (W, H)``.

    Each polyline becomes fabric's PencilBrush path (see the module docstring) stroked ``pen`` px
    wide with round caps and joins, anti-aliased.  ``background`` as the page sets it
    (``"#ffffff"``: opaque white, alpha 255 everywhere, ink blended into RGB), or ``None`` for the
    package default transparent canvas (untouched pixels ``(0, 0, 0, 0)``, ink ``(*color, a)``)."""
    W, H = canvas
    if pen <= 0:
        raise ValueError(f"pen must be > 0, got {pen}")
    paths = [_pencil_path(l) for l in polylines if len(l)]
    cov = _coverage(paths, (H, W), pen / 2.0)
    a = np.round(cov * 255).astype(np.uint8)
    col = np.array(_parse_color(color), np.float32)
    out = np.zeros((H, W, 4), np.uint8)
    if background is None:
        out[..., :3] = np.where(a[..., None] > 0, col.astype(np.uint8), 0)
        out[..., 3] = a
        return out
    bg = np.array(_parse_color(background), np.float32)
    c = (a.astype(np.float32) / 255.0)[..., None]
    out[..., :3] = np.round(bg * (1 - c) + col * c).astype(np.uint8)
    out[..., 3] = 255
    return out


def _random_text(rng, length: int) -> str:
    return "".join(str(int(d)) for d in rng.integers(0, 10, length))


def max_pen(length: int, canvas: tuple[int, int] = CANVAS) -> float:
    """The thickest pen (px) that still writes ``length`` legible digits on the canvas: loops
    stay open when the digits are at least 5 pen widths tall, and ``length`` digits about
    0.95 height wide each must fit the width (20 px for up to 4 digits on the page's canvas,
    17 for 5, 14 for 6)."""
    W, H = canvas
    fit = min(110.0, (W - 22.0) / (0.95 * max(1, length)), H - 22.0)
    return float(max(6, min(20, int(fit / 5))))


def stroke_set(n: int = 300, seed: int = 7,
               lengths: Sequence[int] = (4,)) -> list[tuple[str, np.ndarray, list]]:
    """``n`` mouse-drawn strings: ``(digits, RGBA canvas image (150, 440, 4) uint8, polylines)``,
    lengths drawn from ``lengths``, pen width 6-20 px (at most :func:`max_pen` of the length),
    black on the page's white canvas.
    Deterministic in ``seed``."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    lengths = list(lengths)
    if not lengths or any(not 1 <= int(k) <= 6 for k in lengths):
        raise ValueError(f"lengths must be in 1..6, got {lengths}")
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        text = _random_text(rng, int(lengths[int(rng.integers(len(lengths)))]))
        pen = float(rng.integers(6, 21))
        pen = min(pen, max_pen(len(text)))
        lines = strokes_for(text, rng, CANVAS, pen=pen)
        out.append((text, render_canvas(lines, CANVAS, pen=pen), lines))
    return out


# ----------------------------------------------------------------------------------------------
# simulated phone photos
# ----------------------------------------------------------------------------------------------

def _smooth_noise(rng, shape: tuple[int, int], scale: float) -> np.ndarray:
    """Zero-mean, unit-ish smooth noise ``(H, W)``: a coarse random grid upsampled bicubically
    (feature size ~``scale`` px)."""
    from PIL import Image
    H, W = shape
    gh, gw = max(2, int(H / scale) + 2), max(2, int(W / scale) + 2)
    g = rng.standard_normal((gh, gw)).astype(np.float32)
    im = Image.fromarray(g, mode="F").resize((W, H), Image.BICUBIC)
    a = np.asarray(im, np.float32)
    return a / (a.std() + 1e-6)


def _perspective_coeffs(dst_pts, src_pts) -> list[float]:
    """Coefficients for ``Image.transform(..., PERSPECTIVE, c)``: maps output pixel (x, y) to
    input ``((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (g x + h y + 1))``, solved so the
    four output points ``dst_pts`` land on the input points ``src_pts``."""
    A, B = [], []
    for (x, y), (u, v) in zip(dst_pts, src_pts):
        A.append([x, y, 1, 0, 0, 0, -u * x, -u * y]); B.append(u)
        A.append([0, 0, 0, x, y, 1, -v * x, -v * y]); B.append(v)
    return np.linalg.solve(np.asarray(A, float), np.asarray(B, float)).tolist()


_INKS = {
    "ballpoint": [(22, 38, 120), (30, 50, 140), (15, 25, 90)],
    "black": [(20, 20, 25), (35, 32, 30)],
    "pencil": [(55, 55, 62), (75, 75, 82)],
}


def _apply(coeffs, x: float, y: float) -> tuple[float, float]:
    """Apply Pillow PERSPECTIVE coefficients to one point."""
    a, b, c, d, e, f, g, h = coeffs
    w = g * x + h * y + 1
    return (a * x + b * y + c) / w, (d * x + e * y + f) / w


def _photo(text: str, rng) -> np.ndarray:
    """One simulated phone photo ``(H, W, 3)`` uint8 of ``text`` written on paper."""
    from PIL import Image, ImageFilter
    W, H = [(640, 480), (480, 640), (1280, 720), (720, 1280), (800, 600)][int(rng.integers(5))]
    # --- where the sheet lies in the frame: rotation, scale, perspective, maybe an edge
    PW, PH = int(W * 1.35), int(H * 1.35)                      # the sheet, in its own pixels
    ang = math.radians(rng.uniform(-8, 8))
    scale = rng.uniform(0.95, 1.1)                             # frame px per sheet px
    corners = np.array([[0, 0], [PW, 0], [PW, PH], [0, PH]], float) - [PW / 2, PH / 2]
    R = np.array([[math.cos(ang), -math.sin(ang)], [math.sin(ang), math.cos(ang)]])
    quad = corners @ R.T * scale + [W / 2, H / 2]
    quad += rng.normal(0, 0.02, quad.shape) * [W, H]           # camera tilt: perspective
    edge = int(rng.integers(4)) if rng.random() < 0.35 else -1   # table visible at one side
    inset = rng.uniform(0.03, 0.08)
    if edge == 0:                                              # left
        quad[:, 0] += inset * W - quad[:, 0].min()
    elif edge == 1:                                            # right
        quad[:, 0] += (1 - inset) * W - quad[:, 0].max()
    elif edge == 2:                                            # top
        quad[:, 1] += inset * H - quad[:, 1].min()
    elif edge == 3:                                            # bottom
        quad[:, 1] += (1 - inset) * H - quad[:, 1].max()
    frame_to_sheet = _perspective_coeffs(quad, [[0, 0], [PW, 0], [PW, PH], [0, PH]])

    # --- the paper: colour, grain, ruled lines and a margin line
    cream = rng.random() < 0.4
    paper = np.array([246, 240, 222] if cream else [248, 248, 246], np.float32) + rng.uniform(-8, 4)
    img = np.ones((PH, PW, 3), np.float32) * paper
    grain = _smooth_noise(rng, (PH, PW), 1.5) * 2.0 + _smooth_noise(rng, (PH, PW), 60) * 1.2
    img += grain[..., None]
    ruled = rng.random() < 0.75
    rules: list[float] = []
    if ruled:
        pitch = rng.uniform(0.06, 0.09) * min(PW, PH)
        y0 = rng.uniform(0, pitch)
        rules = [y0 + k * pitch for k in range(int(PH / pitch) + 1)]
        cov = _coverage([np.array([[0, y], [PW, y]]) for y in rules], (PH, PW), rng.uniform(0.6, 1.1))
        a = cov[..., None] * rng.uniform(0.45, 0.8)
        img = img * (1 - a) + np.array([150, 185, 225], np.float32) * a
        if rng.random() < 0.7:
            mx = rng.uniform(0.1, 0.2) * PW
            cov = _coverage([np.array([[mx, 0], [mx, PH]])], (PH, PW), rng.uniform(0.7, 1.2))
            a = cov[..., None] * 0.7
            img = img * (1 - a) + np.array([225, 120, 130], np.float32) * a

    # --- the writing: 30-70% of the frame's width, around the frame's centre
    kind = ["ballpoint", "ballpoint", "black", "pencil"][int(rng.integers(4))]
    ink = np.array(_INKS[kind][int(rng.integers(len(_INKS[kind])))], np.float32)
    lines = _layout(text, rng, 100.0, tremor=0.6, pen=3.0)
    pts = np.concatenate(lines)
    lo, hi = pts.min(0), pts.max(0)
    want_w = rng.uniform(0.3, 0.6 if edge >= 0 else 0.7) * W / scale          # sheet px
    k = min(want_w / (hi[0] - lo[0]), 0.28 * H / scale / (hi[1] - lo[1]))
    lines = [(q - (lo + hi) / 2) * k for q in lines]               # centred on (0, 0)
    half_h = (hi[1] - lo[1]) * k / 2
    fx, fy = W / 2 + rng.uniform(-0.06, 0.06) * W, H / 2 + rng.uniform(-0.1, 0.1) * H
    if edge == 0:
        fx += 0.05 * W
    elif edge == 1:
        fx -= 0.05 * W
    sx, sy = _apply(frame_to_sheet, fx, fy)
    if rules:                                                   # sit on the nearest rule
        base = min(rules, key=lambda y: abs(y - (sy + half_h)))
        sy = base - half_h + rng.uniform(0.0, 0.1) * half_h
    lines = [q + np.array([sx, sy]) for q in lines]
    h_px = 100.0 * k
    pen = {"ballpoint": 0.03, "black": 0.055, "pencil": 0.035}[kind] * h_px * rng.uniform(0.8, 1.25)
    pen = max(pen, 1.8)
    radii = []
    for q in lines:                                            # pressure: lighter at the ends
        t = np.linspace(0, 1, len(q))
        pr = 0.8 + 0.2 * np.sin(np.pi * np.clip(t * 1.2, 0, 1)) + 0.06 * np.sin(t * rng.uniform(4, 9))
        radii.append(pen / 2 * pr)
    cov = _coverage(lines, (PH, PW), radii)
    if kind == "pencil":                                       # graphite: grainy, grey
        tex = np.clip(0.7 + 0.3 * _smooth_noise(rng, (PH, PW), 1.0), 0.25, 1.0)
        a = (cov * tex * rng.uniform(0.7, 0.9))[..., None]
    elif kind == "ballpoint":                                  # slightly uneven ink flow
        tex = np.clip(0.9 + 0.1 * _smooth_noise(rng, (PH, PW), 2.0), 0.65, 1.0)
        a = (cov * tex * rng.uniform(0.85, 0.97))[..., None]
    else:
        a = (cov * rng.uniform(0.92, 1.0))[..., None]
    img = img * (1 - a) + ink * a
    sheet = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))

    # --- the photo: the sheet on a table, lighting, optics, sensor, JPEG
    tables = [(52, 40, 32), (35, 35, 38), (90, 70, 50), (20, 22, 25)]      # wood, grey, desk
    table = tables[int(rng.integers(len(tables)))]
    photo = sheet.transform((W, H), Image.PERSPECTIVE, frame_to_sheet, Image.BICUBIC, fillcolor=table)
    out = np.asarray(photo, np.float32)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    th = rng.uniform(0, 2 * math.pi)
    light = 1.0 + rng.uniform(0.1, 0.35) * ((xx / W - 0.5) * math.cos(th) + (yy / H - 0.5) * math.sin(th))
    light *= 1.0 - rng.uniform(0.1, 0.3) * ((xx / W - 0.5) ** 2 + (yy / H - 0.5) ** 2) / 0.5
    light *= rng.uniform(0.8, 1.0)
    if rng.random() < 0.3:                                     # the phone's soft shadow
        px, py = rng.uniform(0, W), float(rng.choice([0.0, float(H)]))
        d = np.hypot(xx - px, yy - py) / (0.6 * max(W, H))
        light *= 1.0 - 0.3 * np.clip(1 - d, 0, 1) ** 2
    cast = (np.array([1.0, rng.uniform(0.95, 1.0), rng.uniform(0.85, 0.97)]) if rng.random() < 0.6
            else np.array([rng.uniform(0.92, 0.98), rng.uniform(0.96, 1.0), 1.0]))
    out = out * light[..., None] * cast
    photo = Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))
    photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.3) * max(W, H) / 640))
    out = np.asarray(photo, np.float32) + rng.normal(0, rng.uniform(1.5, 4.0), (H, W, 3))
    photo = Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    photo.save(buf, format="JPEG", quality=int(rng.integers(55, 71)))
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB"))


def photo_set(n: int = 40, seed: int = 11) -> list[tuple[str, np.ndarray]]:
    """``n`` simulated phone photos ``(digits, RGB uint8 (H, W, 3))`` of a 3-6 digit string
    (55% 4 digits, 15% each 3, 5, 6) written on paper with this module's stroke font.

    (W, H) is 640x480, 480x640, 1280x720, 720x1280 or 800x600.  Blue ballpoint, black felt pen
    or grainy grey pencil, pressure lighter at stroke ends; white or cream paper with grain,
    75% ruled (light blue lines, the digits sitting on one, often a pink margin line); the
    writing spans 30-70% of the frame's width; the sheet rotated +-8 deg, scaled, with a
    perspective tilt, and in 35% of photos a dark table edge shows on one side; a lighting
    gradient, vignette, sometimes the phone's shadow, a colour cast, Gaussian blur, sensor noise
    and a JPEG round trip at quality 55-70.  Deterministic in ``seed``."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        length = int(rng.choice([3, 4, 5, 6], p=[0.15, 0.55, 0.15, 0.15]))
        text = _random_text(rng, length)
        out.append((text, _photo(text, rng)))
    return out


# ----------------------------------------------------------------------------------------------
# MNIST writer-held-out strings
# ----------------------------------------------------------------------------------------------

_MNIST_CACHE: dict[str, tuple[np.ndarray, np.ndarray]] = {}     # root -> (images, labels)
_CLEAR_CACHE: dict[str, np.ndarray] = {}                         # root|half -> indices


def _mnist_root(root) -> Path:
    return Path(root) if root is not None else MNIST_DIR


def mnist_available(root=None) -> bool:
    """Whether the MNIST test files are at ``root`` (default ``../shared/data/mnist``)."""
    r = _mnist_root(root)
    return (r / "t10k-images-idx3-ubyte.gz").is_file() and (r / "t10k-labels-idx1-ubyte.gz").is_file()


def load_mnist(root=None) -> tuple[np.ndarray, np.ndarray]:
    """The MNIST test set: images ``(10000, 28, 28)`` uint8 (ink high), labels ``(10000,)``."""
    r = _mnist_root(root)
    key = str(r.resolve())
    if key not in _MNIST_CACHE:
        if not mnist_available(r):
            raise FileNotFoundError(MNIST_SKIP_REASON if root is None else f"no MNIST test files in {r}")
        with gzip.open(r / "t10k-images-idx3-ubyte.gz", "rb") as f:
            raw = f.read()
        imgs = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 28, 28)
        with gzip.open(r / "t10k-labels-idx1-ubyte.gz", "rb") as f:
            labels = np.frombuffer(f.read(), np.uint8, offset=8)
        if len(imgs) != len(labels):
            raise ValueError(f"MNIST images ({len(imgs)}) and labels ({len(labels)}) disagree")
        _MNIST_CACHE[key] = (imgs, labels)
    return _MNIST_CACHE[key]


def mnist_half(half: str) -> range:
    """Test-set indices of a writer group: ``"first"`` 0-4999 (NIST SD-3), ``"second"``
    5000-9999 (SD-1)."""
    if half == "first":
        return range(0, 5000)
    if half == "second":
        return range(5000, 10000)
    raise ValueError(f'half must be "first" or "second", got {half!r}')


def _mnist_clear(root, half: str) -> np.ndarray:
    """Test-set indices of ``half`` whose digit is not an oddity: most (3 or more) of its 5
    nearest neighbours in the same half (cosine on 14 x 14 average-pooled pixels, itself
    excluded) carry its label.  A cheap stand-in for "a person reads it as its label": it drops
    the MNIST digits that look like another digit or like nothing, and also some rare but
    legible shapes; keeps 94% of the first half, 98% of the second."""
    key = f"{_mnist_root(root).resolve()}|{half}"
    if key not in _CLEAR_CACHE:
        imgs, labels = load_mnist(root)
        idx = np.arange(mnist_half(half).start, mnist_half(half).stop)
        x = imgs[idx].astype(np.float32).reshape(-1, 14, 2, 14, 2).mean((2, 4)).reshape(len(idx), -1)
        x /= np.linalg.norm(x, axis=1, keepdims=True) + 1e-6
        y = labels[idx]
        agree = np.zeros(len(idx), int)
        for a in range(0, len(idx), 1000):
            sim = x[a:a + 1000] @ x.T                                # (B, N) cosine similarity
            sim[np.arange(len(sim)), np.arange(a, a + len(sim))] = -np.inf
            nn = np.argpartition(-sim, 5, axis=1)[:, :5]
            agree[a:a + 1000] = (y[nn] == y[a:a + 1000, None]).sum(1)
        _CLEAR_CACHE[key] = idx[agree >= 3]
    return _CLEAR_CACHE[key]


def mnist_strings(n: int, seed: int, half: str = "second", length: int = 4, root=None,
                  return_indices: bool = False, clear_only: bool = True) -> list[tuple]:
    """``n`` strings of ``length`` real MNIST test digits, all from one writer group (see
    :func:`mnist_half`), as if written on white paper: ``(digits, RGB uint8 (H, W, 3))`` with H in
    120-160 px, dark ink, digits scaled up (bilinear) to about the same height with jitter,
    random spacing and a wobbling baseline.  ``return_indices`` adds the test-set index of each
    digit: ``(digits, image, indices)``.  ``clear_only`` (default) draws only digits that their
    neighbours agree on (:func:`_mnist_clear`), since a few MNIST digits are illegible.
    Deterministic in ``seed``."""
    from PIL import Image
    if not 1 <= length <= 6:
        raise ValueError(f"length must be in 1..6, got {length}")
    idx_range = mnist_half(half)
    imgs, labels = load_mnist(root)
    pool = _mnist_clear(root, half) if clear_only else np.arange(idx_range.start, idx_range.stop)
    by_digit = {d: pool[labels[pool] == d] for d in range(10)}
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        text = _random_text(rng, length)
        H = int(rng.integers(120, 161))
        dh = H * rng.uniform(0.45, 0.7)
        ink = np.array([[20, 20, 25], [25, 35, 110], [40, 40, 45]][int(rng.integers(3))], np.float32)
        paper = np.array([250, 250, 248], np.float32) - rng.uniform(0, 6)
        chosen, tiles = [], []
        for ch in text:
            k = int(rng.choice(by_digit[int(ch)]))
            chosen.append(k)
            a = imgs[k]
            ys, xs = np.nonzero(a > 30)
            crop = a[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
            th = dh * rng.uniform(0.9, 1.1)
            s = th / crop.shape[0]
            tw = max(3, int(round(crop.shape[1] * s)))
            t = Image.fromarray(crop).resize((tw, int(round(th))), Image.BILINEAR)
            t = np.asarray(t, np.float32) / 255                        # (th, tw) ink in [0, 1]
            tiles.append(t)
        gaps = [rng.uniform(-0.02, 0.3) * dh for _ in tiles[1:]]
        margin = int(rng.uniform(0.1, 0.4) * H)
        Wd = int(margin * 2 + sum(t.shape[1] for t in tiles) + sum(gaps))
        cov = np.zeros((H, Wd), np.float32)
        x = float(margin)
        base = H / 2 + dh / 2 + rng.uniform(-0.08, 0.08) * H
        for i, t in enumerate(tiles):
            th, tw = t.shape
            y = int(round(base - th + rng.uniform(-0.05, 0.05) * dh))
            y = min(max(y, 2), H - th - 2)
            xi = int(round(x))
            np.maximum(cov[y:y + th, xi:xi + tw], t, out=cov[y:y + th, xi:xi + tw])
            if i < len(gaps):
                x += tw + gaps[i]
        a = np.clip(cov * rng.uniform(0.85, 1.0), 0, 1)[..., None]
        img = paper * (1 - a) + ink * a
        img = np.clip(img + rng.normal(0, 1.0, img.shape), 0, 255).astype(np.uint8)
        out.append((text, img, chosen) if return_indices else (text, img))
    return out


def save_examples(folder: Union[str, Path] = "/tmp/digit_eval_examples") -> list[Path]:
    """Write 2 canvas drawings, 2 photos and (when MNIST is there) 2 MNIST strings as PNGs
    named after their digits, to look at: ``python -m tests.digit_eval [folder]``."""
    from PIL import Image
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for i, (text, img, _) in enumerate(stroke_set(2, seed=7, lengths=(4,))):
        written.append(out / f"canvas_{i}_{text}.png")
        Image.fromarray(img, "RGBA").save(written[-1])
    for i, (text, img) in enumerate(photo_set(2, seed=11)):
        written.append(out / f"photo_{i}_{text}.png")
        Image.fromarray(img).save(written[-1])
    if mnist_available():
        for i, (text, img) in enumerate(mnist_strings(2, seed=5, half="second")):
            written.append(out / f"mnist_{i}_{text}.png")
            Image.fromarray(img).save(written[-1])
    return written


if __name__ == "__main__":
    import sys
    for p in save_examples(*sys.argv[1:2]):
        print(p)
