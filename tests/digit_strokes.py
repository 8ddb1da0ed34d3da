"""A tiny stroke font for digits (test helper; never used for training).

Each digit is a list of polylines in a unit box: x in [0, 1] (left -> right),
y in [0, 1] (top -> bottom).  The shapes follow common handwriting, as in scikit-learn's
digits (e.g. a 7 with a bar through the stem, a 1 with a flag).  :func:`string_strokes` lays out a digit string as pixel
polylines (for Playwright mouse strokes on the canvas); :func:`render` draws them with
Pillow as a pen would (dark ink on white, round joints), to test the reading offline.
"""
from __future__ import annotations

import math

import numpy as np


def _ellipse(cx, cy, rx, ry, n=20, start=-90.0):
    a0 = math.radians(start)
    return [(cx + rx * math.cos(a0 + 2 * math.pi * i / n), cy + ry * math.sin(a0 + 2 * math.pi * i / n))
            for i in range(n + 1)]


FONT: dict[str, list[list[tuple[float, float]]]] = {
    "0": [_ellipse(0.5, 0.5, 0.4, 0.5)],
    "1": [[(0.25, 0.22), (0.55, 0.0), (0.55, 1.0)]],
    "2": [[(0.1, 0.25), (0.25, 0.05), (0.5, 0.0), (0.78, 0.08), (0.85, 0.3), (0.7, 0.55),
           (0.1, 1.0), (0.92, 1.0)]],
    "3": [[(0.12, 0.12), (0.4, 0.0), (0.72, 0.05), (0.82, 0.25), (0.7, 0.42), (0.4, 0.48),
           (0.75, 0.56), (0.88, 0.75), (0.75, 0.95), (0.45, 1.0), (0.1, 0.9)]],
    "4": [[(0.62, 1.0), (0.62, 0.0), (0.08, 0.68), (0.95, 0.68)]],
    "5": [[(0.85, 0.0), (0.22, 0.0), (0.15, 0.45), (0.45, 0.38), (0.75, 0.48), (0.86, 0.72),
           (0.72, 0.95), (0.42, 1.0), (0.1, 0.9)]],
    "6": [[(0.78, 0.02), (0.45, 0.1), (0.2, 0.4), (0.12, 0.72), (0.28, 0.97), (0.6, 1.0),
           (0.85, 0.8), (0.78, 0.57), (0.5, 0.48), (0.22, 0.6)]],
    "7": [[(0.08, 0.0), (0.92, 0.0), (0.55, 0.5), (0.38, 1.0)], [(0.28, 0.52), (0.82, 0.48)]],
    "8": [[(0.5, 0.47), (0.22, 0.33), (0.22, 0.1), (0.5, 0.0), (0.78, 0.1), (0.78, 0.33),
           (0.5, 0.47), (0.16, 0.66), (0.2, 0.92), (0.5, 1.0), (0.8, 0.92), (0.84, 0.66),
           (0.5, 0.47)]],
    "9": [[(0.82, 0.3), (0.6, 0.47), (0.3, 0.45), (0.15, 0.25), (0.3, 0.03), (0.6, 0.0),
           (0.82, 0.15), (0.82, 0.3), (0.76, 1.0)]],
}


def string_strokes(text: str, x0: float, y0: float, height: float, width_ratio: float = 0.6,
                   gap_ratio: float = 0.35, slant: float = 0.0) -> list[list[tuple[float, float]]]:
    """Pixel polylines for the digits of ``text`` (spaces ignored): digit boxes
    ``height`` tall and ``width_ratio * height`` wide, separated by ``gap_ratio * height``,
    starting at ``(x0, y0)`` (top-left); ``slant`` shifts x by ``slant * (1 - y) * height``."""
    out = []
    w, gap = width_ratio * height, gap_ratio * height
    x = x0
    for ch in text.replace(" ", ""):
        for line in FONT[ch]:
            out.append([(x + px * w + slant * (1 - py) * height, y0 + py * height) for px, py in line])
        x += w + gap
    return out


def render(strokes, size: tuple[int, int], width: int = 12) -> np.ndarray:
    """Draw polylines (pixels) as black ink on white: ``(H, W)`` uint8, ``size = (W, H)``."""
    from PIL import Image, ImageDraw
    im = Image.new("L", size, 255)
    dr = ImageDraw.Draw(im)
    for line in strokes:
        dr.line(line, fill=0, width=width, joint="curve")
        r = width / 2
        for x, y in (line[0], line[-1]):
            dr.ellipse((x - r, y - r, x + r, y + r), fill=0)
    return np.asarray(im)
