"""The Image page's words: chart titles, captions and formulas (strings only; no Streamlit).

Every number a caption states can be checked by hand from the formula shown next to it.
"""
from __future__ import annotations

import numpy as np

from ui.vocab import NORMALIZATION_LATEX, OUTPUT_LATEX, SCOPE_LATEX, SCORE_LATEX

N_SAMPLES = 8
_WHAT = {"soft": "soft", "hard": "hard (arg-max)", "hard_sampled": "soft p + 8 hard draws",
         "sparsemax": "sparsemax"}
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


def windowed(s) -> bool:
    """The 2-D window applies (the query view; pooling is always global)."""
    return s.scope == "grid" and s.view == "query"


def view_title(grid, s, index: int, image_name: str) -> tuple[str, str]:
    """``(title, subtitle)`` of the overlay: the picture and the query; then the mechanism."""
    gh, gw = grid
    who = f"query patch {divmod(index, gw)}" if index >= 0 else "mean query q̄"
    scope = f"2-D window w={s.window}" if windowed(s) else "global"
    head = "" if s.heads == 1 else (" · mean of heads" if s.head is None else f" · head {s.head + 1}/{s.heads}")
    return (f"{image_name} · {who}",
            f"{gh}×{gw} patches · {_WHAT[s.normalization]}, {scope}, {s.score}, T={s.temperature:g}{head}")


def overlay_caption(grid, v, s) -> str:
    gh, gw = grid
    n = gh * gw
    top = float(v.values[v.in_scope].max()) if v.in_scope.any() else 0.0
    what = "probability p (soft, the draws' distribution)" if s.normalization == "hard_sampled" else "attention weight α"
    if v.index >= 0:
        parts = [f"Colour = {what} of each patch for the query patch {divmod(v.index, gw)} (orange "
                 f"square), from 0 to the largest value, {top:.4f}."]
    else:
        parts = [f"Colour = {what} of each patch for the single pooling query q̄, from 0 to the "
                 f"largest value, {top:.4f} (uniform would be 1/N = {1 / n:.5f})."]
    parts.append(f"★ = the arg-max patch {divmod(v.argmax, gw)}.")
    if windowed(s):
        parts.append(f"Only patches inside the dashed window S(i) (at most w = {s.window} patches away in "
                     "row and in column) can be attended; outside it the photo shows uncoloured.")
    if s.normalization == "hard_sampled":
        parts.append(f"Pink rings: {N_SAMPLES} stochastic hard-attention draws (seeds {s.seed}–"
                     f"{s.seed + N_SAMPLES - 1}) from p; ×k = how many draws picked that patch. "
                     "Each draw alone is a one-hot α.")
    if s.normalization == "hard":
        parts.append("Hard attention: α = 1 on the arg-max patch, 0 elsewhere"
                     + (" (per head; the mean over heads splits the 1)." if s.heads > 1 and s.head is None else "."))
    if v.query is not None and not np.any(v.query) and s.score in ("dot", "scaled_dot", "cosine"):
        parts.append("The query vector is exactly 0 (the features are standardized to zero mean, so "
                     "their mean is 0): every dot/cosine score is 0 and attention is uniform. "
                     "Try the additive score, position encoding, or the query patch's own q_i.")
    parts.append(f"Click any patch to make it the query. Only this query's row is computed: "
                 f"1 × {n:,} scores, O(N·d).")
    return " ".join(parts)


def matrix_title(image_name: str, n: int, f: int, blocks: int) -> str:
    return f"{image_name} · {n:,} × {n:,} weights" + (
        f" shown as {blocks} × {blocks} block means of {f} × {f}" if f > 1 else "")


def matrix_caption(grid, s, f: int, blocks: int, label: str) -> str:
    gh, gw = grid
    n = gh * gw
    parts = [f"Row = query patch, column = key patch, numbered row-major i = r · {gw} + c."]
    if f > 1:
        parts.append(f"The full matrix has {n:,} × {n:,} = {n * n:,} weights, too many to draw: it is "
                     f"computed in row chunks and shown as {blocks} × {blocks} block means (each cell is the "
                     f"mean of up to {f} × {f} weights; the last block may be smaller). Along a row, "
                     "Σ (block width × cell) = 1.")
    else:
        parts.append("Each row sums to 1.")
    parts.append(f"The orange outline marks {'block ' + label if f > 1 else 'the row'} holding the query patch.")
    if s.scope == "grid":
        parts.append(f"Each query patch i attends only inside its own 2-D window (w = {s.window}).")
    if s.normalization == "hard_sampled":
        parts.append("For hard samples this shows the soft p they are drawn from (the expected value "
                     "of the one-hot draws).")
    return " ".join(parts)


def formulas(s, d: int) -> list[str]:
    """LaTeX lines of the current view (d = feature size)."""
    out = [r"x_i \in \mathbb{R}^{%d}\ \text{(patch features)},\qquad q_i = x_i W_a,\qquad k_j = v_j = x_j"
           % d + (r"\quad (W_a = I)" if s.W_a == "identity" else r"\quad (W_a \sim \mathcal{N}(0, 1/d))")]
    score = SCORE_LATEX[s.score]
    if s.heads > 1:
        score = score.replace(r"\sqrt{d}", r"\sqrt{d_h}")
        out.append(r"q_i^{(h)} = q_i[\,(h-1)d_h : h\,d_h\,],\ \ d_h = d/H = %d" % (d // s.heads))
    out.append(score)
    if s.view == "pooling":
        out.append(r"\bar q = \tfrac{1}{N}\textstyle\sum_{i=1}^{N} q_i" if s.pooling_query == "mean"
                   else r"\text{pooling query} = q_i \text{ of the query patch}")
    out.append(SCOPE_LATEX["grid"] + r",\quad w = %d" % s.window if (s.scope == "grid" and s.view != "pooling")
               else SCOPE_LATEX["global"])
    out.append(NORMALIZATION_LATEX[s.normalization])
    if s.heads > 1 and s.head is None:
        out.append(r"\alpha_{ij} = \tfrac{1}{H}\textstyle\sum_{h=1}^{H} \alpha^{(h)}_{ij}")
    out.append(OUTPUT_LATEX)
    return out


def formula_caption(s, grid, patch: int, d: int) -> str:
    gh, gw = grid
    parts = [f"N = {gh} × {gw} = {gh * gw:,} patches of {patch} × {patch} px; d = {d}"
             + (" (20 content + 16 position columns)" if d > 20 else "") + f"; T = {s.temperature:g}."]
    if s.heads > 1:
        parts.append(f"H = {s.heads} heads of d_h = {d // s.heads} consecutive feature columns each.")
    if s.W_a == "random":
        parts.append(f"W_a is a {d} × {d} normal matrix with std 1/√{d}, seed {s.seed}.")
    if s.score == "additive":
        parts.append(f"Additive: W₁, W₂ (d_a × {d // s.heads}) and v (d_a) are seeded random (seed {s.seed}).")
    if s.scope == "grid" and s.view != "pooling":
        parts.append("r_i, c_i = row and column of patch i; keys outside S(i) get weight 0.")
    if s.view == "pooling":
        parts.append("Pooling is global: the one query attends over every patch.")
    parts.append("The general (bilinear) score q_i W_a k_jᵀ is the dot score here with W_a = random.")
    return " ".join(parts)
