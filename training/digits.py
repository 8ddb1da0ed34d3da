"""Handwritten digit strings for the captioning models, and user-image preprocessing.

Data
----
Every string is composed from scikit-learn's bundled handwritten digits
(``sklearn.datasets.load_digits``: 1,797 images of 8 x 8 pixels, values 0..16 = the
number of inked pixels in each 4 x 4 block of a 32 x 32 bitmap; nothing is downloaded).
The 1,797 source images are split ONCE, by ``split_seed``, into a train pool and a
test pool (disjoint, stratified by digit): training strings use only train-pool
digits, test strings only test-pool digits.

A string has 3..6 digits.  Each digit's 8 x 8 raster is drawn into a
``IMG_H x IMG_W = 32 x 96`` image by a bicubic ``grid_sample`` (smooth upsampling) with
a per-string scale, slant (shear), small rotation, per-digit size / baseline jitter and
spacing (touching to widely spaced); digits are combined by a pixel-wise max.  Stroke
thickness varies by a gamma / threshold on the ink, then blur and noise are added.
Images are white ink (1) on black (0), ``float32``.  Everything is vectorised torch:
a batch of 256 strings takes a few milliseconds.

Determinism: batch ``i`` of a run with seed ``s`` is drawn from
``np.random.default_rng([s, i])``, so any batch can be regenerated on its own.

User images
-----------
:func:`preprocess` turns an arbitrary picture (a canvas RGBA drawing, a photo of digits
on paper) into the model's input and returns every stage (grayscale -> ink -> crop ->
model input) so a page can show what the model sees; :func:`check_input` returns a
clear reason when the picture is blank, holds more digits than the model reads, or does
not look like digits.  See ``preprocess`` for why the crop is resampled to an
8-pixel-tall raster first (it is how the training digits were made).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from attention.captioner import ORDERS
from attention.functional import one_of

IMG_H, IMG_W = 32, 96          # model input (pixels)
MIN_DIGITS, MAX_DIGITS = 3, 6  # string lengths the models are trained on
SRC = 8                        # sklearn digits are 8 x 8


# ------------------------------------------------------------------ source digits
@lru_cache(maxsize=1)
def source_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's handwritten digits: images ``(1797, 8, 8)`` float32 in [0, 1]
    (block counts / 16) and labels ``(1797,)`` int64."""
    from sklearn.datasets import load_digits
    d = load_digits()
    return (d.images / 16.0).astype(np.float32), d.target.astype(np.int64)


