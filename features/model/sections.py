"""The Model explorer's seven views, one ``render_<view>(ctx)`` each (:data:`RENDER`): the 72-head
grid, head lines, the neuron view, head statistics, mean / rollout, counterfactuals, sentence pairs.
Each draws its own controls, charts (``ui.charts.plot``) and CSV / JSON exports."""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import streamlit as st

import figures
from attention import explore as X
from figures import describe
from ui import charts, page, params as P
from ui.vocab import NORMALIZATION_LATEX, OUTPUT_LATEX, SCORE_LATEX

from . import compute
from . import figures as page_figures
from .formulas import COS_LATEX, JS_LATEX, MEAN_LATEX, ROLLOUT_LATEX, SHARE_LATEX, STAT_LATEX
from .state import BLOCK_LABELS, BY, D_HEAD, L_LAYERS, N_HEADS, STATS
from .view import Ctx, layer_head, layer_head_click, widget, zmax_note

LAYER_LABELS = [f"layer {l + 1}" for l in range(L_LAYERS)]
HEAD_LABELS = [f"head {h + 1}" for h in range(N_HEADS)]


# ------------------------------------------------------------------ all 72 heads
def _grid_summary(S: dict, n: int) -> str:
    """The 72-head grid in words: the heads at the extremes of the statistics its hover shows
    (``S[stat]``: ``(L, H)``); the sliders under "One head, large" open any head."""
    def at(a, pick) -> str:
        l, h = np.unravel_index(pick(a), a.shape)
        return f"layer {l + 1}, head {h + 1}"
    e, d, sp = S["entropy"], S["mean_distance"], S["special_share"]
    return (f"All {L_LAYERS * N_HEADS} heads ({L_LAYERS} layers × {N_HEADS} heads) on {n} tokens. "
            f"Most focused (lowest entropy): {at(e, np.argmin)}, {e.min():.2f} nats; most spread "
            f"out: {at(e, np.argmax)}, {e.max():.2f} nats. Longest reach: {at(d, np.argmax)}, mean "
            f"distance {d.max():.1f} tokens. Most weight on [CLS]/[SEP]: {at(sp, np.argmax)}, "
            f"{sp.max():.2f}. Open any head with the Layer and Head sliders below.")


def render_model(ctx: Ctx) -> None:
    s = st.session_state
    thumbs, (bq, bk) = compute.overview(ctx.text, ctx.pair, ctx.hide, ctx.topk, ctx.block)
    if thumbs.shape[-1] == 0 or thumbs.shape[-2] == 0:
        st.info("No tokens left to show with these filters.")
        return
    S = compute.stats(ctx.text, ctx.pair, 3)
    hover = np.array([[f"layer {l + 1} · head {h + 1}<br>entropy {S['entropy'][l, h]:.2f} nats · "
                       f"mean distance {S['mean_distance'][l, h]:.1f} tokens<br>"
                       f"share on [CLS]/[SEP] {S['special_share'][l, h]:.2f}"
                       for h in range(N_HEADS)] for l in range(L_LAYERS)], dtype=object)
    fig = page_figures.model_grid(thumbs, colorscale=ctx.colorscale, selected=(s.layer - 1, s.head - 1),
                        hover=hover, title=f"All 72 heads · {ctx.n} tokens", zmax=float(s.zmax))
    pt = charts.clicked(charts.plot(fig, key="grid", name="model_view_all_heads", select=True,
                                    summary=_grid_summary(S, ctx.n)))
    if pt is not None:
        cell = page_figures.grid_cell(pt.get("x", -1), pt.get("y", -1), L_LAYERS, N_HEADS)
        if cell is not None:
            P.request(layer=cell[0] + 1, head=cell[1] + 1)
    pooled = (f" With more than 64 tokens a side, a tile pixel is the **largest** weight of a "
              f"{bq} × {bk} block of (query, key) cells, so thin patterns stay visible."
              if (bq, bk) != (1, 1) else "")
    st.caption("Each tile is one head's attention matrix α (queries down, keys across), "
               "α_ij = softmax_j(q_i·k_j/√32), rounded to 0.01 and coloured on one scale for every "
               f"tile{zmax_note()}.{pooled}{ctx.filters_note()} Click a tile to open that head below.")
    tq, tk = thumbs.shape[-2:]
    rl = [f"layer {l + 1} head {h + 1} query-block {i}" for l in range(L_LAYERS)
          for h in range(N_HEADS) for i in range(tq)]
    charts.downloads(thumbs.reshape(-1, tk) / 100.0, rl, [f"key-block {j}" for j in range(tk)],  # (L*H*tq, tk)
                     "model_view_thumbnails", "dl_grid",
                     meta={"blocks": [bq, bk], "value": "max weight in block, rounded to 0.01",
                           "filters": ctx.filters()})
    st.header("One head, large")
    l, h = layer_head()
    r = compute.layer_attention(ctx.enc, l)
    ctx.heatmap(r.weights[h].numpy(), "head_map", f"attention_layer{l + 1}_head{h + 1}",
                f"layer {l + 1}, head {h + 1}")
    st.caption(r"Row i: how query token i spreads its attention over the keys; each full row "
               f"sums to 1. Exact float values (hover), zoom by dragging.{ctx.filters_note()}")


