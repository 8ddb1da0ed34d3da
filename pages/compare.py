"""Compare page: one input, 2-4 attention variants side by side, their difference and metrics."""
import numpy as np
import pandas as pd
import streamlit as st

from attention import tutorial as T
from attention.text import display_tokens
from dashboard import cache, compute, export, formulas as F, lessons as L, params as P, presets, ui
from figures import lessons as FL

MAX_TOKENS = 128
PARAMS = [
    P.Choice("src", "Input", "sentence", options=("sentence", "tiny"),
             labels=("A sentence, through all-MiniLM-L6-v2", "The tiny example X = [[1,0],[0,1],[1,1]]")),
    P.Text("text", "Sentence", presets.DEFAULT_SENTENCE, max_chars=2000),
    P.Int("layer", "Layer", 1, lo=1, hi=6), P.Int("head", "Head", 1, lo=1, hi=12),
    P.Int("seed", "Seed (sampled, local-p)", 0, lo=0, hi=9999),
    P.Int("nv", "Variants", 4, lo=2, hi=4),
    *[p for i, v in enumerate(L.DEFAULT_VARIANTS, 1) for p in L.variant_params(i, v)],
    P.Int("a", "A", 1, lo=1, hi=4), P.Int("b", "B", 2, lo=1, hi=4),
]
by = {p.key: p for p in PARAMS}
s = st.session_state

prefs = ui.page_setup("compare")
st.title("Compare attention variants")
st.caption("One input, several attention mechanisms side by side: where do they differ, and by how much?")
ui.notices(P.load("compare", PARAMS))

with ui.guard("prepare the input"):
    P.widget(by["src"], radio=True)
    if s.src == "sentence":
        a, b, c = st.columns([4, 1, 1])
        P.widget(by["text"], a, height=68)
        P.widget(by["layer"], b); P.widget(by["head"], c)
        text = ui.user_text(s.text)
        if not text.strip():
            st.info("Type a sentence to compare its attention.")
            st.stop()
        enc = cache.encode(text, None, MAX_TOKENS)
        ui.warn_dropped(enc, MAX_TOKENS, reader="This page")
        q, k, v = compute.qkv(enc, "model", s.layer, s.head)
        names = display_tokens(enc["tokens"])
        score, where = "scaled_dot", f"layer {s.layer}, head {s.head}"
    else:
        q = k = v = T.TINY_X
        names, score, where = L.labels("x", 3), "dot", "tiny example"
    n = len(names)
    st.caption(f"{n} tokens · queries and keys: {where} · score: "
               + ("q·k/√32 (the model's own)" if score == "scaled_dot" else "x_i·x_j (dot)"))

st.header("Variants")
with ui.guard("compute the variants"):
    a, b = st.columns([1, 3])
    P.widget(by["nv"], a); P.widget(by["seed"], b)
    variants, results = [], []
    for i, col in enumerate(st.columns(s.nv), 1):
        with col, st.container(border=True):
            st.markdown(f"**V{i}**")
            P.widget(by[f"type{i}"]); P.widget(by[f"scope{i}"])
            P.widget(by[f"w{i}"], disabled=s[f"scope{i}"] not in ("local", "local_p"))
            P.widget(by[f"T{i}"], disabled=s[f"type{i}"] == "hard")
        variants.append(L.variant_from_state(i))
        results.append(T.run_variant(q, k, v, variants[-1], score=score, seed=s.seed))
    grid = [c for _ in range(0, s.nv, 2) for c in st.columns(2)]          # two heatmaps a row
    for i, (var, r, col) in enumerate(zip(variants, results, grid), 1):
        w = r.weights[0].double().numpy()                                  # (n, n)
        with col:
            ui.plot(FL.matrix_heatmap(w, names, names, title=f"V{i}: {var.describe()}",
                                      colorscale=prefs.colorscale, scope_mask=r.mask.numpy()),
                    key=f"heat{i}", name=f"compare_V{i}_{var.describe()}")
            st.caption(L.variant_caption(var, r, s.seed))
            export.download_buttons(w, names, names, f"compare_V{i}_weights", f"dl{i}",
                                    meta={"variant": var.describe(), "input": where,
                                          "rows": "query", "columns": "key"})
    with st.expander("Formulas for these variants"):
        st.latex(F.SCORE_LATEX[score])
        for code in dict.fromkeys(v.scope for v in variants):
            st.latex(F.SCOPE_LATEX[code])
        for code in dict.fromkeys(T.KIND_TO_NORMALIZATION[v.kind] for v in variants):
            st.latex(F.NORM_LATEX[code])

