"""Glue for the image page: upload handling, the shown image in session state, caching, and the
pure "click -> overlay" pipeline (usable without a browser or a Streamlit server).

    b = build_bundle(path.read_bytes(), patch=16)                # decode, prepare, features
    view = query_view(b, Settings(), row=10, col=12)              # one query row, O(N·d)
    fig = overlay_figure(b, view, Settings())                     # go.Figure
    # or both at once: click_overlay(b, Settings(), 10, 12)
"""
from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass, field, replace
from typing import Any, Optional

import numpy as np
import streamlit as st
import torch
from PIL import Image

from . import formulas as F

from attention.image import (ImageError, feature_names, grid_shape, image_to_bytes, load_image,
                             patch_features, prepare, sample_images, to_uint8)
from attention.image_attention import (head_weights, matrix_blocks, pooling_attention,
                                       pooling_query, project_queries, query_attention, sample_patches, top_k,
                                       window_bounds)
from figures.image import image_overlay

UPLOAD_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"]
PATCH_SIZES = ("8", "16", "32", "64")
MAX_SIDE = 512
N_SAMPLES = 8
MATRIX_MAX = 64

#: Page attention type -> ``attend`` normalization (the sampled view shows the soft row it draws from).
NORM_OF_TYPE = {"soft": "soft", "hard": "hard", "sampled": "soft", "sparsemax": "sparsemax"}

# session-state keys (underscore: not widgets, not share-link params)
CURRENT = "_image_current"      # the image being shown: None (= the chosen sample) or an upload dict
SEEN = "_image_upload_seen"     # id of the last upload that was decoded
ERROR = "_image_upload_error"   # (file name, message) for that upload if it was refused
PREV_PATCH = "_image_prev_patch"


# --------------------------------------------------------------------------- uploads
@dataclass(frozen=True)
class Upload:
    """Result of :func:`handle_upload`: either ``ok`` with the bytes, or ``error`` (a sentence)."""
    name: str
    ok: bool
    data: bytes = b""
    key: str = ""
    error: str = ""
    size: tuple[int, int] = (0, 0)
    notes: tuple[str, ...] = ()


def handle_upload(name: str, data: bytes) -> Upload:
    """Validate an uploaded file by decoding it (all checks live in ``attention.image.load_image``).

    Never raises for bad bytes: returns ``Upload(ok=False, error=<one clear sentence>)``.
    On success ``key`` is ``"upload:<sha256 prefix>"`` (the cache key) and ``notes`` tells about
    things worth knowing (first frame of an animation, tiny or extremely elongated images).
    """
    try:
        img = load_image(data)
    except ImageError as e:
        return Upload(name=name, ok=False, error=str(e))
    notes = []
    try:
        with Image.open(io.BytesIO(data)) as im:
            frames = int(getattr(im, "n_frames", 1) or 1)
            mode = im.mode
    except Exception:  # noqa: BLE001 - load_image already accepted it; notes are optional
        frames, mode = 1, ""
    if frames > 1:
        notes.append(f"The file has {frames} frames (an animation or multi-page file): "
                     "the first frame is used.")
    if mode.startswith("I;16") or mode in ("I", "F"):
        notes.append(f"High bit depth ({mode}) was scaled to 8 bits per channel.")
    if mode == "CMYK":
        notes.append("CMYK colours were converted to RGB.")
    digest = hashlib.sha256(bytes(data)).hexdigest()[:24]
    return Upload(name=name, ok=True, data=bytes(data), key=f"upload:{digest}", size=img.size,
                  notes=tuple(notes))


def _file_id(uploaded) -> Any:
    return getattr(uploaded, "file_id", None) or (uploaded.name, uploaded.size)


def sync_upload(uploaded) -> Optional[tuple[str, str]]:
    """Keep ``st.session_state[CURRENT]`` in step with the file uploader.

    * a new file that decodes becomes the shown image;
    * a new file that does not keeps the previous image (sample or earlier upload) and the error
      is remembered for as long as that file sits in the uploader;
    * an empty uploader changes nothing (the browser empties it for a moment when one file
      replaces another): going back to a sample is :func:`choose_sample`'s job.
    Returns ``(file name, message)`` when the uploader holds a refused file, else None.
    """
    ss = st.session_state
    if uploaded is None:
        ss.pop(SEEN, None)
        ss.pop(ERROR, None)
        return None
    fid = _file_id(uploaded)
    if ss.get(SEEN) != fid:
        ss[SEEN] = fid
        res = handle_upload(uploaded.name, uploaded.getvalue())
        if res.ok:
            ss[CURRENT] = dict(name=res.name, key=res.key, data=res.data, notes=res.notes)
            ss[ERROR] = None
        else:
            ss[ERROR] = (res.name, res.error)
    return ss.get(ERROR)


