"""Compare page layout: the input on top, then the variant cards two a row (each card: its type and
scope, w and T one click away, its heatmap), then A − B and the metrics in lazy tabs.

Every widget is drawn on every run (also while the sentence is empty), with stable keys and
stable option values whose labels never depend on other widgets: Streamlit 1.67 identifies a
select box's value by its *label*, so a label built from a variant's description turned the
A / B choice into a stale string when that description changed (issue 15)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from attention.tutorial import WeightMetrics
from attention.masks import windowed as is_windowed
from ui import charts, page, params as P
from ui.vocab import NORMALIZATION_LATEX, SCOPE_LATEX, SCORE_LATEX

from . import figures as page_figures
from .compute import Input, Variant
from .state import BY

METRIC_LATEX = {
    "mean": r"\text{shown} = \frac{1}{n} \sum_{i=1}^{n} (\text{value of query row } i)",
    "entropy": r"H_i = -\sum_j a_{ij} \ln a_{ij} \quad (0 \ln 0 = 0)",
    "sparsity": r"s_i = \tfrac{1}{n}\,\#\{\, j : a_{ij} \ge 0.01 \,\}",
    "kl": r"\mathrm{KL}(p_i \,\|\, r_i) = \sum_j p_{ij} \ln \frac{p_{ij}}{r_{ij}}",
    "js": r"\mathrm{JS}(p_i, r_i) = \tfrac12 \mathrm{KL}(p_i \,\|\, m_i) + \tfrac12 \mathrm{KL}(r_i \,\|\, m_i),"
          r"\ \ m_i = \tfrac12 (p_i + r_i)",
}
METRIC_COLUMNS = ["entropy H (nats)", "share ≥ 0.01", "KL(V ‖ V1)", "JS(V, V1)"]


def input_row() -> None:
    """The sentence, with the input, the number of variants and "More settings" (layer, head,
    seed) beside it."""
    s = st.session_state
    c1, c2, c3, c4 = st.columns([3, 1.25, 1.1, 1.35], vertical_alignment="bottom")
    P.widget(BY["text"], c1, height=68, disabled=s.input != "sentence")
    P.widget(BY["input"], c2)
    P.widget(BY["variants"], c3)
    with c4.popover("More settings", icon=":material/tune:", width="stretch"):
        a, b = st.columns(2)
        P.widget(BY["layer"], a, disabled=s.input != "sentence")
        P.widget(BY["head"], b, disabled=s.input != "sentence")
        st.caption("Layer and head: where the sentence's queries and keys come from.")
        P.widget(BY["seed"])
        st.caption("The seed draws hard (sampled) attention's picks and local-p's random W_p, v_p.")


def input_caption(inp: Input, text: str) -> None:
    """Which text (if any) the results come from, and how its queries and keys are compared."""
    if inp.score == "scaled_dot":
        page.showing(text, "sentence")
    st.caption(f"{len(inp.labels)} tokens · queries and keys: {inp.where} · score: "
               + ("q·k/√32 (the model's own)" if inp.score == "scaled_dot" else "xᵢ·xⱼ (dot)")
               + " · the same colour scale in every card: weight 0 (dark) to 1 (bright); "
                 "hover a cell for its value.")


def variant_cards(count: int) -> list:
    """A card per variant, two a row: type and scope, w and T in a popover; returns the empty
    container under each card's controls, where its heatmap goes."""
    s = st.session_state
    boxes = []
    for first in range(1, count + 1, 2):
        for i, col in zip(range(first, min(first + 2, count + 1)), st.columns(2)):
            with col, st.container(border=True):
                a, b, c = st.columns([1, 1, 0.62], vertical_alignment="bottom")
                P.widget(BY[f"normalization{i}"], a)
                P.widget(BY[f"scope{i}"], b)
                with c.popover("w · T", width="stretch",
                               help=f"V{i}'s window w (local, local-p) and temperature T"):
                    P.widget(BY[f"window{i}"], disabled=not is_windowed(s[f"scope{i}"]))
                    P.widget(BY[f"temperature{i}"], disabled=s[f"normalization{i}"] == "hard")
                boxes.append(st.container())
    return boxes


