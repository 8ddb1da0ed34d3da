"""Training data for the digit-string captioners: real handwriting, pen strokes and photos,
drawn on the page's canvas or on paper and passed through the page's own preprocessing.

Sources of digits (each string takes its digits from one source, a fifth mix two):

* **MNIST, one writer group only**: the first 5,000 images of the MNIST test set (NIST SD-3,
  written by Census Bureau employees), read from ``../shared/data/mnist`` (CC BY-SA 3.0; the
  database of LeCun, Cortes and Burges).  The last 5,000 (SD-1, high-school students) are never
  read here: they are the writer-held-out evaluation set.  Every 10th image of the first half
  is kept for validation.  Each digit is slanted, rotated, deformed and thickened or thinned.
* **scikit-learn's digits** (``load_digits``: 1,797 images, 8 x 8, 13 writers), enlarged
  smoothly; every 10th for validation.
* **pen strokes** (:mod:`training.pen`): several styles per digit, drawn as polylines with a
  pen 6-20 px wide at canvas scale.

Each string (3-6 digits) gets a slant, a rotation, uneven spacing (touching or overlapping
digits to wide gaps), a wobbling baseline and per-digit sizes, and is drawn on one of:

* the page's **canvas**: 440 x 150 RGBA, black ink on opaque white;
* a **photo of paper**: white or cream paper with grain, often ruled (blue rules, a red
  margin), black / blue ballpoint / grey grainy pencil ink, the sheet rotated up to 8 degrees
  and tilted in perspective, sometimes a dark table at one edge, a lighting gradient and
  vignette, blur, sensor noise, JPEG quality 50-80;
* a **scan**: dark ink on near-white paper, wide margins.

Then :func:`attention.models.digits.preprocess` makes the model input (what the page would show)
and :func:`~attention.models.digits.check_input` drops what the page would refuse.  Every
digit's horizontal extent is mapped through the preprocessing to model-input columns, so the
data know which columns hold each digit (the replays' ground truth).

Determinism: example ``i`` of a pool with seed ``s`` is drawn from ``default_rng([s, i])``.
Building a pool is the slow part (about 55 ms of CPU per string: a photo ~150 ms, a canvas
~27 ms); a pool is built once, cached on disk (:func:`pool`) and shared by every variant and
caption order.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import math
import os
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from attention.functional import one_of
from attention.models.captioner import ORDERS
from attention.models.digits import (IMG_H, IMG_W, MAX_DIGITS, MIN_DIGITS, check_input, preprocess,
                                     to_model_x)
from training import pen

ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = Path(os.environ.get("AE_MNIST_DIR", ROOT.parent / "shared" / "data" / "mnist"))
MNIST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
#: The MNIST test images training may read: the first writer group (NIST SD-3).  The second
#: (SD-1, indices 5000-9999) is held out for evaluation and never read by training.
MNIST_TRAIN_GROUP = range(0, 5000)
CANVAS = (440, 150)                      # (W, H) of the page's canvas
CACHE = Path(os.environ.get("AE_CACHE", Path.home() / ".cache" / "attention-explorer"))


class DataMissing(RuntimeError):
    """The MNIST files are not where training looks for them."""


def mnist_missing_message(root: Path = MNIST_DIR) -> str:
    """Where to put MNIST and how to get it (printed by ``python -m training caption``)."""
    return (f"MNIST is missing: training reads the MNIST test set from {root}\n"
            f"  (../shared/data/mnist from the repository root), files {MNIST_FILES[0]} and "
            f"{MNIST_FILES[1]}.\n"
            "  Get the two original test-set files of the MNIST database (Yann LeCun, Corinna "
            "Cortes and Christopher J. C. Burges; CC BY-SA 3.0), unchanged and still gzipped\n"
            "  (md5 9fb629c4189551a2d022fa330f9573f3 and ec29112dd5afa0611ce80d1b7f02629c), put "
            "them in that folder (see the folder's README.md) or point AE_MNIST_DIR at them.\n"
            "  Only the first 5,000 images (one writer group) are used for training; the app never "
            "needs MNIST.")


@lru_cache(maxsize=2)
def mnist_train_group(root: Optional[Path] = None) -> tuple[np.ndarray, np.ndarray]:
    """The training writer group of the MNIST test set: images ``(5000, 28, 28)`` uint8 (ink
    high) and labels ``(5000,)``; index ``i`` is test-set image ``i`` (:data:`MNIST_TRAIN_GROUP`).
    Raises :class:`DataMissing` with :func:`mnist_missing_message` when the files are absent."""
    r = Path(root) if root is not None else MNIST_DIR
    if not all((r / f).is_file() for f in MNIST_FILES):
        raise DataMissing(mnist_missing_message(r))
    n = MNIST_TRAIN_GROUP.stop
    with gzip.open(r / MNIST_FILES[0], "rb") as f:
        head = f.read(16)
        if int.from_bytes(head[:4], "big") != 2051:
            raise ValueError(f"{r / MNIST_FILES[0]} is not an IDX image file")
        imgs = np.frombuffer(f.read(n * 28 * 28), np.uint8).reshape(n, 28, 28)   # first group only
    with gzip.open(r / MNIST_FILES[1], "rb") as f:
        f.read(8)
        labels = np.frombuffer(f.read(n), np.uint8).astype(np.int64)
    return imgs, labels


@lru_cache(maxsize=1)
def sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's handwritten digits: images ``(1797, 8, 8)`` float32 in [0, 1] and labels."""
    from sklearn.datasets import load_digits
    d = load_digits()
    return (d.images / 16.0).astype(np.float32), d.target.astype(np.int64)


