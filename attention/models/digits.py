"""From a user's picture to the captioner's input (runtime): canvas drawings and photos.

:func:`preprocess` turns an arbitrary picture (a canvas RGBA drawing, a photo of digits on
paper) into the model's input and returns every stage (grayscale -> ink -> crop -> model input)
so a page can show what the model sees; :func:`check_input` returns a clear reason when the
picture is blank, holds more digits than the model reads, or does not look like digits.

Preprocessing is part of the model: training (``training/digits.py``) draws its strings on a
canvas or on paper and runs this very code on them, so the model learns on what the page makes.
:attr:`Preprocessed.info` holds the map from picture pixels to model-input pixels
(:func:`to_model_x`), which training uses to know which model-input columns hold each digit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

IMG_H, IMG_W = 32, 96          # model input (pixels)
MIN_DIGITS, MAX_DIGITS = 3, 6  # string lengths the models are trained on
WORK = 640                     # pictures are first shrunk so their longer side is at most this
INK_HEIGHT = 24                # the string's ink is this many pixels tall in the model input ...
MARGIN = 2                     # ... unless it is too wide: then it fills the width minus 2 x MARGIN
STROKE = 0.09                  # thinner strokes are thickened to this share of the ink's height
KEEP = 0.3                     # ink weaker than this share of the strokes' own darkness is paper


def caption_text(digits) -> str:
    """``[4, 0, 7, 2] -> "4 0 7 2"`` (padding -1 dropped)."""
    return " ".join(str(int(d)) for d in digits if int(d) >= 0)


# ------------------------------------------------------------------ user images
@dataclass
class Preprocessed:
    """What :func:`preprocess` made of a user image.

    stages: ordered ``{name: 2-D float32 array in [0, 1]}`` with white ink on black:
      ``"grayscale"`` (the picture at working size, dark ink made bright), ``"ink"``
      (background, ruled lines and specks removed), ``"crop"`` (the ink's line of writing),
      ``"model input"`` (``IMG_H x IMG_W``, what the model reads).
    image: the model input ``(IMG_H, IMG_W)`` float32 (None if there is no ink).
    info: measurements used by :func:`check_input` (ink fraction, blobs, aspect...) and
      ``"to_model"``: ``(scale, x_offset, y_offset)`` with model ``x = scale * x_picture + x_offset``
      (same for y), in pixels of the original picture (see :func:`to_model_x`).
    """
    stages: dict = field(default_factory=dict)
    image: Optional[np.ndarray] = None
    info: dict = field(default_factory=dict)


def to_gray(img: np.ndarray) -> np.ndarray:
    """Any ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)`` array -> grayscale ``(H, W)`` float32 in [0, 1].

    RGBA (a canvas) is composited over white, so transparent = paper.  uint8 is divided
    by 255; floats are taken as [0, 1].  Colour is turned into grey as the mean of the luma
    (ITU-R 601) and the brightest channel: dark inks (black, blue ballpoint, pencil) stay dark
    while the light coloured lines of ruled paper (pale blue rules, a pink margin) nearly
    vanish, since their brightest channel is almost as bright as the paper.
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
    luma = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    gray = 0.5 * luma + 0.5 * rgb.max(-1)
    if a.shape[2] == 4:
        alpha = a[..., 3]
        gray = alpha * gray + (1 - alpha) * 1.0                              # over white paper
    return np.clip(gray, 0, 1).astype(np.float32)


def _shrink_picture(a: np.ndarray, factor: float) -> np.ndarray:
    """Area-average a picture ``(H, W[, C])`` down by ``factor`` (> 1) with Pillow's box filter
    (uint8 pictures stay uint8; others are resized channel by channel as floats)."""
    from PIL import Image
    h, w = a.shape[:2]
    size = (max(1, int(round(w / factor))), max(1, int(round(h / factor))))
    if a.dtype == np.uint8 and (a.ndim == 2 or a.shape[2] in (3, 4)):
        return np.asarray(Image.fromarray(a).resize(size, Image.Resampling.BOX))
    chans = a[..., None] if a.ndim == 2 else a
    out = [np.asarray(Image.fromarray(np.ascontiguousarray(chans[..., c], dtype=np.float32), mode="F")
                      .resize(size, Image.Resampling.BOX)) for c in range(chans.shape[2])]
    out = np.stack(out, -1)
    return out[..., 0] if a.ndim == 2 else out


