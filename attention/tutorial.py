"""Lesson material for the Learn and Compare pages (plain numpy / torch, no UI).

* The classic tiny example ``X = [[1, 0], [0, 1], [1, 1]]``, ``W_a = I``.
* :func:`circulated_version` -- the widely shared NumPy "attention" snippet, which
  softmaxes ``X @ W_a`` (a per-feature matrix) and then fails with a shape error;
  :func:`run_circulated` runs it for real and keeps NumPy's own error text.
* :func:`self_attention_numpy` -- the working form: ``scores = X W_a X^T``.
* :func:`steps` -- every intermediate (scores, mask, weights, output) of
  self-attention over a small X, computed by :func:`attention.attend`.
* Small matrices as text (``"1,0;0,1;1,1"``) for share links: :func:`parse_matrix`,
  :func:`format_matrix`, and :func:`cells_to_matrix` for an edited table.
* Compare: :class:`Variant`, :func:`run_variant`, :func:`compare_metrics`.

    >>> s = steps(TINY_X, TINY_WA, score="general")
    >>> s.scores                  # X W_a X^T, (3, 3)
    array([[1., 0., 1.],
           [0., 1., 1.],
           [1., 1., 2.]])
"""
from __future__ import annotations

import inspect
import math
import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np
import torch

from . import metrics as MT
from .functional import AttentionResult, attend

#: The classic tiny example: 3 tokens with 2 features each, ``(n, d) = (3, 2)``.
TINY_X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
#: ``W_a = I`` ``(d, d)``: the bilinear score ``x_i W_a x_j^T`` is then the dot product.
TINY_WA = np.eye(2)

MAX_TOKENS = 6          # rows of an editable X
MAX_FEATURES = 4        # columns of an editable X (and the size of W_a)
MAX_ABS = 100.0         # largest |entry| accepted in an editable matrix

LESSON_SCORES = ("dot", "general", "additive")


# --------------------------------------------------------------- the circulated snippet
def np_softmax(x):
    """Softmax of each row (over the last axis)."""
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def circulated_version(X, W_a):
    weights = np_softmax(X @ W_a)  # (n, d): per FEATURE
    output = weights @ X           # (n, d) @ (n, d)
    return weights, output


def self_attention_numpy(X, W_a):
    scores = X @ W_a @ X.T         # (n, n): token vs token
    weights = np_softmax(scores)   # (n, n): rows sum to 1
    output = weights @ X           # (n, n) @ (n, d) -> (n, d)
    return scores, weights, output


SOFTMAX_CODE = inspect.getsource(np_softmax).strip()
CIRCULATED_CODE = inspect.getsource(circulated_version).strip()
WORKING_CODE = inspect.getsource(self_attention_numpy).strip()


@dataclass(frozen=True)
class CirculatedRun:
    """What happened when :func:`circulated_version` ran.

    product_shape: shape of ``X @ W_a`` -- also the shape of ``weights``.
    error_type / error: the exception NumPy raised (``None`` if the code ran, which
    happens when d == n: it then runs but still computes per-feature weights).
    weights: ``softmax(X @ W_a)`` ``(n, d)``; output: ``(n, d)`` or None.
    """
    X_shape: tuple
    product_shape: tuple
    weights: np.ndarray
    error_type: Optional[str]
    error: Optional[str]
    output: Optional[np.ndarray]


def run_circulated(X=TINY_X, W_a=TINY_WA) -> CirculatedRun:
    """Run the circulated snippet on ``X (n, d)``, ``W_a (d, d)`` and keep NumPy's error text."""
    X = np.asarray(X, dtype=float)
    W_a = np.asarray(W_a, dtype=float)
    weights = np_softmax(X @ W_a)                                   # (n, d)
    try:
        _, output = circulated_version(X, W_a)
    except ValueError as e:
        return CirculatedRun(tuple(X.shape), tuple(weights.shape), weights,
                             type(e).__name__, str(e), None)
    return CirculatedRun(tuple(X.shape), tuple(weights.shape), weights, None, None, output)


