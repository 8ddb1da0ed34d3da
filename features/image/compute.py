"""What the Image page computes: patch features of the shown picture (cached) and one
``attention.attend`` call per view.

    pic = sample_picture("coffee")                  # or an upload (see source.py)
    b = bundle(pic, patch=16, position=False)       # decode once, prepare, features (cached)
    v = query_view(b, Settings(), row=10, col=12)   # one query row: 1 × N scores, O(N·d)
"""
from __future__ import annotations

import base64
import functools
from dataclasses import dataclass, field, replace
from typing import Any, Optional

import numpy as np
import torch
from PIL import Image

from attention import attend
from attention.functional import AttentionResult
from attention.image import feature_names, grid_shape, image_to_bytes, patch_features, prepare, to_uint8
from attention.image_attention import head_weights, matrix_blocks, project_queries, sample_patches, top_k
from ui import cache, uploads

from .captions import feature_meaning
from .samples import sample_images
from .state import Settings

MAX_SIDE = 512          # the prepared image's longer side (px)
DECODE_SIDE = 1024      # uploads are decoded to at most this longer side (ui.uploads bounds the pixels)
N_SAMPLES = 8           # hard_sampled: draws shown
MATRIX_MAX = 64         # the matrix view shows at most 64 × 64 block means


@dataclass(frozen=True)
class Picture:
    """The picture being shown: a bundled sample or an upload, decoded (RGB, <= DECODE_SIDE)."""
    kind: str                      # "sample" | "upload"
    name: str                      # sample name or the uploaded file's name
    key: str                       # cache key: "sample:<name>" | "upload:<sha256 prefix>"
    image: Image.Image = field(repr=False, compare=False)
    size: tuple[int, int] = (0, 0)                # the file's (w, h), before any reduction
    notes: tuple[str, ...] = ()


@functools.lru_cache(maxsize=None)
def sample_picture(name: str) -> Picture:
    """A bundled sample, decoded once per process (read-only)."""
    d = uploads.decode_image(sample_images()[name].read_bytes(), max_side=DECODE_SIDE, max_bytes=1 << 30)
    if not d.ok:
        raise ValueError(f"bundled sample {name!r}: {d.error}")
    return Picture("sample", name, f"sample:{name}", d.image, d.size)


# ------------------------------------------------------------------ the patch features
def build_bundle(img: Image.Image, patch: int, position: bool = False, size: Optional[tuple] = None) -> dict:
    """Prepare + patch features of an RGB picture (pure; :func:`bundle` caches it).

    Returns ``uri`` (JPEG data URI of the prepared image), ``grid (gh, gw)``, ``shape (H, W)``,
    ``patch``, ``features (N, d) float32`` (standardized, + position encoding if ``position``),
    ``raw (N, 20) float32`` (unstandardized), ``names`` (d column names), ``notes`` (sentences
    about resizing worth telling the user).  ``size``: the file's own (w, h), for the notes.
    """
    x = prepare(img, patch=patch, max_side=MAX_SIDE)                      # (H, W, 3)
    gh, gw = grid_shape(x.shape, patch)
    jpeg = image_to_bytes(Image.fromarray(to_uint8(x)), "JPEG", quality=88)
    (w, h), (H, W) = size or img.size, x.shape[:2]
    notes = []
    if abs((W / H) / (w / h) - 1) > 0.05:
        notes.append(f"The image is {w}×{h} px; it is shown at {W}×{H} px so that each side is a whole "
                     f"number of {patch}-px patches (at least one), which changes its aspect ratio.")
    if max(w, h) * 4 <= max(W, H):
        notes.append(f"The image is only {w}×{h} px: it is enlarged to {W}×{H} px (blocky pixels).")
    return dict(notes=notes, uri="data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii"),
                grid=(gh, gw), shape=x.shape[:2], patch=patch, position=position,
                features=patch_features(x, patch, position=position).numpy(),
                raw=patch_features(x, patch, raw=True).numpy(),
                names=feature_names(position=position))


_BUNDLES = cache.bounded("image_bundle", 64 << 20)(build_bundle).cache
_MATRICES = cache.bounded("image_matrix", 8 << 20)(matrix_blocks).cache


