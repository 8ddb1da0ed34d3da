"""Image page layout: the picture and the everyday controls in a narrow column beside the chart
(the rest in "More settings"), the overlay or the matrix, and the numbers to check by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import figures
from figures import describe
from attention.image import FEATURE_NAMES
from ui import charts, page, params as P, uploads

from . import captions as C, compute, figures as page_figures, source
from .samples import sample_credit
from .state import BY, Settings

PREV_PATCH = "_image_prev_patch"
UPLOAD_OPEN = "_image_upload_open"      # the lazy "Your own image" section


# ------------------------------------------------------------------ callbacks (run before the script)
def _remap_query() -> None:
    """Patch size changed: keep the query on the patch that holds the same pixel."""
    s = st.session_state
    old, new = s.get(PREV_PATCH, int(s.patch)), int(s.patch)
    s.row, s.col = (s.row * old + old // 2) // new, (s.col * old + old // 2) // new


def _on_click() -> None:
    """A click on the overlay: that patch becomes the query (clamped to the grid by the page)."""
    s = st.session_state
    pt = charts.clicked(s.get("overlay"))
    if pt and pt.get("x") is not None and pt.get("y") is not None:
        s.row, s.col = (max(0, int(round(float(pt[k])))) for k in ("y", "x"))
        if s.view == "pooling":
            s.pooling_query = "patch"


# ------------------------------------------------------------------ controls
def picture_controls() -> tuple[compute.Picture, tuple | None]:
    """Sample, patch size and "your own image"; returns the picture to show and, while the
    uploader holds a refused file, ``(file name, message)``."""
    s = st.session_state
    a, b = st.columns(2)
    P.widget(BY["sample"], a, on_change=source.choose_sample)
    P.widget(BY["patch"], b, on_change=_remap_query)
    up = problem = None
    # Lazy: the uploader runs and loads only while open (a shown upload stays when it closes).
    with page.lazy_section("Your own image", UPLOAD_OPEN, icon=":material/upload:") as is_open:
        if is_open:
            up, problem = uploads.image_uploader("Upload an image", key="upload", label_visibility="collapsed")
    bad = source.sync_upload(up) or (("your file", problem) if problem else None)
    s[PREV_PATCH] = int(s.patch)
    pic = source.current(s.sample)
    if pic.kind == "upload":
        st.caption(f"Showing your upload {page.inline_code(pic.name)}. Uploads stay in this browser "
                   "session and are **not** part of the share link (the link opens the chosen sample).")
        st.button("Show the sample", on_click=source.choose_sample, key="to_sample", icon=":material/undo:")
    return pic, bad


def controls(grid: tuple[int, int]) -> None:
    """View, type, scope and window one click away; the rest in "More settings"."""
    s = st.session_state
    gh, gw = grid
    s.row, s.col = min(s.row, gh - 1), min(s.col, gw - 1)
    P.widget(BY["view"], radio="vertical")
    P.widget(BY["normalization"], radio="vertical")
    P.widget(BY["scope"], radio="vertical", disabled=s.view == "pooling")
    if s.scope == "grid" and s.view != "pooling":
        # Only where it applies (it keeps its value while hidden): with no slider on the first
        # screen, the first load needn't load the slider component.
        P.widget(BY["window"])
    if s.head != "mean" and int(s.head) > int(s.heads):
        st.warning(f"Head `head` = {s.head} does not exist with {s.heads} head(s): showing the mean over heads.")
        s.head = "mean"
    with st.popover("More settings", icon=":material/tune:", width="stretch"):
        a, b = st.columns(2)
        a.number_input(BY["row"].label, 0, gh - 1, key="row", step=1)
        b.number_input(BY["col"].label, 0, gw - 1, key="col", step=1)
        P.widget(BY["score"])
        P.widget(BY["W_a"])
        P.widget(BY["temperature"], disabled=s.normalization == "hard")
        a, b = st.columns(2)
        P.widget(BY["heads"], a)
        b.selectbox(BY["head"].label, BY["head"].options[:int(s.heads) + 1], key="head",
                    format_func=BY["head"].label_of, disabled=s.heads == "1")
        P.widget(BY["seed"], disabled=s.W_a != "random" and s.normalization != "hard_sampled"
                 and s.score != "additive")
        P.widget(BY["pooling_query"], disabled=s.view != "pooling")
        P.widget(BY["opacity"], disabled=s.view == "matrix")
        P.widget(BY["position_encoding"])


# ------------------------------------------------------------------ the views
def picture_notes(pic: compute.Picture, bad, b: dict | None) -> None:
    """A refused upload (the previous picture stays), and notes worth knowing about the picture."""
    if bad:
        shown = ("your earlier upload " if pic.kind == "upload" else "the sample ") + page.inline_code(pic.name)
        st.error(f"Couldn't use {page.inline_code(bad[0])}: {bad[1]} Still showing {shown}.")
    for note in pic.notes + tuple(b["notes"] if b else ()):
        st.info(note)


def query(pic: compute.Picture, b: dict, cfg: Settings, colorscale: str, opacity: float) -> None:
    """The overlay of one query's row (click a patch), its exports and caption, the top-5 table."""
    s = st.session_state
    gh, gw = b["grid"]
    v = compute.query_view(b, cfg, s.row, s.col)
    title, subtitle = C.view_title(b["grid"], cfg, v.index, pic.name)
    fig = page_figures.overlay(b["uri"], b["grid"], b["patch"], v.values, v.in_scope, index=v.index, argmax=v.argmax,
                    samples=v.samples, windowed=C.windowed(cfg), title=title, subtitle=subtitle,
                    colorscale=colorscale, opacity=opacity)
    who = f"The query patch (row {v.index // gw}, column {v.index % gw})" if v.index >= 0 else "The mean query q̄"
    top = describe.bars_summary(np.where(v.in_scope, v.values, np.nan),
                                [f"row {r}, column {c}" for r in range(gh) for c in range(gw)],
                                value_name="probability p" if cfg.normalization == "hard_sampled"
                                else "weight α", items="patch")
    charts.plot(fig, key="overlay", name=f"image_attention_{pic.name}_{cfg.view}_{cfg.normalization}",
                on_select=_on_click, selection_mode="points",
                summary=f"{title} ({subtitle}). {who} attends over {top[0].lower()}{top[1:]}")
    charts.downloads(v.values.reshape(gh, gw), [f"row {r}" for r in range(gh)], [f"col {c}" for c in range(gw)],
                     f"image_attention_{cfg.view}", "dl_overlay",
                     meta={"view": f"{title} · {subtitle}", "cells": "attention weight α of patch (row, col)",
                           "query_patch": [s.row, s.col] if v.index >= 0 else "mean",
                           "argmax_patch": list(divmod(v.argmax, gw)),
                           "samples": [list(divmod(int(i), gw)) for i in v.samples]})
    st.caption(C.overlay_caption(b["grid"], v, cfg))
    with page.guard("show the numbers"):
        cols, how = compute.check_table(v, cfg, b["grid"])
        st.markdown(f"**Top 5 patches** (sum of all {gh * gw:,} values shown = {v.values.sum():.4f}). {how}")
        # a Markdown table: light to draw (no data-grid component on the first load)
        st.markdown(charts.number_table(cols, digits=5))


