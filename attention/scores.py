"""Score functions e(q, k): how well each query matches each key.

All take per-head queries ``q (H, n_query, d_q)`` and keys ``k (H, n_key, d_k)``
and return raw scores ``(H, n_query, n_key)``:

=============  ==============================================  =====================
name           formula                                         paper
=============  ==============================================  =====================
``dot``        ``q . k``                                        Luong 2015 "dot"
``scaled_dot`` ``q . k / sqrt(d)``                              Vaswani 2017
``general``    ``q W_a k^T`` (bilinear; W_a = I gives ``dot``)  Luong 2015 "general"
``additive``   ``v^T tanh(W_1 q + W_2 k)``                      Bahdanau 2015 "concat"
``cosine``     ``q . k / (|q| |k|)`` in [-1, 1]                 Graves 2014 (NTM)
=============  ==============================================  =====================
"""
from __future__ import annotations

import math

import torch


# Largest (H * chunk * n_key * d_a) float block the additive score may build.
_ADDITIVE_BLOCK = 8 * 1024 * 1024


def dot(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """``q k^T``: ``(H, nq, d), (H, nk, d) -> (H, nq, nk)``."""
    return q @ k.transpose(-2, -1)


def scaled_dot(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """``q k^T / sqrt(d)`` with d = q.shape[-1]: ``-> (H, nq, nk)``."""
    return (q * (1.0 / math.sqrt(q.shape[-1]))) @ k.transpose(-2, -1)


def general(q: torch.Tensor, k: torch.Tensor, W_a: torch.Tensor) -> torch.Tensor:
    """Bilinear ``q W_a k^T``.

    q: ``(H, nq, d_q)``; k: ``(H, nk, d_k)``; W_a: ``(d_q, d_k)`` shared by all
    heads or ``(H, d_q, d_k)`` one per head.  Returns ``(H, nq, nk)``.
    """
    return (q @ W_a) @ k.transpose(-2, -1)


def additive(q: torch.Tensor, k: torch.Tensor, W1: torch.Tensor, W2: torch.Tensor,
             v: torch.Tensor) -> torch.Tensor:
    """Bahdanau's ``v^T tanh(W_1 q_i + W_2 k_j)``.

    q: ``(H, nq, d_q)``; k: ``(H, nk, d_k)``; W1: ``(d_a, d_q)``; W2: ``(d_a, d_k)``;
    v: ``(d_a,)``.  Returns ``(H, nq, nk)``.  Built in query chunks so the
    ``(H, chunk, nk, d_a)`` intermediate stays small.
    """
    H, nq, _ = q.shape
    nk = k.shape[1]
    qa = q @ W1.T                                   # (H, nq, d_a)
    ka = k @ W2.T                                   # (H, nk, d_a)
    d_a = qa.shape[-1]
    chunk = max(1, _ADDITIVE_BLOCK // max(1, H * nk * d_a))
    out = qa.new_empty(H, nq, nk)
    for s in range(0, nq, chunk):
        t = torch.tanh(qa[:, s:s + chunk, None, :] + ka[:, None, :, :])  # (H, c, nk, d_a)
        out[:, s:s + chunk] = t @ v                                       # (H, c, nk)
    return out


def _unit(x: torch.Tensor) -> torch.Tensor:
    """Rows of ``x`` scaled to length 1; an exactly-zero row stays 0.  Divides by the largest
    entry first, so vectors of any size (1e-9 or 1e30) keep their direction."""
    tiny = torch.finfo(x.dtype).tiny
    x = x / x.abs().amax(dim=-1, keepdim=True).clamp_min(tiny)      # entries in [-1, 1]
    return x / x.norm(dim=-1, keepdim=True).clamp_min(tiny)


def cosine(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Cosine similarity ``q . k / (|q| |k|)``: ``(H, nq, nk)`` in [-1, 1]; only an exactly
    zero vector falls back (it scores 0)."""
    return _unit(q) @ _unit(k).transpose(-2, -1)


#: Score name -> function ``(q, k, **params) -> (H, nq, nk)``: the names :func:`attention.attend`
#: accepts.  ``general`` takes ``W_a``; ``additive`` takes ``W1``, ``W2``, ``v``.
SCORES = {"dot": dot, "scaled_dot": scaled_dot, "general": general, "additive": additive,
          "cosine": cosine}


def bound(name: str, q: torch.Tensor, k: torch.Tensor, **params) -> float:
    """An upper bound on ``|score|`` (float64 arithmetic) -- decides whether float32 could
    overflow.  dot / general: ``max|q| max|k|`` (times ``||W_a||_F``); scaled_dot divides
    by sqrt(d); additive: ``sum |v|``; cosine: 1."""
    if name == "cosine":
        return 1.0
    if name == "additive":
        return float(params["v"].double().abs().sum())
    b = float(q.double().norm(dim=-1).max()) * float(k.double().norm(dim=-1).max())
    if name == "general":
        b *= float(params["W_a"].double().norm())
    if name == "scaled_dot":
        b /= math.sqrt(q.shape[-1])
    return b


def init_additive(d_q: int, d_k: int, d_a: int | None = None, seed: int = 0,
                  dtype=torch.float32) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Seeded random ``(W1 (d_a, d_q), W2 (d_a, d_k), v (d_a,))``, Xavier-normal scale.

    ``d_a`` defaults to ``d_q``.  Same seed, same parameters.
    """
    d_a = d_q if d_a is None else d_a
    g = torch.Generator().manual_seed(int(seed))
    W1 = torch.randn(d_a, d_q, generator=g, dtype=dtype) * math.sqrt(2.0 / (d_a + d_q))
    W2 = torch.randn(d_a, d_k, generator=g, dtype=dtype) * math.sqrt(2.0 / (d_a + d_k))
    v = torch.randn(d_a, generator=g, dtype=dtype) * math.sqrt(2.0 / (d_a + 1))
    return W1, W2, v


def init_bilinear(d_q: int, d_k: int | None = None, kind: str = "identity", seed: int = 0,
                  dtype=torch.float32) -> torch.Tensor:
    """A ``W_a (d_q, d_k)``: ``kind="identity"`` (needs d_q == d_k) or ``"random"``
    (seeded normal with std ``1/sqrt(d_q)``, so scores keep the scale of ``q . k``)."""
    d_k = d_q if d_k is None else d_k
    if kind == "identity":
        if d_q != d_k:
            raise ValueError(f"W_a='identity' needs d_q == d_k, got {d_q} and {d_k}")
        return torch.eye(d_q, dtype=dtype)
    if kind == "random":
        g = torch.Generator().manual_seed(int(seed))
        return torch.randn(d_q, d_k, generator=g, dtype=dtype) / math.sqrt(d_q)
    raise ValueError(f"W_a kind must be one of 'identity', 'random'; got {kind!r}")