# ------------------------------------------------------------------ head lines
def _head_controls(ctx: Ctx) -> None:
    s = st.session_state
    a, b = st.columns(2)
    widget("layer", a)
    widget("threshold", b)
    widget("heads", format_func=str)
    if s.isolate >= ctx.n:
        s.isolate = -1
    a, b = st.columns([3, 2])
    a.selectbox(BY["isolate"].label, [-1] + list(range(ctx.n)), key="isolate",
                format_func=lambda i: "— all tokens —" if i < 0 else ctx.text_labels[i], persist_state="page")
    widget("isolate_side", b, radio=True)


def _lines_summary(sub: np.ndarray, heads: list, threshold: float, ctx: Ctx, l: int) -> str:
    """The head lines in words: how many lines each shown head draws (weights ``sub (H, r, c)``
    at or above ``threshold``) and the strongest line of each."""
    parts = []
    for h in heads:
        w = sub[h]
        k = int((w >= threshold).sum())
        if k:
            i, j = np.unravel_index(int(np.argmax(w)), w.shape)
            parts.append(f"head {h + 1}: {k} line{'s' if k != 1 else ''}, strongest “{ctx.row_labels[i]}” → "
                         f"“{ctx.col_labels[j]}” {w[i, j]:.2f}")
        else:
            parts.append(f"head {h + 1}: no line")
    return (f"Layer {l + 1}, lines for every weight α ≥ {threshold:g} from a query (left) to a key "
            f"(right). " + "; ".join(parts) + ".") if heads else f"Layer {l + 1}: no head selected."


def render_head(ctx: Ctx) -> None:
    s = st.session_state
    _head_controls(ctx)
    l = s.layer - 1
    sub = X.submatrix(compute.layer_attention(ctx.enc, l).weights.numpy(), ctx.rows, ctx.cols)  # (H, r, c)
    if ctx.topk:
        sub = np.where(X.topk_keep(sub, ctx.topk), sub, 0.0)
    if not sub.size:
        st.info("No tokens left to show with these filters.")
        return
    iso = None
    if s.isolate >= 0:
        where = ctx.rows if s.isolate_side == "q" else ctx.cols
        pos = np.flatnonzero(where == s.isolate)
        iso = (s.isolate_side, int(pos[0]) if pos.size else -1)
    heads = [h - 1 for h in sorted(s.heads)]
    fig = page_figures.head_lines(sub, ctx.row_labels, ctx.col_labels, heads=heads, threshold=s.threshold, isolate=iso,
                        title=f"layer {l + 1} · {len(heads)} of 12 heads · lines for α ≥ {s.threshold:g}")
    pt = charts.clicked(charts.plot(fig, key="headview", name=f"head_view_layer{l + 1}", select=True,
                                    summary=_lines_summary(sub, heads, s.threshold, ctx, l)))
    if pt is not None and pt.get("x") in (0, 1) and pt.get("y") is not None:
        side, pos = ("q", ctx.rows) if pt["x"] == 0 else ("k", ctx.cols)
        y = int(round(float(pt["y"])))
        if 0 <= y < len(pos):
            tok = int(pos[y])
            if (s.isolate, s.isolate_side) == (tok, side):
                P.request(isolate=-1)
            else:
                P.request(isolate=tok, isolate_side=side)
    st.caption("A line joins query token i (left, attending) to key token j (right, attended to) "
               f"for every head weight α_ij ≥ {s.threshold:g}; line opacity = α rounded up to a multiple "
               "of 1/8, colour = head (legend; click a legend entry to hide a head). Click a token's "
               f"dot to show only its lines; click it again to show all.{ctx.filters_note()}")
    rows, names = [], []
    for h in heads:
        rows.append(np.where(sub[h] >= s.threshold, sub[h], np.nan))
        names += [f"head {h + 1}: {lab}" for lab in ctx.row_labels]
    if rows:
        charts.downloads(np.concatenate(rows), names, ctx.col_labels, f"head_view_layer{l + 1}", "dl_headview",
                         meta={"layer": l + 1, "threshold": s.threshold, "filters": ctx.filters()})