def source_split(n: int, split: str) -> np.ndarray:
    """Indices of a source of ``n`` images for ``split``: ``"val"`` every 10th (0, 10, 20 ...),
    ``"train"`` the rest."""
    one_of("split", split, ("train", "val"))
    idx = np.arange(n)
    return idx[idx % 10 == 0] if split == "val" else idx[idx % 10 != 0]


# ------------------------------------------------------------------ the recipe
@dataclass(frozen=True)
class Recipe:
    """How training strings are made (shares of sources and surfaces; ranges)."""
    min_digits: int = MIN_DIGITS
    max_digits: int = MAX_DIGITS
    length_weights: tuple = (0.2, 0.35, 0.25, 0.2)    # 3, 4, 5, 6 digits
    source: tuple = (("mnist", 0.4), ("pen", 0.45), ("sklearn", 0.05), ("mixed", 0.1))
    surface: tuple = (("canvas", 0.4), ("photo", 0.4), ("scan", 0.2))   # photos were 30% for the
                                                  # first models: 80-84% on the photo set, now 88-91%
    pen_px: tuple = (6.0, 20.0)                       # pen width at canvas scale
    slant_deg: tuple = (-15.0, 22.0)
    rotation_deg: float = 6.0                         # per digit
    gap: tuple = (-0.12, 0.45)                        # between digits / digit height
    touching: float = 0.12                            # share of gaps that touch or overlap
    wide_gap: float = 0.08                            # share of gaps of 0.5-1.2 height
    photo_rotation_deg: float = 8.0
    jpeg_quality: tuple = (50, 80)

    def to_dict(self) -> dict:
        return asdict(self)


def _choose(rng, pairs) -> str:
    names, w = zip(*pairs)
    w = np.asarray(w, float)
    return names[int(rng.choice(len(names), p=w / w.sum()))]


# ------------------------------------------------------------------ one digit, as ink
@dataclass
class Glyph:
    """One digit ready to place: its coverage ``ink (h, w)`` float32 in [0, 1] at picture scale
    (or pen ``strokes`` in pixels, drawn later), its label and the MNIST index (-1 = other)."""
    digit: int
    ink: Optional[np.ndarray] = None
    strokes: Optional[list] = None
    mnist: int = -1