def choose_sample() -> None:
    """on_change of the sample picker: show the sample (an upload stays in the uploader, unused)."""
    st.session_state[CURRENT] = None


def current_image(sample: str) -> dict:
    """The image to show: the last good upload, else the chosen sample.
    Returns ``dict(kind, name, key, data, notes)``."""
    up = st.session_state.get(CURRENT)
    if up:
        return dict(kind="upload", **up)
    path = sample_images()[sample]
    return dict(kind="sample", name=sample, key=f"sample:{sample}", data=path.read_bytes(), notes=())


# --------------------------------------------------------------------------- the pipeline
def build_bundle(data: bytes, patch: int, position: bool = False) -> dict:
    """Decode + prepare + patch features (pure; :func:`bundle` caches it).

    Returns ``uri`` (JPEG data URI of the prepared image), ``grid (gh, gw)``, ``shape (H, W)``,
    ``patch``, ``features (N, d) float32`` (standardized, + position encoding if ``position``),
    ``raw (N, 20) float32`` (unstandardized), ``names`` (d column names), ``orig_size (w, h)``,
    ``notes`` (sentences about resizing worth telling the user).
    """
    img = load_image(data)
    x = prepare(img, patch=patch, max_side=MAX_SIDE)                      # (H, W, 3)
    gh, gw = grid_shape(x.shape, patch)
    jpeg = image_to_bytes(Image.fromarray(to_uint8(x)), "JPEG", quality=88)
    (w, h), (H, W) = img.size, x.shape[:2]
    notes = []
    if abs((W / H) / (w / h) - 1) > 0.05:
        notes.append(f"The image is {w}×{h} px; it is shown at {W}×{H} px so that each side is a whole "
                     f"number of {patch}-px patches (at least one), which changes its aspect ratio.")
    if max(w, h) * 4 <= max(W, H):
        notes.append(f"The image is only {w}×{h} px: it is enlarged to {W}×{H} px (blocky pixels).")
    return dict(notes=notes, uri="data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii"),
                grid=(gh, gw), shape=x.shape[:2], patch=patch, orig_size=img.size,
                features=patch_features(x, patch, position=position).numpy(),
                raw=patch_features(x, patch, raw=True).numpy(),
                names=feature_names(position=position))


@st.cache_data(max_entries=12, show_spinner="Preparing the image…")
def bundle(key: str, patch: int, position: bool, _data: bytes) -> dict:
    """Cached :func:`build_bundle`, keyed by (image key = sample name or upload hash, patch, position)."""
    return build_bundle(_data, patch, position)


@dataclass(frozen=True)
class Settings:
    """Everything that shapes one view (the page's share-link params, in core units)."""
    view: str = "query"            # query | pooling | matrix
    attn_type: str = "soft"        # soft | hard | sampled | sparsemax
    score: str = "scaled_dot"      # dot | scaled_dot | cosine | additive
    wa: str = "identity"           # identity | random
    scope: str = "global"          # global | window
    radius: int = 3
    temperature: float = 1.0
    heads: int = 1
    head: Optional[int] = None     # 0-based head shown; None = mean over heads
    seed: int = 0
    pooling_query: str = "mean"    # mean | patch
    opacity: float = 0.75
    colorscale: str = "Viridis"

    @property
    def normalization(self) -> str:
        return NORM_OF_TYPE[self.attn_type]

    def attend_options(self) -> dict:
        return dict(score=self.score, normalization=self.normalization,
                    temperature=self.temperature, heads=self.heads, seed=self.seed)


@dataclass
class QueryView:
    """One query's attention, ready to draw and to check by hand."""
    index: int                     # query patch i (for pooling with the mean query: -1)
    result: Any                    # AttentionResult, weights (H, 1, N)
    values: np.ndarray             # (N,) shown weights (one head or the mean)
    in_scope: np.ndarray           # (N,) bool
    argmax: int                    # patch with the largest shown weight
    samples: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))   # (8,) or empty
    query: Optional[np.ndarray] = None   # (d,) the query vector


