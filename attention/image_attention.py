"""Attention over a grid of cells (image patches): queries from features, per-head weights,
stochastic hard-attention draws, and the block-mean N x N matrix computed in row chunks.

Torch / numpy only (no Streamlit, no Plotly).  Every weight comes from :func:`attention.attend`;
every scope (including the 2-D window ``scope="grid"``) is the mask ``attend`` builds from its
options -- nothing here decides a window.

Conventions (see :mod:`attention.image`): cells are numbered row-major, ``i = r · gw + c`` on a
``(gh, gw)`` grid; N = gh · gw; features ``x`` are ``(N, d)``.

    q_i = x_i W_a   (W_a = I or a seeded random d × d matrix)       k_j = v_j = x_j

With ``W_a = I`` this is plain self-similarity of the features; the *general* (bilinear) score
``e_ij = x_i W_a x_jᵀ`` is exactly the dot score with ``q = x W_a``.  One query row of a 2-D
window is ``attend(q[i:i+1], k, v, scope="grid", grid=(gh, gw), window=w, positions=[[r_i, c_i]])``.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Union

import numpy as np
import torch

from .functional import AttentionResult, attend
from .arrays import as_tensor
from .masks import CENTRED, grid_cells
from .scores import init_bilinear

__all__ = ["project_queries", "head_weights", "sample_patches", "block_starts", "block_mean",
           "matrix_blocks", "top_k"]


def project_queries(x, W_a: Union[str, torch.Tensor] = "identity", seed: int = 0) -> torch.Tensor:
    """Queries from patch features: ``q = x W_a``.

    x: ``(N, d)``.  W_a: ``"identity"`` (q = x), ``"random"`` (a seeded ``(d, d)`` normal matrix
    with std ``1/sqrt(d)``, :func:`attention.scores.init_bilinear`) or a ``(d, d)`` tensor.
    Returns ``(N, d)`` float32.
    """
    x = as_tensor(x, dtype=torch.float32)
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
        W = as_tensor(W_a, dtype=torch.float32)
        if tuple(W.shape) != (d, d):
            raise ValueError(f"W_a must have shape ({d}, {d}); got {tuple(W.shape)}")
    return x @ W                                                          # (N, d)


def head_weights(weights: torch.Tensor, head: Optional[int]) -> np.ndarray:
    """One head's weights, or the mean over heads: ``(H, nq, nk)`` -> ``(nq, nk)`` float32 numpy.

    head: 0-based head index, or None for the mean over heads (rows still sum to 1).
    """
    w = as_tensor(weights)
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
    p = as_tensor(np.asarray(p), dtype=torch.float64).reshape(-1)  # (N,)
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


def _chunk_centres(scope: str, grid, i0: int, i1: int) -> Optional[torch.Tensor]:
    """Window centres of query rows ``i0 .. i1-1`` when each query is its own position (as
    ``attend`` assumes for a square problem): ``(c,)`` indices, ``(c, 2)`` cells with ``grid``;
    None where ``attend`` needs none (global, or local-p which predicts its own)."""
    if scope not in CENTRED or scope == "local_p":
        return None
    if grid is not None:
        return grid_cells(grid)[i0:i1]                                    # (c, 2) (row, col)
    return torch.arange(i0, i1)                                           # (c,)


def matrix_blocks(q, k, v, *, head: Optional[int] = None, probs: bool = False, max_size: int = 64,
                  chunk_elems: int = 1 << 20, **options) -> tuple[np.ndarray, np.ndarray]:
    """The full N × N self-attention matrix, block-mean downsampled to at most ``max_size²``.

    q: ``(N, d)`` queries, k: ``(N, d)`` keys, v: ``(N, d_v)`` values (query i sits at key i).
    options: :func:`attention.attend` options (``score``, ``scope``, ``window``, ``grid``,
    ``normalization``, ``temperature``, ``heads``, ``seed`` ...).  Computed in chunks of query rows
    (aligned to the row blocks) so that at most about ``chunk_elems`` weights exist at once; each
    chunk passes its rows' own positions as window centres, so a windowed scope is exactly the
    square problem's.  head: 0-based, or None for the mean over heads.  probs: show
    ``result.probs`` (the soft distribution ``hard`` / ``hard_sampled`` draw from) instead of the
    weights (``hard_sampled`` would otherwise draw differently per chunk).
    Returns ``(D (B, B) float64, starts (B,))``, equal to
    ``block_mean(head_weights(attend(q, k, v, **options).weights, head), max_size)``.
    """
    q, k = as_tensor(q), as_tensor(k)
    n = k.shape[0]
    scope, grid = options.get("scope", "global"), options.get("grid")
    starts = block_starts(n, max_size)
    f = int(starts[1] - starts[0]) if len(starts) > 1 else n
    heads = int(options.get("heads", 1))
    rows_per_chunk = max(f, (max(1, chunk_elems // (n * max(1, heads))) // f) * f)
    parts = []
    for i0 in range(0, n, rows_per_chunk):
        i1 = min(n, i0 + rows_per_chunk)
        r = attend(q[i0:i1], k, v, positions=_chunk_centres(scope, grid, i0, i1), **options)
        w = head_weights(r.probs if probs and r.probs is not None else r.weights, head)   # (c, N)
        w = _reduce_mean(w.astype(np.float64), starts, n, axis=1)         # (c, B)
        local = np.arange(0, i1 - i0, f)                                   # row blocks in chunk
        parts.append(_reduce_mean(w, local, i1 - i0, axis=0))              # (c/f, B)
    return np.concatenate(parts, axis=0), starts


def top_k(result: AttentionResult, k: int = 5, head: Optional[int] = None,
          row: int = 0, probs: bool = False) -> dict[str, np.ndarray]:
    """The ``k`` cells with the largest shown weight in one row of ``result`` (ties: lower index).

    probs: rank and report ``result.probs`` (the soft distribution of ``hard`` / ``hard_sampled``)
    instead of ``result.weights``.  Returns columns: ``index (k,)``, ``weight (k,)`` (the shown
    weight: head ``head`` or the mean over heads), ``scores (H, k)`` raw e, ``weights (H, k)``
    per head, ``in_scope (k,)``.
    """
    W = result.probs if probs and result.probs is not None else result.weights         # (H, nq, N)
    shown = head_weights(W[:, row:row + 1], head)[0].astype(np.float64)                 # (N,)
    order = np.lexsort((np.arange(shown.size), -shown))[:k]                             # (k,)
    mask = result.mask
    m = (mask[0, row] if mask.ndim == 3 else mask[row]).numpy().astype(bool)
    return dict(index=order, weight=shown[order],
                scores=result.scores[:, row, order].double().numpy(),
                weights=W[:, row, order].double().numpy(),
                in_scope=np.broadcast_to(m, shown.shape)[order])