#: The lazy tabs under the cards: only the open tab's content runs and is sent to the browser
#: (the metrics' data grid and formulas load only when it is opened).
TAB_KEY = "_compare_tab"
DIFFERENCE, METRICS = TABS = ("Difference A − B", "Metrics")


def result_tabs() -> dict:
    """The tabs under the variant cards (lazy); returns label -> tab (``tab.open``: showing)."""
    return dict(zip(TABS, st.tabs(list(TABS), key=TAB_KEY, on_change="rerun")))


def fit_pair(a: int, b: int, count: int) -> tuple[int, int]:
    """A and B inside ``1..count``.  A pick that no longer exists (the count shrank) moves to the
    nearest variant that is not the other pick, so A and B never become the same variant
    that way (issue 26 #3: 3 -> 2 variants with A = V3, B = V1 used to make A = V1).  Picks
    the user made equal stay equal while that variant exists (the page says so)."""
    a2, b2 = min(max(a, 1), count), min(max(b, 1), count)
    if a2 == b2 and (a2, b2) != (a, b):
        other = next(i for i in range(count, 0, -1) if i != a2)
        if a2 != a:
            a2 = other
        else:
            b2 = other
    return a2, b2


def keep_pair(count: int) -> None:
    """Fit A and B to ``count`` variants (every run, whichever tab is open, so the URL never
    names a variant the page does not show)."""
    s = st.session_state
    a, b = fit_pair(int(s.a), int(s.b), count)
    if (a, b) != (s.a, s.b):
        s.a, s.b = a, b


def pair_pickers(count: int) -> None:
    """A and B: options are the variant numbers, labelled "V1" … (labels that never change);
    they keep their values while the Metrics tab hides them."""
    opts = list(range(1, count + 1))
    a, b, _ = st.columns([1, 1, 2])
    a.selectbox(BY["a"].label, opts, key="a", format_func=lambda i: f"V{i}", persist_state="page")
    b.selectbox(BY["b"].label, opts, key="b", format_func=lambda i: f"V{i}", persist_state="page")


def caption(v: Variant, r, seed: int) -> str:
    """What to know to check a variant's heatmap by hand."""
    parts = []
    if v.scope == "local_p":
        p = ", ".join(f"{x:.2f}" for x in r.positions.tolist()[:12])
        more = ", …" if r.positions.numel() > 12 else ""
        parts.append(f"Centres p_i = [{p}{more}] (seeded random W_p, v_p, seed {seed}); weights × "
                     f"Gaussian (σ = w/2 = {v.window / 2:g}), so rows sum to at most 1.")
    elif v.normalization in ("hard", "hard_sampled"):
        parts.append("One 1 per row" + (f" (drawn with seed {seed})." if v.normalization == "hard_sampled"
                                        else " (the arg-max; first on ties)."))
    else:
        parts.append("Each row sums to 1.")
    n = r.weights.shape[-1]
    if v.scope == "local" and v.window >= n - 1:
        parts.append(f"w = {v.window} ≥ n − 1 = {n - 1}: every key is inside the window, so this "
                     "is the same as global.")
    elif v.scope in ("local", "causal", "local_p"):
        parts.append("Blank = outside the scope.")
    empty = int(r.weights[0].sum(-1).eq(0).sum())
    if empty:
        parts.append(f"{empty} row(s) have an empty scope and attend to nothing (all 0).")
    return " ".join(parts)


def heatmap(box, i: int, v: Variant, r, inp: Input, seed: int, colorscale: str) -> None:
    """Variant ``i``'s weights in its card, with the caption and downloads."""
    w = r.weights[0].double().numpy()                                          # (n, n)
    with box:
        charts.plot(page_figures.variant_heatmap(w, inp.labels, title=f"V{i}: {v.describe()}",
                                       colorscale=colorscale, scope_mask=r.mask.numpy()),
                    key=f"heat{i}", name=f"compare_V{i}_{v.describe()}")
        st.caption(caption(v, r, seed))
        charts.downloads(w, inp.labels, inp.labels, f"compare_V{i}_weights", f"dl{i}",
                         meta={"variant": v.describe(), "input": inp.where,
                               "rows": "query", "columns": "key"})


