"""Learn page: the attention formulas, step by step, on matrices small enough to check by hand."""
import numpy as np
import streamlit as st

from attention import tutorial as T
from dashboard import lessons as L, params as P, ui
from figures import lessons as FL

PARAMS = [
    L.MatrixParam("X", "X", "1,0;0,1;1,1", min_rows=2),
    L.MatrixParam("Wa", "W_a", "1,0;0,1"),
    P.Choice("score", "Score", "general", options=T.LESSON_SCORES,
             labels=("Dot  x_i·x_j", "General  x_i W_a x_jᵀ", "Additive  1ᵀtanh(W_a x_i + W_a x_j)")),
    P.Choice("scope", "Scope", "global", options=("global", "local", "causal"),
             labels=("Global", "Local (window w)", "Causal")),
    P.Int("w", "Window w", 1, lo=0, hi=5),
    P.Choice("type", "Type", "soft", options=("soft", "hard"), labels=("Soft (softmax)", "Hard (arg-max)")),
    P.Float("T", "Temperature T", 1.0, lo=0.1, hi=5.0, step=0.1),
    P.Int("row", "Check row", 1, lo=1, hi=T.MAX_TOKENS),
]
by = {p.key: p for p in PARAMS}
s = st.session_state

prefs = ui.page_setup("learn")
st.title("Learn: attention step by step")
st.caption("Scores → weights → output, on matrices small enough to check every number by hand.")
notes = P.load("learn", PARAMS)
X0, Wa0 = by["X"].matrix(s.X), by["Wa"].matrix(s.Wa)
if Wa0.shape != (X0.shape[1],) * 2:
    d = X0.shape[1]
    notes.append(f"Link parameter `Wa` is {Wa0.shape[0]}×{Wa0.shape[1]}, but X has {d} columns, so "
                 f"W_a must be {d}×{d}; using the {d}×{d} identity.")
    s.Wa = T.format_matrix(np.eye(d))
if s.row > X0.shape[0]:
    notes.append(f"Link parameter `row` = {s.row} is past the last token (x{X0.shape[0]}); using x1.")
    s.row = 1
ui.notices(notes)
TOK3 = L.labels("x", 3)

st.header("1 · The formulas")
with ui.guard("show the formulas"):
    st.markdown("One query q looks at n inputs x₁ … xₙ: **score** each input, turn the scores into "
                "**weights** with a softmax, and output the **weighted sum**.")
    a, b = st.columns(2)
    with a:
        st.latex(L.ONE_QUERY_LATEX["score"])
    with b:
        st.latex(L.ONE_QUERY_LATEX["softmax"])
        st.latex(L.ONE_QUERY_LATEX["output"])
    st.markdown("**Self-attention** makes every token the query in turn (q = xᵢ), so scores, "
                "weights and outputs become matrices: E and A are n×n, C = A·X is n×d.")
    st.caption("Additive (Bahdanau): on this page W₁ = W₂ = W_a and v = (1, …, 1), so every score "
               "can be checked by hand.")

