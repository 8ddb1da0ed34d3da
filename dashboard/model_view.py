"""Glue for the model explorer page (``pages/model.py``): cached arrays, click handling,
and one ``render_*`` function per view.  No math here: it lives in
``attention.explore`` / ``attention.metrics``; no Plotly here: ``figures.model``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

import numpy as np
import pandas as pd
import streamlit as st
import torch

import figures
from attention import attend
from attention import explore as X
from attention.text import display_tokens
from attention.metrics import head_stats, rollout
from figures import model as FM

from . import cache, export, ui
from . import formulas as F
from . import params as P

L_LAYERS, N_HEADS, D_HEAD = 6, 12, 32
PENDING = "_model_pending"

VIEWS = {"model": "Model view (all heads)", "head": "Head view (lines)",
         "neuron": "Neuron view (q·k step by step)", "stats": "Head statistics",
         "agg": "Aggregation (mean, rollout)", "cf": "Counterfactual", "pair": "Sentence pair"}
STATS = {"entropy": "entropy (nats)", "mean_distance": "mean attention distance (tokens)",
         "special_share": "share on [CLS]/[SEP]", "topk_mass": "top-k mass", "max_weight": "max weight"}
BLOCK_LABELS = ("All tokens", "A → A", "A → B", "B → A", "B → B")

PAIRS = {
    "Question → answer": ("Where did the cat sit?", "The cat sat on the mat because it was warm."),
    "Paraphrase": ("The film was surprisingly good.", "I did not expect to enjoy the movie so much."),
    "Contradiction": ("The shop opens at nine.", "The shop never opens before noon."),
}

# Formulas this page states (the shared ones come from dashboard.formulas).
STAT_LATEX = {
    "entropy": r"\mathrm{entropy} = \frac{1}{n}\sum_i \Big(-\sum_j \alpha_{ij} \ln \alpha_{ij}\Big)",
    "mean_distance": r"\mathrm{distance} = \frac{1}{n}\sum_i \sum_j \alpha_{ij}\, |i - j|",
    "special_share": r"\mathrm{special} = \frac{1}{n}\sum_i \sum_{j \in \{\mathrm{[CLS]},\mathrm{[SEP]}\}} \alpha_{ij}",
    "topk_mass": r"\mathrm{top}k = \frac{1}{n}\sum_i \sum_{j \in \mathrm{top}_k(\alpha_{i\cdot})} \alpha_{ij}",
    "max_weight": r"\max = \frac{1}{n}\sum_i \max_j \alpha_{ij}",
}
ROLLOUT_LATEX = (r"\hat A_\ell = \mathrm{rownorm}\big(0.5\, \bar A_\ell + 0.5\, I\big),\quad "
                 r"\mathrm{rownorm}(M)_{ij} = \frac{M_{ij}}{\sum_{j'} M_{ij'}},\quad "
                 r"R = \hat A_{\mathrm{to}} \cdots \hat A_{\mathrm{from}}")
MEAN_LATEX = r"\bar A_\ell = \frac{1}{12}\sum_{h=1}^{12} A_{\ell h}"
COS_LATEX = (r"\cos(s, s') = \frac{s \cdot s'}{\lVert s\rVert\,\lVert s'\rVert},\quad "
             r"s = \frac{\bar x}{\lVert \bar x \rVert},\ \bar x = \frac{1}{n}\sum_i x^{(6)}_i")
JS_LATEX = (r"\mathrm{JS}(p, q) = \tfrac12 \mathrm{KL}(p\,\|\,m) + \tfrac12 \mathrm{KL}(q\,\|\,m),"
            r"\ m = \tfrac12 (p + q)")


# ------------------------------------------------------------------ share-link parameter
@dataclass(frozen=True)
class IntSet(P.Param):
    """A set of whole numbers in ``[lo, hi]``, e.g. heads ``1,3,12`` (empty = none)."""
    lo: int = 1
    hi: int = 12

    def parse(self, raw: str) -> list:
        if not raw.strip():
            return []
        try:
            vals = sorted({int(x) for x in raw.split(",")})
        except ValueError:
            raise P.Invalid(f"must be comma-separated whole numbers from {self.lo} to {self.hi}") from None
        if len(raw) > 200 or any(not self.lo <= v <= self.hi for v in vals):
            raise P.Invalid(f"must be comma-separated whole numbers from {self.lo} to {self.hi}")
        return vals

    def dump(self, value: Any) -> str:
        return ",".join(str(int(v)) for v in sorted(value))


# ------------------------------------------------------------------ page state helpers
def apply_pending() -> None:
    """Apply the state a click asked for on the previous run (before any widget exists)."""
    pend = st.session_state.pop(PENDING, None)
    for k, v in (pend or {}).items():
        st.session_state[k] = v


def keep(params: Sequence[P.Param]) -> None:
    """Keep every parameter's value across views: Streamlit forgets the value of a widget
    that is not drawn in a run; re-assigning it makes it plain session state."""
    for p in params:
        if p.key in st.session_state:
            st.session_state[p.key] = st.session_state[p.key]


def clicked(event) -> Optional[dict]:
    """The first selected point of a chart event (dict-style access), or None."""
    try:
        pts = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    return pts[0] if pts else None


def request(**changes) -> None:
    """A click asks for new state: store it and rerun so the widgets above pick it up."""
    s = st.session_state
    if all(s.get(k) == v for k, v in changes.items()):
        return
    s[PENDING] = changes
    st.rerun()


def downloads(matrix, row_labels, col_labels, name: str, key: str, meta: Optional[dict] = None) -> None:
    """CSV + JSON buttons (the formats of ``dashboard.export``), generated only when clicked."""
    m = np.asarray(matrix)
    rl, cl = [str(r) for r in row_labels], [str(c) for c in col_labels]
    c1, c2, _ = st.columns([1, 1, 2])
    c1.download_button("CSV", lambda: export.matrix_csv(m, rl, cl), file_name=f"{name}.csv",
                       mime="text/csv", key=f"{key}_csv", icon=":material/download:", on_click="ignore")
    c2.download_button("JSON", lambda: export.matrix_json(m, rl, cl, meta), file_name=f"{name}.json",
                       mime="application/json", key=f"{key}_json", icon=":material/download:",
                       on_click="ignore")


def chart(fig, key: str, name: str, select: bool = False):
    """``st.plotly_chart`` with the PNG export config; ``select`` turns on point clicks."""
    kw = dict(on_select="rerun", selection_mode="points") if select else {}
    return ui.plot(fig, key=key, name=name, **kw)


# ------------------------------------------------------------------ cached arrays
def encode(text: str, pair: str) -> dict:
    return cache.encode(text, pair or None)


def layer_attention(enc: dict, layer: int, options: Optional[dict] = None):
    """``attend`` of one layer (0-based), all 12 heads: weights ``(H, n, n)``, output
    ``(H, n, d_head)`` -- the very call ``MiniLM.forward`` makes."""
    q, k, v = (torch.from_numpy(enc[a][layer]) for a in ("queries", "keys", "values"))
    return attend(q, k, v, **(options or {}))


def _all(enc: dict) -> torch.Tensor:
    return X.all_weights(enc["queries"], enc["keys"], enc["values"])          # (L, H, n, n)


@st.cache_data(max_entries=12, show_spinner=False)
def overview(text: str, pair: str, hide: bool, topk: int, block: str, max_side: int = 64):
    """Thumbnails of every head under the display filters: uint8 percent ``(L, H, tq, tk)``
    and the pooling block sizes."""
    enc = encode(text, pair)
    rows, cols = X.segment_index(enc["type_ids"], enc["special"], block, hide)
    sub = X.submatrix(_all(enc).numpy(), rows, cols)                             # (L, H, r, c)
    if topk:
        sub = np.where(X.topk_keep(sub, topk), sub, 0.0)
    return X.thumbnails(sub, max_side)


@st.cache_data(max_entries=24, show_spinner=False)
def stats(text: str, pair: str, k: int) -> dict:
    """``attention.metrics.head_stats`` of every head: name -> ``(L, H)`` float64."""
    enc = encode(text, pair)
    out = head_stats(_all(enc), torch.from_numpy(enc["special"]), k=k)
    out = {("topk_mass" if name.startswith("top") else name): v.double().numpy() for name, v in out.items()}
    return out


@st.cache_data(max_entries=16, show_spinner=False)
def rollout_matrix(text: str, pair: str, start: int, end: int) -> np.ndarray:
    """Attention rollout over layers ``start..end`` (0-based, inclusive): ``(n, n)``."""
    return rollout(_all(encode(text, pair)), start, end).float().numpy()


@st.cache_data(max_entries=16, show_spinner=False)
def segment_mass(text: str, pair: str) -> dict:
    enc = encode(text, pair)
    return X.segment_mass(_all(enc), enc["type_ids"])


@st.cache_data(max_entries=8, show_spinner=False)
def counterfactual(text: str, pair: str, scope: str, window: Optional[int], norm: str,
                   layers: tuple) -> dict:
    """Run the model with a variant in ``layers`` (0-based).  Keeps q / k ``(L, H, n, d_head)``
    (weights are recomputed per head), the embedding comparison and per-head JS divergence."""
    opts = X.variant_options(scope, window, norm)
    m = cache.model()
    e = m.tokenize(text, pair or None)
    base = m.forward(e.ids, e.type_ids)
    cf = X.counterfactual(m, e.ids, e.type_ids, opts, layers)
    return dict(options=opts, queries=cf.queries.numpy(), keys=cf.keys.numpy(),
                cos=X.cosine(base.sentence_embedding, cf.sentence_embedding),
                js=X.js_per_head(base.weights, cf.weights),
                token_cos=X.row_cosine(base.hidden[-1], cf.hidden[-1]))


# ------------------------------------------------------------------ per-run context
@dataclass
class Ctx:
    text: str
    pair: str
    enc: dict
    by: dict               # param key -> Param
    colorscale: str

    def __post_init__(self):
        s = st.session_state
        self.tokens = [str(t) for t in self.enc["tokens"]]
        self.n = len(self.tokens)
        self.labels = display_tokens(self.tokens)
        self.has_pair = bool(self.pair)
        self.block = s.block if self.has_pair else "all"
        self.rows, self.cols = X.segment_index(self.enc["type_ids"], self.enc["special"],
                                               self.block, s.hide)
        self.topk = int(s.topk)
        self.row_labels = [self.labels[i] for i in self.rows]
        self.col_labels = [self.labels[j] for j in self.cols]

    def filters(self) -> str:
        parts = []
        if self.block != "all":
            parts.append(f"queries in {self.block[0]} → keys in {self.block[1]}")
        if st.session_state.hide:
            parts.append("[CLS]/[SEP] hidden")
        if self.topk:
            parts.append(f"top-{self.topk} per row")
        return " · ".join(parts)

    def shown(self, w: np.ndarray, extra_mask: Optional[np.ndarray] = None):
        """Apply the display filters to one ``(n, n)`` map: ``(sub, keep mask or None)``."""
        sub = X.submatrix(w, self.rows, self.cols)
        mask = None if extra_mask is None else X.submatrix(extra_mask, self.rows, self.cols).astype(bool)
        if self.topk:
            k = X.topk_keep(np.where(mask, sub, -1.0) if mask is not None else sub, self.topk)
            mask = k if mask is None else (mask & k)
        return sub, mask

    def heatmap(self, w: np.ndarray, key: str, name: str, title: str, extra_mask=None,
                value_name: str = "weight", select: bool = False, highlight_row=None, **kw):
        """A filtered (n, n) map as a heatmap + CSV/JSON of exactly what is shown."""
        sub, mask = self.shown(w, extra_mask)
        if not sub.size:
            st.info("No tokens left to show with these filters (e.g. segment B hidden).")
            return None
        fig = figures.heatmap(sub, self.col_labels, self.row_labels, title=title,
                              colorscale=self.colorscale, scope_mask=mask, value_name=value_name,
                              clickable=select, highlight_row=highlight_row,
                              zmax=float(st.session_state.zmax), **kw)
        ev = chart(fig, key, name, select)
        downloads(sub if mask is None else np.where(mask, sub, np.nan), self.row_labels,
                  self.col_labels, name, f"dl_{key}", meta={"view": title, "rows": "query",
                                                          "columns": "key", "filters": self.filters()})
        return ev

    def layer_head_widgets(self) -> tuple[int, int]:
        c1, c2 = st.columns(2)
        P.widget(self.by["layer"], c1)
        P.widget(self.by["head"], c2)
        return st.session_state.layer - 1, st.session_state.head - 1


def _zmax_note() -> str:
    z = float(st.session_state.zmax)
    return f" (weights ≥ {z:g} all get the top colour)" if z < 1 else ""


def _filters_note(ctx: Ctx) -> str:
    f = ctx.filters()
    return f" Filters: {f} (rows then no longer sum to 1 — the rest of the mass is on hidden tokens)." if f else ""


# ------------------------------------------------------------------ views
def render_model(ctx: Ctx) -> None:
    s = st.session_state
    thumbs, (bq, bk) = overview(ctx.text, ctx.pair, bool(s.hide), ctx.topk, ctx.block)
    if thumbs.shape[-1] == 0 or thumbs.shape[-2] == 0:
        st.info("No tokens left to show with these filters.")
        return
    S = stats(ctx.text, ctx.pair, 3)
    hover = np.array([[f"layer {l + 1} · head {h + 1}<br>entropy {S['entropy'][l, h]:.2f} nats · "
                       f"mean distance {S['mean_distance'][l, h]:.1f} tokens<br>"
                       f"share on [CLS]/[SEP] {S['special_share'][l, h]:.2f}"
                       for h in range(N_HEADS)] for l in range(L_LAYERS)], dtype=object)
    fig = FM.model_grid(thumbs, colorscale=ctx.colorscale, selected=(s.layer - 1, s.head - 1),
                        hover=hover, title=f"All 72 heads · {ctx.n} tokens", zmax=float(s.zmax))
    ev = chart(fig, "grid", "model_view_all_heads", select=True)
    pt = clicked(ev)
    if pt is not None:
        cell = FM.grid_cell(pt.get("x", -1), pt.get("y", -1), L_LAYERS, N_HEADS)
        if cell is not None:
            request(layer=cell[0] + 1, head=cell[1] + 1)
    pooled = (f" With more than 64 tokens a side, a tile pixel is the **largest** weight of a "
              f"{bq} × {bk} block of (query, key) cells, so thin patterns stay visible."
              if (bq, bk) != (1, 1) else "")
    st.caption("Each tile is one head's attention matrix α (queries down, keys across), "
               "α_ij = softmax_j(q_i·k_j/√32), rounded to 0.01 and coloured on one scale for every "
               f"tile{_zmax_note()}.{pooled}{_filters_note(ctx)} "
               "Click a tile to open that head below.")
    tq, tk = thumbs.shape[-2:]
    rl = [f"layer {l + 1} head {h + 1} query-block {i}" for l in range(L_LAYERS)
          for h in range(N_HEADS) for i in range(tq)]
    downloads(thumbs.reshape(-1, tk) / 100.0, rl, [f"key-block {j}" for j in range(tk)],
              "model_view_thumbnails", "dl_grid",
              meta={"blocks": [bq, bk], "value": "max weight in block, rounded to 0.01",
                    "filters": ctx.filters()})

    st.subheader("One head, large")
    l, h = ctx.layer_head_widgets()
    r = layer_attention(ctx.enc, l)
    ctx.heatmap(r.weights[h].numpy(), "head_map", f"attention_layer{l + 1}_head{h + 1}",
                f"layer {l + 1}, head {h + 1}")
    st.caption(r"Row i: how query token i spreads its attention over the keys; each full row "
               f"sums to 1. Exact float values (hover), zoom by dragging.{_filters_note(ctx)}")


def render_head(ctx: Ctx) -> None:
    s = st.session_state
    c1, c2 = st.columns(2)
    P.widget(ctx.by["layer"], c1)
    P.widget(ctx.by["thr"], c2)
    st.pills("Heads to draw (colours: see the chart legend)", list(range(1, N_HEADS + 1)), selection_mode="multi", key="heads",
             format_func=lambda h: f"{h}")
    if s.iso >= ctx.n:
        s.iso = -1
    c1, c2 = st.columns([3, 2])
    c1.selectbox("Isolate a token (or click its dot in the chart)", [-1] + list(range(ctx.n)), key="iso",
                 format_func=lambda i: "— all tokens —" if i < 0 else ctx.labels[i])
    P.widget(ctx.by["isodir"], c2, radio=True)
    l = s.layer - 1
    W = layer_attention(ctx.enc, l).weights.numpy()                          # (H, n, n)
    sub = X.submatrix(W, ctx.rows, ctx.cols)
    if ctx.topk:
        sub = np.where(X.topk_keep(sub, ctx.topk), sub, 0.0)
    iso = None
    if s.iso >= 0:
        where = ctx.rows if s.isodir == "q" else ctx.cols
        pos = np.flatnonzero(where == s.iso)
        iso = (s.isodir, int(pos[0]) if pos.size else -1)
    heads = [h - 1 for h in sorted(s.heads)]
    if not sub.size:
        st.info("No tokens left to show with these filters.")
        return
    fig = FM.head_lines(sub, ctx.row_labels, ctx.col_labels, heads=heads, threshold=s.thr, isolate=iso,
                        title=f"layer {l + 1} · {len(heads)} of 12 heads · lines for α ≥ {s.thr:g}")
    ev = chart(fig, "headview", f"head_view_layer{l + 1}", select=True)
    pt = clicked(ev)
    if pt is not None and pt.get("x") in (0, 1) and pt.get("y") is not None:
        side, pos = ("q", ctx.rows) if pt["x"] == 0 else ("k", ctx.cols)
        y = int(round(float(pt["y"])))
        if 0 <= y < len(pos):
            tok = int(pos[y])
            if (s.iso, s.isodir) == (tok, side):
                request(iso=-1)
            else:
                request(iso=tok, isodir=side)
    st.caption("A line joins query token i (left, attending) to key token j (right, attended to) "
               f"for every head weight α_ij ≥ {s.thr:g}; line opacity = α rounded up to a multiple "
               "of 1/8, colour = head (legend; click a legend entry to hide a head). Click a token's "
               f"dot to show only its lines; click it again to show all.{_filters_note(ctx)}")
    rows, names = [], []
    for h in heads:
        rows.append(np.where(sub[h] >= s.thr, sub[h], np.nan))
        names += [f"head {h + 1}: {lab}" for lab in ctx.row_labels]
    if rows:
        downloads(np.concatenate(rows), names, ctx.col_labels, f"head_view_layer{l + 1}", "dl_headview",
                  meta={"layer": l + 1, "threshold": s.thr, "filters": ctx.filters()})


def render_neuron(ctx: Ctx) -> None:
    s = st.session_state
    if s.row >= ctx.n:
        s.row = 0
    c1, c2, c3 = st.columns(3)
    P.widget(ctx.by["layer"], c1)
    P.widget(ctx.by["head"], c2)
    c3.slider("Query token i", 0, max(ctx.n - 1, 1), key="row", disabled=ctx.n < 2)
    l, h, i = s.layer - 1, s.head - 1, s.row
    r = layer_attention(ctx.enc, l)
    heat = r.weights[h].numpy()                                                # (n, n)
    q, k, v = (ctx.enc[a][l, h] for a in ("queries", "keys", "values"))
    N = X.neuron_steps(q, k, v, i)
    title = f"layer {l + 1}, head {h + 1} · query {ctx.labels[i]}"
    select = ctx.n <= 128
    fig = figures.heatmap(heat, ctx.labels, ctx.labels, title=title, colorscale=ctx.colorscale,
                          clickable=select, highlight_row=i)
    ev = chart(fig, "neuron_map", f"attention_layer{l + 1}_head{h + 1}", select=select)
    pt = clicked(ev)
    if pt is not None and pt.get("y") is not None:
        request(row=int(round(float(pt["y"]))))
    downloads(heat, ctx.labels, ctx.labels, f"attention_layer{l + 1}_head{h + 1}", "dl_neuron_map")
    diff_w = float(np.abs(N["weight"] - heat[i]).max())
    diff_o = float(np.abs(N["output"] - r.output[h, i].double().numpy()).max())
    st.caption(("Click a row to inspect that query. " if select else "")
               + "The neuron view always uses all n keys (the display filters don't apply: the "
               "softmax runs over every key).")

    st.markdown(f"**Step by step for query {ui.inline_code(ctx.tokens[i])} (#{i}), d = {D_HEAD}.** "
                f"Largest |table α − heatmap row i| = {diff_w:.1e}; largest |c_i − model's head output| "
                f"= {diff_o:.1e}.")
    st.latex(F.SCORE_LATEX["scaled_dot"] + r",\qquad " + F.NORM_LATEX["soft"].replace("/T", "")
             + r",\qquad " + F.OUTPUT_LATEX)
    j = int(np.argmax(N["weight"]))
    st.latex(rf"e_{{{i},{j}}} = \frac{{{N['dot'][j]:.4f}}}{{\sqrt{{{D_HEAD}}}}} = {N['score'][j]:.4f},\quad "
             rf"\alpha_{{{i},{j}}} = \frac{{e^{{{N['shifted'][j]:.4f}}}}}{{\sum_{{j'}} e^{{e_{{{i}j'}} - \max e}}}}"
             rf" = \frac{{{N['exp'][j]:.4f}}}{{{N['exp'].sum():.4f}}} = {N['weight'][j]:.4f}")
    st.caption(f"(the key with the largest weight, j = {j}; subtracting max e before exp changes nothing "
               "but avoids overflow — it is what softmax implementations do)")
    tab = pd.DataFrame({"key token j": ctx.labels, "q·k": N["dot"], "e = q·k / √32": N["score"],
                        "e − max e": N["shifted"], "exp(e − max e)": N["exp"], "α = exp / Σ exp": N["weight"]})
    st.dataframe(tab, hide_index=True, width="stretch", height=min(420, 36 * ctx.n + 40),
                 column_config={c: st.column_config.NumberColumn(format="%.5f") for c in tab.columns[1:]})
    downloads(tab.iloc[:, 1:].to_numpy(), ctx.labels, list(tab.columns[1:]), f"neuron_steps_q{i}", "dl_steps",
              meta={"layer": l + 1, "head": h + 1, "query": i})
    ui.plot(FM.neuron_products(N["qk"], ctx.labels,
                               title=f"q_{i} ∘ k_j: each row sums to q·k_j (column 2 above)"),
            key="neuron_qk", name=f"q_times_k_layer{l + 1}_head{h + 1}_q{i}")
    downloads(N["qk"], ctx.labels, [f"dim {d}" for d in range(D_HEAD)], f"q_times_k_q{i}", "dl_qk")
    dims = [f"{d}" for d in range(D_HEAD)]
    with st.expander(f"The vectors: q_{i}, every k_j and v_j, α_j v_j and the output c_{i} (32 numbers each)"):
        fmt = {c: st.column_config.NumberColumn(format="%.4f") for c in dims}
        st.markdown(f"**q_{i}** (query of {ui.inline_code(ctx.tokens[i])})")
        st.dataframe(pd.DataFrame(N["q"][None], columns=dims), hide_index=True, column_config=fmt)
        for name, arr, cap in (("k_j", N["k"], "keys"), ("v_j", N["v"], "values"),
                               ("α_j v_j", N["weighted_v"], "each value scaled by its weight")):
            st.markdown(f"**{name}** ({cap})")
            st.dataframe(pd.DataFrame(arr, columns=dims, index=ctx.labels), column_config=fmt, height=240)
        st.markdown(f"**c_{i} = Σ_j α_j v_j** — this head's slice of the attention output (the model "
                    f"concatenates the 12 heads' c_{i} and projects them)")
        st.dataframe(pd.DataFrame(N["output"][None], columns=dims), hide_index=True, column_config=fmt)


def render_stats(ctx: Ctx) -> None:
    s = st.session_state
    c1, c2 = st.columns(2)
    P.widget(ctx.by["stat"], c1)
    P.widget(ctx.by["sk"], c2)
    S = stats(ctx.text, ctx.pair, int(s.sk))
    name = STATS[s.stat].replace("top-k", f"top-{s.sk}")
    vals = S[s.stat]
    zmax = {"entropy": float(np.log(ctx.n)) if ctx.n > 1 else 1.0,
            "mean_distance": float(vals.max()) or 1.0}.get(s.stat, 1.0)
    fig = FM.layer_head_heatmap(vals, value_name=name, colorscale=ctx.colorscale, zmin=0.0, zmax=zmax,
                                fmt=".2f", title=f"{name} of every head (mean over the {ctx.n} query rows)",
                                selected=(s.layer - 1, s.head - 1))
    ev = chart(fig, "stat_map", f"head_{s.stat}", select=True)
    pt = clicked(ev)
    if pt is not None and pt.get("x") is not None:
        request(layer=int(pt["y"]) + 1, head=int(pt["x"]) + 1, view="model")
    downloads(vals, [f"layer {l + 1}" for l in range(L_LAYERS)], [f"head {h + 1}" for h in range(N_HEADS)],
              f"head_{s.stat}", "dl_stat_map", meta={"statistic": name})
    st.latex(STAT_LATEX[s.stat].replace("k", str(s.sk)) if s.stat == "topk_mass" else STAT_LATEX[s.stat])
    st.caption(f"Averaged over all n = {ctx.n} query rows, on the full matrix (the display filters don't "
               f"apply). Entropy is at most ln n = {np.log(max(ctx.n, 1)):.3f} (uniform). Click a cell to "
               "open that head in the model view; click a column header below to sort.")
    cols = [c for c in STATS if c in S]
    df = pd.DataFrame({"layer": np.repeat(np.arange(1, L_LAYERS + 1), N_HEADS),
                       "head": np.tile(np.arange(1, N_HEADS + 1), L_LAYERS),
                       **{STATS[c].replace("top-k", f"top-{s.sk}"): S[c].reshape(-1) for c in cols}})
    st.dataframe(df, hide_index=True, width="stretch", height=300,
                 column_config={c: st.column_config.NumberColumn(format="%.4f") for c in df.columns[2:]})
    downloads(df.iloc[:, 2:].to_numpy(), [f"layer {a} head {b}" for a, b in zip(df["layer"], df["head"])],
              list(df.columns[2:]), "head_statistics", "dl_stats_table")


def render_agg(ctx: Ctx) -> None:
    s = st.session_state
    c1, c2, c3 = st.columns(3)
    P.widget(ctx.by["layer"], c1)
    P.widget(ctx.by["r0"], c2)
    P.widget(ctx.by["r1"], c3)
    r0, r1 = sorted((s.r0, s.r1))
    if s.r0 > s.r1:
        st.info(f"Rollout runs from the lower to the higher layer: using layers {r0} to {r1}.")
    l = s.layer - 1
    mean = layer_attention(ctx.enc, l).weights.mean(0).numpy()                     # (n, n)
    R = rollout_matrix(ctx.text, ctx.pair, r0 - 1, r1 - 1)
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
               + _filters_note(ctx))


def render_cf(ctx: Ctx) -> None:
    s = st.session_state
    c1, c2, c3 = st.columns(3)
    P.widget(ctx.by["cfs"], c1, radio=True)
    P.widget(ctx.by["cfw"], c2, disabled=s.cfs != "local")
    P.widget(ctx.by["cfn"], c3, radio=True)
    st.pills("Run the variant in layers", list(range(1, L_LAYERS + 1)), selection_mode="multi", key="cfl",
             format_func=lambda v: f"layer {v}")
    window = int(s.cfw) if s.cfs == "local" else None
    opts = X.variant_options(s.cfs, window, s.cfn)
    if not opts or not s.cfl:
        st.info("Pick a variant other than the model's own (global scope, soft) and at least one layer.")
        return
    layers = tuple(sorted(v - 1 for v in s.cfl))
    res = counterfactual(ctx.text, ctx.pair, s.cfs, window, s.cfn, layers)
    desc = ", ".join(f"{k}={v}" for k, v in opts.items())
    st.markdown(f"**Variant** `{desc}` in layer(s) {', '.join(str(v + 1) for v in layers)}; the other layers "
                "keep the model's attention but read the changed hidden states.")
    m1, m2, m3 = st.columns(3)
    m1.metric("cosine of the sentence embeddings", f"{res['cos']:.6f}")
    m2.metric("1 − cosine", f"{1 - res['cos']:.2e}")
    m3.metric("mean JS divergence over heads (nats)", f"{float(res['js'].mean()):.4f}")
    st.latex(COS_LATEX)
    fig = FM.layer_head_heatmap(res["js"], value_name="JS (nats)", colorscale=ctx.colorscale, zmin=0.0,
                                zmax=float(np.log(2)), fmt=".3f", selected=(s.layer - 1, s.head - 1),
                                title="How far each head's attention moved: mean JS divergence per row")
    ev = chart(fig, "cf_js", "counterfactual_js_per_head", select=True)
    pt = clicked(ev)
    if pt is not None and pt.get("x") is not None:
        request(layer=int(pt["y"]) + 1, head=int(pt["x"]) + 1)
    downloads(res["js"], [f"layer {l + 1}" for l in range(L_LAYERS)], [f"head {h + 1}" for h in range(N_HEADS)],
              "counterfactual_js", "dl_cf_js", meta={"variant": opts, "layers": [v + 1 for v in layers]})
    st.latex(JS_LATEX)
    st.caption("Click a head to compare its maps below. 0 = unchanged, ln 2 ≈ 0.693 = no overlap.")
    l, h = ctx.layer_head_widgets()
    orig = layer_attention(ctx.enc, l)
    q, k = torch.from_numpy(res["queries"][l]), torch.from_numpy(res["keys"][l])
    new = attend(q, k, k, **(res["options"] if l in layers else {}))
    a, b = st.columns(2)
    with a:
        ctx.heatmap(orig.weights[h].numpy(), "cf_orig", f"original_layer{l + 1}_head{h + 1}",
                    f"original · layer {l + 1}, head {h + 1}")
    with b:
        mask = new.mask.expand_as(new.weights)[h].numpy()
        ctx.heatmap(new.weights[h].numpy(), "cf_new", f"counterfactual_layer{l + 1}_head{h + 1}",
                    f"counterfactual · layer {l + 1}, head {h + 1}", extra_mask=mask)
    st.caption(("This layer runs the variant: blank cells are outside its scope. " if l in layers else
                "This layer keeps the model's attention; it changed only because its input changed. ")
               + _filters_note(ctx))
    ui.plot(figures.bars(res["token_cos"], ctx.labels, value_name="cosine",
                         title="Per token: cosine of final hidden states, original vs counterfactual"),
            key="cf_tok", name="counterfactual_token_cosine")
    downloads(res["token_cos"][None], ["cosine"], ctx.labels, "counterfactual_token_cosine", "dl_cf_tok")


def render_pair(ctx: Ctx) -> None:
    s = st.session_state
    if not ctx.has_pair:
        st.info("Type a second segment B above (or load a pair example) to see how the model "
                "attends across “A [SEP] B”.")
        return
    M = segment_mass(ctx.text, ctx.pair)
    n_a = int((ctx.enc["type_ids"] == 0).sum())
    st.caption(f"Segment A = [CLS] + the first text + [SEP] ({n_a} tokens, type id 0); segment B = the second "
               f"text + [SEP] ({ctx.n - n_a} tokens, type id 1).")
    for code, key in (("AB", "pair_ab"), ("BA", "pair_ba")):
        if True:
            fig = FM.layer_head_heatmap(M[code], value_name="share", colorscale=ctx.colorscale, zmin=0.0,
                                        zmax=1.0, fmt=".2f", selected=(s.layer - 1, s.head - 1),
                                        title=f"{code[0]} → {code[1]}: share of a {code[0]} token's attention on {code[1]}")
            ev = chart(fig, key, f"segment_share_{code}", select=True)
            pt = clicked(ev)
            if pt is not None and pt.get("x") is not None:
                request(layer=int(pt["y"]) + 1, head=int(pt["x"]) + 1)
            downloads(M[code], [f"layer {l + 1}" for l in range(L_LAYERS)],
                      [f"head {h + 1}" for h in range(N_HEADS)], f"segment_share_{code}", f"dl_{key}")
    st.latex(r"\mathrm{share}_{A\to B} = \frac{1}{|A|}\sum_{i \in A}\ \sum_{j \in B} \alpha_{ij}"
             r"\qquad(\mathrm{share}_{A\to A} + \mathrm{share}_{A\to B} = 1)")
    st.caption("The pair-block filter in the sidebar (A → B, ...) picks which part of the matrix the chart below shows.")
    l, h = ctx.layer_head_widgets()
    r = layer_attention(ctx.enc, l)
    ctx.heatmap(r.weights[h].numpy(), "pair_block", f"pair_layer{l + 1}_head{h + 1}_{ctx.block}",
                f"layer {l + 1}, head {h + 1} · {dict(zip(X.BLOCKS, BLOCK_LABELS))[ctx.block]}")
    st.dataframe(pd.DataFrame({"from → to": ["A → A", "A → B", "B → A", "B → B"],
                               "mean share": [M[c][l, h] for c in ("AA", "AB", "BA", "BB")]}),
                 hide_index=True, column_config={"mean share": st.column_config.NumberColumn(format="%.4f")})


RENDER: dict[str, Callable[[Ctx], None]] = {
    "model": render_model, "head": render_head, "neuron": render_neuron, "stats": render_stats,
    "agg": render_agg, "cf": render_cf, "pair": render_pair}
