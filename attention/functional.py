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
from .arrays import as_tensor
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

    def describe(self, at: Optional[str] = None) -> str:
        """Short human-readable name, e.g. ``"soft, local (w=2), scaled_dot"``; ``at`` names
        the centre of a single query's window (``"... local (w=2) at 3 ..."``)."""
        scope = self.scope if self.window is None else f"{self.scope} (w={self.window})"
        scope = scope if at is None else f"{scope} at {at}"
        t = "" if self.temperature == 1.0 else f", T={self.temperature:g}"
        return f"{self.normalization}, {scope}, {self.score}{t}"


@dataclass(frozen=True)
class AttentionResult:
    """Everything ``attend`` computed.

    scores:  ``(H, nq, nk)`` raw scores e(q, k) (before mask and temperature).
    mask:    ``(nq, nk)`` bool, True = may attend (``(H, nq, nk)`` if a per-head ``mask`` or
             per-head ``positions`` were passed).
    weights: ``(H, nq, nk)`` attention weights; a row with an empty scope is all 0.
    output:  weighted sum of values: ``(nq, d_v)`` for 2-D input, ``(H, nq, d_v/H)``
             for 3-D per-head input, ``(d_v,)`` for ``form="pooling"``.
    positions: the window centres used: ``(nq,)`` / ``(H, nq)`` (``(..., 2)`` on a grid) --
             Luong's p_t for local-p, the given centres for other scopes; None = each query's own
             index (or a global scope).
    gaussian:  local-p factor ``exp(-(s - p_t)^2 / (2 s_g^2))``, ``(nq, nk)`` or ``(H, nq, nk)``;
             else None.
    probs:   for ``hard`` / ``hard_sampled``: the soft distribution ``softmax(e / T)`` in scope
             that the one-hot is taken from, ``(H, nq, nk)`` (use it for REINFORCE log-probs);
             else None.
    options: the validated :class:`Options`.
    """
    scores: torch.Tensor
    mask: torch.Tensor
    weights: torch.Tensor
    output: torch.Tensor
    options: Options
    positions: Optional[torch.Tensor] = None
    gaussian: Optional[torch.Tensor] = None
    probs: Optional[torch.Tensor] = None

    def describe(self) -> str:
        """:meth:`Options.describe`, plus where a single query's window sits, e.g.
        ``"soft, local (w=2) at 3, scaled_dot"`` for pooling with a local scope."""
        o = self.options
        if o.form != "pooling" or self.positions is None or o.scope == "global":
            return o.describe()
        p = self.positions.reshape(-1)
        at = ", ".join(f"{float(x):g}" for x in p[:2])
        at = f"({at})" if o.grid is not None else at
        return o.describe(at=at)


