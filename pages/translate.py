"""Translate page: target x source alignment by cross-attention (Bahdanau 2015, Luong 2015)."""
import numpy as np
import pandas as pd
import streamlit as st

from attention.applications import align, row_breakdown
from attention.text import display_tokens
from dashboard import cache, export, params as P, ui
from dashboard import applications as A
from figures.alignment import alignment_heatmap

PARAMS = [
    P.Text("tr_src", "Source sentence (keys)", A.DEFAULT_PAIR[0], max_chars=1000),
    P.Text("tr_tgt", "Target sentence (queries)", A.DEFAULT_PAIR[1], max_chars=1000),
    P.Choice("tr_rep", "Vectors", "hidden", options=("hidden", "qk"),
             labels=("Hidden states h (cosine works best)", "The model's learned W_Q, W_K (one head)")),
    P.Int("tr_hl", "Hidden layer ℓ (0 = embeddings)", 3, lo=0, hi=6),
    P.Int("tr_ql", "Layer ℓ", 3, lo=1, hi=6), P.Int("tr_head", "Head", 10, lo=1, hi=12),
    P.Choice("tr_score", "Score", "cosine", options=tuple(A.ALIGN_SCORE_LABELS),
             labels=tuple(A.ALIGN_SCORE_LABELS.values())),
    P.Choice("tr_wa", "W_a", "identity", options=("identity", "random"),
             labels=("Identity", "Random (seeded)")),
    P.Choice("tr_type", "Alignment", "soft", options=("soft", "hard"), labels=("Soft", "Hard (arg-max)")),
    P.Float("tr_temp", "Temperature T", 0.1, lo=0.01, hi=5.0, step=0.01,
            help="Cosine scores lie in [−1, 1], so a small T (0.1) gives a peaked alignment. "
                 "The model's own attention is the scaled dot product at T = 1."),
    P.Choice("tr_scope", "Scope", "global", options=tuple(A.ALIGN_SCOPE_LATEX),
             labels=("Global", "Local-m (p_t = t)", "Local-m, length-scaled p_t", "Local-p (predicted p_t)")),
    P.Int("tr_window", "Window D", 2, lo=0, hi=20),
    P.Int("tr_seed", "Seed (W_p, v_p, W_a)", 0, lo=0, hi=9999),
    P.Flag("tr_hide", "Hide [CLS] / [SEP]", True), P.Int("tr_row", "Inspect target token #", 0, lo=0, hi=127),
]
by = {p.key: p for p in PARAMS}

prefs = ui.page_setup("translate")
st.title("Translate: alignment by cross-attention")
st.info("all-MiniLM-L6-v2 is an **English-only** sentence encoder, not a translation model. This page "
        "shows the *alignment* between two English paraphrases: each target token (a query) attends over "
        "the source's tokens (keys), as in the alignment figures of Bahdanau et al. (2015) and Luong et "
        "al. (2015). Each sentence is encoded on its own.", icon=":material/translate:")
ui.notices(P.load("translate", PARAMS))
s = st.session_state


def _load_example():
    s["tr_src"], s["tr_tgt"] = A.PAIRS[s["pair_example"]]


st.selectbox("Load an example pair", list(A.PAIRS), key="pair_example", index=None,
             placeholder="Choose…", on_change=_load_example)
c1, c2 = st.columns(2)
P.widget(by["tr_src"], c1, height=80); P.widget(by["tr_tgt"], c2, height=80)
a, b, c, d = st.columns([3, 1, 1, 2])
P.widget(by["tr_rep"], a, radio=True)
if s.tr_rep == "hidden":
    P.widget(by["tr_hl"], b)
else:
    P.widget(by["tr_ql"], b); P.widget(by["tr_head"], c)
P.widget(by["tr_score"], d)
if s.tr_score == "general":
    P.widget(by["tr_wa"], d)
a, b, c, d = st.columns([3, 1, 2, 1])
P.widget(by["tr_scope"], a, radio=True)
P.widget(by["tr_window"], b, disabled=s.tr_scope == "global")
P.widget(by["tr_temp"], c, disabled=s.tr_type == "hard")
P.widget(by["tr_type"], d, radio=True)
a, b, _ = st.columns([2, 2, 3])
seeded = s.tr_scope == "local_p" or (s.tr_score == "general" and s.tr_wa == "random")
P.widget(by["tr_seed"], a, disabled=not seeded)
P.widget(by["tr_hide"], b)

src, tgt = ui.user_text(s.tr_src, 1000), ui.user_text(s.tr_tgt, 1000)
if not src.strip() or not tgt.strip():
    st.info("Type a source and a target sentence (or load an example pair) to see their alignment.")
    ui.share_link(P.publish(PARAMS), "translate")
    st.stop()