def _background(g: np.ndarray, k: int) -> np.ndarray:
    """The paper under ``g (H, W)`` (bright ink): a grey opening of size ``k``, computed on a
    4 x 4 block-minimum copy (thin strokes already gone) and enlarged bilinearly -- a smooth
    estimate ``(H, W)`` at a 16th of the cost."""
    import torch
    H, W = g.shape
    if min(H, W) < 64:
        return _opening(g, k)
    h4, w4 = -(-H // 4), -(-W // 4)
    p = np.pad(g, ((0, 4 * h4 - H), (0, 4 * w4 - W)), mode="edge")
    small = p.reshape(h4, 4, w4, 4).min((1, 3))                               # (H/4, W/4)
    small = _opening(small, max(3, k // 4) | 1)
    big = torch.nn.functional.interpolate(torch.from_numpy(np.ascontiguousarray(small))[None, None],
                                          scale_factor=4, mode="bilinear", align_corners=False)
    return big[0, 0, :H, :W].numpy()


def _opening(g: np.ndarray, k: int) -> np.ndarray:
    """Grey opening of ``g (H, W)`` with a ``k x k`` square, the picture continued past its
    border by odd reflection (``2 g[edge] - g[edge - j]``): light that falls off towards an edge
    goes on falling off, so the opening follows it to the border.  (Mirroring it evenly, or
    repeating the edge, cuts the slope short within ``k / 2`` of the border, and the difference
    there is as strong as a faint pencil stroke.)  Returns ``(H, W)``."""
    from scipy import ndimage
    r = k // 2 + 1
    H, W = g.shape
    p = np.pad(g, ((min(r, H - 1),) * 2, (min(r, W - 1),) * 2), mode="reflect", reflect_type="odd")
    o = ndimage.grey_opening(p, size=(k, k))
    ry, rx = min(r, H - 1), min(r, W - 1)
    return o[ry:ry + H, rx:rx + W]


def preprocess(img: np.ndarray) -> Preprocessed:
    """Turn a user picture into the model input, keeping every stage.

    1. **grayscale** (:func:`to_gray`), shrunk (area average) so the longer side is at most
       :data:`WORK` px; if the picture is mostly light (median > 0.5) it is dark ink on paper
       and is inverted, so ink is bright.
    2. **ink** (:func:`_ink`): subtract the background (a grey opening wider than any pen stroke:
       the paper with its uneven light, a dark table edge), scale so the strokes' own 99th
       percentile is 1, drop what is weaker than :data:`KEEP` of that (pale ruled lines, paper
       grain), drop specks and long thin lines (rules, page edges).
    3. **crop**: the line of writing -- the largest mark and every mark level with it, less
       specks out at either end (pieces of a rule or the page edge: far from the digits, or on
       the picture's border).
    4. **model input** (:func:`_model_input`): the crop scaled, keeping its aspect ratio, so the
       ink is :data:`INK_HEIGHT` px tall (or fits the width), strokes thinner than
       :data:`STROKE` x the height thickened, area-averaged down and centred in
       ``IMG_H x IMG_W``.  Nothing is squeezed: a digit keeps its shape.
    """
    out = Preprocessed()
    info = out.info
    a = np.asarray(img)
    if a.ndim not in (2, 3) or min(a.shape[:2]) < 1:
        raise ValueError(f"expected an image (H, W), (H, W, 3) or (H, W, 4); got shape {a.shape}")
    info["shape"] = tuple(int(s) for s in a.shape[:2])
    f = max(1.0, max(a.shape[:2]) / WORK)
    g = to_gray(_shrink_picture(a, f) if f > 1 else a)
    info["work_factor"] = float(f)
    info["inverted"] = bool(np.median(g) > 0.5)
    g = 1.0 - g if info["inverted"] else g
    out.stages["grayscale"] = g.astype(np.float32)
    found = _ink(g, info)
    if found is None:                                     # flat picture: nothing written
        out.stages["ink"] = np.zeros_like(g)
        info.update(ink_fraction=0.0, blobs=0, components=0, small_specks=0)
        return out
    x, lab, keep = found
    info["ink_fraction"] = float((x > 0).mean())
    box = _line_box(lab, keep, x.shape)
    x = np.where(keep[lab], x, 0.0).astype(np.float32)
    out.stages["ink"] = x
    if box is None:
        info["blobs"] = 0
        return out
    y0, y1, x0, x1 = box
    crop = x[y0:y1, x0:x1]
    out.stages["crop"] = crop
    ch, cw = crop.shape
    info["bbox"] = (int(y0), int(x0), int(ch), int(cw))
    info["aspect"] = cw / max(ch, 1)
    info["fill"] = float((crop > 0).mean())                     # inked share of the box
    info["blobs"] = _count_blobs(lab[y0:y1, x0:x1], keep)
    image, (s, ox, oy) = _model_input(crop, info)
    # picture px -> working px (/ f) -> crop px (- x0) -> model px (* s + o)
    info["to_model"] = (float(s / f), float(ox - s * x0), float(oy - s * y0))
    out.image = out.stages["model input"] = image
    return out


def to_model_x(p: Preprocessed, x) -> np.ndarray:
    """Columns of the model input for x coordinates ``x`` (pixels of the original picture)."""
    s, ox, _ = p.info["to_model"]
    return np.asarray(x, dtype=np.float64) * s + ox


def _ink(g: np.ndarray, info: dict):
    """Step 2 of :func:`preprocess` on the bright-ink picture ``g (H, W)``: the ink ``(H, W)``
    float32 in [0, 1], its component labels ``(H, W)`` and the kept-component flags ``(n + 1,)``;
    ``None`` when the picture is flat (contrast < 0.08).  Records contrast, components, specks."""
    from scipy import ndimage

    H, W = g.shape
    g = _without_table(g, info)
    k = max(31, min(H, W) // 4) | 1
    bg = _background(g, k)                                # the paper without the strokes
    x = np.clip(g - bg, 0, None).astype(np.float32)
    info["contrast"] = float(x.max())
    if x.max() < 0.08:
        return None
    t = _otsu(x / x.max()) * x.max()                      # ink vs paper
    strong = x[x > t]
    top = float(np.percentile(strong, 99)) if strong.size > 4 else float(x.max())
    x = np.clip(x / max(top, 1e-6), 0, 1)
    x = _without_rules(x, info)
    x = np.where(x >= max(KEEP, 0.5 * t / max(top, 1e-6)), x, 0.0).astype(np.float32)
    lab, n = ndimage.label(x > 0)
    keep = np.zeros(n + 1, bool)
    if n:
        sizes = ndimage.sum_labels(np.ones_like(x), lab, index=np.arange(1, n + 1))
        keep[1:] = sizes >= max(4.0, 0.02 * sizes.max())
    info["components"] = int(n)
    info["small_specks"] = int(n - keep[1:].sum())
    return x, lab, keep


def _without_table(g: np.ndarray, info: dict) -> np.ndarray:
    """A photo's dark surroundings (the table beside the sheet, a shadow at the edge) painted
    over with the paper: in ``g (H, W)`` (bright = dark in the photo), regions much darker than
    the paper (by 0.35) that hold a part wider than any pen stroke (a grey opening of size
    ``max(15, 0.06 min(H, W))`` survives) and touch the picture's border, grown into the wide
    regions at least 0.15 darker than the paper that touch them; each covered pixel takes the
    value of the nearest uncovered one.  Returns ``(H, W)`` float32."""
    from scipy import ndimage
    H, W = g.shape
    paper = float(np.median(g))
    m = g > paper + 0.35
    s = max(15, int(0.06 * min(H, W))) | 1
    info["table"] = 0.0
    if m.mean() < 0.005:
        return g
    seeds = ndimage.grey_opening(m.astype(np.uint8), size=(s, s)) > 0
    if not seeds.any():
        return g
    lab, n = ndimage.label(m)
    border = np.zeros(n + 1, bool)
    border[np.unique(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]]))] = True
    big = np.zeros(n + 1, bool)
    big[np.unique(lab[seeds])] = True
    big[0] = False
    table = (big & border)[lab]
    if table.sum() < 0.005 * H * W:
        return g
    # where the light falls off, the same table is less dark: wide regions at least 0.15 darker
    # than the paper that touch it belong to it too (hysteresis)
    weak = ndimage.grey_opening((g > paper + 0.15).astype(np.uint8), size=(s, s)) > 0
    wlab, _ = ndimage.label(weak)
    ids = np.unique(wlab[table & weak])
    table |= np.isin(wlab, ids[ids > 0])
    info["table"] = float(table.mean())
    grow = max(2, min(H, W) // 80)                         # and its blurred rim
    cover = ndimage.binary_dilation(table, iterations=grow)
    # painted with the nearest paper outside it, so the light's fall-off continues smoothly
    # (a constant would leave a step where that paper is darker or lighter than the median)
    iy, ix = ndimage.distance_transform_edt(cover, return_distances=False, return_indices=True)
    return g[iy, ix].astype(np.float32)


def _rule_angle(mask: np.ndarray) -> tuple[float, float]:
    """Ruled lines in ``mask (H, W)``: the slope (degrees, -10..10 by 0.5) at which some sloped
    row of ink stands out most from the rows around it (its count minus the median of the 15
    rows around it), and that excess as a share of the width.  A rule is a thin line across the
    page: a sharp peak; a line of writing, even in a thick pen, fills many rows alike."""
    from scipy import ndimage
    ys, xs = np.nonzero(mask)
    H, W = mask.shape
    if len(ys) < W // 4:
        return 0.0, 0.0
    best = (0.0, -1.0)
    for deg in np.arange(-10, 10.01, 0.5):
        r = np.round(ys - np.tan(np.radians(deg)) * xs).astype(np.int64) + W    # sheared rows
        prof = np.bincount(r, minlength=H + 2 * W).astype(np.float64)
        peak = float((prof - ndimage.median_filter(prof, size=15, mode="constant")).max())
        if peak > best[1]:
            best = (float(deg), peak)
    return best[0], best[1] / W


def _without_rules(x: np.ndarray, info: dict) -> np.ndarray:
    """Ruled lines (and a margin line across them) taken out of the ink ``x (H, W)`` in [0, 1]:
    when some thin sloped row of ink (``x > 0.15``) crosses 25 % of the width (:func:`_rule_angle`),
    the picture is turned level and what lies on long straight runs -- a grey opening along
    15 % of the width and, on such ruled paper, along 40 % of the height -- is subtracted
    (a directional top-hat: a stroke crossing a rule keeps its own ink), then turned back."""
    from PIL import Image
    from scipy import ndimage
    H, W = x.shape
    deg, share = _rule_angle(x > 0.15)
    info["rules"] = 0.0
    if share < 0.25:
        return x
    rot = np.asarray(Image.fromarray(x, mode="F").rotate(deg, Image.Resampling.BILINEAR, expand=True))
    Lh, Lv = max(3, int(0.15 * W)), max(3, int(0.4 * H))
    # a line a pixel off level or plumb still gives a run within a 5-px band
    lines = np.maximum(ndimage.grey_opening(ndimage.maximum_filter(rot, size=(5, 1)), size=(1, Lh)),
                       ndimage.grey_opening(ndimage.maximum_filter(rot, size=(1, 5)), size=(Lv, 1)))
    back = Image.fromarray(lines.astype(np.float32), mode="F").rotate(-deg, Image.Resampling.BILINEAR, expand=True)
    bw, bh = back.size
    l, tp = (bw - W) // 2, (bh - H) // 2
    lines = np.asarray(back.crop((l, tp, l + W, tp + H)), np.float32)
    info["rules"] = float((lines > 0.15).mean())
    return np.clip(x - lines, 0, 1).astype(np.float32)


def run_width(mask: np.ndarray) -> float:
    """Typical stroke width of a binary mask ``(H, W)``: the median length of its horizontal and
    vertical runs of ink.  A large filled region adds one long run per row, few next to the many
    short runs of pen strokes, so it barely moves the median."""
    runs = []
    for m in (mask, mask.T):
        p = np.pad(m, ((0, 0), (1, 1))).astype(np.int8)
        d = np.diff(p, axis=1)                             # +1 at a run's start, -1 after its end
        starts, ends = np.nonzero(d == 1), np.nonzero(d == -1)
        runs.append(ends[1] - starts[1])
    r = np.concatenate(runs)
    return float(np.median(r)) if r.size else 0.0


def _line_box(lab: np.ndarray, keep: np.ndarray, shape) -> Optional[tuple[int, int, int, int]]:
    """The line of writing ``(y0, y1, x0, x1)`` (end exclusive): the largest kept mark and every
    kept mark with at least half of its rows within the rows of the marks taken so far (grown
    to a fixed point);
    marks above or below the line (a smudge, another line of text) are dropped from ``keep``."""
    from scipy import ndimage
    objs = ndimage.find_objects(lab)
    ids = [i for i in np.flatnonzero(keep) if objs[i - 1] is not None]
    if not ids:
        return None
    sizes = dict(zip(ids, ndimage.sum_labels(np.ones(shape, np.float32), lab, index=ids)))
    # a long straight line (a page edge, a rule left over) is not a digit: a mark 6 times longer
    # than wide and twice as long as the other marks are tall is dropped
    ext = {i: (objs[i - 1][0].stop - objs[i - 1][0].start, objs[i - 1][1].stop - objs[i - 1][1].start)
           for i in ids}
    big = max(sizes.values())
    heights = [ext[i][0] for i in ids if sizes[i] > 0.1 * big and max(ext[i]) < 6 * min(ext[i])]
    if heights:
        ref = float(np.median(heights))
        for i in list(ids):
            h, w = ext[i]
            if max(h, w) > 6 * min(h, w) and max(h, w) > 2 * ref:
                keep[i] = False
                ids.remove(i)
    if not ids:
        return None
    first = max(ids, key=lambda i: sizes[i])
    sl = objs[first - 1]
    y0, y1, x0, x1 = sl[0].start, sl[0].stop, sl[1].start, sl[1].stop
    taken = {first}
    grew = True
    while grew:
        grew = False
        h = y1 - y0
        for i in ids:
            if i in taken:
                continue
            s = objs[i - 1]
            inside = min(s[0].stop, y1 + 0.15 * h) - max(s[0].start, y0 - 0.15 * h)
            if inside >= 0.5 * (s[0].stop - s[0].start):      # mostly level with the line
                taken.add(i)
                y0, y1 = min(y0, s[0].start), max(y1, s[0].stop)
                x0, x1 = min(x0, s[1].start), max(x1, s[1].stop)
                grew = True
    # specks out at either end of the line (pieces of a rule or of the page edge that
    # survived): a run of end marks, each smaller than a third of the line's height each way,
    # further from the nearest other mark than the line is tall (one speck, or a few together),
    # or apart from the other marks and touching the picture's left or right edge
    def box(marks):
        return (min(objs[i - 1][0].start for i in marks), max(objs[i - 1][0].stop for i in marks),
                min(objs[i - 1][1].start for i in marks), max(objs[i - 1][1].stop for i in marks))

    def size(i):
        return max(objs[i - 1][0].stop - objs[i - 1][0].start, objs[i - 1][1].stop - objs[i - 1][1].start)

    dropped = True
    while dropped and len(taken) > 1:
        dropped = False
        h = y1 - y0
        for side in ("left", "right"):
            ends = sorted(taken, key=lambda i: objs[i - 1][1].start if side == "left" else -objs[i - 1][1].stop)
            for k in range(1, len(ends)):
                if size(ends[k - 1]) >= h / 3:
                    break
                (_, _, gx0, gx1), (_, _, rx0, rx1) = box(ends[:k]), box(ends[k:])
                gap = rx0 - gx1 if side == "left" else gx0 - rx1
                at_edge = gx0 == 0 if side == "left" else gx1 >= shape[1]
                if gap > h or (at_edge and gap > 0):
                    taken.difference_update(ends[:k])
                    y0, y1, x0, x1 = box(taken)
                    dropped = True
                    break
            if dropped:
                break
    for i in ids:
        if i not in taken:
            keep[i] = False
    return int(y0), int(y1), int(x0), int(x1)


def _count_blobs(lab: np.ndarray, keep: np.ndarray) -> int:
    """Kept components, merging pieces that overlap horizontally (a "5" drawn in two strokes):
    a rough count of separate digits."""
    from scipy import ndimage

    spans = sorted((sl[1].start, sl[1].stop) for i, sl in enumerate(ndimage.find_objects(lab), 1)
                   if sl is not None and i < len(keep) and keep[i])
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a < merged[-1][1] - 0.25 * (b - a):
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return len(merged)


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


def _disk(d: int) -> np.ndarray:
    """A disk footprint of diameter ``d`` px ``(d', d')`` bool."""
    r = d / 2
    k = int(np.ceil(r))
    yy, xx = np.mgrid[-k:k + 1, -k:k + 1]
    return np.hypot(yy, xx) <= r


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width of a binary ink mask ``(H, W)``: ``2 * area / perimeter`` (a stroke of
    length L and width w has area L w and a boundary of about 2 L)."""
    from scipy import ndimage
    if not ink.any():
        return 0.0
    perimeter = int((ink & ~ndimage.binary_erosion(ink)).sum())
    return 2.0 * float(ink.sum()) / max(perimeter, 1)


def _model_input(crop: np.ndarray, info: dict) -> tuple[np.ndarray, tuple[float, float, float]]:
    """Step 4 of :func:`preprocess`: the crop ``(h, w)`` -> the model input ``(IMG_H, IMG_W)``
    float32 and the map ``(scale, x_offset, y_offset)`` from crop pixels to model pixels.

    The crop is resized (area average when shrinking, bilinear when enlarging) at twice the
    final scale, thin strokes are thickened there by a grey dilation with a disk (to
    :data:`STROKE` x the ink height), then it is halved (2 x 2 mean) and centred."""
    from PIL import Image
    from scipy import ndimage

    ch, cw = crop.shape
    s = min(INK_HEIGHT / ch, (IMG_W - 2 * MARGIN) / cw, (IMG_H - 2 * MARGIN) / ch)
    th, tw = max(1, int(round(ch * s))), max(1, int(round(cw * s)))
    s = min(th / ch, tw / cw) if min(ch, cw) > 0 else s
    pil = Image.fromarray(crop.astype(np.float32), mode="F")
    filt = Image.Resampling.BOX if 2 * s <= 1 else Image.Resampling.BILINEAR
    big = np.asarray(pil.resize((2 * tw, 2 * th), filt), np.float32)            # (2 th, 2 tw)
    big = np.clip(big / max(float(big.max()), 1e-6), 0, 1)
    ink = big > 0.35
    width = stroke_width(ink)
    d = int(round(STROKE * 2 * th - width))
    info.update(stroke_width=float(width / (2 * th)), thickened_by=max(0, d))
    if d >= 2 and ink.any():
        big = ndimage.grey_dilation(big, footprint=_disk(d)).astype(np.float32)
    small = big.reshape(th, 2, tw, 2).mean((1, 3))                              # (th, tw)
    out = np.zeros((IMG_H, IMG_W), np.float32)
    oy, ox = (IMG_H - th) // 2, (IMG_W - tw) // 2
    out[oy:oy + th, ox:ox + tw] = small
    out /= max(float(out.max()), 1e-6)
    sy, sx = th / ch, tw / cw
    return out, (float(sx), float(ox), float(oy))


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
    f = i.get("work_factor", 1.0)
    _, _, ch, cw = i["bbox"]
    ch, cw = ch * f, cw * f
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
