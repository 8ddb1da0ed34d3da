"""Attention over image patches: queries from patch features, one query row, pooling, the
block-mean patch × patch matrix and stochastic hard-attention samples.

Torch / numpy only (no Streamlit, no Plotly).  Everything goes through :func:`attention.attend`.

Conventions (see :mod:`attention.image`): patches are numbered row-major, ``i = r · gw + c`` on a
``(gh, gw)`` grid; N = gh · gw; features ``x`` are ``(N, d)``.

    q_i = x_i W_a   (W_a = I or a seeded random d × d matrix)       k_j = v_j = x_j

With ``W_a = I`` this is plain self-similarity of the features; the *general* (bilinear) score
``e_ij = x_i W_a x_jᵀ`` is exactly the dot score with ``q = x W_a``.

One query row (the overlay) costs O(N·d): :func:`query_attention` passes ``q[i:i+1]`` (1 × N)
to ``attend`` and replaces the 2-D window scope by the same mask row (``S(i)``), so its weights
equal row ``i`` of ``attend`` on all N queries with ``scope="grid"``.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Union

import numpy as np
import torch

from .functional import AttentionResult, attend
from .masks import grid_window_pred
from .scores import init_bilinear

__all__ = [
    "PATCH_SCOPES", "project_queries", "window_row", "window_bounds", "query_attention",
    "full_attention", "pooling_query", "pooling_attention", "head_weights", "sample_patches",
    "block_starts", "block_mean", "matrix_blocks", "top_k",
]

#: Scopes offered over patches: every patch, or the 2-D window of radius r.
PATCH_SCOPES = ("global", "window")


def project_queries(x, W_a: Union[str, torch.Tensor] = "identity", seed: int = 0) -> torch.Tensor:
    """Queries from patch features: ``q = x W_a``.

    x: ``(N, d)``.  W_a: ``"identity"`` (q = x), ``"random"`` (a seeded ``(d, d)`` normal matrix
    with std ``1/sqrt(d)``, :func:`attention.scores.init_bilinear`) or a ``(d, d)`` tensor.
    Returns ``(N, d)`` float32.
    """
    x = torch.as_tensor(x, dtype=torch.float32)
    if x.ndim != 2:
        raise ValueError(f"features must be (N, d); got shape {tuple(x.shape)}")
    d = x.shape[1]
    if isinstance(W_a, str):
        if W_a == "identity":
            return x.clone()
        if W_a != "random":
            raise ValueError(f"W_a must be 'identity', 'random' or a (d, d) tensor; got {W_a!r}")
        W = init_bilinear(d, d, "random", seed=seed, dtype=torch.float32)  # (d, d)
    else:
        W = torch.as_tensor(W_a, dtype=torch.float32)
        if tuple(W.shape) != (d, d):
            raise ValueError(f"W_a must have shape ({d}, {d}); got {tuple(W.shape)}")
    return x @ W                                                          # (N, d)


def _check_grid(grid, n: int) -> tuple[int, int]:
    gh, gw = int(grid[0]), int(grid[1])
    if gh < 1 or gw < 1 or gh * gw != n:
        raise ValueError(f"grid {tuple(grid)} has {gh * gw} cells but there are {n} patches")
    return gh, gw


def window_row(grid: tuple[int, int], radius: int, i: int) -> torch.Tensor:
    """Row ``i`` of the 2-D window mask: ``S(i) = {j : max(|r_i − r_j|, |c_i − c_j|) <= radius}``.

    Returns ``(N,)`` bool (True = patch j may be attended), N = gh · gw; O(N).
    """
    gh, gw = int(grid[0]), int(grid[1])
    if not 0 <= i < gh * gw:
        raise IndexError(f"patch index {i} is outside 0..{gh * gw - 1}")
    pred = grid_window_pred((gh, gw), radius)
    return pred(torch.tensor(int(i)), torch.arange(gh * gw))            # (N,)


def window_bounds(grid: tuple[int, int], radius: int, row: int, col: int) -> tuple[int, int, int, int]:
    """Inclusive patch bounds ``(r0, r1, c0, c1)`` of the window around (row, col), clipped to the grid."""
    gh, gw = int(grid[0]), int(grid[1])
    return max(0, row - radius), min(gh - 1, row + radius), max(0, col - radius), min(gw - 1, col + radius)


def _opts(score, normalization, temperature, heads, seed) -> dict:
    return dict(score=score, normalization=normalization, temperature=float(temperature),
                heads=int(heads), seed=int(seed))


def query_attention(q, k, v, i: int, *, grid: tuple[int, int], scope: str = "global",
                    radius: Optional[int] = None, score: str = "scaled_dot",
                    normalization: str = "soft", temperature: float = 1.0, heads: int = 1,
                    seed: int = 0) -> AttentionResult:
    """Attention of patch ``i``'s query over all patches — one row, O(N·d).

    q: ``(N, d)`` queries, k: ``(N, d)`` keys, v: ``(N, d_v)`` values.  scope ``"global"`` or
    ``"window"`` (2-D window of ``radius`` around patch i on ``grid``).  Returns
    :class:`AttentionResult` with weights ``(H, 1, N)``; equal to row ``i`` of :func:`full_attention`.
    """
    q, k = torch.as_tensor(q), torch.as_tensor(k)
    n = k.shape[0]
    grid = _check_grid(grid, n)
    if not 0 <= i < n:
        raise IndexError(f"patch index {i} is outside 0..{n - 1}")
    mask = None
    if scope == "window":
        if radius is None:
            raise ValueError("radius is required for scope='window'")
        mask = window_row(grid, radius, i)[None, :]                       # (1, N)
    elif scope != "global":
        raise ValueError(f"scope must be one of {PATCH_SCOPES}; got {scope!r}")
    return attend(q[i:i + 1], k, v, mask=mask, **_opts(score, normalization, temperature, heads, seed))


def full_attention(q, k, v, *, grid: tuple[int, int], scope: str = "global",
                   radius: Optional[int] = None, score: str = "scaled_dot",
                   normalization: str = "soft", temperature: float = 1.0, heads: int = 1,
                   seed: int = 0) -> AttentionResult:
    """Every patch attends: weights ``(H, N, N)`` (O(N²) memory: for tests and small grids;
    the page uses :func:`matrix_blocks`).  ``scope="window"`` is ``attend``'s ``scope="grid"``."""
    k = torch.as_tensor(k)
    grid = _check_grid(grid, k.shape[0])
    extra = {}
    if scope == "window":
        extra = dict(scope="grid", grid=grid, window=radius)
    elif scope != "global":
        raise ValueError(f"scope must be one of {PATCH_SCOPES}; got {scope!r}")
    return attend(q, k, v, **extra, **_opts(score, normalization, temperature, heads, seed))