# --------------------------------------------------------------- step by step
@dataclass(frozen=True)
class Steps:
    """Every intermediate of self-attention over a small X (q = k = v = X).

    X ``(n, d)``; W_a ``(d, d)``; scores ``(n, n)`` raw e_ij; mask ``(n, n)`` bool
    (True = x_i may attend to x_j); weights ``(n, n)`` alpha_ij; output ``(n, d)``
    c_i = sum_j alpha_ij x_j.  All float64.
    """
    X: np.ndarray
    W_a: np.ndarray
    scores: np.ndarray
    mask: np.ndarray
    weights: np.ndarray
    output: np.ndarray
    score: str
    scope: str
    window: Optional[int]
    normalization: str
    temperature: float


def steps(X=TINY_X, W_a=TINY_WA, *, score: str = "general", scope: str = "global",
          window: Optional[int] = None, normalization: str = "soft",
          temperature: float = 1.0) -> Steps:
    """Self-attention over ``X (n, d)`` with every intermediate, via :func:`attention.attend`.

    score: ``dot`` (e_ij = x_i . x_j, W_a unused), ``general`` (x_i W_a x_j^T) or
    ``additive`` (Bahdanau's v^T tanh(W_1 x_i + W_2 x_j) with W_1 = W_2 = W_a and
    v = (1, ..., 1), x as column vectors, so it can be checked by hand).
    scope: ``global | local`` (|i - j| <= window) ``| causal``.
    normalization: ``soft`` (softmax at ``temperature``) ``| hard`` (arg-max, first on ties)
    ``| sparsemax``.
    """
    if score not in LESSON_SCORES:
        raise ValueError(f"score must be one of {', '.join(LESSON_SCORES)}; got {score!r}")
    Xt = torch.as_tensor(np.asarray(X, dtype=np.float64))                # (n, d)
    Wt = torch.as_tensor(np.asarray(W_a, dtype=np.float64))              # (d, d)
    d = Xt.shape[1]
    if Wt.shape != (d, d):
        raise ValueError(f"W_a must be ({d}, {d}) to match X with d = {d}; got {tuple(Wt.shape)}")
    kw = dict(form="self", scope=scope, normalization=normalization, temperature=temperature)
    if scope in ("local", "local_p"):
        kw["window"] = window
    if score == "general":
        kw["W_a"] = Wt
    elif score == "additive":
        kw["additive"] = (Wt, Wt, torch.ones(d, dtype=torch.float64))
    r = attend(Xt, score=score, **kw)
    return Steps(X=Xt.numpy(), W_a=Wt.numpy(), scores=r.scores[0].numpy(),
                 mask=r.mask.numpy().astype(bool), weights=r.weights[0].numpy(),
                 output=r.output.numpy(), score=score, scope=scope,
                 window=window if scope in ("local", "local_p") else None,
                 normalization=normalization, temperature=float(temperature))


def argmax_tokens(row: np.ndarray, tol: float = 1e-12) -> list[int]:
    """All indices within ``tol`` of the row's maximum (ties kept): ``(n,) -> list``."""
    row = np.asarray(row, dtype=float)
    return [int(i) for i in np.flatnonzero(row >= row.max() - tol)]


# --------------------------------------------------------------- small matrices as text
_NUM = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?")


def format_matrix(m) -> str:
    """``(r, c)`` array -> ``"1,0;0,1;1,1"`` (rows split by ``;``, at most 10 significant digits)."""
    m = np.asarray(m, dtype=float)
    return ";".join(",".join(f"{v:.10g}" for v in row) for row in m)


def _check_value(v: float, where: str) -> float:
    if not math.isfinite(v):
        raise ValueError(f"{where} is not a finite number")
    if abs(v) > MAX_ABS:
        raise ValueError(f"{where} = {v:g} is outside [-{MAX_ABS:g}, {MAX_ABS:g}]")
    return 0.0 if v == 0 else v      # no -0.0


