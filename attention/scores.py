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
``location``   ``v^T tanh(W_1 q + W_2 k + U (F * a_prev))``     Chorowski 2015 eq. 8-9
=============  ==============================================  =====================

**Each score owns its parameters.**  :data:`SCORES` maps a name to a :class:`Score`: the
function, the keyword arguments of :func:`attention.attend` it owns (``W_a=`` for general,
``additive=`` and ``location=`` for location-aware), how to check them (and their seeded
defaults), and a bound on ``|score|``.  ``attend`` knows none of them by name: adding a score is
one entry here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Optional

import torch
import torch.nn.functional as TF


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


def location(q: torch.Tensor, k: torch.Tensor, W1: torch.Tensor, W2: torch.Tensor, v: torch.Tensor,
             prev: torch.Tensor, F: torch.Tensor, U: torch.Tensor) -> torch.Tensor:
    """Location-aware score (Chorowski et al. 2015, eq. 8-9):
    ``e_ij = v^T tanh(W_1 q_i + W_2 k_j + U f_ij)`` with ``f_i = F * alpha_{i-1}``, the previous
    alignment convolved with learned filters, so the score knows where the last step looked.

    q: ``(H, nq, d_q)``; k: ``(H, nk, d_k)``; W1 ``(d_a, d_q)``; W2 ``(d_a, d_k)``; v ``(d_a,)``;
    prev: ``(H, nq, nk)`` the previous step's weights alpha_{i-1} (the batch, if any, on the H
    axis like q); F: ``(n_f, r)`` n_f filters of odd width r (centred: f_ij reads alpha_{i-1}
    at j - r//2 .. j + r//2); U: ``(d_a, n_f)``.  Returns ``(H, nq, nk)``.
    With ``prev`` all zero (no previous step) it equals :func:`additive`.
    """
    H, nq, _ = q.shape
    nk = k.shape[1]
    n_f, r = F.shape
    f = TF.conv1d(prev.reshape(H * nq, 1, nk), F.unsqueeze(1), padding=r // 2)   # (H*nq, n_f, nk)
    f = f.view(H, nq, n_f, nk).transpose(-1, -2)                                # (H, nq, nk, n_f)
    qa = q @ W1.T                                                               # (H, nq, d_a)
    ka = k @ W2.T                                                               # (H, nk, d_a)
    t = torch.tanh(qa[:, :, None, :] + ka[:, None, :, :] + f @ U.T)             # (H, nq, nk, d_a)
    return t @ v                                                                # (H, nq, nk)


def location_features(prev: torch.Tensor, F: torch.Tensor) -> torch.Tensor:
    """``f_i = F * alpha_{i-1}``: ``prev (H, nq, nk)``, ``F (n_f, r)`` -> ``(H, nq, nk, n_f)``
    (what the location-aware score adds, before ``U``: for display)."""
    H, nq, nk = prev.shape
    n_f, r = F.shape
    f = TF.conv1d(prev.reshape(H * nq, 1, nk), F.unsqueeze(1), padding=r // 2)
    return f.view(H, nq, n_f, nk).transpose(-1, -2)


@dataclass(frozen=True)
class Context:
    """What a score's parameter check needs to know: heads, query / key sizes, counts, seed."""
    H: int
    nq: int
    nk: int
    dq: int
    dk: int
    seed: int
    dtype: Any


def _tensors(name: str, given, shapes: str, n: int, dtype) -> tuple:
    try:
        ts = tuple(torch.as_tensor(t).to(dtype) for t in given)
    except (TypeError, ValueError, RuntimeError):
        raise ValueError(f"{name} must be a tuple {shapes}") from None
    if len(ts) != n:
        raise ValueError(f"{name} must be a tuple {shapes}; got {len(ts)} items")
    return ts


def _resolve_general(p: dict, c: Context) -> dict:
    W_a = p.get("W_a")
    if W_a is None or (isinstance(W_a, str) and W_a == "identity"):
        return {"W_a": init_bilinear(c.dq, c.dk, "identity", dtype=c.dtype)}
    if isinstance(W_a, str):
        if W_a == "random":
            return {"W_a": init_bilinear(c.dq, c.dk, "random", seed=c.seed, dtype=c.dtype)}
        raise ValueError(f"W_a must be a tensor, 'identity' or 'random'; got {W_a!r}")
    Wa = torch.as_tensor(W_a, dtype=c.dtype)
    if Wa.shape not in ((c.dq, c.dk), (c.H, c.dq, c.dk)):
        raise ValueError(f"W_a must have shape ({c.dq}, {c.dk}) or ({c.H}, {c.dq}, {c.dk}); "
                         f"got {tuple(Wa.shape)}")
    if not torch.isfinite(Wa).all():
        raise ValueError("W_a contains NaN or infinity")
    return {"W_a": Wa}


def _resolve_additive(p: dict, c: Context) -> dict:
    if p.get("additive") is None:
        W1, W2, v = init_additive(c.dq, c.dk, seed=c.seed, dtype=c.dtype)
    else:
        W1, W2, v = _tensors("additive", p["additive"], "(W1, W2, v)", 3, c.dtype)
        if W1.ndim != 2 or W2.ndim != 2 or v.ndim != 1 or W1.shape[1] != c.dq \
                or W2.shape[1] != c.dk or not (W1.shape[0] == W2.shape[0] == v.shape[0]):
            raise ValueError(f"additive needs W1 (d_a, {c.dq}), W2 (d_a, {c.dk}), v (d_a,); got "
                             f"{tuple(W1.shape)}, {tuple(W2.shape)}, {tuple(v.shape)}")
    return {"W1": W1, "W2": W2, "v": v}


def _resolve_location(p: dict, c: Context) -> dict:
    out = _resolve_additive(p, c)
    if p.get("location") is None:
        raise ValueError("score='location' needs location=(prev (H, nq, nk), F (n_f, r), U (d_a, n_f)): "
                         "the previous alignment and the learned filters")
    prev, F, U = _tensors("location", p["location"], "(prev, F, U)", 3, c.dtype)
    d_a = out["v"].shape[0]
    if prev.shape != (c.H, c.nq, c.nk):
        raise ValueError(f"location: prev must have shape (H, nq, nk) = {(c.H, c.nq, c.nk)}; "
                         f"got {tuple(prev.shape)}")
    if F.ndim != 2 or F.shape[1] % 2 == 0 or U.shape != (d_a, F.shape[0]):
        raise ValueError(f"location needs F (n_f, r) with r odd and U ({d_a}, n_f); got "
                         f"{tuple(F.shape)} and {tuple(U.shape)}")
    return {**out, "prev": prev, "F": F, "U": U}


def _bound_dot(q, k, **_) -> float:
    return float(q.detach().double().norm(dim=-1).max()) * float(k.detach().double().norm(dim=-1).max())


def _bound_v(q, k, v, **_) -> float:
    return float(v.detach().double().abs().sum())


@dataclass(frozen=True)
class Score:
    """One score in the registry.

    fn:        ``(q, k, **resolved) -> (H, nq, nk)``.
    params:    the :func:`attention.attend` keyword arguments this score owns (``("W_a",)``).
    resolve:   ``(given {param: value}, Context) -> fn kwargs`` -- checks shapes, fills seeded
               defaults; ValueError naming the parameter.
    bound:     ``(q, k, **resolved) -> float``, an upper bound on ``|score|`` (float64
               arithmetic) -- decides whether float32 could overflow.
    same_size: needs ``d_q == d_k``.
    standalone: usable with no input beyond q and k (False: needs state such as the previous
               alignment, so a page of fixed vectors cannot offer it).
    label / latex / paper: how it is shown and where it comes from.
    """
    fn: Callable
    params: tuple = ()
    resolve: Optional[Callable] = None
    bound: Callable = _bound_dot
    same_size: bool = False
    standalone: bool = True
    label: str = ""
    latex: str = ""
    paper: str = ""

    def __call__(self, q, k, **kw):
        return self.fn(q, k, **kw)

    def kwargs(self, given: dict, ctx: Context) -> dict:
        """The function's keyword arguments from the ``attend`` parameters ``given``."""
        if self.same_size and ctx.dq != ctx.dk:
            name = self.fn.__name__
            raise ValueError(f"score={name!r} needs query and key of the same size; got {ctx.dq} and {ctx.dk}")
        return self.resolve(given, ctx) if self.resolve else {}


#: Score name -> :class:`Score`: the names :func:`attention.attend` accepts.
SCORES: dict[str, Score] = {
    "dot": Score(dot, same_size=True, label="Dot product", latex=r"e_{ij} = q_i \cdot k_j",
                 paper="Luong et al. 2015 (dot)"),
    "scaled_dot": Score(scaled_dot, same_size=True,
                        bound=lambda q, k, **_: _bound_dot(q, k) / math.sqrt(q.shape[-1]),
                        label="Scaled dot product", latex=r"e_{ij} = \frac{q_i \cdot k_j}{\sqrt{d}}",
                        paper="Vaswani et al. 2017"),
    "general": Score(general, params=("W_a",), resolve=_resolve_general,
                     bound=lambda q, k, W_a: _bound_dot(q, k) * float(W_a.detach().double().norm()),
                     label="General / bilinear (W_a)", latex=r"e_{ij} = q_i\, W_a\, k_j^{\top}",
                     paper="Luong et al. 2015 (general)"),
    "additive": Score(additive, params=("additive",), resolve=_resolve_additive, bound=_bound_v,
                      label="Additive (Bahdanau)", latex=r"e_{ij} = v^{\top} \tanh(W_1 q_i + W_2 k_j)",
                      paper="Bahdanau et al. 2015 (concat)"),
    "cosine": Score(cosine, same_size=True, bound=lambda q, k, **_: 1.0, label="Cosine",
                    latex=r"e_{ij} = \frac{q_i \cdot k_j}{\lVert q_i \rVert\, \lVert k_j \rVert}",
                    paper="Graves et al. 2014 (NTM)"),
    "location": Score(location, params=("additive", "location"), resolve=_resolve_location,
                      bound=_bound_v, standalone=False, label="Location-aware (Chorowski)",
                      latex=r"e_{ij} = v^{\top} \tanh(W_1 q_i + W_2 k_j + U f_{ij}),\ \ "
                            r"f_i = F * \alpha_{i-1}",
                      paper="Chorowski et al. 2015, eq. 8-9"),
}


def bound(name: str, q: torch.Tensor, k: torch.Tensor, **params) -> float:
    """An upper bound on ``|score|`` of score ``name`` (see :class:`Score`)."""
    return SCORES[name].bound(q, k, **params)


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