al = None
with ui.guard("run the model on both sentences"):
    enc_s, enc_t = cache.encode(src, None, A.MAX_PAIR_TOKENS), cache.encode(tgt, None, A.MAX_PAIR_TOKENS)
    for name, e in (("source", enc_s), ("target", enc_t)):
        if e["n_total"] > len(e["tokens"]):
            st.warning(f"The {name} has {e['n_total']} word pieces; this page keeps the first "
                       f"{A.MAX_PAIR_TOKENS} (with [CLS] and [SEP]).")
    layer = s.tr_hl if s.tr_rep == "hidden" else s.tr_ql
    q, k, t_tok, s_tok = A.pair_vectors(enc_t, enc_s, s.tr_rep, layer, s.tr_head, s.tr_hide)
    if len(t_tok) == 0 or len(s_tok) == 0:
        st.info("Nothing left to align once [CLS] / [SEP] are hidden: type some words.")
    else:
        al = align(q, k, score=s.tr_score, scope=s.tr_scope, window=s.tr_window,
                   normalization=s.tr_type, temperature=s.tr_temp, seed=s.tr_seed, W_a=s.tr_wa)
if al is None:
    ui.share_link(P.publish(PARAMS), "translate")
    st.stop()

s.tr_row = min(s.tr_row, len(t_tok) - 1)
xl, yl = display_tokens(s_tok), display_tokens(t_tok)
where = f"hidden layer {layer}" if s.tr_rep == "hidden" else f"layer {layer}, head {s.tr_head} (W_Q, W_K)"
title = (f"{where} · {s.tr_score}, {s.tr_type}" + ("" if s.tr_type == "hard" else f", T={s.tr_temp:g}")
         + f" · {by['tr_scope'].label_of(s.tr_scope)}"
         + ("" if s.tr_scope == "global" else f", D={s.tr_window}"))
pos = None if al.positions is None else al.positions.numpy()

with ui.guard("draw the alignment"):
    ev = ui.plot(alignment_heatmap(al.weights.numpy(), xl, yl, positions=pos, window=al.window,
                                   scope_mask=al.mask.numpy(), title=title, highlight_row=s.tr_row,
                                   colorscale=prefs.colorscale),
                 key="alignment", name=f"alignment_{s.tr_rep}_{s.tr_score}_{s.tr_scope}",
                 on_select="rerun", selection_mode="points")
    pts = (ev or {}).get("selection", {}).get("points", []) if ev else []
    if pts and 0 <= round(pts[0].get("y", -1)) < len(t_tok) and round(pts[0]["y"]) != s.tr_row:
        s.tr_row = int(round(pts[0]["y"]))
        st.rerun()
    export.download_buttons(al.weights.numpy(), yl, xl, "alignment_weights", "dl_alignment",
                            meta={"view": title, "rows": "target token (query)",
                                  "columns": "source token (key)",
                                  "p_t": None if pos is None else [float(x) for x in pos]})
    st.caption("Row t: how target token t spreads its attention over the source. "
               + ("Local-p multiplies by a Gaussian, so rows sum to less than 1. " if s.tr_scope == "local_p"
                  else "Each row sums to 1 (0 if its window holds no source token). ")
               + ("A diamond marks each row's window centre p_t and its orange bar the window "
                  "[p_t − D, p_t + D]; blank cells are outside it. " if s.tr_scope != "global" else "")
               + "Click a cell to inspect its row below.")
    if s.tr_scope == "local_p":
        st.caption("W_p (d × d) and v_p (d) are random (seeded), **not trained**: Luong et al. learn them "
                   "with the translation model, so p_t here shows the mechanism, not a good prediction.")

with ui.guard("show the formulas"), st.expander("Formulas for this view", expanded=False):
    st.latex(A.REP_LATEX[s.tr_rep]); st.latex(A.ALIGN_SCORE_LATEX[s.tr_score])
    st.latex(A.ALIGN_SCOPE_LATEX[s.tr_scope]); st.latex(A.ALIGN_NORM_LATEX[s.tr_type])
    if s.tr_scope == "local_p":
        st.latex(A.GAUSS_LATEX)
    st.caption(f"n_t = {len(t_tok)} target and n_s = {len(s_tok)} source tokens, counted after hiding "
               f"[CLS]/[SEP] if chosen; T = {s.tr_temp:g}; D = {s.tr_window}. h̄ is the source's hidden "
               "state (the same model, run on the source alone). Luong's local-m uses p_t = t; the "
               "length-scaled variant (ours) makes the window follow the corner-to-corner diagonal when "
               "the lengths differ. Positions count from 0.")

with ui.guard("show the numbers"):
    st.slider("Inspect target token #", 0, max(len(t_tok) - 1, 1), key="tr_row", disabled=len(t_tok) < 2)
    tab = {"source token": xl, **row_breakdown(al, s.tr_row)}
    extra = "" if pos is None else f", p_t = {pos[s.tr_row]:.4f}"
    st.text(f"Target token {yl[s.tr_row]}{extra}: sum of weights = {np.sum(tab['weight α']):.4f}")
    st.dataframe(pd.DataFrame(tab), hide_index=True, width="stretch", height=260,
                 column_config={c: st.column_config.NumberColumn(format="%.4f") for c in tab
                                if c not in ("source token", "in window")})

ui.share_link(P.publish(PARAMS), "translate")