def formulas(score: str, variants: list[Variant]) -> None:
    """The score, scopes and normalizations of the variants shown (drawn only while open)."""
    with page.lazy_section("Formulas for these variants", "_formulas_open") as is_open:
        if not is_open:
            return
        st.latex(SCORE_LATEX[score])
        for scope in dict.fromkeys(v.scope for v in variants):
            st.latex(SCOPE_LATEX[scope])
        for norm in dict.fromkeys(v.normalization for v in variants):
            st.latex(NORMALIZATION_LATEX[norm])


def difference(variants: list[Variant], results: list, labels: list) -> None:
    """The A − B heatmap with the largest difference spelled out, and its downloads."""
    s = st.session_state
    va, vb = variants[s.a - 1], variants[s.b - 1]
    st.caption(f"A = V{s.a}: {va.describe()} · B = V{s.b}: {vb.describe()}")
    A, B = (results[i - 1].weights[0].double().numpy() for i in (s.a, s.b))
    diff = A - B                                                               # (n, n)
    if s.a == s.b:
        st.info("A and B are the same variant: pick two different ones.")
    charts.plot(page_figures.difference_heatmap(diff, labels, title=f"V{s.a} − V{s.b}"), key="diff",
                name=f"compare_difference_V{s.a}_minus_V{s.b}")
    big = float(np.abs(diff).max())
    if big > 0:
        i, j = np.unravel_index(np.abs(diff).argmax(), diff.shape)
        st.caption(f"Cell (i, j) = αᵢⱼ(V{s.a}) − αᵢⱼ(V{s.b}). Blue: V{s.a} gives more weight, red: "
                   f"V{s.b} does; white = equal. Colour range ±{big:.4f} (the largest |difference|, at "
                   f"query {labels[i]} → key {labels[j]}: {A[i, j]:.4f} − {B[i, j]:.4f}).")
    else:
        st.caption("The two variants give identical weights (every difference is 0).")
    charts.downloads(diff, labels, labels, f"compare_difference_V{s.a}_minus_V{s.b}", "dl_diff",
                     meta={"A": va.describe(), "B": vb.describe()})


def metrics(variants: list[Variant], ms: list[WeightMetrics], n: int) -> None:
    """The metrics table (mean over query rows), its downloads, formulas and the ∞ explained."""
    table = np.array([[m.entropy, m.sparsity, m.kl, m.js] for m in ms])         # (variants, 4)
    rows = [f"V{i}: {v.describe()}" for i, v in enumerate(variants, 1)]
    st.dataframe(pd.DataFrame(table, index=rows, columns=METRIC_COLUMNS).style.format(
        lambda x: "∞" if np.isinf(x) else "—" if np.isnan(x) else f"{x:.4f}"), key="metrics",
        width="stretch")
    charts.downloads(table, rows, METRIC_COLUMNS, "compare_metrics", "dl_metrics",
                     meta={"averaged_over": "query rows", "reference": rows[0], "null": "infinite KL"})
    st.markdown(f"Every number is the **mean over the {n} query rows** of the value for each row i. "
                "For KL and JS, p_i is row i of the variant and r_i is row i of V1 (the reference).")
    short = [f"V{i}: {m.rows_used}" for i, m in enumerate(ms, 1) if m.rows_used < n]
    if short:
        st.caption("Rows that attend to nothing (an empty scope) in a variant or in V1 are left out "
                   "of that variant's means; rows used: " + ", ".join(short) + ".")
    for tex in METRIC_LATEX.values():
        st.latex(tex)
    if any(v.scope == "local_p" for v in variants):
        st.caption("Local-p rows sum to at most 1 (the Gaussian factor), so for these metrics each "
                   "local-p row is first divided by its sum; the heatmaps and downloads show the "
                   "weights as computed.")
    for i, m in enumerate(ms, 1):
        if np.isinf(m.kl):
            st.info(f"**KL(V{i} ‖ V1) = ∞**: in {m.kl_inf_rows} of {m.rows_used} rows V{i} puts weight "
                    f"on a key where V1 has exactly 0 (outside V1's scope, or not the one key hard "
                    f"attention picked), and p·ln(p/0) = ∞; one infinite row makes the mean infinite. "
                    f"JS compares both with their average m = (p + r)/2, which is above 0 wherever "
                    f"either has weight, so JS stays finite: at most ln 2 ≈ 0.6931.",
                    icon=":material/all_inclusive:")