def _raster_glyph(img: np.ndarray, height: float, rng, slant: float, rot: float,
                  thick: float) -> np.ndarray:
    """A raster digit (ink high, any size) cropped to its ink, enlarged to ``height`` px,
    slanted (shear ``tan(slant)``) and rotated by ``rot`` degrees, an elastic wobble, and made
    thicker (``thick > 0``, px) or thinner (< 0) by a grey dilation / erosion."""
    from PIL import Image
    from scipy import ndimage
    a = img.astype(np.float32)
    a = a / max(float(a.max()), 1e-6)
    ys, xs = np.nonzero(a > 0.1)
    a = a[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    s = height / a.shape[0]
    w, h = max(2, int(round(a.shape[1] * s))), max(2, int(round(height)))
    big = np.asarray(Image.fromarray(a, mode="F").resize((w, h), Image.Resampling.BICUBIC), np.float32)
    pad = int(0.3 * h) + 4
    big = np.pad(np.clip(big, 0, 1), pad)
    # affine: shear + rotation about the centre, plus a smooth displacement field
    H, W = big.shape
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    cy, cx = H / 2, W / 2
    t = math.radians(rot)
    sh = math.tan(math.radians(slant))
    u, v = xx - cx, yy - cy
    u, v = math.cos(t) * u + math.sin(t) * v, -math.sin(t) * u + math.cos(t) * v
    u = u + sh * v
    amp = rng.uniform(0.0, 0.035) * h
    for k in range(2):
        f = rng.uniform(0.5, 1.6) * 2 * math.pi / h
        ph = rng.uniform(0, 2 * math.pi, 2)
        d = amp * np.sin(f * xx + ph[0]) * np.cos(f * yy + ph[1])
        if k == 0:
            u = u + d
        else:
            v = v + d
    out = ndimage.map_coordinates(big, [v + cy, u + cx], order=1, mode="constant")
    if abs(thick) >= 1:
        d = int(round(abs(thick)))
        fp = np.hypot(*np.mgrid[-d:d + 1, -d:d + 1]) <= d
        out = (ndimage.grey_dilation if thick > 0 else ndimage.grey_erosion)(out, footprint=fp)
    out = np.clip(out, 0, 1).astype(np.float32)
    ys, xs = np.nonzero(out > 0.05)
    if len(ys) == 0:
        return big[pad:-pad, pad:-pad]
    return out[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def _pen_glyph(d: str, height: float, rng, slant: float, rot: float) -> list[np.ndarray]:
    """Pen strokes of digit ``d`` in pixels, origin at the box's top-left, ``height`` tall."""
    w = pen.DIGIT_WIDTH[d] * rng.uniform(0.85, 1.2)
    strokes = pen.digit_strokes(d, rng, wobble=rng.uniform(0.01, 0.05))
    t, sh = math.radians(rot), math.tan(math.radians(slant))
    out = []
    for q in strokes:
        x, y = (q[:, 0] - 0.5) * w * height, (q[:, 1] - 0.5) * height
        x, y = math.cos(t) * x - math.sin(t) * y, math.sin(t) * x + math.cos(t) * y
        x = x - sh * y
        jitter = rng.normal(0, 0.004 * height, (len(x), 2))
        out.append(np.stack([x, y], 1) + jitter)
    pts = np.concatenate(out)
    lo = pts.min(0)
    return [q - lo for q in out]


def _glyphs(text: str, source: str, rng, height: float, slant: float, r: Recipe,
            split: str, pen_px: float) -> list[Glyph]:
    """The digits of ``text`` from ``source`` at about ``height`` px."""
    out = []
    mixed = source == "mixed"
    for ch in text:
        src = _choose(rng, (("mnist", 0.45), ("pen", 0.45), ("sklearn", 0.1))) if mixed else source
        h = height * rng.uniform(0.88, 1.1)
        rot = rng.uniform(-r.rotation_deg, r.rotation_deg)
        sl = slant + rng.uniform(-5, 5)
        d = int(ch)
        if src == "pen":
            out.append(Glyph(d, strokes=_pen_glyph(ch, h, rng, sl, rot)))
            continue
        if src == "mnist":
            imgs, labels = mnist_train_group()
            pool = _by_digit("mnist", split)[d]
            k = int(rng.choice(pool))
            img, ratio = imgs[k], 0.12                      # MNIST strokes ~12 % of the height
        else:
            imgs, labels = sklearn_digits()
            k = int(rng.choice(_by_digit("sklearn", split)[d]))
            img, ratio = imgs[k], 0.2
        # the pen: thicker or thinner than the source's own strokes, as on the canvas
        want = rng.uniform(0.7, 1.6) * (pen_px if pen_px > 0 else ratio * h)
        thick = 0.5 * (want - ratio * h)
        g = Glyph(d, ink=_raster_glyph(img, h, rng, sl, rot, thick), mnist=k if src == "mnist" else -1)
        out.append(g)
    return out


@lru_cache(maxsize=4)
def _by_digit(source: str, split: str) -> dict[int, np.ndarray]:
    """``{digit: indices}`` of a source's images in ``split``."""
    labels = mnist_train_group()[1] if source == "mnist" else sklearn_digits()[1]
    idx = source_split(len(labels), split)
    return {d: idx[labels[idx] == d] for d in range(10)}


# ------------------------------------------------------------------ a string on a surface
def _stroke_ink(strokes: list, pen_px: float, size: tuple[int, int], offset) -> np.ndarray:
    """Pen strokes (pixels, shifted by ``offset``) drawn ``pen_px`` wide with round joins and
    caps, anti-aliased (drawn at 2x and averaged): coverage ``(H, W)`` float32, ``size = (W, H)``."""
    from PIL import Image, ImageDraw
    W, H = size
    im = Image.new("L", (2 * W, 2 * H), 0)
    d = ImageDraw.Draw(im)
    w = max(1, int(round(2 * pen_px)))
    for q in strokes:
        pts = [(2 * (x + offset[0]), 2 * (y + offset[1])) for x, y in q]
        d.line(pts, fill=255, width=w, joint="curve")
        for x, y in (pts[0], pts[-1]):
            d.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=255)
    return np.asarray(im, np.float32).reshape(H, 2, W, 2).mean((1, 3)) / 255.0


def _layout(glyphs: list[Glyph], rng, r: Recipe, height: float, pen_px: float) -> tuple[list, float, float]:
    """Left-edge positions and vertical offsets of the digits: ``([(x, y), ...], width,
    height)`` in pixels (the ink of neighbours may touch or overlap a little)."""
    pos, x = [], 0.0
    base_gap = rng.uniform(*r.gap)
    boxes = []
    for i, g in enumerate(glyphs):
        if g.ink is not None:
            w, h = g.ink.shape[1], g.ink.shape[0]
        else:
            pts = np.concatenate(g.strokes)
            w, h = pts[:, 0].max() + pen_px, pts[:, 1].max() + pen_px
        boxes.append((w, h))
        if i:
            u = rng.random()
            if u < r.touching:
                gap = rng.uniform(-0.08, 0.0)
            elif u < r.touching + r.wide_gap:
                gap = rng.uniform(0.5, 1.2)
            else:
                gap = base_gap + rng.uniform(-0.08, 0.1)
            if 1 in (g.digit, glyphs[i - 1].digit):
                gap = max(gap, 0.08)
            x += gap * height
        y = rng.normal(0, 0.05) * height + (height - h) / 2
        pos.append((x, y))
        x += w
    ys = [p[1] for p in pos]
    top = min(ys)
    pos = [(px, py - top) for px, py in pos]
    H = max(py + b[1] for (px, py), b in zip(pos, boxes))
    return pos, x, H


def _draw_string(glyphs: list[Glyph], pos, size: tuple[int, int], origin, pen_px: float):
    """Coverage ``(H, W)`` of the glyphs placed at ``origin + pos`` and each digit's ink
    x-extent ``(L, 2)`` in pixels."""
    W, H = size
    cov = np.zeros((H, W), np.float32)
    spans = []
    for g, (px, py) in zip(glyphs, pos):
        ox, oy = origin[0] + px, origin[1] + py
        if g.strokes is not None:
            pts = np.concatenate(g.strokes)
            half = pen_px / 2
            x0 = int(max(0, math.floor(ox + pts[:, 0].min() - half - 2)))
            y0 = int(max(0, math.floor(oy + pts[:, 1].min() - half - 2)))
            x1 = int(min(W, math.ceil(ox + pts[:, 0].max() + half + 3)))
            y1 = int(min(H, math.ceil(oy + pts[:, 1].max() + half + 3)))
            if x1 <= x0 or y1 <= y0:
                spans.append((ox, ox))
                continue
            part = _stroke_ink(g.strokes, pen_px, (x1 - x0, y1 - y0), (ox - x0, oy - y0))
            np.maximum(cov[y0:y1, x0:x1], part, out=cov[y0:y1, x0:x1])
            spans.append((ox + pts[:, 0].min() - half, ox + pts[:, 0].max() + half))
        else:
            h, w = g.ink.shape
            xi, yi = int(round(ox)), int(round(oy))
            a0, b0 = max(0, -yi), max(0, -xi)
            a1, b1 = min(h, H - yi), min(w, W - xi)
            if a1 > a0 and b1 > b0:
                sl = cov[yi + a0:yi + a1, xi + b0:xi + b1]
                np.maximum(sl, g.ink[a0:a1, b0:b1], out=sl)
            spans.append((xi, xi + w))
    return cov, np.asarray(spans, np.float64)


def _fit(glyph_w: float, glyph_h: float, room_w: float, room_h: float) -> float:
    return min(1.0, room_w / max(glyph_w, 1e-6), room_h / max(glyph_h, 1e-6))


def _compose(text: str, rng, r: Recipe, split: str, surface: str, source: str):
    """Glyphs laid out for ``surface``: ``(glyphs, pos, width, height, pen_px, picture size)``."""
    pen_px = rng.uniform(*r.pen_px)
    slant = rng.uniform(*r.slant_deg)
    if surface == "canvas":
        W, H = CANVAS
        height = rng.uniform(max(40.0, 4.5 * pen_px), 115.0)
    else:
        height = 100.0
        pen_px = pen_px * height / 80.0 * rng.uniform(0.35, 1.0) if surface == "photo" else pen_px * height / 80.0
        W = H = 0
    for _ in range(3):
        glyphs = _glyphs(text, source, rng, height, slant, r, split, pen_px if source != "mnist" else -1.0)
        pos, sw, sh = _layout(glyphs, rng, r, height, pen_px)
        if surface != "canvas":
            break
        k = _fit(sw + pen_px + 4, sh + pen_px + 4, W - 8, H - 8)
        if k > 0.97:
            break
        height *= k * 0.97
        pen_px = min(pen_px, max(6.0, height / 4.5))
    return glyphs, pos, sw, sh, pen_px, (W, H)


def render_canvas(text: str, rng, r: Recipe = Recipe(), split: str = "train", source: str = "pen"):
    """A string drawn on the page's canvas: ``(RGBA (150, 440, 4) uint8, spans (L, 2), mnist (L,))``
    (spans: each digit's ink x-extent in canvas pixels)."""
    glyphs, pos, sw, sh, pen_px, (W, H) = _compose(text, rng, r, split, "canvas", source)
    m = pen_px / 2 + 2
    ox = m + (W - 2 * m - sw) * rng.beta(1.3, 1.8) if sw < W - 2 * m else m
    oy = m + (H - 2 * m - sh) * rng.uniform(0.1, 0.9) if sh < H - 2 * m else m
    cov, spans = _draw_string(glyphs, pos, (W, H), (ox, oy), pen_px)
    out = np.empty((H, W, 4), np.uint8)
    out[..., :3] = np.round(255 * (1 - cov))[..., None].astype(np.uint8)
    out[..., 3] = 255
    return out, spans, np.array([g.mnist for g in glyphs])


def _noise(rng, shape, scale: float) -> np.ndarray:
    """Smooth zero-mean noise ``(H, W)`` with features ~``scale`` px (unit std)."""
    from PIL import Image
    H, W = shape
    g = rng.standard_normal((max(2, int(H / scale) + 2), max(2, int(W / scale) + 2)), dtype=np.float32)
    a = np.asarray(Image.fromarray(g, mode="F").resize((W, H), Image.Resampling.BILINEAR), np.float32)
    return a / (a.std() + 1e-6)


def _homography(src, dst) -> np.ndarray:
    """3 x 3 H with ``dst ~ H src`` for 4 point pairs."""
    A, b = [], []
    for (x, y), (u, v) in zip(src, dst):
        A.append([x, y, 1, 0, 0, 0, -u * x, -u * y]); b.append(u)
        A.append([0, 0, 0, x, y, 1, -v * x, -v * y]); b.append(v)
    h = np.linalg.solve(np.asarray(A, float), np.asarray(b, float))
    return np.append(h, 1.0).reshape(3, 3)


def _apply_h(Hm: np.ndarray, pts: np.ndarray) -> np.ndarray:
    p = np.c_[pts, np.ones(len(pts))] @ Hm.T
    return p[:, :2] / p[:, 2:3]


def render_photo(text: str, rng, r: Recipe = Recipe(), split: str = "train", source: str = "pen"):
    """A simulated phone photo of the string written on paper: ``(RGB (H, W, 3) uint8, spans
    (L, 2), mnist (L,))``; spans are each digit's x-extent in photo pixels."""
    from PIL import Image, ImageFilter
    W, H = [(640, 480), (480, 640), (640, 360), (360, 640), (560, 420), (512, 384)][int(rng.integers(6))]
    glyphs, pos, sw, sh, pen_px, _ = _compose(text, rng, r, split, "photo", source)
    # the sheet (in its own pixels), larger than the frame
    PW, PH = int(W * 1.3), int(H * 1.3)
    want = rng.uniform(0.3, 0.75) * W                          # the writing's width in the frame
    k = min(want / max(sw, 1), 0.3 * H / max(sh, 1))
    kind = _choose(rng, (("ballpoint", 0.45), ("black", 0.3), ("pencil", 0.25)))
    if k != 1.0:                                               # draw at the final size
        for g in glyphs:
            if g.strokes is not None:
                g.strokes = [q * k for q in g.strokes]
            else:
                from PIL import Image as _I
                h, w = g.ink.shape
                g.ink = np.asarray(_I.fromarray(g.ink, mode="F").resize(
                    (max(1, int(round(w * k))), max(1, int(round(h * k)))), _I.Resampling.BILINEAR), np.float32)
        pos = [(x * k, y * k) for x, y in pos]
        sw, sh = sw * k, sh * k
    thin = {"ballpoint": (0.025, 0.05), "black": (0.04, 0.08), "pencil": (0.025, 0.05)}[kind]
    pen_px = max(1.5, rng.uniform(*thin) * 100 * k)
    cx, cy = PW / 2 + rng.uniform(-0.08, 0.08) * W, PH / 2 + rng.uniform(-0.12, 0.12) * H
    cov, spans = _draw_string(glyphs, pos, (PW, PH), (cx - sw / 2, cy - sh / 2), pen_px)
    if kind == "pencil":
        cov = cov * np.clip(0.75 + 0.25 * _noise(rng, cov.shape, 1.0), 0.3, 1.0) * rng.uniform(0.6, 0.9)
    elif kind == "ballpoint":
        cov = cov * np.clip(0.92 + 0.08 * _noise(rng, cov.shape, 3.0), 0.6, 1.0)
    paper = np.array([247, 241, 224] if rng.random() < 0.35 else [249, 249, 246], np.float32)
    paper = paper + rng.uniform(-10, 4)
    sheet = paper + (_noise(rng, (PH, PW), 2.0) * rng.uniform(0.5, 3.0) + _noise(rng, (PH, PW), 50) * 1.5)[..., None]
    if rng.random() < 0.7:                                     # ruled paper
        pitch = rng.uniform(0.05, 0.1) * min(PW, PH)
        y0 = cy + sh / 2 + rng.uniform(-0.05, 0.15) * sh        # the writing sits on a rule
        ys = np.arange(y0 % pitch, PH, pitch)
        yy = np.arange(PH, dtype=np.float32)[:, None]
        width = rng.uniform(0.6, 1.4)
        rule = np.clip(width - np.abs(yy - ys[None, :]).min(1, keepdims=True) + 0.5, 0, 1)   # (PH, 1)
        a = (rule * rng.uniform(0.35, 0.8))[..., None]
        sheet = sheet * (1 - a) + np.array([140, 180, 225], np.float32) * a
        if rng.random() < 0.6:                                 # a margin line, sometimes close
            mx = rng.uniform(0.08, 0.25) * PW if rng.random() < 0.6 else \
                cx - sw / 2 - rng.uniform(0.1, 0.8) * sh
            xx = np.arange(PW, dtype=np.float32)[None, :]
            m = np.clip(1.2 - np.abs(xx - mx) + 0.5, 0, 1)[..., None] * 0.7
            sheet = sheet * (1 - m) + np.array([225, 110, 125], np.float32) * m
    ink = {"ballpoint": [(20, 35, 120), (30, 45, 150), (15, 20, 80)], "black": [(20, 20, 22), (40, 35, 35)],
           "pencil": [(60, 60, 66), (80, 80, 86)]}[kind]
    col = np.array(ink[int(rng.integers(len(ink)))], np.float32)
    sheet = sheet * (1 - cov[..., None]) + col * cov[..., None]
    sheet_im = Image.fromarray(np.clip(sheet, 0, 255).astype(np.uint8))
    # where the sheet lies in the frame: rotation, scale, perspective, maybe a table edge
    ang = math.radians(rng.uniform(-r.photo_rotation_deg, r.photo_rotation_deg))
    scale = rng.uniform(0.95, 1.1)
    corners = np.array([[0, 0], [PW, 0], [PW, PH], [0, PH]], float)
    c = corners - [cx, cy]
    R = np.array([[math.cos(ang), -math.sin(ang)], [math.sin(ang), math.cos(ang)]])
    quad = c @ R.T * scale + [W / 2, H / 2]
    quad += rng.normal(0, 0.02, quad.shape) * [W, H]
    box = np.array([[cx - sw / 2, cy - sh / 2], [cx + sw / 2, cy - sh / 2],
                    [cx - sw / 2, cy + sh / 2], [cx + sw / 2, cy + sh / 2]])
    box += [[-pen_px, -pen_px], [pen_px, -pen_px], [-pen_px, pen_px], [pen_px, pen_px]]

    def inside(q) -> bool:                                     # the writing is in the frame
        p = _apply_h(_homography(corners, q), box)
        return bool((p[:, 0] > 0.03 * W).all() and (p[:, 0] < 0.97 * W).all()
                    and (p[:, 1] > 0.03 * H).all() and (p[:, 1] < 0.97 * H).all())

    if not inside(quad):                                       # centre the writing instead
        p = _apply_h(_homography(corners, quad), box)
        quad += [W / 2, H / 2] - p.mean(0)
    if rng.random() < 0.35:                                    # the table shows at one side
        side = int(rng.integers(4))
        inset = rng.uniform(0.03, 0.1)
        axis, lo = (0, True) if side == 0 else (0, False) if side == 1 else (1, True) if side == 2 else (1, False)
        size = W if axis == 0 else H
        q = quad.copy()
        if lo:
            q[:, axis] += inset * size - q[:, axis].min()
        else:
            q[:, axis] += (1 - inset) * size - q[:, axis].max()
        if inside(q):
            quad = q
    to_frame = _homography(corners, quad)                      # sheet -> frame
    to_sheet = _homography(quad, corners)                      # frame -> sheet (for Pillow)
    table = [(50, 38, 30), (35, 35, 38), (92, 72, 52), (22, 24, 26), (120, 120, 125)][int(rng.integers(5))]
    photo = sheet_im.transform((W, H), Image.Transform.PERSPECTIVE, tuple((to_sheet / to_sheet[2, 2]).ravel()[:8]),
                               Image.Resampling.BILINEAR, fillcolor=table)
    out = np.asarray(photo, np.float32)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    th = rng.uniform(0, 2 * math.pi)
    light = 1 + rng.uniform(0.05, 0.4) * ((xx / W - 0.5) * math.cos(th) + (yy / H - 0.5) * math.sin(th))
    light *= 1 - rng.uniform(0.0, 0.35) * ((xx / W - 0.5) ** 2 + (yy / H - 0.5) ** 2) / 0.5
    light *= rng.uniform(0.7, 1.05)
    cast = np.array([1.0, rng.uniform(0.94, 1.0), rng.uniform(0.84, 1.0)]) if rng.random() < 0.6 else \
        np.array([rng.uniform(0.9, 1.0), rng.uniform(0.95, 1.0), 1.0])
    out = out * light[..., None] * cast
    photo = Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))
    photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.4)))
    out = np.asarray(photo, np.float32) + rng.standard_normal((H, W, 3), dtype=np.float32) * rng.uniform(1.0, 5.0)
    photo = Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    photo.save(buf, format="JPEG", quality=int(rng.integers(r.jpeg_quality[0], r.jpeg_quality[1] + 1)))
    buf.seek(0)
    img = np.asarray(Image.open(buf).convert("RGB"))
    # each digit's x-extent in the frame: its box's corners through the sheet -> frame map
    top, bottom = cy - sh / 2, cy + sh / 2
    fr = []
    for a, b in spans:
        p = _apply_h(to_frame, np.array([[a, top], [b, top], [a, bottom], [b, bottom]], float))
        fr.append((p[:, 0].min(), p[:, 0].max()))
    return img, np.asarray(fr), np.array([g.mnist for g in glyphs])


