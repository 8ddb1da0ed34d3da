"""Normalizations: turn raw scores into attention weights.

All take scores ``(H, n_query, n_key)`` and an optional bool mask broadcastable
to it (True = may attend) and return weights of the same shape.

**Empty scope.**  A query row whose mask is all False (e.g. a causal query past
the last key, or a local window that falls outside a shorter key sequence)
attends to nothing: its weights are all 0 and its output is the zero vector.
Masked scores are filled with the most negative *finite* float, never ``-inf``,
so no row can become NaN.
"""
from __future__ import annotations

import torch


def _neg(dtype) -> float:
    return -torch.finfo(dtype).max


def softmax(scores: torch.Tensor, mask: torch.Tensor | None = None,
            temperature: float = 1.0, seed: int = 0) -> torch.Tensor:
    """``softmax(scores / T)`` over the keys in scope; rows sum to 1 (0 if the scope is empty).

    scores: ``(H, nq, nk)``; mask: bool broadcastable to scores or None.
    Stable for any ``T > 0``: ``(s - max) / T`` never overflows upward.
    """
    x = scores if mask is None else scores.masked_fill(~mask, _neg(scores.dtype))
    if temperature != 1.0:
        x = (x - x.amax(dim=-1, keepdim=True)) / temperature   # <= 0: exp cannot overflow
    w = torch.softmax(x, dim=-1)
    if mask is not None:
        w = w.masked_fill(~mask, 0.0)   # an empty row was uniform: make it all 0
    return w


def hard(scores: torch.Tensor, mask: torch.Tensor | None = None, temperature: float = 1.0,
         seed: int = 0) -> torch.Tensor:
    """One-hot at the arg-max key in scope (first one on ties); empty scope -> all 0.
    (``temperature`` and ``seed`` do not change an arg-max; accepted for a uniform signature.)

    scores: ``(H, nq, nk)`` -> weights ``(H, nq, nk)`` with entries in {0, 1}.
    """
    x = scores if mask is None else scores.masked_fill(~mask, _neg(scores.dtype))
    idx = x.argmax(dim=-1, keepdim=True)                       # (H, nq, 1)
    w = torch.zeros_like(scores).scatter_(-1, idx, 1.0)
    if mask is not None:
        w = w.masked_fill(~mask, 0.0)
    return w


def hard_sampled(scores: torch.Tensor, mask: torch.Tensor | None = None,
                 temperature: float = 1.0, seed: int = 0) -> torch.Tensor:
    """Stochastic hard attention (Xu et al. 2015): one key per row drawn from
    ``softmax(scores / T)`` with a ``torch.Generator`` seeded by ``seed``.

    Same inputs and seed give the same sample.  Returns one-hot ``(H, nq, nk)``;
    empty scope -> all 0.
    """
    p = softmax(scores, mask, temperature)                      # (H, nq, nk)
    nk = p.shape[-1]
    flat = p.reshape(-1, nk)                                    # (H*nq, nk)
    empty = flat.sum(dim=-1) <= 0                               # (H*nq,)
    flat = torch.where(empty[:, None], torch.ones_like(flat), flat)
    g = torch.Generator(device=flat.device).manual_seed(int(seed))
    idx = torch.multinomial(flat.double(), 1, generator=g)     # (H*nq, 1)
    w = torch.zeros_like(flat).scatter_(-1, idx, 1.0)
    w[empty] = 0.0
    return w.reshape(p.shape)                                   # (H, nq, nk)


def sparsemax(scores: torch.Tensor, mask: torch.Tensor | None = None,
              temperature: float = 1.0, seed: int = 0) -> torch.Tensor:
    """Sparsemax (Martins & Astudillo 2016): the Euclidean projection of
    ``scores / T`` onto the probability simplex.  Rows sum to 1, many weights are
    exactly 0.  Keys out of scope get 0; empty scope -> all 0.

    scores: ``(H, nq, nk)`` -> ``(H, nq, nk)``.
    """
    x = scores if mask is None else scores.masked_fill(~mask, _neg(scores.dtype))
    z = x - x.amax(dim=-1, keepdim=True)                        # <= 0, valid max is 0
    if temperature != 1.0:
        z = z / temperature                                      # may reach -inf, never NaN
    # Anything <= max - 2 can never be in the support (tau >= max - 1), so clamping
    # there changes nothing and removes -inf / huge values before the cumsum.
    z = z.clamp_min(-2.0)
    if mask is not None:
        z = z.masked_fill(~mask, -2.0)
    zs, _ = z.sort(dim=-1, descending=True)                     # (H, nq, nk)
    k = torch.arange(1, z.shape[-1] + 1, dtype=z.dtype)         # (nk,)
    cs = zs.cumsum(dim=-1)                                       # (H, nq, nk)
    support = (1 + k * zs) > cs                                  # (H, nq, nk)
    k_z = support.sum(dim=-1, keepdim=True).clamp_min(1)        # (H, nq, 1)
    tau = (cs.gather(-1, k_z - 1) - 1) / k_z.to(z.dtype)         # (H, nq, 1)
    w = (z - tau).clamp_min(0.0)
    if mask is not None:
        w = w.masked_fill(~mask, 0.0)
    return w


#: Normalization name -> function ``(scores, mask, temperature, seed) -> weights``: the names
#: :func:`attention.attend` accepts.
NORMALIZATIONS = {"soft": softmax, "hard": hard, "hard_sampled": hard_sampled, "sparsemax": sparsemax}
#: Normalizations that pick one key from a soft distribution (``AttentionResult.probs``).
HARD = ("hard", "hard_sampled")