def bundle(pic: Picture, patch: int, position: bool) -> dict:
    """:func:`build_bundle` of ``pic``, shared by every session (read-only arrays), keyed by
    (picture key, patch, position)."""
    return _BUNDLES.get_or_compute((pic.key, int(patch), bool(position)),
                                   lambda: build_bundle(pic.image, int(patch), bool(position), pic.size))


# ------------------------------------------------------------------ attention
def queries(b: dict, s: Settings) -> tuple[torch.Tensor, torch.Tensor]:
    """``(q, x)``: queries ``x W_a`` and the features (keys = values = x), both ``(N, d)``."""
    x = torch.tensor(b["features"])                                         # (N, d), a writable copy
    return project_queries(x, s.W_a, s.seed), x


def attend_options(s: Settings, grid: Optional[tuple] = None) -> dict:
    """The ``attend`` options of ``s``; with ``grid``, the scope too (``grid`` = 2-D window)."""
    opts = dict(score=s.score, normalization=s.normalization, temperature=s.temperature,
                heads=s.heads, seed=s.seed)
    if grid is not None and s.scope == "grid":
        opts.update(scope="grid", grid=tuple(grid), window=s.window)
    return opts


def pooling_query(q: torch.Tensor, which: Any = "mean") -> torch.Tensor:
    """The one query of attention pooling, ``(d,)``: ``"mean"`` = q̄ = (1/N) Σ_i q_i (in float64;
    entries below 1e-6 are set to exactly 0, so the mean of standardized features is a true zero
    vector, not rounding noise a cosine score would blow up), or an int i = patch i's q_i."""
    if isinstance(which, str):
        m = q.double().mean(dim=0)                                          # (d,)
        return torch.where(m.abs() < 1e-6, torch.zeros_like(m), m).float()
    return q[int(which)].clone()


@dataclass
class QueryView:
    """One query's attention, ready to draw and to check by hand."""
    index: int                     # query patch i (pooling with the mean query: -1)
    result: AttentionResult        # weights (H, 1, N)
    values: np.ndarray             # (N,) shown: one head or the mean; hard_sampled: the soft p it draws from
    in_scope: np.ndarray           # (N,) bool
    argmax: int                    # patch with the largest shown value in scope
    samples: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))   # (8,) or empty
    query: Optional[np.ndarray] = None   # (d,) the query vector


def shows_probs(s: Settings) -> bool:
    """hard_sampled: the page draws the soft distribution the one-hot draws come from (+ 8 draws)."""
    return s.normalization == "hard_sampled"


def query_view(b: dict, s: Settings, row: int, col: int) -> QueryView:
    """The attention row of patch (row, col) -- or, for ``s.view == "pooling"``, of the pooling query.

    One row costs O(N·d): ``attend(q[i:i+1], x, x, ...)``; a 2-D window is ``scope="grid"``
    centred on the patch's own cell (``positions=[[row, col]]``), so the weights equal row i
    of ``attend`` on all N queries.
    """
    gh, gw = b["grid"]
    i = int(row) * gw + int(col)
    q, x = queries(b, s)
    if s.view == "pooling":                                                  # global: all patches
        which = "mean" if s.pooling_query == "mean" else i
        qvec = pooling_query(q, which)
        r = attend(qvec, x, x, form="pooling", **attend_options(s))
        index = -1 if which == "mean" else i
    else:
        opts = attend_options(s, (gh, gw))
        if s.scope == "grid":
            opts["positions"] = torch.tensor([[float(row), float(col)]])    # (1, 2) the window's centre
        r = attend(q[i:i + 1], x, x, **opts)
        qvec, index = q[i], i
    probs = shows_probs(s) and r.probs is not None
    values = head_weights(r.probs if probs else r.weights, s.head)[0]        # (N,)
    in_scope = np.broadcast_to(r.mask.reshape(-1, gh * gw)[0].numpy().astype(bool), values.shape)
    argmax = int(np.argmax(np.where(in_scope, values, -np.inf)))
    samples = sample_patches(values, range(s.seed, s.seed + N_SAMPLES)) if probs else np.zeros(0, np.int64)
    return QueryView(index=index, result=r, values=values, in_scope=in_scope, argmax=argmax,
                     samples=samples, query=qvec.numpy())


