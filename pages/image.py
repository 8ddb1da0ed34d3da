"""Image page: upload or pick a photo, click a patch, see where its query attends."""
import numpy as np
import pandas as pd
import streamlit as st

import figures
from attention.image import FEATURE_NAMES, sample_images
from dashboard import export, formulas as F, image_view as V, params as P, ui

SAMPLES = tuple(sample_images())
PARAMS = [
    P.Choice("sample", "Sample photograph", "coffee" if "coffee" in SAMPLES else (SAMPLES or ("",))[0],
             options=SAMPLES),
    P.Choice("patch", "Patch size (px)", "16", options=V.PATCH_SIZES,
             help="The image is resized so its longer side is 512 px, then cut into square patches."),
    P.Int("qr", "Query patch row", 10, lo=0, hi=63), P.Int("qc", "Query patch column", 16, lo=0, hi=63),
    P.Choice("view", "View", "query", options=("query", "pooling", "matrix"),
             labels=("Click a patch: its attention", "Pooling: one query → saliency map",
                     "Full patch × patch matrix")),
    P.Choice("type", "Attention type", "soft", options=("soft", "hard", "sampled", "sparsemax"),
             labels=("Soft", "Hard (arg-max)", "Hard (8 samples)", "Sparsemax")),
    P.Choice("scope", "Scope", "global", options=("global", "window"),
             labels=("Global (all patches)", "Local (2-D window)")),
    P.Int("radius", "Window radius w (patches)", 3, lo=0, hi=63),
    P.Float("temp", "Temperature T", 1.0, lo=0.05, hi=5.0, step=0.05),
    P.Choice("score", "Score function", "scaled_dot", options=("scaled_dot", "dot", "cosine", "additive"),
             labels=tuple(F.SCORE_LABELS[k].replace(" (the model's own)", "")
                          for k in ("scaled_dot", "dot", "cosine", "additive"))),
    P.Choice("wa", "Queries q = x W_a with W_a", "identity", options=("identity", "random"),
             labels=("Identity (q = x)", "Random, seeded (q = x W_a)")),
    P.Choice("heads", "Heads", "1", options=("1", "2", "4")),
    P.Choice("head", "Head shown", "mean", options=("mean", "1", "2", "3", "4"),
             labels=("Mean over heads", "1", "2", "3", "4")),
    P.Flag("pos", "Add 2-D position encoding to the features", False),
    P.Int("seed", "Seed", 0, lo=0, hi=9999),
    P.Float("opacity", "Overlay opacity", 0.75, lo=0.0, hi=1.0, step=0.05),
    P.Choice("pq", "Pooling query", "mean", options=("mean", "patch"),
             labels=("Mean of all patch queries q̄", "The query patch's q_i")),
]
by = {p.key: p for p in PARAMS}
s = st.session_state

prefs = ui.page_setup("image")
st.title("Image attention")
st.caption("Cut a photo into patches, describe each patch by a few numbers, and let one patch's "
           "query attend over all patches — the image-captioning setting of *Show, Attend and Tell* "
           "(soft vs hard attention), here with hand-made patch features instead of a CNN.")
ui.notices(P.load("image", PARAMS))
if not SAMPLES:
    st.error("The bundled sample photographs are missing (assets/images).")
    st.stop()


