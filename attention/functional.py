"""``attend``: one entry point that composes score, scope, normalization, form and heads.

    result = attend(query, key, value, score="scaled_dot", scope="local", window=2)
    result.weights   # (H, n_query, n_key)
    result.output    # (n_query, d_v)  -- or (H, n_query, d_v) for per-head input

Options are validated once, up front (:func:`resolve_options`), and conflicting
combinations are rejected with a ValueError that names the option and the
allowed values.  Defaults: scaled dot-product, soft, global, one head -- which is
exactly ``torch.nn.functional.scaled_dot_product_attention``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import torch

from . import masks as M
from . import normalize as N
from . import scores as S

FORMS = ("cross", "self", "pooling")


@dataclass(frozen=True)
class Options:
    """Validated attention options (see :func:`attend` for their meaning)."""
    score: str = "scaled_dot"
    scope: str = "global"
    normalization: str = "soft"
    form: str = "cross"
    heads: int = 1
    window: Optional[int] = None
    temperature: float = 1.0
    grid: Optional[tuple[int, int]] = None
    seed: int = 0

    def describe(self) -> str:
        """Short human-readable name, e.g. ``"soft, local (w=2), scaled_dot"``."""
        scope = self.scope if self.window is None else f"{self.scope} (w={self.window})"
        t = "" if self.temperature == 1.0 else f", T={self.temperature:g}"
        return f"{self.normalization}, {scope}, {self.score}{t}"


@dataclass(frozen=True)
class AttentionResult:
    """Everything ``attend`` computed.

    scores:  ``(H, nq, nk)`` raw scores e(q, k) (before mask and temperature).
    mask:    ``(nq, nk)`` bool, True = may attend (``(H, nq, nk)`` if a per-head
             ``mask`` was passed).
    weights: ``(H, nq, nk)`` attention weights; a row with an empty scope is all 0.
    output:  weighted sum of values: ``(nq, d_v)`` for 2-D input, ``(H, nq, d_v/H)``
             for 3-D per-head input, ``(d_v,)`` for ``form="pooling"``.
    positions: ``(nq,)`` Luong local-p centres p_t, else None.
    gaussian:  ``(nq, nk)`` local-p factor exp(-(s-p_t)^2 / 2 sigma^2), else None.
    options: the validated :class:`Options`.
    """
    scores: torch.Tensor
    mask: torch.Tensor
    weights: torch.Tensor
    output: torch.Tensor
    options: Options
    positions: Optional[torch.Tensor] = None
    gaussian: Optional[torch.Tensor] = None


def _one_of(name: str, value: Any, allowed: tuple) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def resolve_options(*, score="scaled_dot", scope="global", normalization="soft", form="cross",
                    heads=1, window=None, temperature=1.0, grid=None, seed=0) -> Options:
    """Validate options and return a frozen :class:`Options` (ValueError on anything invalid)."""
    _one_of("score", score, S.SCORES)
    _one_of("scope", scope, M.SCOPES)
    _one_of("normalization", normalization, N.NORMALIZATIONS)
    _one_of("form", form, FORMS)
    if isinstance(heads, bool) or not isinstance(heads, (int, np.integer)) or heads < 1:
        raise ValueError(f"heads must be an integer >= 1; got {heads!r}")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating)) \
            or not math.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be a finite number > 0; got {temperature!r}")
    if scope in ("local", "local_p", "grid"):
        if window is None:
            raise ValueError(f"window is required for scope={scope!r} (an integer >= 0)")
        window = M._check_window(window)
    elif window is not None:
        raise ValueError(f"window only applies to scope 'local', 'local_p' or 'grid'; "
                         f"got window={window!r} with scope={scope!r}")
    if scope == "grid":
        if grid is None:
            raise ValueError("grid=(h, w) is required for scope='grid'")
        grid = M._check_grid(grid)
    elif grid is not None:
        raise ValueError(f"grid only applies to scope='grid'; got scope={scope!r}")
    if form == "pooling" and scope not in ("global", "local_p"):
        raise ValueError(f"form='pooling' (one query) supports scope 'global' or 'local_p'; got {scope!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer; got {seed!r}")
    return Options(score=score, scope=scope, normalization=normalization, form=form,
                   heads=int(heads), window=window, temperature=float(temperature),
                   grid=grid, seed=int(seed))


def _as_tensor(name: str, x) -> torch.Tensor:
    if x is None:
        return None
    t = torch.as_tensor(x)
    if not t.is_floating_point():
        t = t.to(torch.float32)
    if t.ndim not in (1, 2, 3):
        raise ValueError(f"{name} must be 2-D (n, d) or 3-D (heads, n, d); got shape {tuple(t.shape)}")
    if t.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(t.shape)}); need n >= 1 and d >= 1")
    # One reduction instead of an element-wise bool tensor: a sum is finite unless some
    # element is NaN/inf (or the sum overflows, which the exact check below then clears).
    if not math.isfinite(float(t.sum())) and not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} contains NaN or infinity")
    return t


def _split_heads(x: torch.Tensor, heads: int, name: str) -> torch.Tensor:
    """(n, d) -> (H, n, d/H); (H, n, dh) is returned as is."""
    if x.ndim == 3:
        if heads not in (1, x.shape[0]):
            raise ValueError(f"{name} is already split into {x.shape[0]} heads; heads must be 1 or "
                             f"{x.shape[0]}, got {heads}")
        return x
    n, d = x.shape
    if d % heads:
        raise ValueError(f"heads must divide the feature size: {name} has d={d}, heads={heads}")
    return x.view(n, heads, d // heads).transpose(0, 1)        # (H, n, dh)


def attend(query, key=None, value=None, *, score: str = "scaled_dot", scope: str = "global",
           normalization: str = "soft", form: str = "cross", heads: int = 1,
           window: Optional[int] = None, temperature: float = 1.0,
           grid: Optional[tuple[int, int]] = None, seed: int = 0,
           W_a=None, additive=None, positions=None, local_p=None, mask=None) -> AttentionResult:
    """Attention of ``query`` over ``key`` / ``value``.

    Shapes (H = heads):
      * ``form="cross"`` (default): query ``(nq, d)``, key ``(nk, d)``, value ``(nk, d_v)``
        (value defaults to key).  Per-head input ``(H, n, dh)`` is accepted as is.
      * ``form="self"``: only ``query`` X ``(n, d)``; q = k = v = X.
      * ``form="pooling"``: one query ``(d,)`` over inputs ``key (n, d)``:
        ``e_i = score(q, x_i)``, ``alpha = softmax(e)``, ``c = sum_i alpha_i x_i``.

    Options:
      score: ``dot | scaled_dot | general | additive | cosine`` (see :mod:`attention.scores`).
      scope: ``global | local`` (|i-j| <= window) ``| causal | local_p`` (Luong, window = D)
             ``| grid`` (2-D window of radius ``window`` on ``grid=(h, w)``).
      normalization: ``soft`` (softmax at ``temperature``) ``| hard`` (arg-max one-hot)
             ``| hard_sampled`` (one-hot drawn from the soft distribution, ``seed``) ``| sparsemax``.
      heads: split the feature size d into ``heads`` heads of ``d / heads``.
      W_a: for ``general``: a ``(dh_q, dh_k)`` or ``(H, dh_q, dh_k)`` tensor, or ``"identity"``
           (default) or ``"random"`` (seeded by ``seed``).
      additive: ``(W1 (d_a, dh_q), W2 (d_a, dh_k), v (d_a,))``; default seeded random.
      positions: local-p centres ``(nq,)``; default predicted ``p_t = S sigmoid(v_p^T tanh(W_p q_t))``
           with ``local_p=(W_p (d_p, d), v_p (d_p,))`` or seeded random ones.
      mask: extra bool mask (True = may attend) broadcastable to ``(H, nq, nk)``, ANDed with the scope.

    Local-p follows Luong et al. (2015) exactly: the normalized weights over the window are
    multiplied by the Gaussian, so a row sums to at most 1.
    """
    opt = resolve_options(score=score, scope=scope, normalization=normalization, form=form,
                          heads=heads, window=window, temperature=temperature, grid=grid, seed=seed)
    q_in = _as_tensor("query", query)
    k_in = _as_tensor("key", key)
    v_in = _as_tensor("value", value)

    if opt.form == "self":
        if k_in is not None or v_in is not None:
            raise ValueError("form='self' takes only the query X (q = k = v = X); drop key/value")
        k_in = v_in = q_in
    elif k_in is None:
        raise ValueError(f"key is required for form={opt.form!r} (use form='self' for q = k = v = X)")
    if v_in is None:
        v_in = k_in

    if opt.form == "pooling":
        if q_in.ndim == 2 and q_in.shape[0] == 1:
            q_in = q_in[0]
        if q_in.ndim != 1:
            raise ValueError(f"form='pooling' takes one query vector (d,); got shape {tuple(q_in.shape)}")
        q_in = q_in.unsqueeze(0)                                  # (1, d)
    elif q_in.ndim == 1:
        raise ValueError("a 1-D query is one vector: use form='pooling', or pass shape (1, d)")

    if not (q_in.ndim == k_in.ndim == v_in.ndim):
        raise ValueError(f"query, key and value must all be 2-D or all 3-D; got shapes "
                         f"{tuple(q_in.shape)}, {tuple(k_in.shape)}, {tuple(v_in.shape)}")
    dtype = torch.promote_types(torch.promote_types(q_in.dtype, k_in.dtype), v_in.dtype)
    if not (q_in.dtype == k_in.dtype == v_in.dtype == dtype):
        q_in, k_in, v_in = q_in.to(dtype), k_in.to(dtype), v_in.to(dtype)
    per_head_input = q_in.ndim == 3
    if per_head_input and not (q_in.shape[0] == k_in.shape[0] == v_in.shape[0]):
        raise ValueError("per-head query, key and value must have the same number of heads")
    if k_in.shape[-2] != v_in.shape[-2]:
        raise ValueError(f"key and value must have the same length n_key; got {k_in.shape[-2]} and {v_in.shape[-2]}")

    q = _split_heads(q_in, opt.heads, "query")                   # (H, nq, dh)
    k = _split_heads(k_in, opt.heads, "key")                     # (H, nk, dh)
    v = _split_heads(v_in, opt.heads, "value")                   # (H, nk, dv)
    H, nq, dq = q.shape
    nk, dk = k.shape[1], k.shape[2]

    # ---- scores (H, nq, nk)
    if opt.score in ("dot", "scaled_dot", "cosine") and dq != dk:
        raise ValueError(f"score={opt.score!r} needs query and key of the same size; got {dq} and {dk}")
    if opt.score != "general" and W_a is not None:
        raise ValueError(f"W_a only applies to score='general'; got score={opt.score!r}")
    if opt.score != "additive" and additive is not None:
        raise ValueError(f"additive parameters only apply to score='additive'; got score={opt.score!r}")
    if opt.score == "dot":
        e = S.dot(q, k)
    elif opt.score == "scaled_dot":
        e = S.scaled_dot(q, k)
    elif opt.score == "cosine":
        e = S.cosine(q, k)
    elif opt.score == "general":
        Wa = _resolve_Wa(W_a, H, dq, dk, opt.seed, dtype)
        e = S.general(q, k, Wa)
    else:
        if additive is None:
            W1, W2, va = S.init_additive(dq, dk, seed=opt.seed, dtype=dtype)
        else:
            try:
                W1, W2, va = (torch.as_tensor(t, dtype=dtype) for t in additive)
            except (TypeError, ValueError):
                raise ValueError("additive must be a tuple (W1, W2, v)") from None
            if W1.ndim != 2 or W2.ndim != 2 or va.ndim != 1 or W1.shape[1] != dq \
                    or W2.shape[1] != dk or not (W1.shape[0] == W2.shape[0] == va.shape[0]):
                raise ValueError(f"additive needs W1 (d_a, {dq}), W2 (d_a, {dk}), v (d_a,); got "
                                 f"{tuple(W1.shape)}, {tuple(W2.shape)}, {tuple(va.shape)}")
        e = S.additive(q, k, W1, W2, va)

    # ---- scope mask (nq, nk) and local-p extras
    pos = gauss = None
    if opt.scope == "global":
        scope_mask = None
    elif opt.scope == "local":
        scope_mask = M.local_mask(nq, nk, opt.window)
    elif opt.scope == "causal":
        scope_mask = M.causal_mask(nq, nk)
    elif opt.scope == "grid":
        if opt.grid[0] * opt.grid[1] != nq or nq != nk:
            raise ValueError(f"grid {opt.grid} has {opt.grid[0] * opt.grid[1]} cells but there are "
                             f"{nq} queries and {nk} keys")
        scope_mask = M.grid_mask(opt.grid, opt.window)
    else:  # local_p
        pos = _resolve_positions(positions, local_p, q_in, nq, nk, opt.seed, dtype)
        scope_mask = M.local_p_mask(pos, nk, opt.window)
        gauss = M.gaussian_weights(pos, nk, opt.window)
    if opt.scope != "local_p" and (positions is not None or local_p is not None):
        raise ValueError(f"positions / local_p only apply to scope='local_p'; got scope={opt.scope!r}")

    full_mask = scope_mask
    if mask is not None:
        m = torch.as_tensor(mask)
        if m.dtype != torch.bool:
            raise ValueError(f"mask must be a bool tensor (True = may attend); got dtype {m.dtype}")
        try:
            torch.broadcast_shapes(m.shape, (H, nq, nk))
        except RuntimeError:
            raise ValueError(f"mask of shape {tuple(m.shape)} does not broadcast to (H, nq, nk) = "
                             f"{(H, nq, nk)}") from None
        full_mask = m if full_mask is None else (full_mask & m)

    # ---- normalization (H, nq, nk)
    if opt.normalization == "soft":
        w = N.softmax(e, full_mask, opt.temperature)
    elif opt.normalization == "hard":
        w = N.hard(e, full_mask)
    elif opt.normalization == "hard_sampled":
        w = N.hard_sampled(e, full_mask, opt.temperature, opt.seed)
    else:
        w = N.sparsemax(e, full_mask, opt.temperature)
    if gauss is not None:
        w = w * gauss                                            # Luong: align(.) * exp(...)

    out = w @ v                                                  # (H, nq, dv)
    if opt.form == "pooling":
        out = out[:, 0, :].reshape(-1)                           # (H*dv,) = (d_v,)
    elif not per_head_input:
        out = out.transpose(0, 1).reshape(nq, -1)                # (nq, H*dv)
    if full_mask is None:
        full_mask = M.global_mask(nq, nk)
    return AttentionResult(scores=e, mask=full_mask, weights=w, output=out, options=opt,
                           positions=pos, gaussian=gauss)


def _resolve_Wa(W_a, H, dq, dk, seed, dtype) -> torch.Tensor:
    if W_a is None or (isinstance(W_a, str) and W_a == "identity"):
        return S.init_bilinear(dq, dk, "identity", dtype=dtype)
    if isinstance(W_a, str):
        if W_a == "random":
            return S.init_bilinear(dq, dk, "random", seed=seed, dtype=dtype)
        raise ValueError(f"W_a must be a tensor, 'identity' or 'random'; got {W_a!r}")
    Wa = torch.as_tensor(W_a, dtype=dtype)
    if Wa.shape not in ((dq, dk), (H, dq, dk)):
        raise ValueError(f"W_a must have shape ({dq}, {dk}) or ({H}, {dq}, {dk}); got {tuple(Wa.shape)}")
    if not torch.isfinite(Wa).all():
        raise ValueError("W_a contains NaN or infinity")
    return Wa


def _resolve_positions(positions, local_p, q_in, nq, nk, seed, dtype) -> torch.Tensor:
    if positions is not None:
        if local_p is not None:
            raise ValueError("give either positions or local_p=(W_p, v_p), not both")
        p = torch.as_tensor(positions, dtype=dtype).reshape(-1)
        if p.shape[0] != nq:
            raise ValueError(f"positions must have one centre per query ({nq}); got {p.shape[0]}")
        if not torch.isfinite(p).all():
            raise ValueError("positions contains NaN or infinity")
        return p.clamp(0, nk - 1)
    flat = q_in if q_in.ndim == 2 else q_in.transpose(0, 1).reshape(nq, -1)   # (nq, d)
    d = flat.shape[-1]
    if local_p is None:
        g = torch.Generator().manual_seed(int(seed))
        W_p = torch.randn(d, d, generator=g, dtype=dtype) / math.sqrt(d)
        v_p = torch.randn(d, generator=g, dtype=dtype) / math.sqrt(d)
    else:
        W_p, v_p = (torch.as_tensor(t, dtype=dtype) for t in local_p)
        if W_p.ndim != 2 or W_p.shape[1] != d or v_p.shape != (W_p.shape[0],):
            raise ValueError(f"local_p needs W_p (d_p, {d}) and v_p (d_p,); got "
                             f"{tuple(W_p.shape)} and {tuple(v_p.shape)}")
    return M.predict_positions(flat, nk, W_p, v_p)