def matrix(pic: Picture, b: dict, s: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Block-mean (<= 64 × 64) of the full N × N weights (cached by picture, patch, features, s)."""
    s = replace(s, view="matrix", pooling_query="mean")                   # what the matrix depends on
    key = (pic.key, b["patch"], b["position"], s)

    def compute():
        q, x = queries(b, s)
        return matrix_blocks(q, x, x, head=s.head, probs=shows_probs(s), max_size=MATRIX_MAX,
                             **attend_options(s, b["grid"]))
    return _MATRICES.get_or_compute(key, compute)


def block_labels(starts: np.ndarray, n: int) -> list[str]:
    """``"#a–#b"`` per block (``"#a"`` for a block of one patch)."""
    ends = np.append(starts[1:], n) - 1
    return [f"#{a}" if a == e else f"#{a}–#{e}" for a, e in zip(starts, ends)]


# ------------------------------------------------------------------ numbers to check by hand
def check_table(v: QueryView, s: Settings, grid: tuple[int, int], k: int = 5) -> tuple[dict, str]:
    """Top-k patches as table columns, plus a sentence with what is needed to check them by hand."""
    gh, gw = grid
    r = v.result
    probs = shows_probs(s)
    t = top_k(r, k, s.head, probs=probs)
    heads = [s.head] if s.head is not None else list(range(r.weights.shape[0]))
    name = "p" if probs else "α"
    cols = {"patch (r, c)": [f"({i // gw}, {i % gw})" for i in t["index"]],
            "#i": t["index"].astype(int), "in S(i)": t["in_scope"].astype(bool)}
    notes = []
    for h in heads:
        suffix = "" if len(heads) == 1 else f" h{h + 1}"
        e_all = r.scores[h, 0].double().numpy()                              # (N,)
        e_max = float(e_all[v.in_scope].max())
        cols[f"score e{suffix}"] = t["scores"][h]
        cols[f"(e − e_max)/T{suffix}"] = (t["scores"][h] - e_max) / s.temperature
        cols[f"{name}{suffix}"] = t["weights"][h]
        who = f"head {h + 1}: " if len(heads) > 1 else ""
        if s.normalization in ("soft", "hard_sampled"):
            Z = float(np.exp((e_all[v.in_scope] - e_max) / s.temperature).sum())
            notes.append(f"{who}e_max = {e_max:.5g}, Z = Σ_(j∈S) exp((e_j − e_max)/T) = {Z:.6g}")
        elif s.normalization == "sparsemax":
            z = (e_all[v.in_scope] - e_max) / s.temperature
            a = r.weights[h, 0].double().numpy()[v.in_scope]
            j = int(np.argmax(a))
            notes.append(f"{who}e_max = {e_max:.5g}, τ = {float(z[j] - a[j]):.6g}")
    if len(heads) > 1:
        cols[f"{name} shown (mean)"] = t["weight"]
    how = {"soft": "α_j = exp((e_j − e_max)/T) / Z. ",
           "hard_sampled": "p_j = exp((e_j − e_max)/T) / Z is the distribution each hard draw is taken from. ",
           "sparsemax": "α_j = max(0, (e_j − e_max)/T − τ). ",
           "hard": "α = 1 for the arg-max of e over S(i), 0 elsewhere. "}[s.normalization]
    return cols, how + "; ".join(notes)


def feature_table(b: dict, s: Settings, row: int, col: int) -> dict:
    """One row per feature column: name, the query patch's raw and standardized value, its query
    q_i (and for pooling q̄ and the context c = Σ α_j x_j)."""
    gh, gw = b["grid"]
    i = row * gw + col
    raw = list(b["raw"][i]) + list(b["features"][i][len(b["raw"][i]):])
    q, _ = queries(b, s)
    out = {"feature": list(b["names"]), "meaning": [feature_meaning(n) for n in b["names"]],
           f"raw, patch ({row}, {col})": np.asarray(raw, dtype=np.float64),
           "x_i standardized": b["features"][i].astype(np.float64)}
    if s.W_a == "random":
        out["q_i = x_i W_a"] = q[i].double().numpy()
    if s.view == "pooling":
        v = query_view(b, s, row, col)
        if s.pooling_query == "mean":
            out["q̄ (mean query)"] = v.query.astype(np.float64)
        out["c = Σ α_j x_j"] = v.result.output.double().numpy()
    return out
