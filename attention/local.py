"""Banded local attention in O(n * w): never builds the n x n matrix.

``attend(..., scope="local")`` returns full ``(H, n, n)`` weights so a page can draw
them; for long sequences where no full matrix is displayed, :func:`local_attention`
computes the same output and the same weights in band form, with memory and time
proportional to ``n * (2w + 1)`` instead of ``n^2``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .masks import in_window
from .normalize import _neg


@dataclass(frozen=True)
class BandedResult:
    """output: ``(H, n, d_v)``.  band: ``(H, n, 2w+1)``; ``band[h, i, o]`` is the weight
    of query i on key ``j = i + o - w`` (0 where j is outside ``0..n-1``).
    """
    output: torch.Tensor
    band: torch.Tensor
    window: int

    def dense(self) -> torch.Tensor:
        """The band scattered into a full ``(H, n, n)`` matrix (for tests and small n)."""
        H, n, width = self.band.shape
        w = self.window
        i = torch.arange(n)[:, None]                        # (n, 1)
        j = i + torch.arange(width)[None, :] - w            # (n, 2w+1)
        ok = (j >= 0) & (j < n)
        out = self.band.new_zeros(H, n, n)
        out[:, i.expand_as(j)[ok], j[ok]] = self.band[:, ok]
        return out


def local_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, window: int, *,
                    temperature: float = 1.0, scale: float | None = None) -> BandedResult:
    """Soft scaled-dot-product attention restricted to ``|i - j| <= window``.

    q, k: ``(H, n, d)``; v: ``(H, n, d_v)`` (self-attention over one sequence, so
    n_query = n_key).  Scores ``q.k / sqrt(d)`` (or ``* scale``), divided by
    ``temperature``.  Equals ``attend(q, k, v, scope="local", window=window)``
    to float precision; costs O(n * w * d) time and O(n * w) memory: the
    queries go in blocks of max(w, 64), each against the keys its rows may see.
    """
    if window < 0:
        raise ValueError(f"window must be >= 0; got {window}")
    if temperature <= 0 or not math.isfinite(temperature):
        raise ValueError(f"temperature must be a finite number > 0; got {temperature}")
    H, n, d = q.shape
    w = int(min(window, n - 1))
    width = 2 * w + 1
    s = (1.0 / math.sqrt(d)) if scale is None else scale
    qs = q * (s / temperature)
    out = v.new_empty(H, n, v.shape[-1])
    band = q.new_zeros(H, n, width)
    B = max(w, 64)                                               # queries per block
    for b0 in range(0, n, B):                                    # sliding chunks (Longformer-style)
        b1 = min(b0 + B, n)
        k0, k1 = max(0, b0 - w), min(n, b1 + w)                  # keys any query of the block may see
        e = qs[:, b0:b1] @ k[:, k0:k1].transpose(-2, -1)         # (H, b, m) with m <= b + 2w
        i = torch.arange(b0, b1)[:, None]                        # (b, 1)
        j = torch.arange(k0, k1)[None, :]                        # (1, m)
        valid = in_window(j - i, w)                              # (b, m)
        a = torch.softmax(e.masked_fill(~valid, _neg(e.dtype)), dim=-1).masked_fill(~valid, 0.0)
        out[:, b0:b1] = a @ v[:, k0:k1]                          # (H, b, d_v)
        jj = i + torch.arange(width)[None, :] - w                # (b, 2w+1) key of each band slot
        ok = (jj >= 0) & (jj < n)
        col = (jj - k0).clamp(0, k1 - k0 - 1)                    # (b, 2w+1) column in the block
        band[:, b0:b1] = a.gather(-1, col.expand(H, -1, -1)).masked_fill(~ok, 0.0)
    return BandedResult(output=out, band=band, window=w)