def queries(b: dict, s: Settings) -> tuple[torch.Tensor, torch.Tensor]:
    """``(q, x)``: queries ``x W_a`` and the features (keys = values = x), both ``(N, d)``."""
    x = torch.from_numpy(b["features"])
    return project_queries(x, s.wa, s.seed), x


def query_view(b: dict, s: Settings, row: int, col: int) -> QueryView:
    """The attention row of patch (row, col) — or, for ``s.view == "pooling"``, of the pooling query."""
    gh, gw = b["grid"]
    i = int(row) * gw + int(col)
    q, x = queries(b, s)
    if s.view == "pooling":
        which = "mean" if s.pooling_query == "mean" else i
        r = pooling_attention(q, x, x, which, **s.attend_options())
        qvec = pooling_query(q, which)
        index = -1 if which == "mean" else i
    else:
        r = query_attention(q, x, x, i, grid=(gh, gw), scope=s.scope,
                            radius=s.radius if s.scope == "window" else None, **s.attend_options())
        qvec, index = q[i], i
    values = head_weights(r.weights, s.head)[0]                                   # (N,)
    m = r.mask[0] if r.mask.ndim == 2 else r.mask[0, 0]
    in_scope = np.broadcast_to(m.numpy().astype(bool), values.shape)
    argmax = int(np.argmax(np.where(in_scope, values, -np.inf)))
    samples = np.zeros(0, np.int64)
    if s.attn_type == "sampled":
        samples = sample_patches(values, range(s.seed, s.seed + N_SAMPLES))
    return QueryView(index=index, result=r, values=values, in_scope=in_scope, argmax=argmax,
                     samples=samples, query=qvec.numpy())


def view_title(b: dict, s: Settings, v: QueryView, image_name: str) -> str:
    gh, gw = b["grid"]
    who = (f"query patch {divmod(v.index, gw)}" if v.index >= 0 else "mean query q̄")
    what = {"soft": "soft", "hard": "hard (arg-max)", "sampled": "soft + 8 hard samples",
            "sparsemax": "sparsemax"}[s.attn_type]
    scope = f"window r={s.radius}" if (s.scope == "window" and s.view == "query") else "global"
    head = "" if s.heads == 1 else (" · mean of heads" if s.head is None else f" · head {s.head + 1}/{s.heads}")
    return f"{image_name} · {gh}×{gw} patches · {who} · {what}, {scope}, {s.score}, T={s.temperature:g}{head}"