@lru_cache(maxsize=8)
def split_indices(split_seed: int = 0, test_fraction: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint (train_idx, test_idx) into :func:`source_digits`, stratified by digit.

    Returns two sorted int64 arrays; together they cover every source image once.
    """
    from sklearn.model_selection import train_test_split
    _, labels = source_digits()
    idx = np.arange(len(labels))
    tr, te = train_test_split(idx, test_size=test_fraction, random_state=split_seed,
                              stratify=labels)
    return np.sort(tr).astype(np.int64), np.sort(te).astype(np.int64)


# ------------------------------------------------------------------ the recipe
@dataclass(frozen=True)
class Recipe:
    """How strings are drawn (all lengths in pixels of the 32 x 96 image)."""
    min_digits: int = MIN_DIGITS
    max_digits: int = MAX_DIGITS
    height: tuple[float, float] = (16.0, 28.0)     # height of a digit's 8x8 box
    aspect: tuple[float, float] = (0.72, 1.0)      # box width / box height
    size_jitter: float = 0.10                      # per-digit relative scale jitter
    gap: tuple[float, float] = (-0.15, 0.45)       # space between boxes / box width
    baseline_jitter: float = 1.5                   # per-digit vertical jitter
    slant: tuple[float, float] = (-0.3, 0.3)     # shear x += slant * y (per string)
    rotation_deg: float = 5.0                      # per-digit rotation, uniform +-
    gamma: tuple[float, float] = (0.6, 1.5)       # ink ** gamma: < 1 thicker, > 1 thinner
    blur: tuple[float, float] = (0.0, 1.0)         # mix with a 3x3 blur
    noise: tuple[float, float] = (0.0, 0.04)       # Gaussian noise std
    fit_fraction: float = 0.5                      # share of strings scaled to fill the frame
    split_seed: int = 0
    test_fraction: float = 0.25

    def to_dict(self) -> dict:
        return asdict(self)


# ------------------------------------------------------------------ rendering
def _layout(rng: np.random.Generator, n: int, lengths: np.ndarray, r: Recipe) -> dict:
    """Per-digit boxes for ``n`` strings of ``lengths``; arrays ``(n, L)`` with L = max_digits."""
    L = r.max_digits
    h = rng.uniform(*r.height, size=n)                                  # (n,)
    aspect = rng.uniform(*r.aspect, size=n)                             # (n,)
    scale = 1.0 + rng.uniform(-r.size_jitter, r.size_jitter, size=(n, L))   # (n, L)
    bh = h[:, None] * scale                                             # (n, L)
    bw = bh * aspect[:, None]                                           # (n, L)
    gap_base = rng.uniform(*r.gap, size=n)                              # (n,)
    gap = (gap_base[:, None] + rng.uniform(-0.08, 0.08, size=(n, L))) * bw   # (n, L)
    present = np.arange(L)[None, :] < lengths[:, None]                  # (n, L)
    bw = np.where(present, bw, 0.0)
    gap = np.where(present & (np.arange(L)[None, :] < lengths[:, None] - 1), gap, 0.0)
    slant = rng.uniform(*r.slant, size=n)                               # (n,)
    # width of the string including the slant overhang at the top and bottom
    width = bw.sum(1) + gap.sum(1) + np.abs(slant) * bh.max(1)          # (n,)
    height = bh.max(1) + 2 * r.baseline_jitter                          # (n,)
    limit = np.minimum((IMG_W - 2) / width, (IMG_H - 2) / height)       # largest scale that fits
    fit = rng.random(n) < r.fit_fraction
    k = np.where(fit, limit * rng.uniform(0.85, 1.0, size=n), np.minimum(1.0, limit))   # (n,)
    bh, bw, gap, width, height = bh * k[:, None], bw * k[:, None], gap * k[:, None], width * k, height * k
    x0 = rng.uniform(1.0, np.maximum(1.0, IMG_W - 1 - width))           # (n,) left edge of the string
    y0 = rng.uniform(1.0, np.maximum(1.0, IMG_H - 1 - height))          # (n,) top of the string
    left = np.cumsum(np.concatenate([np.zeros((n, 1)), (bw + gap)[:, :-1]], 1), 1)   # (n, L)
    cx = x0[:, None] + np.abs(slant)[:, None] * bh.max(1)[:, None] / 2 + left + bw / 2
    cy = (y0 + height / 2)[:, None] + rng.uniform(-r.baseline_jitter, r.baseline_jitter, (n, L)) * k[:, None]
    rot = np.deg2rad(rng.uniform(-r.rotation_deg, r.rotation_deg, size=(n, L)))
    return dict(cx=cx, cy=cy, bw=np.maximum(bw, 1e-3), bh=bh, slant=slant, rot=rot, present=present)


def render(src: torch.Tensor, lay: dict) -> torch.Tensor:
    """Draw digit rasters into images.

    src: ``(n, L, 8, 8)`` float in [0, 1] (absent digits may be anything; they are
    masked by ``lay["present"]``).  lay: from :func:`_layout`.
    Returns ``(n, IMG_H, IMG_W)`` float32, the pixel-wise max over the digits.
    """
    n, L = src.shape[:2]
    t = {k: torch.as_tensor(v, dtype=torch.float32) for k, v in lay.items() if k != "present"}
    ys = torch.arange(IMG_H, dtype=torch.float32) + 0.5                    # (H,) pixel centres
    xs = torch.arange(IMG_W, dtype=torch.float32) + 0.5                    # (W,)
    dy = ys.view(1, 1, IMG_H, 1) - t["cy"].view(n, L, 1, 1)                # (n, L, H, 1)
    dx = xs.view(1, 1, 1, IMG_W) - t["cx"].view(n, L, 1, 1)                # (n, L, 1, W)
    dx = dx - t["slant"].view(n, 1, 1, 1) * dy                             # undo the shear
    c, s = torch.cos(t["rot"]).view(n, L, 1, 1), torch.sin(t["rot"]).view(n, L, 1, 1)
    u = (c * dx + s * dy) / (t["bw"].view(n, L, 1, 1) / 2)                 # (n, L, H, W) in [-1, 1] on the box
    v = (-s * dx + c * dy) / (t["bh"].view(n, L, 1, 1) / 2)                # (n, L, H, W)
    grid = torch.stack([u, v], dim=-1).view(n * L, IMG_H, IMG_W, 2)        # (n*L, H, W, 2)
    img = F.grid_sample(src.reshape(n * L, 1, SRC, SRC), grid, mode="bicubic",
                        padding_mode="zeros", align_corners=False)         # (n*L, 1, H, W)
    img = img.view(n, L, IMG_H, IMG_W).clamp(0, 1)                         # (n, L, H, W)
    present = torch.as_tensor(lay["present"]).view(n, L, 1, 1)
    return (img * present).amax(dim=1)                                     # (n, H, W)


_BLUR = torch.tensor([[1., 2., 1.], [2., 4., 2.], [1., 2., 1.]]).div(16).view(1, 1, 3, 3)


def _style(img: torch.Tensor, rng: np.random.Generator, r: Recipe) -> torch.Tensor:
    """Stroke thickness (gamma), blur and noise: ``(n, H, W) -> (n, H, W)`` in [0, 1]."""
    n = img.shape[0]
    gamma = torch.as_tensor(np.exp(rng.uniform(*np.log(r.gamma), size=n)), dtype=torch.float32)
    img = img.clamp_min(0).pow(gamma.view(n, 1, 1))
    img = img / img.flatten(1).amax(1).clamp_min(1e-6).view(n, 1, 1)       # ink peak = 1
    beta = torch.as_tensor(rng.uniform(*r.blur, size=n), dtype=torch.float32).view(n, 1, 1)
    blurred = F.conv2d(img.unsqueeze(1), _BLUR, padding=1).squeeze(1)       # (n, H, W)
    img = (1 - beta) * img + beta * blurred
    sd = torch.as_tensor(rng.uniform(*r.noise, size=n), dtype=torch.float32).view(n, 1, 1)
    noise = torch.as_tensor(rng.standard_normal((n, IMG_H, IMG_W)), dtype=torch.float32)
    return (img + sd * noise).clamp(0, 1)


def make_batch(pool: np.ndarray, n: int, rng: np.random.Generator,
               recipe: Recipe = Recipe(), lengths: Optional[np.ndarray] = None,
               return_sources: bool = False):
    """``n`` strings drawn from the source images ``pool`` (indices into :func:`source_digits`).

    Returns ``images (n, 1, IMG_H, IMG_W)`` float32 (ink = 1), ``digits (n, L)`` int64
    (L = max_digits, padded with -1) and ``lengths (n,)`` int64; with ``return_sources``
    also the source-image index of every digit ``(n, L)`` (-1 = no digit).
    """
    images, labels = source_digits()
    L = recipe.max_digits
    if lengths is None:
        lengths = rng.integers(recipe.min_digits, recipe.max_digits + 1, size=n)
    lengths = np.asarray(lengths, dtype=np.int64)
    pick = rng.choice(pool, size=(n, L))                                     # (n, L) source indices
    src = torch.from_numpy(images[pick])                                     # (n, L, 8, 8)
    present = np.arange(L)[None, :] < lengths[:, None]
    digits = np.where(present, labels[pick], -1)                             # (n, L)
    img = _style(render(src, _layout(rng, n, lengths, recipe)), rng, recipe)
    out = (img.unsqueeze(1), torch.from_numpy(digits), torch.from_numpy(lengths))   # (n, 1, H, W)
    return out + (np.where(present, pick, -1),) if return_sources else out


def in_order(digits: torch.Tensor, order: str = "left_to_right") -> torch.Tensor:
    """The caption's digits ``(n, L)`` (padded with -1) in caption ``order``
    (``attention.captioner.ORDERS``): as written, or ``"largest_first"`` -- sorted from the
    largest digit to the smallest, the -1 padding staying at the end.  The images are the same."""
    one_of("order", order, ORDERS)
    if order == "left_to_right":
        return digits
    return torch.sort(digits, dim=1, descending=True, stable=True).values


def train_batch(step: int, n: int, seed: int = 0, recipe: Recipe = Recipe(),
                order: str = "left_to_right"):
    """Training batch number ``step`` of a run with ``seed`` (train pool only); the captions in
    ``order`` (the images do not depend on it)."""
    train_idx, _ = split_indices(recipe.split_seed, recipe.test_fraction)
    images, digits, lengths = make_batch(train_idx, n, np.random.default_rng([seed, step]), recipe)
    return images, in_order(digits, order), lengths


@lru_cache(maxsize=8)
def test_set(n: int = 2000, seed: int = 12345, n_digits: Optional[int] = None,
             recipe: Recipe = Recipe(), order: str = "left_to_right"):
    """A fixed test set from the TEST pool only: ``(images, digits, lengths)`` as in
    :func:`make_batch`, captions in ``order``.  ``n_digits`` fixes every string's length (e.g. 4)."""
    _, test_idx = split_indices(recipe.split_seed, recipe.test_fraction)
    rng = np.random.default_rng([seed, 0 if n_digits is None else n_digits])
    lengths = None if n_digits is None else np.full(n, n_digits)
    images, digits, lengths = make_batch(test_idx, n, rng, recipe, lengths)
    return images, in_order(digits, order), lengths


def caption_text(digits) -> str:
    """``[4, 0, 7, 2] -> "4 0 7 2"`` (padding -1 dropped)."""
    return " ".join(str(int(d)) for d in digits if int(d) >= 0)


# ------------------------------------------------------------------ user images
@dataclass
class Preprocessed:
    """What :func:`preprocess` made of a user image.

    stages: ordered ``{name: 2-D float32 array in [0, 1]}`` with white ink on black:
      ``"grayscale"`` (the picture, dark ink made white), ``"ink"`` (background removed,
      specks dropped), ``"crop"`` (the ink's bounding box), ``"model input"``
      (``IMG_H x IMG_W``, what the model reads).
    image: the model input ``(IMG_H, IMG_W)`` float32 (None if there is no ink).
    info: measurements used by :func:`check_input` (ink fraction, blobs, aspect...).
    """
    stages: dict = field(default_factory=dict)
    image: Optional[np.ndarray] = None
    info: dict = field(default_factory=dict)


def to_gray(img: np.ndarray) -> np.ndarray:
    """Any ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)`` array -> grayscale ``(H, W)`` float32 in [0, 1].

    RGBA (a canvas) is composited over white, so transparent = paper.  uint8 is divided
    by 255; floats are taken as [0, 1].
    """
    a = np.asarray(img)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)) or min(a.shape[:2]) < 1:
        raise ValueError(f"expected an image (H, W), (H, W, 3) or (H, W, 4); got shape {a.shape}")
    a = a.astype(np.float32) / (255.0 if a.dtype == np.uint8 else 1.0)
    if a.ndim == 2:
        return np.clip(a, 0, 1)
    if a.shape[2] == 1:
        return np.clip(a[..., 0], 0, 1)
    rgb = a[..., :3]
    gray = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)          # ITU-R 601 luma
    if a.shape[2] == 4:
        alpha = a[..., 3]
        gray = alpha * gray + (1 - alpha) * 1.0                              # over white paper
    return np.clip(gray, 0, 1)