def render_scan(text: str, rng, r: Recipe = Recipe(), split: str = "train", source: str = "pen"):
    """The string in dark ink on near-white paper with wide margins (a scan, or MNIST as the
    test set shows it): ``(RGB uint8, spans (L, 2), mnist (L,))``."""
    glyphs, pos, sw, sh, pen_px, _ = _compose(text, rng, r, split, "scan", source)
    k = rng.uniform(0.45, 0.75) * rng.uniform(120, 200) / max(sh, 1)
    for g in glyphs:
        if g.strokes is not None:
            g.strokes = [q * k for q in g.strokes]
        else:
            from PIL import Image
            h, w = g.ink.shape
            g.ink = np.asarray(Image.fromarray(g.ink, mode="F").resize(
                (max(1, int(round(w * k))), max(1, int(round(h * k)))), Image.Resampling.BILINEAR), np.float32)
    pos = [(x * k, y * k) for x, y in pos]
    sw, sh, pen_px = sw * k, sh * k, max(1.5, pen_px * k)
    mx, my = rng.uniform(0.1, 0.5) * sh + pen_px, rng.uniform(0.15, 0.4) * sh + pen_px
    W, H = int(sw + 2 * mx), int(sh + 2 * my)
    cov, spans = _draw_string(glyphs, pos, (W, H), (mx, my), pen_px)
    paper = np.array([250, 250, 248], np.float32) - rng.uniform(0, 8)
    col = np.array([[20, 20, 25], [25, 35, 110], [40, 40, 45]][int(rng.integers(3))], np.float32)
    a = (cov * rng.uniform(0.85, 1.0))[..., None]
    img = paper * (1 - a) + col * a + rng.normal(0, 1.5, (H, W, 3))
    return np.clip(img, 0, 255).astype(np.uint8), spans, np.array([g.mnist for g in glyphs])


