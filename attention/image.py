"""Image tensor ops for attention: colour modes to RGB, resize to a patch grid, patchify,
hand-made patch features, 2-D position encoding.

Pure Pillow / numpy / torch (no Streamlit, no Plotly), so it works from a notebook too.  Reading
*uploaded* bytes (limits, formats, messages) is the app's job: ``ui.uploads.decode_image``.

Conventions
-----------
- A prepared image ``x`` is ``(H, W, 3) float32 in [0, 1]`` with ``H % patch == W % patch == 0``.
- The patch grid is ``(gh, gw) = (H // patch, W // patch)``; patches are numbered row-major,
  ``i = r * gw + c`` (the order a ViT flattens them in).
- Inside a patch vector, pixels are row-major too, channel fastest: ``(py, px, c)``.
"""

from __future__ import annotations

import io

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

__all__ = [
    "FEATURE_NAMES", "to_rgb", "prepare", "patchify", "unpatchify", "patch_features",
    "position_encoding_2d", "feature_names", "grid_shape", "patch_to_index", "index_to_patch",
    "upsample_grid", "image_to_bytes", "to_uint8",
]

_LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601 luma weights (what Pillow's "L" conversion uses)


# ---------------------------------------------------------------------------------------------
# Colour modes -> 8-bit RGB
# ---------------------------------------------------------------------------------------------


def _scale_to_uint8(a: np.ndarray) -> np.ndarray:
    """High-bit-depth or float single-channel pixels (h, w) -> uint8 (h, w), by the data's real range.

    - integers all within [0, 65535] are 16-bit samples: ``round(v / 257)``
      (exact: 0 -> 0, 257·k -> k, 65535 -> 255). Pillow's own ``convert("L")`` *clips* instead
      (300 -> 255), which would turn almost every 16-bit photo white;
    - floats all within [0, 1] are normalised intensities: ``round(v * 255)``;
    - anything else (negative values, 32-bit counts, floats beyond 1) is stretched linearly from
      its min..max to 0..255; a constant such image is clipped to 0..255 instead.
    NaN / ±inf become 0.
    """
    is_float = np.issubdtype(a.dtype, np.floating)
    a = np.nan_to_num(a.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)  # (h, w)
    lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
    if is_float and 0.0 <= lo and hi <= 1.0:
        out = a * 255.0
    elif not is_float and 0.0 <= lo and hi <= 65535.0:
        out = a / 257.0
    elif hi > lo:
        out = (a - lo) / (hi - lo) * 255.0
    else:
        out = a
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _composite_on_white(rgba: np.ndarray) -> np.ndarray:
    """(h, w, 4) uint8 straight alpha -> (h, w, 3) uint8: ``round((c·a + 255·(255 − a)) / 255)``."""
    a = rgba[..., 3:].astype(np.uint16)  # (h, w, 1)
    out = rgba[..., :3].astype(np.uint16)  # (h, w, 3); integer maths keeps a 40 MP upload small
    out *= a
    out += 255 * (255 - a) + 127  # c·a + 255·(255 − a) <= 65025, so + 127 still fits in uint16
    out //= 255  # exact rounding: N / 255 is never a tie for integer N
    return out.astype(np.uint8)


def to_rgb(im: Image.Image) -> Image.Image:
    """Any decoded Pillow image -> a fresh 8-bit RGB image of the same size.

    - Anything with alpha or a transparency key (RGBA, LA, PA, P + tRNS/GIF transparency,
      RGB + tRNS) is composited on white: ``round((c·a + 255·(255 − a)) / 255)``.
    - L, 1 (bilevel: 0 -> black, 1 -> white), P, CMYK, YCbCr: Pillow's ``convert("RGB")``
      (CMYK (0,0,0,0) -> white).
    - I;16 (16-bit): ``round(v / 257)`` so 65535 -> 255 (Pillow's own convert would clip).
      I (32-bit int): the same if all values lie in 0..65535, else min..max stretched to 0..255.
      F (float): ``round(v · 255)`` if all values lie in 0..1, else min..max stretched.

    Raises ValueError for a mode Pillow cannot convert to RGB.
    """
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I;16S", "I", "F"):
        v = _scale_to_uint8(np.asarray(im))  # (h, w) uint8
        return Image.fromarray(np.repeat(v[..., None], 3, axis=2))  # (h, w, 3)
    if im.has_transparency_data:  # RGBA, LA, PA, La, RGBa, P or RGB with a tRNS key
        return Image.fromarray(_composite_on_white(np.asarray(im.convert("RGBA"))))
    return im.convert("RGB")  # RGB (copy), L, 1 (0/255), P, CMYK, YCbCr, HSV, ...


# ---------------------------------------------------------------------------------------------
# Resizing and the patch grid
# ---------------------------------------------------------------------------------------------


def prepare(img: Image.Image, *, patch: int, max_side: int = 512) -> np.ndarray:
    """Resize a Pillow image onto a whole patch grid and scale it to [0, 1].

    Args:
        img: a Pillow image, normally RGB from :func:`to_rgb` (other modes get a plain ``convert("RGB")``).
        patch: patch side in pixels (>= 1).
        max_side: target length of the longer side; it becomes ``max(1, round(max_side / patch)) · patch``.

    The shorter side is scaled by the same factor and rounded to the nearest whole number of
    patches, but never below one patch (so 10000×10 becomes 512×16 at patch 16: aspect is lost
    only when it must be). Images are always rescaled to that size, small ones included.
    Resampling: NEAREST when upscaling by ≥ 2× on both axes (tiny images stay crisp blocks,
    and a 1×1 image becomes one flat colour), otherwise BICUBIC (Pillow's bicubic is
    antialiased when shrinking).

    Returns:
        ``(H, W, 3) float32 in [0, 1]`` with ``H % patch == W % patch == 0``.
    """
    if patch < 1 or max_side < 1:
        raise ValueError(f"patch and max_side must be >= 1, got patch={patch}, max_side={max_side}")
    img = img if img.mode == "RGB" else img.convert("RGB")
    w, h = img.size
    s = max_side / max(w, h)
    W = max(1, round(w * s / patch)) * patch
    H = max(1, round(h * s / patch)) * patch
    if (W, H) != (w, h):
        up = W >= 2 * w and H >= 2 * h
        img = img.resize((W, H), Image.Resampling.NEAREST if up else Image.Resampling.BICUBIC)
    return np.asarray(img, dtype=np.float32) / np.float32(255.0)  # (H, W, 3)


def to_uint8(x: np.ndarray | torch.Tensor) -> np.ndarray:
    """(H, W, C) float in [0, 1] -> (H, W, C) uint8 (clipped, rounded), e.g. for display."""
    x = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    return np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)


