"""Numbers that summarise attention weights: per-row statistics, divergences, rollout.

Every function takes weights whose last axis is the keys, ``(..., n_query, n_key)``,
and reduces over it; logs are natural (nats).  Rows that are all 0 (an empty
scope) give entropy 0, mass 0, distance 0.
"""
from __future__ import annotations

import torch

from .arrays import as_tensor


def _t(x) -> torch.Tensor:
    t = as_tensor(x)
    return t if t.is_floating_point() else t.double()


def entropy(weights) -> torch.Tensor:
    """``H_i = -sum_j a_ij ln a_ij`` (0 ln 0 = 0): ``(..., nq, nk) -> (..., nq)``."""
    a = _t(weights)
    return -(torch.where(a > 0, a * torch.log(a.clamp_min(1e-300)), torch.zeros_like(a))).sum(-1)


def mean_distance(weights) -> torch.Tensor:
    """Expected token distance ``sum_j a_ij |i - j|``: ``(..., nq, nk) -> (..., nq)``."""
    a = _t(weights)
    nq, nk = a.shape[-2:]
    d = (torch.arange(nq)[:, None] - torch.arange(nk)[None, :]).abs().to(a.dtype)  # (nq, nk)
    return (a * d).sum(-1)


def mass_on(weights, keys) -> torch.Tensor:
    """Share of each row's attention on the keys where ``keys`` (nk,) bool is True
    (e.g. [CLS]/[SEP]): ``(..., nq, nk) -> (..., nq)``."""
    a = _t(weights)
    return (a * as_tensor(keys, dtype=torch.bool).to(a.dtype)).sum(-1)


def topk_mass(weights, k: int) -> torch.Tensor:
    """Sum of the k largest weights in each row: ``(..., nq, nk) -> (..., nq)``."""
    a = _t(weights)
    if k < 1:
        raise ValueError(f"k must be >= 1; got {k}")
    return a.topk(min(int(k), a.shape[-1]), dim=-1).values.sum(-1)


def sparsity(weights, threshold: float = 0.01) -> torch.Tensor:
    """Share of weights ``>= threshold`` in each row (1 = dense, 1/n = one-hot):
    ``(..., nq, nk) -> (..., nq)``."""
    a = _t(weights)
    return (a >= threshold).to(a.dtype).mean(-1)


def kl(p, q) -> torch.Tensor:
    """``KL(p || q) = sum_j p_j ln(p_j / q_j)`` per row; terms with p_j = 0 are 0;
    ``inf`` where p_j > 0 = q_j.  ``(..., n) -> (...)``."""
    p, q = _t(p), _t(q)
    p, q = torch.broadcast_tensors(p, q)
    term = torch.where(p > 0, p * (torch.log(p.clamp_min(1e-300)) - torch.log(q.clamp_min(0))),
                       torch.zeros_like(p))
    return term.sum(-1)


def js(p, q) -> torch.Tensor:
    """Jensen-Shannon divergence ``(KL(p||m) + KL(q||m)) / 2`` with ``m = (p+q)/2``;
    finite, in ``[0, ln 2]``.  ``(..., n) -> (...)``."""
    p, q = _t(p), _t(q)
    m = (p + q) / 2
    return (kl(p, m) + kl(q, m)) / 2


def head_stats(weights, special=None, k: int = 3) -> dict[str, torch.Tensor]:
    """Per-head statistics averaged over query rows.

    weights: ``(L, H, n, n)``; special: ``(n,)`` bool ([CLS]/[SEP]) or None.
    Returns name -> ``(L, H)``: entropy, mean_distance, special_share (if special),
    top{k}_mass, max_weight.
    """
    a = _t(weights)
    out = {
        "entropy": entropy(a).mean(-1),
        "mean_distance": mean_distance(a).mean(-1),
        f"top{k}_mass": topk_mass(a, k).mean(-1),
        "max_weight": a.amax(-1).mean(-1),
    }
    if special is not None:
        out["special_share"] = mass_on(a, special).mean(-1)
    return out


def rollout(weights, start: int = 0, end: int | None = None, residual: float = 0.5) -> torch.Tensor:
    """Attention rollout (Abnar & Zuidema 2020).

    weights: ``(L, n, n)`` one matrix per layer (e.g. the mean over heads), or
    ``(L, H, n, n)`` (averaged over heads here).  For layers ``start..end``
    (inclusive, 0-based) each ``A_l`` becomes ``Â_l = residual * A_l + (1 - residual) * I``
    with rows renormalised (keepdim, so every row sums to 1), and
    ``R = Â_end @ ... @ Â_start``.  Returns ``(n, n)``: row i = how much token i's
    final representation draws on each input token.
    """
    a = _t(weights)
    if a.ndim == 4:
        a = a.mean(1)                                    # (L, n, n)
    L, n, _ = a.shape
    end = L - 1 if end is None else end
    if not 0 <= start <= end < L:
        raise ValueError(f"need 0 <= start <= end < {L}; got start={start}, end={end}")
    eye = torch.eye(n, dtype=a.dtype)
    R = eye
    for l in range(start, end + 1):
        A = residual * a[l] + (1 - residual) * eye
        A = A / A.sum(-1, keepdim=True)                  # keepdim: row-wise, not a broadcast bug
        R = A @ R
    return R