SURFACES = {"canvas": render_canvas, "photo": render_photo, "scan": render_scan}


# ------------------------------------------------------------------ examples and pools
@dataclass
class Example:
    """One training string through the page's path.

    image: the model input ``(IMG_H, IMG_W)`` float32; digits: as written ``(L,)``;
    spans: each digit's columns in the model input ``(L, 2)`` (float, may reach past the
    edges); mnist: MNIST test-set index of each digit (-1 = not MNIST); surface, source."""
    image: np.ndarray
    digits: np.ndarray
    spans: np.ndarray
    mnist: np.ndarray
    surface: str
    source: str
    raw: Optional[np.ndarray] = None


def example(rng, r: Recipe = Recipe(), split: str = "train", text: Optional[str] = None,
            surface: Optional[str] = None, source: Optional[str] = None, keep_raw: bool = False
            ) -> Optional[Example]:
    """One random string (or ``text``) on a random surface, preprocessed like the page does;
    None when :func:`attention.models.digits.check_input` refuses it (the page would too)."""
    if text is None:
        L = int(rng.choice(np.arange(r.min_digits, r.max_digits + 1), p=np.asarray(r.length_weights)))
        text = "".join(str(int(d)) for d in rng.integers(0, 10, L))
    surface = surface or _choose(rng, r.surface)
    source = source or _choose(rng, r.source)
    raw, spans, mn = SURFACES[surface](text, rng, r, split, source)
    p = preprocess(raw)
    if check_input(p) is not None:
        return None
    cols = to_model_x(p, spans)                                            # (L, 2) model columns
    return Example(p.image, np.array([int(c) for c in text]), cols, mn, surface, source,
                   raw if keep_raw else None)