def matrix(pic: compute.Picture, b: dict, cfg: Settings, colorscale: str) -> None:
    """The full patch × patch matrix as block means, its exports and caption."""
    s = st.session_state
    gh, gw = b["grid"]
    D, starts = compute.matrix(pic, b, cfg)
    labels = compute.block_labels(starts, gh * gw)
    blk = int(np.searchsorted(starts, s.row * gw + s.col, side="right") - 1)
    f = int(starts[1] - starts[0]) if len(starts) > 1 else 1
    title = C.matrix_title(pic.name, gh * gw, f, len(starts))
    charts.plot(figures.heatmap(D, labels, labels, title=title, colorscale=colorscale,
                                zmax=float(D.max()) or 1.0, highlight_row=blk,
                                x_title="key patches #j", y_title="query patches #i"),
                key="matrix", name=f"patch_matrix_{pic.name}_{cfg.normalization}",
                summary=describe.matrix_summary(D, labels, labels, focus_row=blk, rows="query block",
                                                cols="key block", value_name="mean weight", title=title))
    charts.downloads(D, labels, labels, "patch_matrix_block_means", "dl_matrix",
                     meta={"view": title, "rows": "query patches", "columns": "key patches",
                           "block": f, "numbering": f"i = row * {gw} + col"})
    st.caption(C.matrix_caption(b["grid"], cfg, f, len(starts), labels[blk]))


def explain(pic: compute.Picture, b: dict, cfg: Settings) -> None:
    """Where the picture comes from, the formulas, and the patch features of the query patch."""
    d = b["features"].shape[1]
    if pic.kind == "sample":
        st.caption(f"Sample **{pic.name}**: {sample_credit(pic.name)}")
    # Lazy: their content (KaTeX, a data grid) runs and loads only while open.
    with page.lazy_section("Formulas for this view", "_image_formulas_open") as is_open:
        if is_open:
            for tex in C.formulas(cfg, d):
                st.latex(tex)
            st.caption(C.formula_caption(cfg, b["grid"], b["patch"], d))
    with page.lazy_section("What the patch features are", "_image_features_open") as is_open:
        if is_open:
            with page.guard("show the features"):
                _features(b, cfg)


def _features(b: dict, cfg: Settings) -> None:
    """The query patch's features, raw and standardized, and its query."""
    s = st.session_state
    gh, gw = b["grid"]
    st.dataframe(pd.DataFrame(compute.feature_table(b, cfg, s.row, s.col)), hide_index=True, width="stretch")
    st.caption(f"Hand-made features, no trained model: the {len(FEATURE_NAMES)} content columns are "
               f"standardized over the {gh * gw:,} patches of this image (zero mean, unit standard "
               "deviation; a constant column becomes 0). Raw values are in [0, 1]. Patches are "
               f"numbered row-major, i = r · {gw} + c.")