def grid_shape(x_shape: tuple, patch: int) -> tuple[int, int]:
    """Patch grid ``(gh, gw)`` of an image of shape ``(H, W, ...)``; H and W must divide by ``patch``."""
    H, W = int(x_shape[0]), int(x_shape[1])
    if patch < 1 or H % patch or W % patch:
        raise ValueError(f"image {H}×{W} is not a whole number of {patch}-pixel patches; call prepare() first")
    return H // patch, W // patch


def patch_to_index(row: int, col: int, grid: tuple[int, int]) -> int:
    """Row-major patch number ``row · gw + col`` of the patch at (row, col) in a ``(gh, gw)`` grid."""
    gh, gw = grid
    if not (0 <= row < gh and 0 <= col < gw):
        raise IndexError(f"patch ({row}, {col}) is outside the {gh}×{gw} grid")
    return row * gw + col


def index_to_patch(i: int, grid: tuple[int, int]) -> tuple[int, int]:
    """Inverse of patch_to_index: patch number ``i`` in ``[0, gh·gw)`` -> ``(row, col)``."""
    gh, gw = grid
    if not 0 <= i < gh * gw:
        raise IndexError(f"patch index {i} is outside 0..{gh * gw - 1}")
    return divmod(int(i), gw)


def patchify(x: torch.Tensor, patch: int) -> torch.Tensor:
    """Cut an image into flattened non-overlapping patches.

    Args:
        x: ``(H, W, C)`` tensor (numpy is accepted too), H and W multiples of ``patch``.

    Returns:
        ``(gh·gw, patch·patch·C)``; row i is patch ``(r, c) = divmod(i, gw)`` and holds its pixels
        row-major with channel fastest: element ``(py·patch + px)·C + ch`` is ``x[r·p + py, c·p + px, ch]``.
    """
    x = torch.as_tensor(x)
    gh, gw = grid_shape(x.shape, patch)
    C = x.shape[2]
    x = x.reshape(gh, patch, gw, patch, C)  # (gh, p, gw, p, C)
    x = x.permute(0, 2, 1, 3, 4)  # (gh, gw, p, p, C)
    return x.reshape(gh * gw, patch * patch * C)  # (N, p·p·C)