def build_pool(n: int, seed: int, split: str = "train", r: Recipe = Recipe(), start: int = 0,
               progress=None) -> dict:
    """``n`` examples (indices ``start .. start + n - 1``; example ``i`` from
    ``default_rng([seed, i])``, retried with ``[seed, i, k]`` if refused).  Returns arrays:
    images ``(n, H, W)`` uint8, digits ``(n, 6)`` int8 (-1 pad), lengths ``(n,)``, spans
    ``(n, 6, 2)`` float32, mnist ``(n, 6)`` int16, surface / source codes ``(n,)`` int8 and the
    number of refused draws."""
    L = r.max_digits
    out = {"images": np.zeros((n, IMG_H, IMG_W), np.uint8), "digits": np.full((n, L), -1, np.int8),
           "lengths": np.zeros(n, np.int8), "spans": np.zeros((n, L, 2), np.float32),
           "mnist": np.full((n, L), -1, np.int16), "surface": np.zeros(n, np.int8),
           "source": np.zeros(n, np.int8)}
    surfaces, sources = [s for s, _ in r.surface], [s for s, _ in r.source]
    refused = 0
    for j in range(n):
        i = start + j
        k = 0
        while True:
            rng = np.random.default_rng([seed, i] + ([k] if k else []))
            ex = example(rng, r, split)
            if ex is not None:
                break
            refused += 1
            k += 1
        m = len(ex.digits)
        out["images"][j] = np.clip(np.round(ex.image * 255), 0, 255).astype(np.uint8)
        out["digits"][j, :m] = ex.digits
        out["lengths"][j] = m
        out["spans"][j, :m] = ex.spans
        out["mnist"][j, :m] = ex.mnist
        out["surface"][j] = surfaces.index(ex.surface)
        out["source"][j] = sources.index(ex.source)
        if progress is not None:
            progress.update()
    out["refused"] = np.array(refused)
    return out