st.header("2 · The classic tiny example")
with ui.guard("run the tiny example"):
    st.markdown("Three tokens with two features, X = [[1, 0], [0, 1], [1, 1]], and W_a = I.")
    st.subheader("The version that circulates — and fails")
    run = T.run_circulated(T.TINY_X, T.TINY_WA)
    st.code(T.SOFTMAX_CODE + "\n\n" + T.CIRCULATED_CODE
            + "\n\nX = np.array([[1., 0.], [0., 1.], [1., 1.]])\nW_a = np.eye(2)\n"
              "weights, output = circulated_version(X, W_a)", language="python")
    L.quiz("q_shape", "for n = 3 tokens, what shape must the weight matrix have so that "
           "`weights @ X` mixes tokens?", ["(3, 2)", "(2, 2)", "(3, 3)"], "(3, 3)",
           "Row i holds one weight for each token j, so it is n×n = 3×3, and (3, 3) @ (3, 2) gives "
           "one mixed 2-feature vector per token.")
    st.error(f"Running it on this page, NumPy raises **{run.error_type}**:", icon=":material/error:")
    st.code(run.error, language=None, wrap_lines=True)
    st.markdown(
        f"**Why.** `X @ W_a` is {run.product_shape} — tokens × *features* — and the softmax of each "
        f"row is a distribution over the 2 features, not over the 3 tokens. "
        f"`weights @ X` is then (3, 2) @ (3, 2): the inner sizes 2 and 3 differ, so the product "
        f"does not exist. Attention weights must compare **tokens with tokens**: "
        f"e_ij = x_i W_a x_jᵀ, i.e. scores = X·W_a·Xᵀ, which is 3×3.")
    L.show_matrix(run.weights, TOK3, ["f1", "f2"], name="circulated_softmax_XWa", key="m_circ",
                  caption="What the snippet calls weights: softmax(X·W_a), rows over features. "
                          "Row x1: softmax([1, 0]) = [e/(e+1), 1/(e+1)] = "
                          f"{L.fmt_vec(run.weights[0])}.")

    st.subheader("The working form: self-attention")
    sc, wt, out = T.self_attention_numpy(T.TINY_X, T.TINY_WA)
    st.code(T.WORKING_CODE + "\n\nscores, weights, output = self_attention_numpy(X, W_a)",
            language="python")
    L.quiz("q_most", "which token gets the most weight from token 3 (x3 = [1, 1])?",
           ["x1", "x2", "x3", "all the same"], "x3",
           f"Row 3 of the scores is [1, 1, 2]: x3·x3 = 2 beats x3·x1 = x3·x2 = 1, so x3 keeps "
           f"e/(2+e) = {wt[2, 2]:.4f} and x1, x2 get 1/(2+e) = {wt[2, 0]:.4f} each.")
    c1, c2, c3 = st.columns([3, 3, 2])
    L.show_matrix(sc, TOK3, TOK3, name="tiny_scores", key="m_tiny_scores", where=c1,
                  caption="scores = X·W_a·Xᵀ: entry (i, j) = x_i·x_j, e.g. x3·x3 = 1·1 + 1·1 = 2.")
    L.show_matrix(wt, TOK3, TOK3, name="tiny_weights", key="m_tiny_weights", where=c2,
                  caption="weights = row softmax of the scores; every row sums to 1.")
    L.show_matrix(out, TOK3, ["f1", "f2"], name="tiny_output", key="m_tiny_output", where=c3,
                  caption="output = weights·X: row i = Σ_j α_ij x_j.")
    st.latex(r"\alpha_1 = \mathrm{softmax}(1, 0, 1) = \left(\tfrac{e}{2e+1}, \tfrac{1}{2e+1}, "
             r"\tfrac{e}{2e+1}\right) = " + L.fmt_vec(wt[0]).replace("[", "(").replace("]", ")"))
    st.latex(r"\alpha_2 = \mathrm{softmax}(0, 1, 1) = \left(\tfrac{1}{1+2e}, \tfrac{e}{1+2e}, "
             r"\tfrac{e}{1+2e}\right) = " + L.fmt_vec(wt[1]).replace("[", "(").replace("]", ")"))
    st.latex(r"\alpha_3 = \mathrm{softmax}(1, 1, 2) = \left(\tfrac{1}{2+e}, \tfrac{1}{2+e}, "
             r"\tfrac{e}{2+e}\right) = " + L.fmt_vec(wt[2]).replace("[", "(").replace("]", ")"))
    st.latex(rf"c_1 = {wt[0, 0]:.4f}\,(1, 0) + {wt[0, 1]:.4f}\,(0, 1) + {wt[0, 2]:.4f}\,(1, 1) = "
             + L.fmt_vec(out[0]).replace("[", "(").replace("]", ")"))