# ------------------------------------------------------------------ neuron view
def render_neuron(ctx: Ctx) -> None:
    s = st.session_state
    if s.row >= ctx.n:
        s.row = 0
    a, b, c = st.columns(3)
    widget("layer", a)
    widget("head", b)
    c.slider(BY["row"].label, 0, max(ctx.n - 1, 1), key="row", disabled=ctx.n < 2, persist_state="page")
    l, h, i = s.layer - 1, s.head - 1, s.row
    r = compute.layer_attention(ctx.enc, l)
    heat = r.weights[h].numpy()                                                # (n, n)
    select = ctx.n <= 128
    fig = figures.heatmap(heat, ctx.labels, ctx.labels, title=f"layer {l + 1}, head {h + 1} · query {ctx.labels[i]}",
                          colorscale=ctx.colorscale, clickable=select, highlight_row=i)
    pt = charts.clicked(charts.plot(fig, key="neuron_map", name=f"attention_layer{l + 1}_head{h + 1}",
                                    select=select))
    if pt is not None and pt.get("y") is not None:
        P.request(row=int(round(float(pt["y"]))))
    charts.downloads(heat, ctx.labels, ctx.labels, f"attention_layer{l + 1}_head{h + 1}", "dl_neuron_map")
    st.caption(("Click a row to inspect that query. " if select else "")
               + "The neuron view always uses all n keys (the display filters don't apply: the "
               "softmax runs over every key).")
    q, k, v = (ctx.enc[name][l, h] for name in ("queries", "keys", "values"))  # (n, d_head) each
    _neuron_steps(ctx, X.neuron_steps(q, k, v, i), heat[i], r.output[h, i].double().numpy(), l, h, i)


def _neuron_steps(ctx: Ctx, N: dict, heat_row: np.ndarray, out: np.ndarray, l: int, h: int, i: int) -> None:
    """Every number of query row i: the formula with the largest weight filled in, the table,
    the q ∘ k products and the vectors."""
    diff_w, diff_o = float(np.abs(N["weight"] - heat_row).max()), float(np.abs(N["output"] - out).max())
    st.markdown(f"**Step by step for query {page.inline_code(ctx.tokens[i])} (#{i}), d = {D_HEAD}.** "
                f"Largest |table α − heatmap row i| = {diff_w:.1e}; largest |c_i − model's head output| "
                f"= {diff_o:.1e}.")
    st.latex(SCORE_LATEX["scaled_dot"] + r",\qquad " + NORMALIZATION_LATEX["soft"].replace("/T", "")
             + r",\qquad " + OUTPUT_LATEX)
    j = int(np.argmax(N["weight"]))
    st.latex(rf"e_{{{i},{j}}} = \frac{{{N['dot'][j]:.4f}}}{{\sqrt{{{D_HEAD}}}}} = {N['score'][j]:.4f},\quad "
             rf"\alpha_{{{i},{j}}} = \frac{{e^{{{N['shifted'][j]:.4f}}}}}{{\sum_{{j'}} e^{{e_{{{i}j'}} - \max e}}}}"
             rf" = \frac{{{N['exp'][j]:.4f}}}{{{N['exp'].sum():.4f}}} = {N['weight'][j]:.4f}")
    st.caption(f"(the key with the largest weight, j = {j}; subtracting max e before exp changes nothing "
               "but avoids overflow — it is what softmax implementations do)")
    tab = pd.DataFrame({"key token j": ctx.text_labels, "q·k": N["dot"], "e = q·k / √32": N["score"],
                        "e − max e": N["shifted"], "exp(e − max e)": N["exp"], "α = exp / Σ exp": N["weight"]})
    st.dataframe(tab, hide_index=True, width="stretch", height=min(420, 36 * ctx.n + 40),
                 column_config={c: st.column_config.NumberColumn(format="%.5f") for c in tab.columns[1:]})
    charts.downloads(tab.iloc[:, 1:].to_numpy(), ctx.labels, list(tab.columns[1:]), f"neuron_steps_q{i}",
                     "dl_steps", meta={"layer": l + 1, "head": h + 1, "query": i})
    title = f"q_{i} ∘ k_j: each row sums to q·k_j (column 2 above)"
    charts.plot(page_figures.neuron_products(N["qk"], ctx.labels, title=title),
                key="neuron_qk", name=f"q_times_k_layer{l + 1}_head{h + 1}_q{i}",
                summary=describe.matrix_summary(N["qk"], ctx.labels, [f"dim {d}" for d in range(D_HEAD)],
                                                rows="key", cols="dimension", value_name="q·k term",
                                                title=title))
    charts.downloads(N["qk"], ctx.labels, [f"dim {d}" for d in range(D_HEAD)], f"q_times_k_q{i}", "dl_qk")
    _neuron_vectors(ctx, N, i)