#: Bumped whenever the drawing code of this module changes (the cache key also holds the
#: source of the pen font and of the page's preprocessing, the recipe, n, seed and split).
DATA_VERSION = 2


def _pool_key(n: int, seed: int, split: str, r: Recipe) -> str:
    src = (Path(__file__).parent / "pen.py").read_bytes() + Path(preprocess.__code__.co_filename).read_bytes()
    h = hashlib.sha256(src + json.dumps([DATA_VERSION, n, seed, split, r.to_dict()], default=list).encode()).hexdigest()
    return f"caption_pool_{split}_{n}_{seed}_{h[:12]}.npz"


def pool(n: int, seed: int = 0, split: str = "train", r: Recipe = Recipe(), workers: int = 1,
         cache: Optional[Path] = CACHE, progress: bool = True) -> dict:
    """The pool of :func:`build_pool`, cached in ``cache`` (keyed by the generator's and the
    preprocessing's source code, ``n``, ``seed``, split and recipe), built with ``workers``
    processes.  When a smaller pool of the same generator, seed, split and recipe is cached,
    only the strings after it are built (it is this pool's beginning).  Adds
    ``"build_cpu_seconds"`` (all workers, the cached part's included) and ``"build_wall_seconds"``."""
    import time
    path = None if cache is None else Path(cache) / _pool_key(n, seed, split, r)
    if path is not None and path.is_file():
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    if any(src in ("mnist", "mixed") and w > 0 for src, w in r.source):
        mnist_train_group()                                      # fail early, with the message
    from training.common import progress as bar
    t0, c0 = time.perf_counter(), time.process_time()
    # a smaller cached pool of the same generator is this pool's first strings: build the rest
    head = _cached_prefix(n, seed, split, r, cache) if cache is not None else None
    start = 0 if head is None else len(head["lengths"])
    todo = n - start
    label = f"caption data ({split}" + (f", strings {start:,}-{n - 1:,}; the first {start:,} cached" if start else "")
    if workers <= 1:
        pb = bar(todo, label + ")") if progress else None
        out = build_pool(todo, seed, split, r, start, pb)
        if pb is not None:
            pb.close()
        cpu = time.process_time() - c0
    else:
        from concurrent.futures import ProcessPoolExecutor
        chunks = [c for c in np.array_split(np.arange(start, n), workers * 4) if len(c)]
        pb = bar(todo, label + f", {workers} processes)") if progress else None
        parts = []
        with ProcessPoolExecutor(workers) as ex:                 # in order; the bar moves per chunk
            for c, part in zip(chunks, ex.map(_build_chunk, [(len(c), seed, split, r, int(c[0])) for c in chunks])):
                parts.append(part)
                if pb is not None:
                    pb.update(len(c))
        if pb is not None:
            pb.close()
        out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if k not in ("refused", "cpu")}
        out["refused"] = np.array(sum(int(p["refused"]) for p in parts))
        cpu = time.process_time() - c0 + sum(float(p["cpu"]) for p in parts)
    if head is not None:                                         # times: the cached part's + this run's
        out = {**{k: np.concatenate([head[k], out[k]]) for k in POOL_ARRAYS},
               "refused": np.array(int(head["refused"]) + int(out["refused"]))}
        cpu += float(head["build_cpu_seconds"])
        t0 -= float(head["build_wall_seconds"])
    out["build_cpu_seconds"] = np.array(round(cpu, 1))
    out["build_wall_seconds"] = np.array(round(time.perf_counter() - t0, 1))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **out)
        tmp.replace(path)
    return out