def pooling_query(q, which: Union[str, int] = "mean") -> torch.Tensor:
    """The single query of attention pooling, ``(d,)``.

    ``"mean"``: ``q̄ = (1/N) Σ_i q_i`` (computed in float64; entries below 1e-6 in size are set to 0
    exactly, so a mean of standardized features is a true zero vector, not rounding noise that a
    cosine score would blow up).  An int ``i``: patch i's query ``q_i``.
    """
    q = torch.as_tensor(q, dtype=torch.float32)
    if isinstance(which, str):
        if which != "mean":
            raise ValueError(f"pooling query must be 'mean' or a patch index; got {which!r}")
        m = q.double().mean(dim=0)                                        # (d,)
        m = torch.where(m.abs() < 1e-6, torch.zeros_like(m), m)
        return m.float()
    if not 0 <= int(which) < q.shape[0]:
        raise IndexError(f"patch index {which} is outside 0..{q.shape[0] - 1}")
    return q[int(which)].clone()


def pooling_attention(q, k, v, which: Union[str, int] = "mean", *, score: str = "scaled_dot",
                      normalization: str = "soft", temperature: float = 1.0, heads: int = 1,
                      seed: int = 0) -> AttentionResult:
    """Attention pooling (``form="pooling"``): one query (:func:`pooling_query`) over all N patches.

    ``e_j = score(q, k_j)``, ``α = normalize(e / T)``, ``c = Σ_j α_j v_j``.
    Returns weights ``(H, 1, N)`` and output ``c`` ``(d_v,)``.
    """
    qv = pooling_query(q, which)                                          # (d,)
    return attend(qv, k, v, form="pooling", **_opts(score, normalization, temperature, heads, seed))


def head_weights(weights: torch.Tensor, head: Optional[int]) -> np.ndarray:
    """One head's weights, or the mean over heads: ``(H, nq, nk)`` -> ``(nq, nk)`` float32 numpy.

    head: 0-based head index, or None for the mean over heads (rows still sum to 1).
    """
    w = torch.as_tensor(weights)
    if head is None:
        out = w.mean(dim=0)                                               # (nq, nk)
    else:
        if not 0 <= head < w.shape[0]:
            raise IndexError(f"head {head} is outside 0..{w.shape[0] - 1}")
        out = w[head]                                                     # (nq, nk)
    return out.detach().cpu().numpy().astype(np.float32)


def sample_patches(p, seeds: Sequence[int]) -> np.ndarray:
    """Stochastic hard attention (Xu et al. 2015): one patch per seed, drawn from distribution ``p``.

    p: ``(N,)`` non-negative weights summing to 1 (a soft attention row).  Draw ``s`` is
    ``torch.multinomial(p, 1, generator=torch.Generator().manual_seed(s))`` in float64 — the same
    draw ``attend(..., normalization="hard_sampled", seed=s)`` makes for a single one-head row.
    Returns ``(len(seeds),)`` int64 patch indices; an all-zero ``p`` gives -1s.
    """
    p = torch.as_tensor(np.asarray(p), dtype=torch.float64).reshape(-1)  # (N,)
    if p.sum() <= 0:
        return np.full(len(seeds), -1, dtype=np.int64)
    out = np.empty(len(seeds), dtype=np.int64)
    for t, s in enumerate(seeds):
        g = torch.Generator().manual_seed(int(s))
        out[t] = int(torch.multinomial(p[None, :], 1, generator=g)[0, 0])
    return out