def _neuron_vectors(ctx: Ctx, N: dict, i: int) -> None:
    dims = [f"{d}" for d in range(D_HEAD)]
    with st.expander(f"The vectors: q_{i}, every k_j and v_j, α_j v_j and the output c_{i} (32 numbers each)"):
        fmt = {c: st.column_config.NumberColumn(format="%.4f") for c in dims}
        st.markdown(f"**q_{i}** (query of {page.inline_code(ctx.tokens[i])})")
        st.dataframe(pd.DataFrame(N["q"][None], columns=dims), hide_index=True, column_config=fmt)
        for name, arr, cap in (("k_j", N["k"], "keys"), ("v_j", N["v"], "values"),
                               ("α_j v_j", N["weighted_v"], "each value scaled by its weight")):
            st.markdown(f"**{name}** ({cap})")
            st.dataframe(pd.DataFrame(arr, columns=dims, index=ctx.text_labels), column_config=fmt, height=240)
        st.markdown(f"**c_{i} = Σ_j α_j v_j** — this head's slice of the attention output (the model "
                    f"concatenates the 12 heads' c_{i} and projects them)")
        st.dataframe(pd.DataFrame(N["output"][None], columns=dims), hide_index=True, column_config=fmt)


# ------------------------------------------------------------------ head statistics
def render_stats(ctx: Ctx) -> None:
    s = st.session_state
    a, b = st.columns(2)
    widget("stat", a)
    widget("mass_k", b)
    S = compute.stats(ctx.text, ctx.pair, int(s.mass_k))
    name = STATS[s.stat].replace("top-k", f"top-{s.mass_k}")
    vals = S[s.stat]                                                           # (L, H)
    zmax = {"entropy": float(np.log(ctx.n)) if ctx.n > 1 else 1.0,
            "mean_distance": float(vals.max()) or 1.0}.get(s.stat, 1.0)
    fig = page_figures.layer_head_heatmap(vals, value_name=name, colorscale=ctx.colorscale, zmin=0.0, zmax=zmax,
                                fmt=".2f", title=f"{name} of every head (mean over the {ctx.n} query rows)",
                                selected=(s.layer - 1, s.head - 1))
    layer_head_click(charts.plot(fig, key="stat_map", name=f"head_{s.stat}", select=True), view="model")
    charts.downloads(vals, LAYER_LABELS, HEAD_LABELS, f"head_{s.stat}", "dl_stat_map", meta={"statistic": name})
    st.latex(STAT_LATEX[s.stat].replace("k", str(s.mass_k)) if s.stat == "topk_mass" else STAT_LATEX[s.stat])
    st.caption(f"Averaged over all n = {ctx.n} query rows, on the full matrix (the display filters don't "
               f"apply). Entropy is at most ln n = {np.log(max(ctx.n, 1)):.3f} (uniform). Click a cell to "
               "open that head in the model view; click a column header below to sort.")
    cols = [c for c in STATS if c in S]
    df = pd.DataFrame({"layer": np.repeat(np.arange(1, L_LAYERS + 1), N_HEADS),
                       "head": np.tile(np.arange(1, N_HEADS + 1), L_LAYERS),
                       **{STATS[c].replace("top-k", f"top-{s.mass_k}"): S[c].reshape(-1) for c in cols}})
    st.dataframe(df, hide_index=True, width="stretch", height=300,
                 column_config={c: st.column_config.NumberColumn(format="%.4f") for c in df.columns[2:]})
    charts.downloads(df.iloc[:, 2:].to_numpy(), [f"layer {a} head {b}" for a, b in zip(df["layer"], df["head"])],
                     list(df.columns[2:]), "head_statistics", "dl_stats_table")