def overlay_figure(b: dict, v: QueryView, s: Settings, title: str = ""):
    """The image with ``v``'s weights overlaid (pure: arrays in, ``go.Figure`` out)."""
    gh, gw = b["grid"]
    window = None
    query = None
    if v.index >= 0:
        query = divmod(v.index, gw)
        if s.view == "query" and s.scope == "window":
            window = window_bounds((gh, gw), s.radius, *query)
    samples = ()
    if v.samples.size and (v.samples >= 0).all():
        idx, counts = np.unique(v.samples, return_counts=True)
        samples = [(int(i) // gw, int(i) % gw, int(c)) for i, c in zip(idx, counts)]
    return image_overlay(b["uri"], (gh, gw), b["patch"], v.values, title=title,
                         colorscale=s.colorscale, opacity=s.opacity,
                         scope_mask=v.in_scope if not v.in_scope.all() else None,
                         query=query, window=window, argmax=divmod(v.argmax, gw), samples=samples)


def click_overlay(b: dict, s: Settings, row: int, col: int, title: str = ""):
    """Benchmark entry point: "user clicked patch (row, col)" -> ``(figure, QueryView)``."""
    v = query_view(b, s, row, col)
    return overlay_figure(b, v, s, title), v


def check_table(v: QueryView, s: Settings, grid: tuple[int, int], k: int = 5) -> tuple[dict, str]:
    """Top-k patches as table columns, plus a caption with what is needed to check them by hand."""
    gh, gw = grid
    r = v.result
    t = top_k(r, k, s.head)
    H = r.weights.shape[0]
    cols = {"patch (r, c)": [f"({i // gw}, {i % gw})" for i in t["index"]],
            "#i": t["index"].astype(int), "in S(i)": t["in_scope"].astype(bool)}
    heads = [s.head] if s.head is not None else list(range(H))
    note = []
    for h in heads:
        suffix = "" if len(heads) == 1 else f" h{h + 1}"
        e_all = r.scores[h, 0].double().numpy()
        m = v.in_scope
        e_max = float(e_all[m].max())
        cols[f"score e{suffix}"] = t["scores"][h]
        cols[f"(e − e_max)/T{suffix}"] = (t["scores"][h] - e_max) / s.temperature
        cols[f"α{suffix}"] = t["weights"][h]
        if s.normalization == "soft":
            Z = float(np.exp((e_all[m] - e_max) / s.temperature).sum())
            note.append(f"head {h + 1}: e_max = {e_max:.5g}, Z = Σ_(j∈S) exp((e_j − e_max)/T) = {Z:.6g}"
                        if len(heads) > 1 else
                        f"e_max = {e_max:.5g}, Z = Σ_(j∈S) exp((e_j − e_max)/T) = {Z:.6g}")
        elif s.normalization == "sparsemax":
            z = (e_all[m] - e_max) / s.temperature
            a = r.weights[h, 0].double().numpy()[m]
            j = int(np.argmax(a))
            tau = float(z[j] - a[j])
            note.append(f"{'head %d: ' % (h + 1) if len(heads) > 1 else ''}e_max = {e_max:.5g}, "
                        f"τ = {tau:.6g}")
    if len(heads) > 1:
        cols["α shown (mean)"] = t["weight"]
    if s.normalization == "soft":
        how = "α_j = exp((e_j − e_max)/T) / Z. "
    elif s.normalization == "sparsemax":
        how = "α_j = max(0, (e_j − e_max)/T − τ). "
    else:
        how = "α = 1 for the arg-max of e over S(i), 0 elsewhere. "
    return cols, how + "; ".join(note)


@st.cache_data(max_entries=8, show_spinner="Computing the full patch × patch matrix…")
def matrix(key: str, patch: int, position: bool, s: tuple, _b: dict) -> tuple[np.ndarray, np.ndarray]:
    """Cached block-mean patch × patch matrix ``(B, B)`` and block starts; ``s`` is the
    :class:`Settings` as a tuple (hashable cache key)."""
    return matrix_from_bundle(_b, Settings(*s))


def matrix_from_bundle(b: dict, s: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Block-mean (≤ 64 × 64) of the full N × N weights for the settings ``s`` (pure)."""
    q, x = queries(b, s)
    return matrix_blocks(q, x, x, grid=b["grid"], scope=s.scope,
                         radius=s.radius if s.scope == "window" else None,
                         head=s.head, max_size=MATRIX_MAX, **s.attend_options())


def settings_tuple(s: Settings) -> tuple:
    """The settings that shape the matrix, as a hashable cache key (display-only fields reset,
    so changing the opacity or colour scale does not recompute it)."""
    s = replace(s, view="matrix", pooling_query="mean", opacity=0.0, colorscale="")
    return tuple(getattr(s, f) for f in Settings.__dataclass_fields__)


def block_labels(starts: np.ndarray, n: int) -> list[str]:
    """``"#a–#b"`` per block (``"#a"`` for a block of one patch)."""
    ends = np.append(starts[1:], n) - 1
    return [f"#{a}" if a == e else f"#{a}–#{e}" for a, e in zip(starts, ends)]


# --------------------------------------------------------------------------- teaching helpers
FEATURE_MEANING = {
    "mean_R": "mean red", "mean_G": "mean green", "mean_B": "mean blue",
    "std_R": "std of red (texture)", "std_G": "std of green", "std_B": "std of blue",
    "grad_x": "mean |ΔL| between horizontal neighbours (vertical edges)",
    "grad_y": "mean |ΔL| between vertical neighbours (horizontal edges)",
}


def feature_meaning(name: str) -> str:
    """One-line meaning of a patch-feature column (see ``attention.image.FEATURE_NAMES``)."""
    if name in FEATURE_MEANING:
        return FEATURE_MEANING[name]
    if name.startswith("thumb_"):
        _, quad, ch = name.split("_")
        where = {"TL": "top-left", "TR": "top-right", "BL": "bottom-left", "BR": "bottom-right"}[quad]
        return f"mean {dict(R='red', G='green', B='blue')[ch]} in the {where} quarter"
    if name.startswith("pos_"):
        _, ax, fn, k = name.split("_")
        return f"{fn}(patch {ax} · ω_{k}), ω_k = 10000^(−k/4)"
    return ""


def sample_credit(name: str) -> str:
    """"What it shows — author/source — licence" for a bundled sample, from assets/images/LICENSES.md."""
    path = next(iter(sample_images().values()), None)
    if path is None:
        return ""
    try:
        text = (path.parent / "LICENSES.md").read_text(encoding="utf-8")
    except OSError:
        return ""
    file = sample_images()[name].name
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and cells[0] == f"`{file}`":
            author = cells[4].split(" Loader:")[0].rstrip(".")
            return f"{cells[3]}. {author}. Licence: {cells[5]}"
    return ""


def md_code(text: str, limit: int = 80) -> str:
    """User text (a file name) as Markdown inline code: shown literally, never as markup
    (non-printable characters become "?", long names are cut at ``limit``)."""
    from .ui import inline_code

    t = "".join(ch if ch.isprintable() else "?" for ch in str(text))
    return inline_code(t if len(t) <= limit else t[:limit] + "…")


def payload_bytes(grid: int, sample: str = "astronaut") -> int:
    """Bytes of the overlay figure's JSON at ``grid × grid`` patches (512-px square sample,
    patch = 512 / grid), default settings, centre query: what one click sends to the browser."""
    b = build_bundle(sample_images()[sample].read_bytes(), MAX_SIDE // grid)
    gh, gw = b["grid"]
    fig, _ = click_overlay(b, Settings(), gh // 2, gw // 2, title="benchmark")
    return len(fig.to_json())


def _d(b: dict, s: Settings) -> tuple[int, int]:
    d = b["features"].shape[1]
    return d, d // s.heads


def overlay_caption(b: dict, v: QueryView, s: Settings) -> str:
    gh, gw = b["grid"]
    n = gh * gw
    top = float(v.values[v.in_scope].max()) if v.in_scope.any() else 0.0
    parts = []
    if v.index >= 0:
        parts.append(f"Colour = attention weight α of each patch for the query patch "
                     f"{divmod(v.index, gw)} (orange square), from 0 to the largest weight, {top:.4f}.")
    else:
        parts.append(f"Colour = attention weight α of each patch for the single pooling query q̄, "
                     f"from 0 to the largest weight, {top:.4f} (uniform would be 1/N = {1 / n:.5f}).")
    parts.append(f"★ = the arg-max patch {divmod(v.argmax, gw)}.")
    if s.view == "query" and s.scope == "window":
        parts.append(f"Only patches inside the dashed window S(i) (at most {s.radius} patches away in "
                     "row and in column) can be attended; outside it the photo shows uncoloured.")
    if s.attn_type == "sampled":
        parts.append(f"Pink rings: {N_SAMPLES} stochastic hard-attention draws (seeds {s.seed}–"
                     f"{s.seed + N_SAMPLES - 1}) from the soft distribution shown; ×k = how many draws "
                     "picked that patch. Each draw alone is a one-hot α.")
    if s.attn_type == "hard":
        parts.append("Hard attention: α = 1 on the arg-max patch, 0 elsewhere"
                     + (" (per head; the mean over heads splits the 1)." if s.heads > 1 and s.head is None else "."))
    if v.query is not None and not np.any(v.query) and s.score in ("dot", "scaled_dot", "cosine"):
        parts.append("The query vector is exactly 0 (the features are standardized to zero mean, so "
                     "their mean is 0): every dot/cosine score is 0 and attention is uniform. "
                     "Try the additive score (it still depends on each key), position encoding, or "
                     "the query patch's own q_i.")
    parts.append(f"Click any patch to make it the query. Only this query's row is computed: "
                 f"1 × {n:,} scores, O(N·d).")
    return " ".join(parts)


def matrix_caption(b: dict, s: Settings, f: int, B: int, blk: int, labels: list) -> str:
    gh, gw = b["grid"]
    n = gh * gw
    parts = [f"Row = query patch, column = key patch, numbered row-major i = r · {gw} + c."]
    if f > 1:
        parts.append(f"The full matrix has {n:,} × {n:,} = {n * n:,} weights, too many to draw: it is "
                     f"computed in row chunks and shown as {B} × {B} block means (each cell is the mean "
                     f"of up to {f} × {f} weights; the last block may be smaller). Along a row, "
                     "Σ (block width × cell) = 1.")
    else:
        parts.append("Each row sums to 1.")
    parts.append(f"The orange outline marks {'block ' + labels[blk] if f > 1 else 'the row'} holding the "
                 "query patch.")
    if s.attn_type == "sampled":
        parts.append("For hard samples this shows the soft weights they are drawn from (the expected "
                     "value of the one-hot draws).")
    return " ".join(parts)


def formulas(s: Settings, b: dict) -> list[str]:
    d, dh = _d(b, s)
    out = [r"x_i \in \mathbb{R}^{%d}\ \text{(patch features)},\qquad q_i = x_i W_a,\qquad k_j = v_j = x_j"
           % d + (r"\quad (W_a = I)" if s.wa == "identity" else r"\quad (W_a \sim \mathcal{N}(0, 1/d))")]
    score = F.SCORE_LATEX[s.score]
    if s.heads > 1:
        score = score.replace(r"\sqrt{d}", r"\sqrt{d_h}")
        out.append(r"q_i^{(h)} = q_i[\,(h-1)d_h : h\,d_h\,],\ \ d_h = d/H = %d" % dh)
    out.append(score)
    if s.view == "pooling":
        out.append(r"\bar q = \tfrac{1}{N}\textstyle\sum_{i=1}^{N} q_i" if s.pooling_query == "mean"
                   else r"\text{pooling query} = q_i \text{ of the query patch}")
    elif s.scope == "window":
        out.append(F.SCOPE_LATEX["grid"] + r",\quad w = %d" % s.radius)
    else:
        out.append(F.SCOPE_LATEX["global"])
    out.append(F.NORM_LATEX[s.normalization])
    if s.attn_type == "sampled":
        out.append(F.NORM_LATEX["hard_sampled"])
    if s.heads > 1 and s.head is None:
        out.append(r"\alpha_{ij} = \tfrac{1}{H}\textstyle\sum_{h=1}^{H} \alpha^{(h)}_{ij}")
    out.append(F.OUTPUT_LATEX)
    return out


def formula_caption(s: Settings, b: dict) -> str:
    d, dh = _d(b, s)
    gh, gw = b["grid"]
    parts = [f"N = {gh} × {gw} = {gh * gw:,} patches of {b['patch']} × {b['patch']} px; d = {d}"
             + (" (20 content + 16 position columns)" if d > 20 else "") + f"; T = {s.temperature:g}."]
    if s.heads > 1:
        parts.append(f"H = {s.heads} heads of d_h = {dh} consecutive feature columns each.")
    if s.wa == "random":
        parts.append(f"W_a is a {d} × {d} normal matrix with std 1/√{d}, seed {s.seed}.")
    if s.score == "additive":
        parts.append(f"Additive: W₁, W₂ (d_a × {dh}) and v (d_a) are seeded random (seed {s.seed}).")
    if s.view == "query" and s.scope == "window":
        parts.append("r_i, c_i = row and column of patch i; keys outside S(i) get weight 0.")
    parts.append("The general (bilinear) score q_i W_a k_jᵀ is the dot score here with W_a = random.")
    return " ".join(parts)


def feature_table(b: dict, s: Settings, row: int, col: int) -> dict:
    """One row per feature column: name, meaning, the query patch's raw and standardized value,
    its query q_i (and for pooling q̄ and the context c)."""
    gh, gw = b["grid"]
    i = row * gw + col
    names = list(b["names"])
    raw = list(b["raw"][i]) + list(b["features"][i][len(b["raw"][i]):])
    q, x = queries(b, s)
    out = {"feature": names, "meaning": [feature_meaning(n) for n in names],
           f"raw, patch ({row}, {col})": np.asarray(raw, dtype=np.float64),
           "x_i standardized": b["features"][i].astype(np.float64)}
    if s.wa == "random":
        out["q_i = x_i W_a"] = q[i].double().numpy()
    if s.view == "pooling":
        v = query_view(b, s, row, col)
        if s.pooling_query == "mean":
            out["q̄ (mean query)"] = v.query.astype(np.float64)
        out["c = Σ α_j x_j"] = v.result.output.double().numpy()
    return out