st.header("Difference A − B")
with ui.guard("show the difference"):
    for key in ("a", "b"):
        if s[key] > s.nv:
            s[key] = 1 if key == "a" else 2
    opts = list(range(1, s.nv + 1))
    a, b, _ = st.columns([1, 1, 2])
    fmt = lambda i: f"V{i}: {variants[i - 1].describe()}"  # noqa: E731
    a.selectbox("A", opts, key="a", format_func=fmt); b.selectbox("B", opts, key="b", format_func=fmt)
    A, B = (results[i - 1].weights[0].double().numpy() for i in (s.a, s.b))
    diff = A - B                                                                   # (n, n)
    if s.a == s.b:
        st.info("A and B are the same variant: pick two different ones.")
    big = float(np.abs(diff).max())
    ui.plot(FL.difference_heatmap(diff, names, title=f"V{s.a} − V{s.b}"), key="diff",
            name=f"compare_difference_V{s.a}_minus_V{s.b}")
    if big > 0:
        i, j = np.unravel_index(np.abs(diff).argmax(), diff.shape)
        st.caption(f"Cell (i, j) = α_ij(V{s.a}) − α_ij(V{s.b}). Blue: V{s.a} gives more weight, red: "
                   f"V{s.b} does; white = equal. Colour range ±{big:.4f} (the largest |difference|, at "
                   f"query {names[i]} → key {names[j]}: {A[i, j]:.4f} − {B[i, j]:.4f}).")
    else:
        st.caption("The two variants give identical weights (every difference is 0).")
    export.download_buttons(diff, names, names, f"compare_difference_V{s.a}_minus_V{s.b}", "dl_diff",
                            meta={"A": variants[s.a - 1].describe(), "B": variants[s.b - 1].describe()})

st.header("Metrics")
with ui.guard("compute the metrics"):
    ms = T.compare_metrics([r.weights[0].double().numpy() for r in results])
    cols = ["entropy H (nats)", "share ≥ 0.01", "KL(V ‖ V1)", "JS(V, V1)"]
    table = np.array([[m.entropy, m.sparsity, m.kl, m.js] for m in ms])            # (nv, 4)
    rows = [f"V{i}: {var.describe()}" for i, var in enumerate(variants, 1)]
    st.dataframe(pd.DataFrame(table, index=rows, columns=cols).style.format(
        lambda x: "∞" if np.isinf(x) else "—" if np.isnan(x) else f"{x:.4f}"), key="metrics",
        width="stretch")
    export.download_buttons(table, rows, cols, "compare_metrics", "dl_metrics",
                            meta={"averaged_over": "query rows", "reference": rows[0],
                                  "null": "infinite KL"})
    st.markdown(f"Every number is the **mean over the {n} query rows** of the value for each row i. "
                "For KL and JS, p_i is row i of the variant and r_i is row i of V1 (the reference).")
    short = [f"V{i}: {m.rows_used}" for i, m in enumerate(ms, 1) if m.rows_used < n]
    if short:
        st.caption("Rows that attend to nothing (an empty scope) in a variant or in V1 are left out "
                   "of that variant's means; rows used: " + ", ".join(short) + ".")
    for m_key in ("mean", "entropy", "sparsity", "kl", "js"):
        st.latex(L.METRIC_LATEX[m_key])
    if any(v.scope == "local_p" for v in variants):
        st.caption("Local-p rows sum to less than 1 (the Gaussian factor), so for these metrics each "
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

ui.share_link(P.publish(PARAMS), "compare")