#: The per-string arrays of a pool (:func:`build_pool`), in order.
POOL_ARRAYS = ("images", "digits", "lengths", "spans", "mnist", "surface", "source")


def _cached_prefix(n: int, seed: int, split: str, r: Recipe, cache: Path) -> Optional[dict]:
    """The largest cached pool of fewer than ``n`` strings from the same generator, seed, split
    and recipe (its file name is that pool's key), or None.  String ``i`` of a pool is drawn from
    ``default_rng([seed, i])`` whatever its size, so that pool is the first strings of this one."""
    best = None
    for f in Path(cache).glob(f"caption_pool_{split}_*_{seed}_*.npz"):
        try:
            m = int(f.name.split("_")[3])
        except (IndexError, ValueError):
            continue
        if m < n and f.name == _pool_key(m, seed, split, r) and (best is None or m > best[0]):
            best = (m, f)
    if best is None:
        return None
    with np.load(best[1]) as z:
        return {k: z[k] for k in z.files}


def _build_chunk(args) -> dict:
    import time
    torch.set_num_threads(1)
    c0 = time.process_time()
    out = build_pool(*args)
    out["cpu"] = np.array(time.process_time() - c0)
    return out


# ------------------------------------------------------------------ batches
def in_order(digits: torch.Tensor, order: str = "left_to_right") -> torch.Tensor:
    """The caption's digits ``(n, L)`` (padded with -1) in caption ``order``
    (``attention.models.captioner.ORDERS``): as written, or ``"largest_first"`` -- sorted from the
    largest digit to the smallest, the -1 padding staying at the end.  The images are the same."""
    one_of("order", order, ORDERS)
    if order == "left_to_right":
        return digits
    return torch.sort(digits, dim=1, descending=True, stable=True).values


def batch(data: dict, idx: np.ndarray, order: str = "left_to_right"):
    """Rows ``idx`` of a pool: ``images (B, 1, H, W)`` float32 in [0, 1], digits ``(B, 6)``
    int64 in caption ``order`` and lengths ``(B,)``."""
    x = torch.from_numpy(data["images"][idx].astype(np.float32) / 255.0).unsqueeze(1)   # (B, 1, H, W)
    d = torch.from_numpy(data["digits"][idx].astype(np.int64))
    return x, in_order(d, order), torch.from_numpy(data["lengths"][idx].astype(np.int64))