# ------------------------------------------------------------------ mean and rollout
def render_agg(ctx: Ctx) -> None:
    s = st.session_state
    a, b, c = st.columns(3)
    widget("layer", a)
    widget("rollout_from", b)
    widget("rollout_to", c)
    r0, r1 = sorted((s.rollout_from, s.rollout_to))
    if s.rollout_from > s.rollout_to:
        st.info(f"Rollout runs from the lower to the higher layer: using layers {r0} to {r1}.")
    l = s.layer - 1
    mean = compute.layer_attention(ctx.enc, l).weights.mean(0).numpy()         # (n, n)
    R = compute.rollout_matrix(ctx.text, ctx.pair, r0 - 1, r1 - 1)             # (n, n)
    a, b = st.columns(2)
    with a:
        ctx.heatmap(mean, "mean_map", f"mean_over_heads_layer{l + 1}", f"mean over 12 heads, layer {l + 1}")
    with b:
        ctx.heatmap(R, "rollout_map", f"rollout_layers{r0}-{r1}", f"rollout, layers {r0}→{r1}",
                    value_name="share")
    st.latex(MEAN_LATEX)
    st.latex(ROLLOUT_LATEX)
    sums = R.sum(-1)
    st.caption(f"Rollout (Abnar & Zuidema 2020): the residual connection is modelled by adding I, rows are "
               f"renormalised (every row of Â sums to 1), and the layers are multiplied, from layer {r0} "
               f"up to layer {r1}. Row i = how much token i's representation after layer {r1} draws on "
               f"each token's input to layer {r0}. Row sums of R here: {sums.min():.6f} … {sums.max():.6f}."
               + ctx.filters_note())


# ------------------------------------------------------------------ counterfactual
def render_cf(ctx: Ctx) -> None:
    s = st.session_state
    a, b, c = st.columns(3)
    widget("scope", a, radio="vertical")
    widget("window", b, disabled=s.scope != "local")
    widget("normalization", c, radio="vertical")
    widget("layers", format_func=lambda v: f"layer {v}")
    opts = compute.variant_options(s.scope, int(s.window), s.normalization)
    if opts == compute.MODEL_OWN or not s.layers:
        st.info("Pick a variant other than the model's own (global scope, soft) and at least one layer.")
        return
    layers = tuple(sorted(v - 1 for v in s.layers))
    res = compute.counterfactual(ctx.text, ctx.pair, tuple(sorted(opts.items())), layers)
    desc = ", ".join(f"{k}={v}" for k, v in opts.items())
    st.markdown(f"**Variant** `{desc}` in layer(s) {', '.join(str(v + 1) for v in layers)}; the other layers "
                "keep the model's attention but read the changed hidden states.")
    m1, m2, m3 = st.columns(3)
    m1.metric("cosine of the sentence embeddings", f"{res['cos']:.6f}")
    m2.metric("1 − cosine", f"{1 - res['cos']:.2e}")
    m3.metric("mean JS divergence over heads (nats)", f"{float(res['js'].mean()):.4f}")
    st.latex(COS_LATEX)
    fig = page_figures.layer_head_heatmap(res["js"], value_name="JS (nats)", colorscale=ctx.colorscale, zmin=0.0,
                                zmax=float(np.log(2)), fmt=".3f", selected=(s.layer - 1, s.head - 1),
                                title="How far each head's attention moved: mean JS divergence per row")
    layer_head_click(charts.plot(fig, key="cf_js", name="counterfactual_js_per_head", select=True))
    charts.downloads(res["js"], LAYER_LABELS, HEAD_LABELS, "counterfactual_js", "dl_cf_js",
                     meta={"variant": opts, "layers": [v + 1 for v in layers]})
    st.latex(JS_LATEX)
    st.caption("Click a head to compare its maps below. 0 = unchanged, ln 2 ≈ 0.693 = no overlap.")
    _cf_maps(ctx, res, opts, layers)