def _otsu(x: np.ndarray) -> float:
    """Otsu's threshold of values in [0, 1] (256 bins)."""
    hist, edges = np.histogram(x, bins=256, range=(0, 1))
    p = hist.astype(np.float64) / max(1, hist.sum())
    mids = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(p)
    m0 = np.cumsum(p * mids)
    mt = m0[-1]
    between = (mt * w0 - m0) ** 2 / np.maximum(w0 * (1 - w0), 1e-12)
    return float(mids[int(np.argmax(between))])


STROKE = 0.15      # stroke width / digit height of the training digits (scikit-learn's are thick)


def _thicken(x: np.ndarray, info: dict) -> np.ndarray:
    """Thicken thin pen strokes to about ``STROKE`` x the ink's height (never thins).

    The stroke width is estimated as ``2 * area / perimeter`` of the ink (a stroke of length
    L and width w has area L w and perimeter ~2 L); a disk of diameter
    ``STROKE * height - width`` is then added by a grey dilation.  ``x``: ``(H, W)`` in [0, 1].
    """
    from scipy import ndimage
    ink = x > 0
    if not ink.any():
        return x
    rows = np.nonzero(ink.any(1))[0]
    height = rows[-1] - rows[0] + 1
    perimeter = int((ink & ~ndimage.binary_erosion(ink)).sum())
    width = 2.0 * ink.sum() / max(perimeter, 1)
    d = int(round(STROKE * height - width))
    info.update(stroke_width=float(width), ink_height=int(height), thickened_by=max(0, d))
    if d < 2:
        return x
    r = np.hypot(*np.mgrid[-(d // 2):d // 2 + 1, -(d // 2):d // 2 + 1]) <= d / 2      # disk
    return ndimage.grey_dilation(x, footprint=r).astype(np.float32)


def preprocess(img: np.ndarray, target_height: float = 22.0) -> Preprocessed:
    """Turn a user picture into the model input, keeping every stage.

    1. **grayscale** (:func:`to_gray`); if the picture is mostly light (median > 0.5)
       it is dark ink on paper and is inverted, so ink is bright like the training data.
    2. **ink**: subtract the background (a grey opening of size ``k = max(15, min(H, W) / 6)``:
       the paper with its uneven lighting, without the thinner pen strokes -- and
       without large filled areas, which are not pen strokes either), split ink from paper
       with Otsu's threshold t, scale so the 95th percentile of the ink is 1, zero everything
       below t / 2, and drop connected blobs smaller than 2 % of the largest (specks);
       then thicken thin pen strokes to about 15 % of the ink's height (:func:`_thicken`),
       as thick as the strokes of the training digits.
    3. **crop** to the ink's bounding box.
    4. **model input**: the crop is first averaged down to 8 pixels tall (box filter,
       width in proportion) -- exactly how scikit-learn's digits were made (4 x 4 block
       counts of a 32 x 32 bitmap), so a pen stroke ends up as thick and as blurred as
       in training -- then smoothly upsampled (bicubic) so the string is
       ``target_height`` px tall (or fills the width, if it is long), and centred in
       ``IMG_H x IMG_W``.
    """
    out = Preprocessed()
    gray = to_gray(img)
    info = out.info
    info["shape"] = tuple(int(s) for s in gray.shape)
    info["inverted"] = bool(np.median(gray) > 0.5)
    g = 1.0 - gray if info["inverted"] else gray
    out.stages["grayscale"] = g.astype(np.float32)
    found = _ink(g, info)
    if found is None:                                     # flat picture: nothing written
        out.stages["ink"] = np.zeros_like(g)
        info.update(ink_fraction=0.0, blobs=0, components=0, small_specks=0)
        return out
    x, lab, keep = found
    out.stages["ink"] = x
    ys, xs = np.nonzero(x)
    info["ink_fraction"] = float((x > 0).mean())
    if len(ys) == 0:
        info["blobs"] = 0
        return out
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = x[y0:y1, x0:x1]
    out.stages["crop"] = crop
    ch, cw = crop.shape
    info["bbox"] = (int(y0), int(x0), int(ch), int(cw))
    info["aspect"] = cw / max(ch, 1)
    info["fill"] = float((crop > 0).mean())                     # inked share of the box
    info["blobs"] = _count_blobs(lab, keep)
    out.image = out.stages["model input"] = _model_input(crop, target_height)
    return out


def _ink(g: np.ndarray, info: dict):
    """Step 2 of :func:`preprocess` on the bright-ink picture ``g (H, W)``: the ink ``(H, W)``
    float32 in [0, 1], its component labels ``(H, W)`` and the kept-component flags ``(n + 1,)``;
    ``None`` when the picture is flat (contrast < 0.08).  Records contrast, components, specks."""
    from scipy import ndimage

    # Background: a grey opening wider than any pen stroke keeps the paper (and its uneven
    # lighting) and drops the strokes; subtracting it leaves the strokes on a flat 0.
    k = max(15, min(g.shape) // 6) | 1
    bg = ndimage.grey_opening(g, size=(k, k))
    x = np.clip(g - bg, 0, None).astype(np.float32)
    info["contrast"] = float(x.max())
    if x.max() < 0.08:
        return None
    t = _otsu(x / x.max()) * x.max()                      # ink vs paper
    top = float(np.percentile(x[x > t], 95)) if (x > t).sum() > 4 else float(x.max())
    x = np.clip(x / max(top, 1e-6), 0, 1)
    x = np.where(x >= 0.5 * t / max(top, 1e-6), x, 0.0).astype(np.float32)
    lab, n = ndimage.label(x > 0)
    sizes = ndimage.sum(np.ones_like(x), lab, index=np.arange(1, n + 1)) if n else np.zeros(0)
    keep = np.zeros(n + 1, bool)
    if n:
        keep[1:] = sizes >= max(4.0, 0.02 * sizes.max())
    x = np.where(keep[lab], x, 0.0).astype(np.float32)
    x = _thicken(x, info)
    info["components"] = int(n)
    info["small_specks"] = int(n - keep[1:].sum())
    return x, lab, keep


def _count_blobs(lab: np.ndarray, keep: np.ndarray) -> int:
    """Kept components, merging pieces that overlap horizontally (a "5" drawn in two strokes):
    a rough count of separate digits."""
    from scipy import ndimage

    spans = sorted((sl[1].start, sl[1].stop) for i, sl in enumerate(ndimage.find_objects(lab), 1)
                   if keep[i] and sl is not None)
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a < merged[-1][1] - 0.25 * (b - a):
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return len(merged)


def _model_input(crop: np.ndarray, target_height: float) -> np.ndarray:
    """Step 4 of :func:`preprocess`: the ink crop ``(h, w)`` -> the model input ``(IMG_H, IMG_W)``
    float32: an 8-px-tall box-filtered raster, smoothly upsampled and centred."""
    from PIL import Image

    ch, cw = crop.shape
    small_h = SRC
    small_w = max(1, int(round(cw * small_h / ch)))
    small = np.asarray(Image.fromarray(crop).resize((small_w, small_h), Image.Resampling.BOX),
                       dtype=np.float32)
    small = small / max(float(small.max()), 1e-6)
    scale = min(target_height / small_h, (IMG_W - 4) / small_w, (IMG_H - 2) / small_h)
    th, tw = max(1, int(round(small_h * scale))), max(1, int(round(small_w * scale)))
    big = torch.nn.functional.interpolate(torch.from_numpy(small)[None, None], size=(th, tw),
                                          mode="bicubic", align_corners=False)[0, 0]   # (th, tw)
    big = big.clamp(0, 1).numpy()
    canvas = np.zeros((IMG_H, IMG_W), np.float32)
    oy, ox = (IMG_H - th) // 2, (IMG_W - tw) // 2
    canvas[oy:oy + th, ox:ox + tw] = big
    canvas /= max(float(canvas.max()), 1e-6)
    return canvas


def check_input(p: Preprocessed, max_digits: int = MAX_DIGITS) -> Optional[str]:
    """A clear reason why ``p`` cannot be read, or None if it looks like a digit string.

    * blank: no ink at all (flat picture, empty canvas);
    * too little ink to be digits (a dot, a speck);
    * more digits than the model reads: more separate blobs than ``max_digits``, or a
      string wider than ``max_digits`` digits could be (width > 1.5 x height per digit);
    * not digits: the ink fills most of its box (a filled shape, a photo of something
      else), or the picture is mostly specks (noise, texture).
    """
    i = p.info
    if i.get("blobs", 0) == 0 or p.image is None:
        return ("The picture is blank: there are no pen strokes to read (large filled areas are "
                "not strokes). Draw or upload some digits.")
    h, w = i["shape"]
    _, _, ch, cw = i["bbox"]
    if ch * cw < 0.002 * h * w or max(ch, cw) < 0.04 * max(h, w):
        return "There is too little ink to be digits (only a dot or a speck). Write larger."
    if i.get("small_specks", 0) > 40 or i["ink_fraction"] > 0.45:
        return ("This does not look like digits: the picture is mostly noise or texture. "
                "Use dark digits on plain paper, or draw on the canvas.")
    if i["fill"] > 0.6:
        return ("This does not look like digits: the ink fills most of its box "
                "(a filled shape, not pen strokes).")
    if i["blobs"] > max_digits:
        return (f"There are more digits than the model reads: it reads {MIN_DIGITS} to "
                f"{max_digits} digits, and this picture has about {i['blobs']} separate marks.")
    if i["aspect"] > 1.5 * max_digits:
        return (f"The writing is too wide for the model: it reads {MIN_DIGITS} to {max_digits} "
                f"digits on one line.")
    if i["aspect"] < 0.25:
        return "This does not look like a line of digits: the ink is a tall thin stroke."
    return None
