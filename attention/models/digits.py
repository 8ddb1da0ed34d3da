"""From a user's picture to the captioner's input (runtime): canvas drawings and photos.

:func:`preprocess` turns an arbitrary picture (a canvas RGBA drawing, a photo of digits on
paper) into the model's input and returns every stage (grayscale -> ink -> crop -> model input)
so a page can show what the model sees; :func:`check_input` returns a clear reason when the
picture is blank, holds more digits than the model reads, or does not look like digits.
Training (``training/digits.py``) uses the same code, so the model learns on what the page makes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import torch

IMG_H, IMG_W = 32, 96          # model input (pixels)
MIN_DIGITS, MAX_DIGITS = 3, 6  # string lengths the models are trained on
SRC = 8                        # the training digits' raster (scikit-learn's digits are 8 x 8)


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