def block_starts(n: int, max_size: int = 64) -> np.ndarray:
    """Start indices of consecutive blocks of ``f = ceil(n / max_size)`` items covering ``0..n-1``.

    The last block may be shorter.  Returns ``(B,)`` int64 with ``B = ceil(n / f) <= max_size``.
    """
    if n < 1 or max_size < 1:
        raise ValueError(f"n and max_size must be >= 1; got {n}, {max_size}")
    f = math.ceil(n / max_size)
    return np.arange(0, n, f, dtype=np.int64)


def _reduce_mean(a: np.ndarray, starts: np.ndarray, n: int, axis: int) -> np.ndarray:
    sums = np.add.reduceat(a, starts, axis=axis)
    counts = np.diff(np.append(starts, n)).astype(a.dtype)               # (B,)
    shape = [1] * a.ndim
    shape[axis] = -1
    return sums / counts.reshape(shape)


def block_mean(M, max_size: int = 64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Downsample a matrix for display by averaging consecutive blocks of rows and of columns.

    M: ``(n_r, n_c)``.  Rows are grouped ``f_r = ceil(n_r / max_size)`` at a time, columns
    ``f_c = ceil(n_c / max_size)`` at a time (last group possibly shorter); each output cell is the
    mean of its block.  Returns ``(D (B_r, B_c) float64, row_starts (B_r,), col_starts (B_c,))``
    with ``B_r, B_c <= max_size``; with ``n <= max_size`` the matrix comes back unchanged.
    """
    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2:
        raise ValueError(f"expected a 2-D matrix, got shape {M.shape}")
    rs, cs = block_starts(M.shape[0], max_size), block_starts(M.shape[1], max_size)
    D = _reduce_mean(_reduce_mean(M, cs, M.shape[1], axis=1), rs, M.shape[0], axis=0)
    return D, rs, cs


def matrix_blocks(q, k, v, *, grid: tuple[int, int], scope: str = "global",
                  radius: Optional[int] = None, score: str = "scaled_dot",
                  normalization: str = "soft", temperature: float = 1.0, heads: int = 1,
                  seed: int = 0, head: Optional[int] = None, max_size: int = 64,
                  chunk_elems: int = 1 << 20) -> tuple[np.ndarray, np.ndarray]:
    """The full N × N patch attention matrix, block-mean downsampled to at most ``max_size²``.

    Computed in chunks of query rows (aligned to the row blocks) so that at most about
    ``chunk_elems`` weights exist at once; never materialises N × N.  head: 0-based, or None for
    the mean over heads.  Returns ``(D (B, B) float64, starts (B,))``; equal to
    ``block_mean(head_weights(full_attention(...).weights, head), max_size)``.
    (``normalization="hard_sampled"`` would draw differently per chunk: don't.)
    """
    q, k = torch.as_tensor(q), torch.as_tensor(k)
    n = k.shape[0]
    grid = _check_grid(grid, n)
    if scope not in PATCH_SCOPES:
        raise ValueError(f"scope must be one of {PATCH_SCOPES}; got {scope!r}")
    starts = block_starts(n, max_size)
    f = int(starts[1] - starts[0]) if len(starts) > 1 else n
    rows_per_chunk = max(f, (max(1, chunk_elems // (n * max(1, heads))) // f) * f)
    pred = grid_window_pred(grid, radius) if scope == "window" else None
    opts = _opts(score, normalization, temperature, heads, seed)
    parts = []
    for i0 in range(0, n, rows_per_chunk):
        i1 = min(n, i0 + rows_per_chunk)
        mask = None
        if pred is not None:
            mask = pred(torch.arange(i0, i1)[:, None], torch.arange(n)[None, :])   # (c, N)
        r = attend(q[i0:i1], k, v, mask=mask, **opts)                      # weights (H, c, N)
        w = head_weights(r.weights, head).astype(np.float64)               # (c, N)
        w = _reduce_mean(w, starts, n, axis=1)                             # (c, B)
        local = np.arange(0, i1 - i0, f)                                   # row blocks in chunk
        parts.append(_reduce_mean(w, local, i1 - i0, axis=0))              # (c/f, B)
    return np.concatenate(parts, axis=0), starts


def top_k(result: AttentionResult, k: int = 5, head: Optional[int] = None,
          row: int = 0) -> dict[str, np.ndarray]:
    """The ``k`` patches with the largest shown weight in one row of ``result`` (ties: lower index).

    Returns columns: ``index (k,)``, ``weight (k,)`` (the shown weight: head ``head`` or the
    mean over heads), ``scores (H, k)`` raw e, ``weights (H, k)`` per head, ``in_scope (k,)``.
    """
    shown = head_weights(result.weights[:, row:row + 1], head)[0].astype(np.float64)   # (N,)
    order = np.lexsort((np.arange(shown.size), -shown))[:k]                             # (k,)
    mask = result.mask
    m = (mask[0, row] if mask.ndim == 3 else mask[row]).numpy().astype(bool)
    return dict(index=order, weight=shown[order],
                scores=result.scores[:, row, order].double().numpy(),
                weights=result.weights[:, row, order].double().numpy(),
                in_scope=np.broadcast_to(m, shown.shape)[order])
