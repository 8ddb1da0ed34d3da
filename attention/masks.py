"""Scopes: which keys a query may attend to.

A mask is a bool tensor shaped ``(n_query, n_key)``; **True means "may attend"**
(the Annotated Transformer's convention).  Masks are built from tiny named
predicates ``pred(q_idx, kv_idx) -> bool tensor`` (attention-gym style) that
broadcast over index grids, and combine with :func:`and_masks` / :func:`or_masks`.

Luong et al. (2015) *local-p* attention is not a pure mask: it predicts a centre
``p_t`` per query, keeps the window ``[p_t - D, p_t + D]`` and multiplies the
alignment by a Gaussian ``exp(-(s - p_t)^2 / (2 sigma^2))`` with ``sigma = D / 2``.
:func:`local_p_mask` gives the window, :func:`gaussian_weights` the factor.
"""
from __future__ import annotations

from typing import Callable

import torch

Predicate = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

#: Scope names accepted by :func:`attention.attend`.
SCOPES = ("global", "local", "causal", "local_p", "grid")


def _check_window(window, name="window") -> int:
    if isinstance(window, bool) or not isinstance(window, (int,)) and not (
        isinstance(window, float) and window.is_integer()
    ):
        raise ValueError(f"{name} must be an integer >= 0, got {window!r}")
    window = int(window)
    if window < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {window}")
    return window


# ---------------------------------------------------------------- predicates
def global_pred() -> Predicate:
    """Every query may attend to every key."""
    return lambda q, k: torch.ones(torch.broadcast_shapes(q.shape, k.shape), dtype=torch.bool)


def window_pred(window: int) -> Predicate:
    """``|q_idx - kv_idx| <= window`` (Luong's local-m with D = window)."""
    w = _check_window(window)
    return lambda q, k: (q - k).abs() <= w


def causal_pred() -> Predicate:
    """``kv_idx <= q_idx``: a query sees itself and the past."""
    return lambda q, k: k <= q


def grid_window_pred(grid: tuple[int, int], radius: int) -> Predicate:
    """2-D window on a row-major ``(h, w)`` grid: Chebyshev distance <= radius.

    Index ``i`` is cell ``(i // w, i % w)``; a query may attend to every cell in
    the ``(2r+1) x (2r+1)`` square centred on it (clipped at the borders).
    """
    h, w = _check_grid(grid)
    r = _check_window(radius, "window")
    return lambda q, k: ((q // w - k // w).abs() <= r) & ((q % w - k % w).abs() <= r)


def and_masks(*preds: Predicate) -> Predicate:
    """Predicate that is True where all ``preds`` are True."""
    def pred(q, k):
        out = preds[0](q, k)
        for p in preds[1:]:
            out = out & p(q, k)
        return out
    return pred


def or_masks(*preds: Predicate) -> Predicate:
    """Predicate that is True where any of ``preds`` is True."""
    def pred(q, k):
        out = preds[0](q, k)
        for p in preds[1:]:
            out = out | p(q, k)
        return out
    return pred


def create_mask(pred: Predicate, n_query: int, n_key: int) -> torch.Tensor:
    """Materialise a predicate as a bool mask ``(n_query, n_key)``."""
    q = torch.arange(n_query).unsqueeze(1)  # (nq, 1)
    k = torch.arange(n_key).unsqueeze(0)    # (1, nk)
    return pred(q, k).expand(n_query, n_key).contiguous()


def _check_grid(grid) -> tuple[int, int]:
    try:
        h, w = (int(grid[0]), int(grid[1]))
        if len(grid) != 2:
            raise TypeError
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"grid must be a pair (h, w) of positive integers, got {grid!r}") from None
    if h < 1 or w < 1:
        raise ValueError(f"grid must be a pair (h, w) of positive integers, got {grid!r}")
    return h, w


# ---------------------------------------------------------------- mask makers
def global_mask(n_query: int, n_key: int) -> torch.Tensor:
    """All True, ``(n_query, n_key)``."""
    return torch.ones(n_query, n_key, dtype=torch.bool)


def local_mask(n_query: int, n_key: int, window: int) -> torch.Tensor:
    """``|i - j| <= window``, ``(n_query, n_key)``."""
    return create_mask(window_pred(window), n_query, n_key)


def causal_mask(n_query: int, n_key: int) -> torch.Tensor:
    """``j <= i``, ``(n_query, n_key)``."""
    return create_mask(causal_pred(), n_query, n_key)


def grid_mask(grid: tuple[int, int], radius: int) -> torch.Tensor:
    """2-D window mask ``(h*w, h*w)`` on a row-major grid (see :func:`grid_window_pred`)."""
    h, w = _check_grid(grid)
    return create_mask(grid_window_pred((h, w), radius), h * w, h * w)


def local_p_mask(positions: torch.Tensor, n_key: int, window: int) -> torch.Tensor:
    """Luong local-p window ``[p_t - D, p_t + D]``.

    positions: ``(n_query,)`` real-valued predicted centres ``p_t`` in ``[0, n_key - 1]``.
    Returns ``(n_query, n_key)`` bool, True where ``|s - p_t| <= D``.
    """
    D = _check_window(window)
    s = torch.arange(n_key, dtype=positions.dtype).unsqueeze(0)  # (1, nk)
    return (s - positions.unsqueeze(1)).abs() <= D + 1e-6        # (nq, nk)


def gaussian_weights(positions: torch.Tensor, n_key: int, window: int) -> torch.Tensor:
    """Luong's factor ``exp(-(s - p_t)^2 / (2 sigma^2))``, ``sigma = D / 2``.

    positions: ``(n_query,)``.  Returns ``(n_query, n_key)`` in ``(0, 1]``.
    With ``D = 0`` (sigma = 0) the factor is 1 at ``s == p_t`` and 0 elsewhere.
    """
    D = _check_window(window)
    s = torch.arange(n_key, dtype=positions.dtype).unsqueeze(0)  # (1, nk)
    d2 = (s - positions.unsqueeze(1)) ** 2                          # (nq, nk)
    if D == 0:
        return (d2 <= 1e-12).to(positions.dtype)
    sigma = D / 2.0
    return torch.exp(-d2 / (2.0 * sigma * sigma))


def predict_positions(query: torch.Tensor, n_key: int, W_p: torch.Tensor, v_p: torch.Tensor) -> torch.Tensor:
    """Luong's predicted centre ``p_t = S * sigmoid(v_p^T tanh(W_p h_t))``.

    query: ``(n_query, d)``; W_p: ``(d_p, d)``; v_p: ``(d_p,)``; S = n_key - 1 so
    that ``p_t`` lies in ``[0, n_key - 1]`` (Luong writes S for the source length;
    with 0-based positions the last index is S - 1).  Returns ``(n_query,)``.
    """
    h = torch.tanh(query @ W_p.T)                 # (nq, d_p)
    return (n_key - 1) * torch.sigmoid(h @ v_p)   # (nq,)
