"""Scopes: which keys a query may attend to.  **Every scope is a mask built here.**

A mask is a bool tensor shaped ``(n_query, n_key)`` (or ``(H, n_query, n_key)`` when the
centres differ per head / batch row); **True means "may attend"** (the Annotated
Transformer's convention).  Masks are materialised from tiny named predicates
``pred(q_idx, kv_idx) -> bool tensor`` that broadcast over index grids (attention-gym style).

The window is decided in exactly one place, :func:`in_window`: a key at signed offset ``o``
from the query's centre is in the window of half-width ``window`` iff ``|o| <= window``.
Every windowed scope calls it:

==========  ====================================================  ==============================
scope       keys in scope S(i)                                    centre c_i (``positions``)
==========  ====================================================  ==============================
global      every key                                             --
local       ``|j - c_i| <= window``  (Luong local-m)               default the query index i
causal      ``j <= c_i``                                          default the query index i
local_p     ``|j - p_i| <= D`` times a Gaussian (Luong local-p)   predicted ``p_i`` (or given)
grid        2-D: ``max(|r_j - r_c|, |c_j - c_c|) <= window``      default the query's own cell
==========  ====================================================  ==============================

``local_p`` with ``grid=(h, w)`` is the 2-D analogue: centres ``(row, col)`` and a 2-D Gaussian.
Luong et al. (2015) *local-p* is not a pure mask: it keeps the window ``[p_t - D, p_t + D]``
and multiplies the normalized weights by ``exp(-(s - p_t)^2 / (2 s_g^2))`` with ``s_g = D / 2``
(:func:`gaussian_weights`).  With ``D = 0`` the real-valued centre is rounded to the nearest
position, so the window is that one key (never empty).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

import torch

Predicate = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

_EPS = 1e-6      # real-valued centres (local-p, length-scaled local-m): |o| <= D up to rounding


def check_window(window, name: str = "window") -> int:
    """``window`` as an int >= 0 (ValueError otherwise; a float like 2.0 is accepted)."""
    if isinstance(window, bool) or not isinstance(window, int) and not (
        isinstance(window, float) and window.is_integer()
    ):
        raise ValueError(f"{name} must be an integer >= 0, got {window!r}")
    window = int(window)
    if window < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {window}")
    return window


def check_grid(grid, n: Optional[int] = None) -> tuple[int, int]:
    """``grid`` as ``(h, w)`` positive ints; with ``n``, also check ``h * w == n``."""
    try:
        if len(grid) != 2:
            raise TypeError
        h, w = int(grid[0]), int(grid[1])
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"grid must be a pair (h, w) of positive integers, got {grid!r}") from None
    if h < 1 or w < 1:
        raise ValueError(f"grid must be a pair (h, w) of positive integers, got {grid!r}")
    if n is not None and h * w != n:
        raise ValueError(f"grid {(h, w)} has {h * w} cells but there are {n} keys")
    return h, w


# ---------------------------------------------------------------- the window
def in_window(offset: torch.Tensor, window: int) -> torch.Tensor:
    """THE window decision: ``|offset| <= window`` (bool, same shape as ``offset``).

    offset: key position minus the query's centre, integer or real-valued (a real centre such
    as Luong's p_t is compared with a 1e-6 tolerance).
    """
    return offset.abs() <= window + _EPS


def window_pred(window: int) -> Predicate:
    """``|kv_idx - q_idx| <= window`` (Luong's local-m with D = window)."""
    w = check_window(window)
    return lambda q, k: in_window(k - q, w)


def causal_pred() -> Predicate:
    """``kv_idx <= q_idx``: a query sees itself and the past."""
    return lambda q, k: k <= q


def grid_window_pred(grid: tuple[int, int], window: int) -> Predicate:
    """2-D window on a row-major ``(h, w)`` grid: Chebyshev distance <= window.

    Index ``i`` is cell ``(i // w, i % w)``; a query may attend to every cell in the
    ``(2 window + 1)^2`` square centred on it (clipped at the borders).
    """
    _, gw = check_grid(grid)
    r = check_window(window)
    return lambda q, k: in_window(k // gw - q // gw, r) & in_window(k % gw - q % gw, r)


def create_mask(pred: Predicate, n_query: int, n_key: int) -> torch.Tensor:
    """Materialise a predicate as a bool mask ``(n_query, n_key)``."""
    q = torch.arange(n_query).unsqueeze(1)  # (nq, 1)
    k = torch.arange(n_key).unsqueeze(0)    # (1, nk)
    return pred(q, k).expand(n_query, n_key).contiguous()


# ---------------------------------------------------------------- mask makers
def global_mask(n_query: int, n_key: int) -> torch.Tensor:
    """All True, ``(n_query, n_key)``."""
    return torch.ones(n_query, n_key, dtype=torch.bool)


def local_mask(n_query: int, n_key: int, window: int, centres=None) -> torch.Tensor:
    """Local-m window ``|j - c_i| <= window``.

    centres: ``(..., n_query)`` (int or real) or None for ``c_i = i``.
    Returns ``(n_query, n_key)`` or ``(..., n_query, n_key)`` bool.
    """
    if centres is None:
        return create_mask(window_pred(window), n_query, n_key)
    w = check_window(window)
    s = torch.arange(n_key, dtype=centres.dtype)                    # (nk,)
    return in_window(s - centres.unsqueeze(-1), w)                  # (..., nq, nk)


def causal_mask(n_query: int, n_key: int, centres=None) -> torch.Tensor:
    """``j <= c_i`` (``c_i = i`` by default): ``(n_query, n_key)`` or ``(..., n_query, n_key)``."""
    if centres is None:
        return create_mask(causal_pred(), n_query, n_key)
    s = torch.arange(n_key, dtype=centres.dtype)                    # (nk,)
    return s <= centres.unsqueeze(-1) + _EPS                        # (..., nq, nk)


def grid_cells(grid: tuple[int, int], dtype=torch.float32) -> torch.Tensor:
    """Row-major cell coordinates ``(h*w, 2)`` as (row, col): cell ``i = row * w + col``."""
    h, w = check_grid(grid)
    i = torch.arange(h * w)
    return torch.stack([i // w, i % w], dim=-1).to(dtype)           # (h*w, 2)


def grid_mask(grid: tuple[int, int], window: int, centres=None) -> torch.Tensor:
    """2-D window (Chebyshev distance <= window) on a row-major ``(h, w)`` grid.

    centres: ``(..., n_query, 2)`` (row, col), or None for every cell's own centre
    (then ``n_query = h * w``).  Returns ``(h*w, h*w)`` or ``(..., n_query, h*w)`` bool.
    """
    h, w = check_grid(grid)
    if centres is None:
        return create_mask(grid_window_pred((h, w), window), h * w, h * w)
    D = check_window(window)
    cells = grid_cells((h, w), centres.dtype)                       # (N, 2)
    off = cells - centres.unsqueeze(-2)                             # (..., nq, N, 2)
    return in_window(off[..., 0], D) & in_window(off[..., 1], D)   # (..., nq, N)


def round_centres(positions: torch.Tensor, window: int) -> torch.Tensor:
    """Local-p centres as used: with ``D = 0`` a real ``p_t`` is rounded to the nearest position
    (else the window ``|s - p_t| <= 0`` would be empty); with ``D >= 1`` unchanged."""
    return torch.round(positions) if check_window(window) == 0 else positions


def local_p_mask(positions: torch.Tensor, n_key: int, window: int, grid=None) -> torch.Tensor:
    """Luong local-p window ``[p_t - D, p_t + D]``.

    positions: ``(..., n_query)`` real-valued predicted centres ``p_t`` in ``[0, n_key - 1]``;
    with ``grid=(h, w)``: ``(..., n_query, 2)`` (row, col).  Returns ``(..., n_query, n_key)`` bool.
    """
    p = round_centres(positions, window)
    if grid is not None:
        return grid_mask(check_grid(grid, n_key), window, p)
    return local_mask(p.shape[-1], n_key, window, p)


def gaussian_weights(positions: torch.Tensor, n_key: int, window: int, grid=None) -> torch.Tensor:
    """Luong's factor ``exp(-(s - p_t)^2 / (2 s_g^2))`` with ``s_g = D / 2``.

    positions: ``(..., n_query)``, or ``(..., n_query, 2)`` with ``grid`` (then the squared
    distance is ``(r - p_r)^2 + (c - p_c)^2``).  Returns ``(..., n_query, n_key)`` in ``(0, 1]``.
    With ``D = 0`` the factor is 1 at the rounded centre and 0 elsewhere.
    """
    D = check_window(window)
    p = round_centres(positions, D)
    if grid is not None:
        cells = grid_cells(check_grid(grid, n_key), p.dtype)        # (N, 2)
        d2 = ((cells - p.unsqueeze(-2)) ** 2).sum(-1)               # (..., nq, N)
    else:
        s = torch.arange(n_key, dtype=p.dtype)                      # (nk,)
        d2 = (s - p.unsqueeze(-1)) ** 2                             # (..., nq, nk)
    if D == 0:
        return (d2 <= 1e-12).to(p.dtype)
    s_g = D / 2.0
    return torch.exp(-d2 / (2.0 * s_g * s_g))


def predict_positions(query: torch.Tensor, n_key: int, W_p: torch.Tensor, v_p: torch.Tensor,
                      grid=None, *, b_p: Optional[torch.Tensor] = None,
                      b_v: Optional[torch.Tensor] = None,
                      last: Optional[torch.Tensor] = None) -> torch.Tensor:
    """THE predicted centre (Luong et al. 2015, eq. 9): ``p_t = S * sigmoid(v_p^T tanh(W_p h_t))``.

    query: ``(..., n_query, d)``; W_p: ``(d_p, d)``; v_p: ``(d_p,)``; S = n_key - 1 so that
    ``p_t`` lies in ``[0, n_key - 1]`` (Luong writes S for the source length; with 0-based
    positions the last index is S - 1).  ``last`` ``(...,)`` gives each batch row its own S (the
    last real key of a padded sequence).  Returns ``(..., n_query)``.
    With ``grid=(h, w)``: v_p ``(d_p, 2)`` and ``p_t = (h-1, w-1) * sigmoid(v_p^T tanh(W_p h_t))``,
    ``(..., n_query, 2)``.  ``b_p (d_p,)`` / ``b_v`` (a scalar, or ``(2,)`` on a grid) are optional
    biases inside the tanh and the sigmoid (Luong has none; a model may learn them).
    """
    z = query @ W_p.T                                               # (..., nq, d_p)
    h = torch.tanh(z if b_p is None else z + b_p)
    u = h @ v_p                                                     # (..., nq) or (..., nq, 2)
    u = u if b_v is None else u + b_v
    if grid is None:
        span = (n_key - 1) if last is None else last.to(u.dtype).unsqueeze(-1)   # (..., 1)
        return span * torch.sigmoid(u)                              # (..., nq)
    gh, gw = check_grid(grid, n_key)
    span = torch.tensor([gh - 1, gw - 1], dtype=h.dtype)            # (2,)
    return span * torch.sigmoid(u)                                  # (..., nq, 2)


def _default_predictor(d: int, grid, seed: int, dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded random ``(W_p (d, d), v_p (d,) or (d, 2))`` for a local-p scope given no weights."""
    g = torch.Generator().manual_seed(int(seed))
    W_p = torch.randn(d, d, generator=g, dtype=dtype) / math.sqrt(d)
    shape = (d,) if grid is None else (d, 2)
    return W_p, torch.randn(*shape, generator=g, dtype=dtype) / math.sqrt(d)


def _predict_local_p(given, query: torch.Tensor, n_key: int, grid, seed: int, dtype) -> torch.Tensor:
    """Local-p's centres from ``local_p=(W_p, v_p[, b_p, b_v])`` (or seeded random weights):
    ``query (nq, d)`` flattened over heads -> ``(nq,)`` / ``(nq, 2)``."""
    d = query.shape[-1]
    if given is None:
        W_p, v_p = _default_predictor(d, grid, seed, dtype)
        extra = ()
    else:
        try:
            ts = [torch.as_tensor(t).to(dtype) for t in given]
        except (TypeError, ValueError, RuntimeError):
            ts = []
        if len(ts) not in (2, 4):
            raise ValueError("local_p must be a tuple (W_p, v_p) or (W_p, v_p, b_p, b_v)")
        W_p, v_p, *extra = ts
        want = (W_p.shape[0],) if grid is None else (W_p.shape[0], 2)
        if W_p.ndim != 2 or W_p.shape[1] != d or tuple(v_p.shape) != want:
            raise ValueError(f"local_p needs W_p (d_p, {d}) and v_p {('(d_p,)' if grid is None else '(d_p, 2)')}; "
                             f"got {tuple(W_p.shape)} and {tuple(v_p.shape)}")
    b_p, b_v = extra if extra else (None, None)
    return predict_positions(query.to(dtype), n_key, W_p, v_p, grid, b_p=b_p, b_v=b_v)


@dataclass(frozen=True)
class Scope:
    """One scope in the registry (:data:`SCOPES`).

    mask:      ``(n_query, n_key, window, centres, grid) -> bool mask or None`` (None = all keys).
    windowed:  needs ``window`` (the half-width D, decided by :func:`in_window`).
    centred:   each query's window has a centre that may be given as ``positions``.
    grid:      ``"no"``, ``"optional"`` or ``"required"``: whether ``grid=(h, w)`` applies.
    gaussian:  the weights are multiplied by Luong's Gaussian around the centre (local-p).
    params:    the :func:`attention.attend` keyword arguments this scope owns (``local_p=``).
    predict:   ``(given, query (nq, d), n_key, grid, seed, dtype) -> centres`` when the centres
               are predicted from the query rather than given (local-p); None otherwise.
    label / latex / paper: how it is shown and where it comes from.
    """
    mask: Callable
    windowed: bool = False
    centred: bool = False
    grid: str = "no"
    gaussian: bool = False
    params: tuple = ()
    predict: Optional[Callable] = None
    label: str = ""
    latex: str = ""
    paper: str = ""


#: Scope name -> :class:`Scope`: the names :func:`attention.attend` accepts.  Adding a scope is
#: one entry here (its predicate goes above and calls :func:`in_window` if it has a window).
SCOPES: dict[str, Scope] = {
    "global": Scope(lambda nq, nk, w, c, g: None, label="Global", latex=r"S(i) = \{\, 1, \dots, n \,\}"),
    "local": Scope(lambda nq, nk, w, c, g: local_mask(nq, nk, w, c), windowed=True, centred=True,
                   label="Local (window w)", latex=r"S(i) = \{\, j : |j - c_i| \le w \,\},\quad c_i = i",
                   paper="Luong et al. 2015 (local-m)"),
    "causal": Scope(lambda nq, nk, w, c, g: causal_mask(nq, nk, c), centred=True, label="Causal",
                    latex=r"S(i) = \{\, j : j \le c_i \,\},\quad c_i = i"),
    "local_p": Scope(lambda nq, nk, w, c, g: local_p_mask(c, nk, w, g), windowed=True, centred=True,
                     grid="optional", gaussian=True, params=("local_p",), predict=_predict_local_p,
                     label="Local-p (Luong)",
                     latex=(r"S(i) = \{\, j : |j - p_i| \le w \,\},\ \ p_i = (n-1)\,\mathrm{sigmoid}"
                            r"(v_p^{\top}\tanh(W_p q_i)),\ \ \alpha_{ij} \leftarrow \alpha_{ij}\, "
                            r"e^{-(j - p_i)^2 / 2\sigma^2},\ \sigma = w/2"),
                     paper="Luong et al. 2015 (local-p, eq. 9-10)"),
    "grid": Scope(lambda nq, nk, w, c, g: grid_mask(check_grid(g, nk), w, c), windowed=True, centred=True,
                  grid="required", label="2-D window",
                  latex=r"S(i) = \{\, j : \max(|r_i - r_j|, |c_i - c_j|) \le w \,\}"),
}
#: Scopes that need ``window``.
WINDOWED = tuple(n for n, s in SCOPES.items() if s.windowed)
#: Scopes whose centre can be given as ``positions``.
CENTRED = tuple(n for n, s in SCOPES.items() if s.centred)


def windowed(scope: str) -> bool:
    """Whether ``scope`` has a window (needs ``window``): the one test pages and models use."""
    return scope in SCOPES and SCOPES[scope].windowed


def scope_mask(scope: str, n_query: int, n_key: int, *, window: Optional[int] = None,
               centres: Optional[torch.Tensor] = None, grid=None) -> Optional[torch.Tensor]:
    """The mask of ``scope`` (None for ``global``): dispatch by name through :data:`SCOPES`."""
    return SCOPES[scope].mask(n_query, n_key, window, centres, grid)