def _cf_maps(ctx: Ctx, res: dict, opts: dict, layers: tuple) -> None:
    """One head before and after, and the per-token cosine of the final hidden states."""
    l, h = layer_head()
    orig = compute.layer_attention(ctx.enc, l)
    new = compute.counterfactual_layer(res, l, opts, layers)
    a, b = st.columns(2)
    with a:
        ctx.heatmap(orig.weights[h].numpy(), "cf_orig", f"original_layer{l + 1}_head{h + 1}",
                    f"original · layer {l + 1}, head {h + 1}")
    with b:
        mask = new.mask.expand_as(new.weights)[h].numpy()                      # (n, n) scope of the variant
        ctx.heatmap(new.weights[h].numpy(), "cf_new", f"counterfactual_layer{l + 1}_head{h + 1}",
                    f"counterfactual · layer {l + 1}, head {h + 1}", extra_mask=mask)
    st.caption(("This layer runs the variant: blank cells are outside its scope. " if l in layers else
                "This layer keeps the model's attention; it changed only because its input changed. ")
               + ctx.filters_note())
    charts.plot(figures.bars(res["token_cos"], ctx.labels, value_name="cosine",
                             title="Per token: cosine of final hidden states, original vs counterfactual"),
                key="cf_tok", name="counterfactual_token_cosine")
    charts.downloads(res["token_cos"][None], ["cosine"], ctx.labels, "counterfactual_token_cosine", "dl_cf_tok")


# ------------------------------------------------------------------ sentence pair
def render_pair(ctx: Ctx) -> None:
    s = st.session_state
    if not ctx.has_pair:
        st.info("Type a second segment B above (or load a pair example) to see how the model "
                "attends across “A [SEP] B”.")
        return
    M = compute.segment_mass(ctx.text, ctx.pair)                               # "AB" -> (L, H)
    n_a = int((ctx.enc["type_ids"] == 0).sum())
    st.caption(f"Segment A = [CLS] + the first text + [SEP] ({n_a} tokens, type id 0); segment B = the second "
               f"text + [SEP] ({ctx.n - n_a} tokens, type id 1).")
    for code, key in (("AB", "pair_ab"), ("BA", "pair_ba")):
        fig = page_figures.layer_head_heatmap(M[code], value_name="share", colorscale=ctx.colorscale, zmin=0.0,
                                    zmax=1.0, fmt=".2f", selected=(s.layer - 1, s.head - 1),
                                    title=f"{code[0]} → {code[1]}: share of a {code[0]} token's attention on {code[1]}")
        layer_head_click(charts.plot(fig, key=key, name=f"segment_share_{code}", select=True))
        charts.downloads(M[code], LAYER_LABELS, HEAD_LABELS, f"segment_share_{code}", f"dl_{key}")
    st.latex(SHARE_LATEX)
    st.caption("The pair-block filter in the sidebar (A → B, ...) picks which part of the matrix the chart below shows.")
    l, h = layer_head()
    r = compute.layer_attention(ctx.enc, l)
    ctx.heatmap(r.weights[h].numpy(), "pair_block", f"pair_layer{l + 1}_head{h + 1}_{ctx.block}",
                f"layer {l + 1}, head {h + 1} · {BLOCK_LABELS[ctx.block]}")
    st.dataframe(pd.DataFrame({"from → to": ["A → A", "A → B", "B → A", "B → B"],
                               "mean share": [M[c][l, h] for c in ("AA", "AB", "BA", "BB")]}),
                 hide_index=True, column_config={"mean share": st.column_config.NumberColumn(format="%.4f")})


RENDER: dict[str, Callable[[Ctx], None]] = {
    "model": render_model, "head": render_head, "neuron": render_neuron, "stats": render_stats,
    "agg": render_agg, "cf": render_cf, "pair": render_pair}