def parse_matrix(text: str, max_rows: int = MAX_TOKENS, max_cols: int = MAX_FEATURES,
                 min_rows: int = 1, name: str = "matrix") -> np.ndarray:
    """``"1,0;0,1;1,1"`` -> float ``(rows, cols)``; ValueError with a clear message otherwise.

    Rows are separated by ``;``, entries by ``,``; every entry a plain finite decimal
    number with ``|x| <= MAX_ABS``; all rows the same length.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{name} is empty")
    if len(text) > 2000:
        raise ValueError(f"{name} is too long")
    rows = [r for r in text.strip().strip(";").split(";")]
    if not min_rows <= len(rows) <= max_rows:
        raise ValueError(f"{name} must have {min_rows} to {max_rows} rows; got {len(rows)}")
    out = []
    for i, r in enumerate(rows, 1):
        cells = r.split(",")
        if not 1 <= len(cells) <= max_cols:
            raise ValueError(f"{name} must have 1 to {max_cols} columns; row {i} has {len(cells)}")
        vals = []
        for j, c in enumerate(cells, 1):
            c = c.strip()
            if not _NUM.fullmatch(c):
                raise ValueError(f"{name} row {i}, column {j} is not a number")
            vals.append(_check_value(float(c), f"{name} row {i}, column {j}"))
        out.append(vals)
    if len({len(v) for v in out}) != 1:
        raise ValueError(f"{name} rows have different lengths ({', '.join(str(len(v)) for v in out)})")
    return np.array(out, dtype=float)


def cells_to_matrix(cells: Sequence[Sequence], name: str = "matrix") -> tuple[Optional[np.ndarray], list[str]]:
    """An edited table (rows of cells: numbers, numeric strings, None) -> ``(matrix, problems)``.

    ``matrix`` is None when any cell is empty, not a number, not finite or too large;
    ``problems`` then names every bad cell (1-based row and column).
    """
    problems, out = [], []
    for i, row in enumerate(cells, 1):
        vals = []
        for j, c in enumerate(row, 1):
            where = f"{name} row {i}, column {j}"
            try:
                if c is None or (isinstance(c, str) and not c.strip()):
                    raise ValueError(f"{where} is empty")
                if isinstance(c, str):
                    if not _NUM.fullmatch(c.strip()):
                        raise ValueError(f"{where} is not a number")
                    v = float(c)
                elif isinstance(c, (bool, np.bool_)):
                    raise ValueError(f"{where} is not a number")
                else:
                    v = float(c)
                    if math.isnan(v):
                        raise ValueError(f"{where} is empty")
                vals.append(_check_value(v, where))
            except (TypeError, ValueError) as e:
                msg = str(e) if str(e).startswith(name) else f"{where} is not a number"
                problems.append(msg)
                vals.append(float("nan"))
        out.append(vals)
    if problems:
        return None, problems
    if not out or len({len(v) for v in out}) != 1 or not out[0]:
        return None, [f"{name} must be a non-empty rectangle of numbers"]
    return np.array(out, dtype=float), []


def resize(m: np.ndarray, rows: int, cols: int, fill: str = "zeros") -> np.ndarray:
    """Crop or pad ``m`` to ``(rows, cols)``; new cells are 0 (``fill="identity"``: 1 on the diagonal)."""
    m = np.asarray(m, dtype=float)
    out = np.eye(rows, cols) if fill == "identity" else np.zeros((rows, cols))
    r, c = min(rows, m.shape[0]), min(cols, m.shape[1])
    out[:r, :c] = m[:r, :c]
    return out


# --------------------------------------------------------------- compare
@dataclass(frozen=True)
class Variant:
    """One attention mechanism to compare.

    kind: ``soft | hard | sampled | sparsemax``; scope: ``global | local | causal | local_p``;
    window: w for local / local_p; temperature: T (unused by hard).
    """
    kind: str = "soft"
    scope: str = "global"
    window: int = 2
    temperature: float = 1.0

    def describe(self) -> str:
        s = {"global": "global", "local": f"local w={self.window}", "causal": "causal",
             "local_p": f"local-p w={self.window}"}.get(self.scope, self.scope)
        t = "" if self.kind == "hard" or self.temperature == 1.0 else f", T={self.temperature:g}"
        return f"{self.kind} {s}{t}"


KIND_TO_NORMALIZATION = {"soft": "soft", "hard": "hard", "sampled": "hard_sampled",
                         "sparsemax": "sparsemax"}


def run_variant(q, k, v, variant: Variant, *, score: str = "dot", seed: int = 0) -> AttentionResult:
    """Self-style attention of queries ``q (n, d)`` over keys ``k (n, d)`` / values ``v (n, d_v)``
    under one :class:`Variant`.  Weights ``(1, n, n)``."""
    kw = dict(score=score, scope=variant.scope, normalization=KIND_TO_NORMALIZATION[variant.kind],
              temperature=float(variant.temperature), seed=int(seed))
    if variant.scope in ("local", "local_p"):
        kw["window"] = int(variant.window)
    return attend(torch.as_tensor(q), torch.as_tensor(k), torch.as_tensor(v), **kw)


def as_distributions(weights) -> np.ndarray:
    """Rows divided by their sum (rows that sum to 0 stay 0): ``(nq, nk) -> (nq, nk)``.

    Only local-p changes: its Gaussian factor leaves rows summing to less than 1.
    """
    w = np.asarray(weights, dtype=np.float64)
    s = w.sum(-1, keepdims=True)                                     # (nq, 1)
    return np.divide(w, s, out=np.zeros_like(w), where=s > 0)


@dataclass(frozen=True)
class VariantMetrics:
    """Per-variant numbers, each the plain mean over the query rows that attend to something.

    entropy: mean of H_i = -sum_j a_ij ln a_ij (nats).  sparsity: mean share of a row's
    weights >= threshold.  kl: mean of KL(row_i of this variant || row_i of the reference)
    (inf if any row is inf).  js: mean JS divergence to the reference (always finite).
    The ``*_rows`` arrays hold the per-row values ``(nq,)``.
    """
    entropy: float
    sparsity: float
    kl: float
    js: float
    kl_inf_rows: int
    rows_used: int
    entropy_rows: np.ndarray = field(repr=False)
    sparsity_rows: np.ndarray = field(repr=False)
    kl_rows: np.ndarray = field(repr=False)
    js_rows: np.ndarray = field(repr=False)


def compare_metrics(weights: Sequence, threshold: float = 0.01) -> list[VariantMetrics]:
    """Metrics of each ``(nq, nk)`` weight matrix; divergences are to ``weights[0]``.

    Rows are first made distributions (:func:`as_distributions`).  Averages are over
    the query rows that are non-empty in *both* this variant and the reference.
    """
    P = [as_distributions(w) for w in weights]
    ref = P[0]
    out = []
    for p in P:
        used = (p.sum(-1) > 0) & (ref.sum(-1) > 0)                    # (nq,)
        ent = MT.entropy(torch.from_numpy(p)).numpy()                  # (nq,)
        spa = MT.sparsity(torch.from_numpy(p), threshold).numpy()      # (nq,)
        klr = MT.kl(torch.from_numpy(p), torch.from_numpy(ref)).numpy()   # (nq,)
        jsr = MT.js(torch.from_numpy(p), torch.from_numpy(ref)).numpy()   # (nq,)
        n = int(used.sum())

        def mean(a):
            return float(a[used].mean()) if n else float("nan")
        out.append(VariantMetrics(entropy=mean(ent), sparsity=mean(spa), kl=mean(klr), js=mean(jsr),
                                  kl_inf_rows=int(np.isinf(klr[used]).sum()), rows_used=n,
                                  entropy_rows=ent, sparsity_rows=spa, kl_rows=klr, js_rows=jsr))
    return out