def unpatchify(patches: torch.Tensor, grid: tuple[int, int], patch: int, channels: int) -> torch.Tensor:
    """Inverse of patchify: ``(gh·gw, patch·patch·C)`` -> ``(gh·patch, gw·patch, C)``."""
    gh, gw = grid
    patches = torch.as_tensor(patches)
    if tuple(patches.shape) != (gh * gw, patch * patch * channels):
        raise ValueError(f"expected patches of shape {(gh * gw, patch * patch * channels)}, got {tuple(patches.shape)}")
    x = patches.reshape(gh, gw, patch, patch, channels)  # (gh, gw, p, p, C)
    x = x.permute(0, 2, 1, 3, 4)  # (gh, p, gw, p, C)
    return x.reshape(gh * patch, gw * patch, channels)  # (H, W, C)


def upsample_grid(values: np.ndarray, grid: tuple[int, int], patch: int) -> np.ndarray:
    """Per-patch values ``(gh·gw,)`` -> ``(gh·patch, gw·patch)`` map, each value filling its patch.

    For overlays (e.g. one query's attention weights over the image); dtype is kept.
    """
    gh, gw = grid
    v = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
    if v.size != gh * gw:
        raise ValueError(f"expected {gh * gw} values for a {gh}×{gw} grid, got {v.size}")
    v = v.reshape(gh, gw)  # (gh, gw)
    return np.repeat(np.repeat(v, patch, axis=0), patch, axis=1)  # (gh·p, gw·p)


# ---------------------------------------------------------------------------------------------
# Patch features (a hand-made "embedding" so attention over patches is meaningful without a model)
# ---------------------------------------------------------------------------------------------

_QUADRANTS = ("TL", "TR", "BL", "BR")
FEATURE_NAMES: list[str] = (
    ["mean_R", "mean_G", "mean_B", "std_R", "std_G", "std_B", "grad_x", "grad_y"]
    + [f"thumb_{q}_{ch}" for q in _QUADRANTS for ch in "RGB"]
)
"""Columns of patch_features (before the optional position encoding), all computed per patch on
values in [0, 1]:

- ``mean_R/G/B``: mean of each channel;
- ``std_R/G/B``: population standard deviation of each channel (texture / contrast);
- ``grad_x``: mean |L[y, x+1] − L[y, x]| of luminance L = 0.299 R + 0.587 G + 0.114 B, over
  neighbouring pixel pairs *inside* the patch (0 when patch = 1) — strength of vertical edges;
- ``grad_y``: the same for vertically neighbouring pixels — strength of horizontal edges;
- ``thumb_<Q>_<C>``: a 2×2 colour thumbnail of the patch, the mean of channel C in quadrant
  Q ∈ TL, TR, BL, BR (``adaptive_avg_pool2d``; odd patches split with a shared middle row/column).
"""


def feature_names(*, position: bool = False, pos_dim: int = 16) -> list[str]:
    """Names of all columns patch_features returns with the same options (pos names: ``pos_row_sin_k`` ...)."""
    if not position:
        return list(FEATURE_NAMES)
    q = pos_dim // 4
    pos = [f"pos_{ax}_{fn}_{k}" for ax in ("row", "col") for fn in ("sin", "cos") for k in range(q)]
    return list(FEATURE_NAMES) + pos


