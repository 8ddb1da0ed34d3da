"""Procedural pen strokes for the digit captioners' training data (training only).

Each digit has several *styles* written as small generators: a style draws the digit's strokes
as polylines in a unit box (x right, y down, both in [0, 1]) from random parameters (loop
size, tail curve, bar length, how the stroke starts), so no two draws are alike.  Styles cover
the ways people write digits: open and closed 4 (and a 4 with a short left stem), 7 with and
without a bar (and a curved stem), 1 as a bare stick, with a flag, with a flag and a base,
9 with a straight, slanted or curved tail, 2 with and without a loop, flat-topped and round 3,
5 in one or two strokes, 0 with or without a slash, 8 as two loops or one crossing stroke.

    strokes = digit_strokes("4", rng)                 # [(N, 2) array, ...] in the unit box
    width = DIGIT_WIDTH["4"]                          # typical box width / height

Everything here is numpy; :mod:`training.digits` places, slants, deforms and draws the strokes.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

Strokes = list  # list of (N, 2) float arrays in the unit box


def _arc(cx, cy, rx, ry, a0, a1, n=24) -> np.ndarray:
    """Points on an ellipse from angle ``a0`` to ``a1`` (degrees; 0 = right, 90 = down)."""
    a = np.radians(np.linspace(a0, a1, n))
    return np.stack([cx + rx * np.cos(a), cy + ry * np.sin(a)], 1)


def _line(*pts, n=6) -> np.ndarray:
    """A polyline through ``pts`` with ``n`` points per segment."""
    out = [np.asarray(pts[0], float)[None]]
    for a, b in zip(pts[:-1], pts[1:]):
        t = np.linspace(0, 1, n + 1)[1:, None]
        out.append((1 - t) * np.asarray(a, float) + t * np.asarray(b, float))
    return np.concatenate(out)


def _bezier(p0, p1, p2, p3=None, n=16) -> np.ndarray:
    """A quadratic (3 points) or cubic (4 points) Bezier curve, ``n + 1`` points."""
    t = np.linspace(0, 1, n + 1)[:, None]
    p0, p1, p2 = (np.asarray(p, float) for p in (p0, p1, p2))
    if p3 is None:
        return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t ** 2 * p2
    p3 = np.asarray(p3, float)
    return (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3


def _cat(*parts) -> np.ndarray:
    return np.concatenate([np.asarray(p, float) for p in parts])


def _u(rng, a, b) -> float:
    return float(rng.uniform(a, b))


# ------------------------------------------------------------------ the digits
def _zero(rng, style):
    start = _u(rng, -120, -60)
    loop = _arc(0.5, 0.5, _u(rng, 0.34, 0.47), _u(rng, 0.44, 0.5),
                start, start - _u(rng, 360, 385) * (1 if rng.random() < 0.7 else -1), n=36)
    if style == 0:
        return [loop]
    if style == 1:                                       # slashed / dotted zero
        return [loop, _line((_u(rng, 0.7, 0.85), _u(rng, 0.1, 0.25)), (_u(rng, 0.15, 0.3), _u(rng, 0.75, 0.9)))]
    tilt = _u(rng, -0.15, 0.15)                          # a narrow egg, wider at the bottom
    a = np.radians(np.linspace(start, start - 365, 36))
    r = 0.5 + 0.08 * np.sin(a)
    pts = np.stack([0.5 + 0.3 * np.cos(a) * r * 2, 0.5 + 0.49 * np.sin(a)], 1)
    pts[:, 0] += tilt * (0.5 - pts[:, 1])
    return [pts]


def _one(rng, style):
    x_top = _u(rng, 0.55, 0.85)
    x_bot = x_top - _u(rng, 0.0, 0.25)
    stem = _line((x_top, 0.0), (x_bot, 1.0), n=8)
    if style == 0:                                       # a bare stick
        return [stem]
    # a flag: from short and steep to long and low (the European 1 starts near mid-height)
    fx, fy = _u(rng, 0.0, x_top - 0.2), _u(rng, 0.12, 0.6)
    if rng.random() < 0.4:                               # a slightly curved lead-in
        flag = _bezier((fx, fy), ((fx + x_top) / 2, _u(rng, 0.05, fy)), (x_top, 0.0), n=6)
    else:
        flag = _line((fx, fy), (x_top, 0.0), n=4)
    if style == 1:
        return [_cat(flag, stem[1:])]
    base = _line((x_bot - _u(rng, 0.2, 0.45), 1.0 + _u(rng, -0.02, 0.02)),
                 (x_bot + _u(rng, 0.2, 0.45), 1.0 + _u(rng, -0.03, 0.03)), n=4)
    return [_cat(flag, stem[1:]), base]


def _two(rng, style):
    top = _arc(0.5, _u(rng, 0.26, 0.32), _u(rng, 0.32, 0.42), _u(rng, 0.22, 0.3), _u(rng, 170, 200), 360 + _u(rng, 20, 45), n=18)
    end = top[-1]
    corner = (_u(rng, 0.0, 0.12), _u(rng, 0.92, 1.0))
    if style == 0:                                       # round back, flat base
        diag = _bezier(end, (_u(rng, 0.5, 0.7), _u(rng, 0.6, 0.75)), corner, n=10)
        return [_cat(top, diag[1:], _line(corner, (_u(rng, 0.85, 1.0), _u(rng, 0.92, 1.0)), n=5)[1:])]
    if style == 1:                                       # a loop at the bottom left
        diag = _bezier(end, (0.5, 0.7), (0.15, 0.92), n=10)
        loop = _arc(0.2, 0.84, _u(rng, 0.08, 0.14), _u(rng, 0.06, 0.1), 90, -250, n=14) + [0.02, 0.0]
        return [_cat(top, diag[1:], loop, _line(loop[-1], (_u(rng, 0.85, 1.0), 0.96), n=5)[1:])]
    # angular: a short top bar, a straight diagonal, a base (a Z with a rounded corner)
    a = (_u(rng, 0.05, 0.2), _u(rng, 0.1, 0.25))
    b = (_u(rng, 0.55, 0.75), 0.0)
    c = (_u(rng, 0.85, 1.0), _u(rng, 0.2, 0.35))
    return [_cat(_bezier(a, b, c, n=8), _line(c, corner, (_u(rng, 0.85, 1.0), 1.0), n=6)[1:])]


def _three(rng, style):
    mid = (_u(rng, 0.35, 0.55), _u(rng, 0.44, 0.52))
    lower = _arc(0.5, 0.73, _u(rng, 0.38, 0.47), _u(rng, 0.25, 0.28), -100, 150, n=18)
    lower = lower - lower[0] + mid
    if style == 0:                                       # two round bumps
        upper = _arc(0.5, 0.26, _u(rng, 0.3, 0.4), _u(rng, 0.22, 0.26), _u(rng, 190, 220), 450, n=18)
        upper = upper - upper[-1] + mid
        return [_cat(upper, lower[1:])]
    # flat top: a bar, then a diagonal down to the middle, then the bump
    left, right = (_u(rng, 0.05, 0.2), _u(rng, 0.0, 0.06)), (_u(rng, 0.8, 0.95), _u(rng, 0.0, 0.05))
    return [_cat(_line(left, right, mid, n=6), lower[1:])]


def _four(rng, style):
    bar_y = _u(rng, 0.58, 0.72)
    x_stem = _u(rng, 0.62, 0.78)
    if style == 0:                                       # open: diagonal + bar, then the stem
        a = (_u(rng, 0.3, 0.5), 0.0)
        return [_line(a, (_u(rng, 0.0, 0.1), bar_y), (_u(rng, 0.9, 1.0), bar_y + _u(rng, -0.04, 0.04)), n=6),
                _line((x_stem + _u(rng, -0.05, 0.08), _u(rng, 0.1, 0.35)), (x_stem, 1.0), n=8)]
    if style == 1:                                       # closed: the stem from the top corner
        top = (x_stem, 0.0)
        return [_line(top, (_u(rng, 0.0, 0.08), bar_y), (_u(rng, 0.9, 1.0), bar_y), n=6),
                _line(top, (x_stem - _u(rng, 0.0, 0.06), 1.0), n=8)]
    # a short upright left stem, the bar, then a long right stem (like a "ч" with a tail)
    lx = _u(rng, 0.08, 0.2)
    return [_line((lx, _u(rng, 0.0, 0.12)), (lx - 0.02, bar_y), (_u(rng, 0.9, 1.0), bar_y), n=6),
            _line((x_stem, 0.0), (x_stem - _u(rng, 0.0, 0.08), 1.0), n=8)]


def _five(rng, style):
    tl = (_u(rng, 0.15, 0.3), _u(rng, 0.0, 0.05))
    neck = (tl[0] - _u(rng, 0.0, 0.08), _u(rng, 0.38, 0.5))
    belly = _arc(0.48, 0.7, _u(rng, 0.38, 0.46), _u(rng, 0.26, 0.3), -150, 140, n=18)
    belly = belly - belly[0] + neck
    bar = _line(tl, (_u(rng, 0.8, 1.0), _u(rng, -0.02, 0.06)), n=5)
    if style == 0:                                       # stem and belly, then the bar
        return [_cat(_line(tl, neck, n=5), belly[1:]), bar]
    return [_cat(bar[::-1], _line(tl, neck, n=5)[1:], belly[1:])]        # one stroke from the right


def _six(rng, style):
    loop_r = _u(rng, 0.26, 0.34)
    loop = _arc(0.5, 1 - loop_r * 1.05, _u(rng, 0.32, 0.42), loop_r, 180, 180 + 360 + _u(rng, -20, 15), n=24)
    top = (_u(rng, 0.6, 0.85), _u(rng, 0.0, 0.05))
    if style == 0:                                       # curved stem
        stem = _bezier(top, (_u(rng, 0.1, 0.25), _u(rng, 0.15, 0.3)), loop[0], n=12)
    else:                                                # straight stem
        stem = _line(top, loop[0], n=8)
    return [_cat(stem, loop[1:])]


def _seven(rng, style):
    a = (_u(rng, 0.0, 0.15), _u(rng, 0.0, 0.1))
    b = (_u(rng, 0.8, 1.0), _u(rng, 0.0, 0.06))
    foot = (_u(rng, 0.15, 0.55), 1.0)
    if style == 2:                                       # curved stem
        stem = _bezier(b, (_u(rng, 0.45, 0.7), _u(rng, 0.3, 0.55)), foot, n=12)
    else:
        stem = _line(b, foot, n=8)
    top = _line(a, b, n=5)
    u = rng.random()
    if u < 0.25:                                         # a little hook down at the left
        top = _cat(_line((a[0] + 0.02, a[1] + _u(rng, 0.1, 0.25)), a, n=3), top[1:])
    elif u < 0.4:                                        # a wavy top
        top = _bezier(a, ((a[0] + b[0]) / 2, a[1] - _u(rng, 0.05, 0.12)), b, n=8)
    out = [_cat(top, stem[1:])]
    if style == 1:                                       # the bar through the stem
        y = _u(rng, 0.42, 0.62)
        xm = b[0] + (foot[0] - b[0]) * (y - b[1]) / (foot[1] - b[1])
        out.append(_line((xm - _u(rng, 0.15, 0.35), y + 0.02), (xm + _u(rng, 0.12, 0.3), y - 0.02), n=4))
    return out


def _eight(rng, style):
    mid = (_u(rng, 0.45, 0.55), _u(rng, 0.42, 0.5))
    if style == 0:                                       # two loops, drawn separately
        up = _arc(0.5, 0.23, _u(rng, 0.24, 0.33), 0.23, 90, 90 + 362, n=20)
        lo = _arc(0.5, 0.72, _u(rng, 0.33, 0.42), 0.28, -90, -90 + 362, n=22)
        return [up, lo]
    # one stroke: an S down, then back up (crossing in the middle)
    s = _cat(_bezier((0.8, 0.12), (0.4, -0.1), (0.1, 0.25), mid, n=12),
             _bezier(mid, (0.95, 0.65), (0.75, 1.1), (0.45, 0.98), n=12)[1:],
             _bezier((0.45, 0.98), (0.0, 0.9), (0.15, 0.55), mid, n=10)[1:],
             _bezier(mid, (0.85, 0.35), (0.9, 0.15), (0.8, 0.08), n=10)[1:])
    return [s]


def _nine(rng, style):
    r = _u(rng, 0.2, 0.28)
    cx = _u(rng, 0.42, 0.52)
    loop = _arc(cx, r * 1.05, _u(rng, 0.32, 0.42), r, _u(rng, -10, 20), _u(rng, -10, 20) - 360, n=22)
    start = loop[0]
    if style == 0:                                       # straight stem
        tail = _line(start, (start[0] - _u(rng, 0.0, 0.06), 1.0), n=8)
    elif style == 1:                                     # slanted stem
        tail = _line(start, (start[0] - _u(rng, 0.2, 0.35), 1.0), n=8)
    else:                                                # curved tail
        tail = _bezier(start, (start[0] + 0.05, 0.85), (_u(rng, 0.2, 0.4), 1.05), (_u(rng, 0.05, 0.2), _u(rng, 0.8, 0.92)), n=12)
    return [_cat(loop, tail[1:])]


#: digit -> (number of styles, generator(rng, style) -> strokes)
STYLES: dict[str, tuple[int, Callable]] = {
    "0": (3, _zero), "1": (3, _one), "2": (3, _two), "3": (2, _three), "4": (3, _four),
    "5": (2, _five), "6": (2, _six), "7": (3, _seven), "8": (2, _eight), "9": (3, _nine),
}
#: typical width / height of a digit's box (a 1 as a bare stick is narrow)
DIGIT_WIDTH = {"0": 0.62, "1": 0.5, "2": 0.62, "3": 0.58, "4": 0.7, "5": 0.6, "6": 0.58,
               "7": 0.62, "8": 0.58, "9": 0.58}


def _wobble(p: np.ndarray, rng, amp: float) -> np.ndarray:
    """A smooth random displacement of the points ``(N, 2)`` (a few low-frequency sines over
    the box), ``amp`` units at most: the same letter is never drawn twice alike."""
    out = p.copy()
    for k in range(2):
        fx, fy = rng.uniform(1.0, 3.0, 2)
        ph = rng.uniform(0, 2 * math.pi, 2)
        out[:, k] += amp * np.sin(fx * math.pi * p[:, 0] + ph[0]) * np.cos(fy * math.pi * p[:, 1] + ph[1])
    return out


def digit_strokes(digit: str, rng: np.random.Generator, style: int | None = None,
                  wobble: float = 0.04) -> Strokes:
    """One drawing of ``digit``: a list of polylines ``(N, 2)`` in the unit box (random style
    unless ``style`` is given; a smooth deformation of about ``wobble``)."""
    if digit not in STYLES:
        raise ValueError(f"not a digit: {digit!r}")
    n, make = STYLES[digit]
    s = int(rng.integers(n)) if style is None else int(style) % n
    return [_wobble(np.asarray(q, float), rng, wobble) for q in make(rng, s)]
