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
The page's preprocessing (canvas / photo -> model input) lives with the model, in
:mod:`attention.models.digits`; it is re-exported here for the data code.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from attention.functional import one_of
from attention.models.captioner import ORDERS
from attention.models.digits import IMG_H, IMG_W, MAX_DIGITS, MIN_DIGITS, SRC


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
    (``attention.models.captioner.ORDERS``): as written, or ``"largest_first"`` -- sorted from the
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


    return " ".join(str(int(d)) for d in digits if int(d) >= 0)