def one_of(name: str, value: Any, allowed) -> str:
    """``value`` if it is one of ``allowed`` (names), else a ValueError naming the option and
    the allowed values -- the one such check of the core."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def resolve_options(*, score="scaled_dot", scope="global", normalization="soft", form="cross",
                    heads=1, window=None, temperature=1.0, grid=None, seed=0) -> Options:
    """Validate options and return a frozen :class:`Options` (ValueError on anything invalid).

    The variant is chosen here, once: ``attend`` then looks each part up in a registry
    (:data:`attention.scores.SCORES`, :data:`attention.normalize.NORMALIZATIONS`,
    :func:`attention.masks.scope_mask`)."""
    one_of("score", score, S.SCORES)
    one_of("scope", scope, M.SCOPES)
    one_of("normalization", normalization, N.NORMALIZATIONS)
    one_of("form", form, FORMS)
    if isinstance(heads, bool) or not isinstance(heads, (int, np.integer)) or heads < 1:
        raise ValueError(f"heads must be an integer >= 1; got {heads!r}")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating)) \
            or not math.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be a finite number > 0; got {temperature!r}")
    if scope in M.WINDOWED:
        if window is None:
            raise ValueError(f"window is required for scope={scope!r} (an integer >= 0)")
        window = M.check_window(window)
    elif window is not None:
        raise ValueError(f"window only applies to scope {', '.join(map(repr, M.WINDOWED))}; "
                         f"got window={window!r} with scope={scope!r}")
    if M.SCOPES[scope].grid == "required" and grid is None:
        raise ValueError(f"grid=(h, w) is required for scope={scope!r}")
    if grid is not None:
        if M.SCOPES[scope].grid == "no":
            with_grid = [n for n, s in M.SCOPES.items() if s.grid != "no"]
            raise ValueError(f"grid only applies to scope {' or '.join(map(repr, with_grid))}; "
                             f"got scope={scope!r}")
        grid = M.check_grid(grid)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer; got {seed!r}")
    return Options(score=score, scope=scope, normalization=normalization, form=form,
                   heads=int(heads), window=window, temperature=float(temperature),
                   grid=grid, seed=int(seed))


def _as_tensor(name: str, x) -> torch.Tensor:
    if x is None:
        return None
    t = as_tensor(x)                    # a read-only (cached) array is copied
    if not t.is_floating_point():
        t = t.to(torch.float32)
    if t.ndim not in (1, 2, 3):
        raise ValueError(f"{name} must be 2-D (n, d) or 3-D (heads, n, d); got shape {tuple(t.shape)}")
    if t.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(t.shape)}); need n >= 1 and d >= 1")
    # One reduction instead of an element-wise bool tensor: a sum is finite unless some
    # element is NaN/inf (or the sum overflows, which the exact check below then clears).
    if not math.isfinite(float(t.detach().sum())) and not bool(torch.isfinite(t).all()):
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
           positions=None, mask=None, **params) -> AttentionResult:
    """Attention of ``query`` over ``key`` / ``value``.

    Shapes (H = heads; the leading axis of 3-D input may also hold a batch, B x heads):
      * ``form="cross"`` (default): query ``(nq, d)``, key ``(nk, d)``, value ``(nk, d_v)``
        (value defaults to key).  Per-head (or batched) input ``(H, n, dh)`` is accepted as is.
      * ``form="self"``: only ``query`` X ``(n, d)``; q = k = v = X.
      * ``form="pooling"``: one query ``(d,)`` over inputs ``key (n, d)``:
        ``e_i = score(q, x_i)``, ``alpha = softmax(e)``, ``c = sum_i alpha_i x_i``.

    Options:
      score: ``dot | scaled_dot | general | additive | cosine | location`` (see
             :mod:`attention.scores`).
      scope: ``global | local`` (``|j - c_i| <= window``, Luong local-m) ``| causal`` (``j <= c_i``)
             ``| local_p`` (Luong, window = D, Gaussian) ``| grid`` (2-D window on ``grid=(h, w)``);
             see :mod:`attention.masks`.  ``local_p`` with ``grid`` is the 2-D local-p.
      normalization: ``soft`` (softmax at ``temperature``) ``| hard`` (arg-max one-hot)
             ``| hard_sampled`` (one-hot drawn from the soft distribution, ``seed``) ``| sparsemax``.
      heads: split the feature size d into ``heads`` heads of ``d / heads``.
      positions: the centre c_i of each query's window on the key axis: ``(nq,)`` or ``(H, nq)``
           (with ``grid``: ``(nq, 2)`` or ``(H, nq, 2)`` as (row, col)).  Defaults: the query's
           own index for ``local`` / ``causal`` (own cell for ``grid``); predicted
           ``p_t = S sigmoid(v_p^T tanh(W_p q_t))`` for ``local_p``.  ``form="pooling"`` with
           ``local`` / ``causal`` / ``grid`` needs it (where the one query sits).
      mask: extra bool mask (True = may attend) broadcastable to ``(H, nq, nk)`` (e.g. padding),
           ANDed with the scope.
      **params: the parameters of the chosen score or scope, each owned by its registry entry
           (:data:`attention.scores.SCORES`, :data:`attention.masks.SCOPES`); a parameter of
           another score or scope is a ValueError:
        W_a (``general``): a ``(dh_q, dh_k)`` or ``(H, dh_q, dh_k)`` tensor, or ``"identity"``
           (default) or ``"random"`` (seeded by ``seed``).
        additive (``additive``, ``location``): ``(W1 (d_a, dh_q), W2 (d_a, dh_k), v (d_a,))``;
           default seeded random.
        location (``location``): ``(prev (H, nq, nk), F (n_f, r), U (d_a, n_f))``: the previous
           alignment and the filters that convolve it (Chorowski et al. 2015).
        local_p (``local_p``): ``(W_p (d_p, d), v_p (d_p,))`` for the predicted centres
           (``v_p (d_p, 2)`` with ``grid``; optional biases ``b_p, b_v`` as 3rd and 4th items);
           default seeded random.

    Local-p follows Luong et al. (2015) exactly: the normalized weights over the window are
    multiplied by the Gaussian, so a row sums to at most 1.  Scores that would overflow float32
    are computed in float64 (then the whole result is float64); never NaN.  Differentiable
    wherever the maths is (scores, soft weights, the Gaussian, ``probs``).
    """
    opt = resolve_options(score=score, scope=scope, normalization=normalization, form=form,
                          heads=heads, window=window, temperature=temperature, grid=grid, seed=seed)
    q_in, k_in, v_in = _inputs(opt, query, key, value)
    q = _split_heads(q_in, opt.heads, "query")                   # (H, nq, dh)
    k = _split_heads(k_in, opt.heads, "key")                     # (H, nk, dh)
    v = _split_heads(v_in, opt.heads, "value")                   # (H, nk, dv)
    H, nq, dq = q.shape
    nk = k.shape[1]

    score_p, scope_p = _split_params(opt, params)
    sc = S.SCORES[opt.score]
    kw = sc.kwargs(score_p, S.Context(H=H, nq=nq, nk=nk, dq=dq, dk=k.shape[2], seed=opt.seed,
                                      dtype=q.dtype))
    if sc.bound(q, k, **kw) > torch.finfo(q.dtype).max / 4:
        if q.dtype == torch.float64:
            raise ValueError("the scores overflow even float64: scale the inputs down")
        q, k, v = q.double(), k.double(), v.double()             # float32 would give inf -> NaN
        kw = {n: p.double() for n, p in kw.items()}
    e = sc(q, k, **kw)                                           # (H, nq, nk)

    pos, scope_m, gauss = _scope(opt, positions, scope_p, q_in, nq, nk, q.dtype)
    full_mask = _and_mask(scope_m, mask, H, nq, nk)
    w = N.NORMALIZATIONS[opt.normalization](e, full_mask, opt.temperature, opt.seed)  # (H, nq, nk)
    probs = N.softmax(e, full_mask, opt.temperature) if opt.normalization in N.HARD else None
    if gauss is not None:
        w = w * gauss                                            # Luong: align(.) * exp(...)

    out = w @ v                                                  # (H, nq, dv)
    if opt.form == "pooling":
        out = out[:, 0, :].reshape(-1)                           # (H*dv,) = (d_v,)
    elif q_in.ndim == 2:
        out = out.transpose(0, 1).reshape(nq, -1)                # (nq, H*dv)
    if full_mask is None:
        full_mask = M.global_mask(nq, nk)
    return AttentionResult(scores=e, mask=full_mask, weights=w, output=out, options=opt,
                           positions=pos, gaussian=gauss, probs=probs)


def _inputs(opt: Options, query, key, value):
    """Validated ``(q, k, v)`` tensors of one dtype, 2-D ``(n, d)`` or 3-D ``(H, n, d)``."""
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
    if q_in.ndim == 3 and not (q_in.shape[0] == k_in.shape[0] == v_in.shape[0]):
        raise ValueError("per-head query, key and value must have the same number of heads")
    if k_in.shape[-2] != v_in.shape[-2]:
        raise ValueError(f"key and value must have the same length n_key; got {k_in.shape[-2]} and {v_in.shape[-2]}")
    return q_in, k_in, v_in


def _split_params(opt: Options, params: dict) -> tuple[dict, dict]:
    """``params`` split into those of ``opt.score`` and those of ``opt.scope``; a parameter that
    belongs to another score or scope (or to none) is a ValueError naming its owner."""
    sc, sp = S.SCORES[opt.score], M.SCOPES[opt.scope]
    mine_score = {k: v for k, v in params.items() if k in sc.params}
    mine_scope = {k: v for k, v in params.items() if k in sp.params}
    for k, v in params.items():
        if k in sc.params or k in sp.params or v is None:
            continue
        scores = [n for n, x in S.SCORES.items() if k in x.params]
        scopes = [n for n, x in M.SCOPES.items() if k in x.params]
        if scores:
            raise ValueError(f"{k} only applies to {' or '.join(f'score={n!r}' for n in scores)}; "
                             f"got score={opt.score!r}")
        if scopes:
            raise ValueError(f"{k} only applies to {' or '.join(f'scope={n!r}' for n in scopes)}; "
                             f"got scope={opt.scope!r}")
        raise ValueError(f"unknown attention option {k!r}")
    return mine_score, mine_scope


def _scope(opt: Options, positions, params: dict, q_in, nq: int, nk: int, dtype):
    """``(centres or None, scope mask or None, Gaussian or None)`` for ``opt.scope``."""
    sp = M.SCOPES[opt.scope]
    if not sp.centred and positions is not None:
        raise ValueError(f"positions only apply to scope {', '.join(map(repr, M.CENTRED))}; "
                         f"got scope={opt.scope!r}")
    if not sp.centred and sp.mask(nq, nk, opt.window, None, opt.grid) is None:
        return None, None, None
    two_d = opt.grid is not None
    if two_d:
        M.check_grid(opt.grid, nk)
    given = {k: v for k, v in params.items() if v is not None}
    if positions is not None:
        if given:
            raise ValueError(f"give either positions or {', '.join(given)}, not both")
        pos = _check_positions(positions, nq, nk, opt.grid, dtype)
    elif sp.predict is not None:
        flat = q_in if q_in.ndim == 2 else q_in.transpose(0, 1).reshape(nq, -1)   # (nq, d)
        (name,) = sp.params
        pos = sp.predict(params.get(name), flat, nk, opt.grid, opt.seed, dtype)
    elif opt.form == "pooling":
        raise ValueError(f"form='pooling' with scope={opt.scope!r} needs positions= "
                         "(the position the one query's window is centred on)")
    elif two_d and nq != nk:
        raise ValueError(f"scope={opt.scope!r} with {nq} queries over {nk} cells needs positions=(row, col) "
                         "per query (by default each query is its own cell, which needs nq == nk)")
    else:
        pos = None
    if sp.gaussian:
        pos = M.round_centres(pos, opt.window)                   # D = 0: the nearest position
        return pos, sp.mask(nq, nk, opt.window, pos, opt.grid), \
            M.gaussian_weights(pos, nk, opt.window, opt.grid)
    return pos, sp.mask(nq, nk, opt.window, pos, opt.grid), None


def _check_positions(positions, nq: int, nk: int, grid, dtype) -> torch.Tensor:
    p = torch.as_tensor(positions)
    p = p.to(dtype) if p.is_floating_point() or dtype.is_floating_point else p
    want = "(nq, 2) or (H, nq, 2)" if grid is not None else "(nq,) or (H, nq)"
    core = p.shape[:-1] if grid is not None else p.shape
    if p.ndim == 0 or (grid is not None and p.shape[-1] != 2) or len(core) not in (1, 2) \
            or core[-1] != nq:
        raise ValueError(f"positions must have shape {want} with nq = {nq}; got {tuple(p.shape)}")
    if not torch.isfinite(p).all():
        raise ValueError("positions contains NaN or infinity")
    hi = torch.tensor([grid[0] - 1, grid[1] - 1], dtype=p.dtype) if grid is not None else nk - 1
    return torch.minimum(p.clamp_min(0), torch.as_tensor(hi, dtype=p.dtype))


def _and_mask(scope_m, mask, H: int, nq: int, nk: int):
    """The scope mask ANDed with a user ``mask`` (bool, broadcastable to ``(H, nq, nk)``)."""
    if mask is None:
        return scope_m
    m = torch.as_tensor(mask)
    if m.dtype != torch.bool:
        raise ValueError(f"mask must be a bool tensor (True = may attend); got dtype {m.dtype}")
    try:
        torch.broadcast_shapes(m.shape, (H, nq, nk))
    except RuntimeError:
        raise ValueError(f"mask of shape {tuple(m.shape)} does not broadcast to (H, nq, nk) = "
                         f"{(H, nq, nk)}") from None
    return m if scope_m is None else (scope_m & m)
