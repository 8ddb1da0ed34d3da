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
    to float precision; costs O(n * w * d).
    """
    if window < 0:
        raise ValueError(f"window must be >= 0; got {window}")
    if temperature <= 0 or not math.isfinite(temperature):
        raise ValueError(f"temperature must be a finite number > 0; got {temperature}")
    H, n, d = q.shape
    w = int(min(window, n - 1))
    width = 2 * w + 1
    s = (1.0 / math.sqrt(d)) if scale is None else scale
    kp = torch.nn.functional.pad(k, (0, 0, w, w))                 # (H, n + 2w, d)
    vp = torch.nn.functional.pad(v, (0, 0, w, w))                 # (H, n + 2w, d_v)
    kw = kp.unfold(1, width, 1)                                   # (H, n, d, 2w+1) view
    vw = vp.unfold(1, width, 1)                                   # (H, n, d_v, 2w+1) view
    e = torch.einsum("hnd,hndw->hnw", q * (s / temperature), kw)  # (H, n, 2w+1)
    j = torch.arange(n)[:, None] + torch.arange(width)[None, :] - w   # (n, 2w+1)
    valid = (j >= 0) & (j < n)
    e = e.masked_fill(~valid, _neg(e.dtype))
    a = torch.softmax(e, dim=-1).masked_fill(~valid, 0.0)         # (H, n, 2w+1)
    out = torch.einsum("hnw,hndw->hnd", a, vw)                    # (H, n, d_v)
    return BandedResult(output=out, band=a, window=w)