def _remap_query():
    """Patch size changed: keep the query on the patch that holds the same pixel."""
    old, new = s.get(V.PREV_PATCH, int(s.patch)), int(s.patch)
    s.qr, s.qc = (s.qr * old + old // 2) // new, (s.qc * old + old // 2) // new


def _on_click():
    pts = ((s.get("overlay") or {}).get("selection") or {}).get("points") or []
    if pts and pts[0].get("x") is not None and pts[0].get("y") is not None:
        s.qr, s.qc = (max(0, int(round(float(pts[0][k])))) for k in ("y", "x"))   # clamped to the grid below
        if s.view == "pooling":
            s.pq = "patch"


bd = None
with ui.guard("read the image"):
    c1, c2, c3 = st.columns([3, 2, 1])
    try:
        up = c1.file_uploader("Upload an image (PNG, JPEG, WebP, BMP, GIF, TIFF; ≤ 20 MB)",
                              type=V.UPLOAD_TYPES, key="upload")
    except Exception:  # noqa: BLE001 - e.g. a file name with a forbidden extension
        up = None
        st.error("Only PNG, JPEG, WebP, BMP, GIF or TIFF files can be used.")
    P.widget(by["sample"], c2, on_change=V.choose_sample)
    P.widget(by["patch"], c3, on_change=_remap_query)
    bad = V.sync_upload(up)
    img = V.current_image(s.sample)
    if bad:
        shown = ("your earlier upload " if img["kind"] == "upload" else "the sample ") + V.md_code(img["name"])
        st.error(f"Couldn't use {V.md_code(bad[0])}: {bad[1]} Still showing {shown}.")
    for note in img["notes"]:
        st.info(note)
    if img["kind"] == "sample":
        st.caption(f"Sample **{img['name']}**: {V.sample_credit(img['name'])}")
    else:
        u1, u2 = st.columns([4, 1])
        u1.caption(f"Showing your upload {V.md_code(img['name'])}. Uploads stay in this browser session "
                   "and are **not** part of the share link (the link opens the chosen sample instead).")
        u2.button("Show the sample", on_click=V.choose_sample, key="to_sample", icon=":material/undo:")
    patch = int(s.patch)
    s[V.PREV_PATCH] = patch
    bd = V.bundle(img["key"], patch, bool(s.pos), img["data"])
    gh, gw = bd["grid"]
    for note in bd["notes"]:
        st.info(note)
    s.qr, s.qc = min(s.qr, gh - 1), min(s.qc, gw - 1)

if bd is None:
    st.stop()
a, b, c = st.columns(3)
P.widget(by["view"], a, radio=True); P.widget(by["type"], b, radio=True)
P.widget(by["scope"], c, radio=True, disabled=s.view == "pooling")
a, b, c, d = st.columns(4)
P.widget(by["radius"], a, disabled=s.scope != "window" or s.view == "pooling")
P.widget(by["temp"], b, disabled=s.type == "hard")
P.widget(by["score"], c); P.widget(by["wa"], d)
a, b, c, d = st.columns(4)
P.widget(by["heads"], a)
if s.head != "mean" and int(s.head) > int(s.heads):
    st.warning(f"Head `head` = {s.head} does not exist with {s.heads} head(s); showing the mean over heads.")
    s.head = "mean"
b.selectbox(by["head"].label, by["head"].options[:int(s.heads) + 1], key="head",
             format_func=by["head"].label_of, disabled=s.heads == "1")
P.widget(by["seed"], c, disabled=s.wa != "random" and s.type != "sampled" and s.score != "additive")
P.widget(by["opacity"], d, disabled=s.view == "matrix")
a, b, c, d = st.columns(4)
a.number_input(by["qr"].label, 0, gh - 1, key="qr", step=1)
b.number_input(by["qc"].label, 0, gw - 1, key="qc", step=1)
P.widget(by["pq"], c, disabled=s.view != "pooling")
P.widget(by["pos"], d)

cfg = V.Settings(view=s.view, attn_type=s.type, score=s.score, wa=s.wa, scope=s.scope,
                 radius=s.radius, temperature=s.temp, heads=int(s.heads),
                 head=None if s.head == "mean" else int(s.head) - 1, seed=s.seed,
                 pooling_query=s.pq, opacity=s.opacity, colorscale=prefs.colorscale)

if s.view in ("query", "pooling"):
    with ui.guard("draw the attention overlay"):
        v = V.query_view(bd, cfg, s.qr, s.qc)
        title = V.view_title(bd, cfg, v, img["name"])
        ui.plot(V.overlay_figure(bd, v, cfg, title), key="overlay", on_select=_on_click,
                selection_mode="points", name=f"image_attention_{img['name']}_{s.view}_{s.type}")
        grid_vals = v.values.reshape(gh, gw)
        export.download_buttons(grid_vals, [f"row {r}" for r in range(gh)], [f"col {c}" for c in range(gw)],
                                f"image_attention_{s.view}", "dl_overlay",
                                meta={"view": title, "cells": "attention weight α of patch (row, col)",
                                      "query_patch": [s.qr, s.qc] if v.index >= 0 else "mean",
                                      "argmax_patch": list(divmod(v.argmax, gw)),
                                      "samples": [list(divmod(int(i), gw)) for i in v.samples]})
        st.caption(V.overlay_caption(bd, v, cfg))
    with ui.guard("show the numbers"):
        cols, how = V.check_table(v, cfg, (gh, gw))
        st.markdown(f"**Top 5 patches** (sum of all {gh * gw:,} weights shown = {v.values.sum():.4f}). {how}")
        st.dataframe(pd.DataFrame(cols), hide_index=True, width="stretch",
                     column_config={k: st.column_config.NumberColumn(format="%.5f")
                                    for k in cols if k.startswith(("score", "(e", "α"))})
else:
    with ui.guard("compute the patch × patch matrix"):
        D, starts = V.matrix(img["key"], patch, bool(s.pos), V.settings_tuple(cfg), bd)
        labels = V.block_labels(starts, gh * gw)
        i = s.qr * gw + s.qc
        blk = int(np.searchsorted(starts, i, side="right") - 1)
        f = int(starts[1] - starts[0]) if len(starts) > 1 else 1
        title = f"{img['name']} · {gh * gw:,} × {gh * gw:,} weights" + (
            f" shown as {len(starts)} × {len(starts)} block means of {f} × {f}" if f > 1 else "")
        ui.plot(figures.heatmap(D, labels, labels, title=title, colorscale=prefs.colorscale,
                                zmax=float(D.max()) or 1.0, highlight_row=blk,
                                x_title="key patches #j", y_title="query patches #i"),
                key="matrix", name=f"patch_matrix_{img['name']}_{s.type}")
        export.download_buttons(D, labels, labels, "patch_matrix_block_means", "dl_matrix",
                                meta={"view": title, "rows": "query patches", "columns": "key patches",
                                      "block": f, "numbering": f"i = row * {gw} + col"})
        st.caption(V.matrix_caption(bd, cfg, f, len(starts), blk, labels))

with st.expander("Formulas for this view", expanded=False):
    for tex in V.formulas(cfg, bd):
        st.latex(tex)
    st.caption(V.formula_caption(cfg, bd))
with st.expander("What the patch features are", expanded=False):
    with ui.guard("show the features"):
        st.dataframe(pd.DataFrame(V.feature_table(bd, cfg, s.qr, s.qc)), hide_index=True, width="stretch")
        st.caption(f"The {len(FEATURE_NAMES)} content columns are standardized over the "
                   f"{gh * gw:,} patches of this image (zero mean, unit standard deviation; a constant "
                   "column becomes 0). Raw values are in [0, 1]. Patches are numbered row-major, "
                   f"i = r · {gw} + c.")

ui.share_link(P.publish(PARAMS), "image")