def position_encoding_2d(grid: tuple[int, int], dim: int = 16) -> torch.Tensor:
    """2-D sine-cosine position encoding (as in MAE), ``(gh·gw, dim)`` float32 in [-1, 1].

    The first dim/2 columns encode the patch row, the last dim/2 its column; each half is
    ``[sin(pos·ω_k) for k] + [cos(pos·ω_k) for k]`` with ``ω_k = 10000^(−k / (dim/4))``,
    ``k = 0 .. dim/4 − 1``. ``dim`` must be a positive multiple of 4.
    """
    if dim < 4 or dim % 4:
        raise ValueError(f"pos_dim must be a positive multiple of 4, got {dim}")
    gh, gw = grid
    q = dim // 4
    omega = 1.0 / 10000 ** (torch.arange(q, dtype=torch.float32) / q)  # (q,)
    rows = torch.arange(gh, dtype=torch.float32).repeat_interleave(gw)  # (N,) row of patch i
    cols = torch.arange(gw, dtype=torch.float32).repeat(gh)  # (N,) column of patch i

    def enc(pos: torch.Tensor) -> torch.Tensor:
        a = pos[:, None] * omega[None, :]  # (N, q)
        return torch.cat([a.sin(), a.cos()], dim=1)  # (N, 2q)

    return torch.cat([enc(rows), enc(cols)], dim=1)  # (N, dim)


def _standardize(f: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """(N, d) -> (N, d): each column to zero mean, unit population std; near-constant columns -> 0."""
    mu = f.mean(dim=0, keepdim=True)  # (1, d)
    sd = f.std(dim=0, correction=0, keepdim=True)  # (1, d)
    keep = sd > eps
    return torch.where(keep, (f - mu) / torch.where(keep, sd, torch.ones_like(sd)), torch.zeros_like(f))


def patch_features(
    x: np.ndarray | torch.Tensor, patch: int, *, position: bool = False, pos_dim: int = 16, raw: bool = False
) -> torch.Tensor:
    """Hand-crafted per-patch feature vectors, usable as queries/keys for attention over patches.

    Args:
        x: ``(H, W, 3)`` image in [0, 1] (numpy or torch), H and W multiples of ``patch``.
        patch: patch side in pixels.
        position: append ``position_encoding_2d(grid, pos_dim)`` (not standardized, in [-1, 1]).
        pos_dim: width of that encoding, a multiple of 4.
        raw: skip the standardization (columns keep their natural units, for inspection).

    Returns:
        ``(N, d)`` float32, N = gh·gw in row-major patch order, d = len(FEATURE_NAMES) (= 20)
        plus ``pos_dim`` if ``position``. Unless ``raw``, each of the 20 columns is standardized
        over the patches (zero mean, unit std); a constant column is all zeros, never NaN.
        See FEATURE_NAMES for what each column measures.
    """
    x = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x, dtype=torch.float32)
    if x.ndim != 3 or x.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) image, got shape {tuple(x.shape)}")
    gh, gw = grid_shape(x.shape, patch)
    N, p = gh * gw, patch
    px = x.reshape(gh, p, gw, p, 3).permute(0, 2, 1, 3, 4).reshape(N, p, p, 3)  # (N, p, p, 3)
    mean = px.mean(dim=(1, 2))  # (N, 3)
    std = px.std(dim=(1, 2), correction=0)  # (N, 3)
    luma = px @ torch.tensor(_LUMA, dtype=torch.float32)  # (N, p, p)
    zero = torch.zeros(N)
    grad_x = (luma[:, :, 1:] - luma[:, :, :-1]).abs().mean(dim=(1, 2)) if p > 1 else zero  # (N,)
    grad_y = (luma[:, 1:, :] - luma[:, :-1, :]).abs().mean(dim=(1, 2)) if p > 1 else zero  # (N,)
    thumb = F.adaptive_avg_pool2d(px.permute(0, 3, 1, 2), 2)  # (N, 3, 2, 2)
    thumb = thumb.permute(0, 2, 3, 1).reshape(N, 12)  # (N, 12): TL, TR, BL, BR × R, G, B
    feats = torch.cat([mean, std, grad_x[:, None], grad_y[:, None], thumb], dim=1)  # (N, 20)
    if not raw:
        feats = _standardize(feats)
    if position:
        feats = torch.cat([feats, position_encoding_2d((gh, gw), pos_dim)], dim=1)  # (N, 20 + pos_dim)
    return feats.contiguous()


# ---------------------------------------------------------------------------------------------
# Small conveniences
# ---------------------------------------------------------------------------------------------


def image_to_bytes(img: Image.Image, fmt: str = "PNG", **save_kwargs) -> bytes:
    """Encode a Pillow image to bytes in ``fmt`` (any Pillow format name); extra kwargs go to ``save``."""
    buf = io.BytesIO()
    img.save(buf, format=fmt, **save_kwargs)
    return buf.getvalue()