st.header("3 · Your turn: edit X and W_a")
with ui.guard("compute your example"):
    X, Wa = by["X"].matrix(s.X), by["Wa"].matrix(s.Wa)
    n, d = X.shape

    def _resize():
        Xn = T.resize(by["X"].matrix(s.X), int(s.lx_n), int(s.lx_d))
        s.X = T.format_matrix(Xn)
        s.Wa = T.format_matrix(T.resize(by["Wa"].matrix(s.Wa), int(s.lx_d), int(s.lx_d), "identity"))
        s.row = min(s.row, int(s.lx_n))

    s.lx_n, s.lx_d = n, d
    a, b, c, dd = st.columns([1, 1, 2, 2])
    a.number_input("Tokens n", 2, T.MAX_TOKENS, key="lx_n", on_change=_resize)
    b.number_input("Features d", 1, T.MAX_FEATURES, key="lx_d", on_change=_resize)
    P.widget(by["score"], c)
    c.button("Reset to the tiny example", key="reset", icon=":material/restart_alt:",
             on_click=L.reset_editors, args=(by["X"], by["Wa"]))
    with dd:
        P.widget(by["scope"], radio=True)
        P.widget(by["type"], radio=True)
    a, b = st.columns(2)
    P.widget(by["w"], a, disabled=s.scope != "local")
    P.widget(by["T"], b, disabled=s.type == "hard")
    toks, feats = L.labels("x", n), L.labels("f", d)
    a, b = st.columns(2)
    with a:
        st.markdown("**X** (one row per token)")
        X = L.matrix_editor(by["X"], toks, feats)
    with b:
        st.markdown("**W_a**" + (" (not used by the dot score)" if s.score == "dot" else ""))
        Wa = L.matrix_editor(by["Wa"], feats, feats, disabled=s.score == "dot")
    r = T.steps(X, Wa, score=s.score, scope=s.scope, window=s.w, normalization=s.type,
                temperature=s.T)
    for tex in (L.SELF_SCORE_LATEX[s.score], L.SELF_SCOPE_LATEX[s.scope],
                L.SELF_NORM_LATEX[s.type], L.SELF_OUTPUT_LATEX):
        st.latex(tex)
    st.caption(f"n = {n}, d = {d}" + (f", w = {s.w}" if s.scope == "local" else "")
               + (f", T = {s.T:g}" if s.type == "soft" else "") + ".")
    c1, c2 = st.columns(2)
    L.show_matrix(r.scores, toks, toks, name="scores", key="m_scores", where=c1,
                  caption="1. Scores E: row i = query x_i, column j = key x_j.")
    L.show_matrix(r.mask, toks, toks, name="mask", key="m_mask", where=c2,
                  caption="2. Mask: ticked = j is in S(i), x_i may attend to x_j.")
    L.show_matrix(r.weights, toks, toks, name="weights", key="m_weights", where=c1,
                  caption="3. Weights A: each row sums to 1 over its scope.")
    L.show_matrix(r.output, toks, feats, name="output", key="m_output", where=c2,
                  caption="4. Output C = A·X: row i = Σ_j α_ij x_j.")
    s.row = min(s.row, n)
    st.columns([1, 3])[0].selectbox("Check a row by hand", list(range(1, n + 1)), key="row",
                                    format_func=lambda i: f"x{i}")
    st.markdown(L.row_arithmetic(r, s.row - 1, toks))
    circ = T.run_circulated(X, Wa if s.score != "dot" else np.eye(d))
    st.caption("The circulated snippet on this X: " + (
        f"{circ.error_type} ({circ.X_shape} @ {circ.X_shape} cannot multiply)." if circ.error else
        f"it runs because n = d = {n}, but its weights are still softmax over features, not tokens."))
    L.quiz("q_temp", "double every entry of W_a (general score, soft). The weights become…",
           ["sharper (closer to one-hot)", "flatter (closer to uniform)", "unchanged"],
           "sharper (closer to one-hot)",
           "Every score doubles, and softmax(2e) = softmax(e / 0.5): the same as halving T. "
           "Try W_a = 2·I, or slide T down.")

st.header("4 · Soft vs hard vs local on the tiny example")
with ui.guard("compare soft, hard and local"):
    views = {"soft, global": T.steps(T.TINY_X, T.TINY_WA),
             "hard, global": T.steps(T.TINY_X, T.TINY_WA, normalization="hard"),
             "soft, local w = 1": T.steps(T.TINY_X, T.TINY_WA, scope="local", window=1)}
    loc = views["soft, local w = 1"].weights
    captions = [
        f"Same as section 2: row x1 = {L.fmt_vec(wt[0], 3)}.",
        "Row x1's scores [1, 0, 1] tie between x1 and x3; the first wins. Every token picks "
        "itself here, so the output equals X.",
        f"|i − j| ≤ 1: x1 sees x1, x2 → softmax(1, 0) = [e/(e+1), 1/(e+1)] = {L.fmt_vec(loc[0, :2], 3)}; "
        f"x3 sees x2, x3 → softmax(1, 2) = {L.fmt_vec(loc[2, 1:], 3)}; blank = outside the scope.",
    ]
    for i, (col, (title, t), cap) in enumerate(zip(st.columns(3), views.items(), captions)):
        with col:
            ui.plot(FL.matrix_heatmap(t.weights, TOK3, TOK3, title=title, height=340,
                                      colorscale=prefs.colorscale, scope_mask=t.mask),
                    key=f"cmp{i}", name=f"tiny_weights_{title}")
            st.caption(cap)
            L.show_matrix(t.weights, TOK3, TOK3, name=f"tiny_weights_{title}", key=f"m_cmp{i}")
    a, b = st.columns(2)
    with a:
        L.quiz("q_hard", "x1's scores are [1, 0, 1], a tie. Which key does hard attention pick?",
               ["x1", "x3", "half each"], "x1",
               "Hard attention is a one-hot at the arg-max; on a tie the first index wins "
               "(that is how arg-max is defined here), so x1 picks itself.")
    with b:
        L.quiz("q_local", "with a local window w = 1, what weight does x1 give x3?",
               ["0", "0.423", "0.269"], "0",
               "|1 − 3| = 2 > w, so x3 is outside S(1): its weight is 0 and the softmax runs "
               "over x1 and x2 only.")

ui.share_link(P.publish(PARAMS), "learn")
