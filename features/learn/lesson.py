"""The Learn page's lesson, in the lazy tabs below the interactive part: the formulas, the classic
tiny example (the circulated NumPy snippet that fails, and the working form), and soft vs hard vs
local."""
from __future__ import annotations

from typing import Sequence

import streamlit as st

from attention.tutorial import TINY_WA, TINY_X
from figures.matrix import matrix_heatmap
from ui import charts

from .compute import steps
from .editor import show_matrix
from .formulas import ONE_QUERY_LATEX, fmt_vec, names
from .snippet import CIRCULATED_CODE, SOFTMAX_CODE, WORKING_CODE, run_circulated, self_attention_numpy

TOK3 = names("x", 3)


def _vec(v) -> str:
    return fmt_vec(v).replace("[", "(").replace("]", ")")


def quiz(key: str, question: str, options: Sequence[str], answer: int, why: str) -> None:
    """Predict, then reveal: the explanation appears once an option is chosen (values are the
    options' indices; ``answer`` is the right one's)."""
    choice = st.radio(f"**Predict:** {question}", list(range(len(options))), index=None, key=key,
                      format_func=lambda i: options[i], persist_state="page")
    if choice is None:
        st.caption("Choose an answer to reveal the explanation.")
    elif choice == answer:
        st.success(f"Right. {why}", icon=":material/check_circle:")
    else:
        st.error(f"Not quite: the answer is **{options[answer]}**. {why}", icon=":material/lightbulb:")


def temperature_quiz() -> None:
    quiz("q_temp", "double every entry of W_a (general score, soft). The weights become…",
         ["sharper (closer to one-hot)", "flatter (closer to uniform)", "unchanged"], 0,
         "Every score doubles, and softmax(2e) = softmax(e / 0.5): the same as halving T. "
         "Try W_a = 2·I, or slide T down.")


def formulas() -> None:
    st.markdown("One query q looks at n inputs x₁ … xₙ: **score** each input, turn the scores into "
                "**weights** with a softmax, and output the **weighted sum**.")
    a, b = st.columns(2)
    a.latex(ONE_QUERY_LATEX["score"])
    b.latex(ONE_QUERY_LATEX["softmax"])
    b.latex(ONE_QUERY_LATEX["output"])
    st.markdown("**Self-attention** makes every token the query in turn (q = xᵢ), so scores, "
                "weights and outputs become matrices: E and A are n×n, C = A·X is n×d.")
    st.caption("Additive (Bahdanau): on this page W₁ = W₂ = W_a and v = (1, …, 1), so every score "
               "can be checked by hand.")


def circulated() -> None:
    """The version that circulates, run for real: NumPy's own error, and why."""
    st.markdown("Three tokens with two features, X = [[1, 0], [0, 1], [1, 1]], and W_a = I.")
    st.header("The version that circulates — and fails")
    run = run_circulated(TINY_X, TINY_WA)
    st.code(SOFTMAX_CODE + "\n\n" + CIRCULATED_CODE
            + "\n\nX = np.array([[1., 0.], [0., 1.], [1., 1.]])\nW_a = np.eye(2)\n"
              "weights, output = circulated_version(X, W_a)", language="python")
    quiz("q_shape", "for n = 3 tokens, what shape must the weight matrix have so that "
         "`weights @ X` mixes tokens?", ["(3, 2)", "(2, 2)", "(3, 3)"], 2,
         "Row i holds one weight for each token j, so it is n×n = 3×3, and (3, 3) @ (3, 2) gives "
         "one mixed 2-feature vector per token.")
    st.error(f"Running it on this page, NumPy raises **{run.error_type}**:", icon=":material/error:")
    st.code(run.error, language=None, wrap_lines=True)
    st.markdown(
        f"**Why.** `X @ W_a` is {run.product_shape} — tokens × *features* — and the softmax of each "
        f"row is a distribution over the 2 features, not over the 3 tokens. "
        f"`weights @ X` is then (3, 2) @ (3, 2): the inner sizes 2 and 3 differ, so the product "
        f"does not exist. Attention weights must compare **tokens with tokens**: "
        f"eᵢⱼ = xᵢ W_a xⱼᵀ, i.e. scores = X·W_a·Xᵀ, which is 3×3.")
    show_matrix(run.weights, TOK3, ["f1", "f2"], name="circulated_softmax_XWa", key="m_circ",
                caption="What the snippet calls weights: softmax(X·W_a), rows over features. "
                        "Row x1: softmax([1, 0]) = [e/(e+1), 1/(e+1)] = "
                        f"{fmt_vec(run.weights[0])}.")


def working_form() -> None:
    """The working form on the tiny example, every number derived."""
    st.header("The working form: self-attention")
    sc, wt, out = self_attention_numpy(TINY_X, TINY_WA)
    st.code(WORKING_CODE + "\n\nscores, weights, output = self_attention_numpy(X, W_a)", language="python")
    quiz("q_most", "which token gets the most weight from token 3 (x3 = [1, 1])?",
         ["x1", "x2", "x3", "all the same"], 2,
         f"Row 3 of the scores is [1, 1, 2]: x3·x3 = 2 beats x3·x1 = x3·x2 = 1, so x3 keeps "
         f"e/(2+e) = {wt[2, 2]:.4f} and x1, x2 get 1/(2+e) = {wt[2, 0]:.4f} each.")
    c1, c2, c3 = st.columns([3, 3, 2])
    with c1:
        show_matrix(sc, TOK3, TOK3, name="tiny_scores", key="m_tiny_scores",
                    caption="scores = X·W_a·Xᵀ: entry (i, j) = xᵢ·xⱼ, e.g. x3·x3 = 1·1 + 1·1 = 2.")
    with c2:
        show_matrix(wt, TOK3, TOK3, name="tiny_weights", key="m_tiny_weights",
                    caption="weights = row softmax of the scores; every row sums to 1.")
    with c3:
        show_matrix(out, TOK3, ["f1", "f2"], name="tiny_output", key="m_tiny_output",
                    caption="output = weights·X: row i = Σⱼ αᵢⱼ xⱼ.")
    st.latex(r"\alpha_1 = \mathrm{softmax}(1, 0, 1) = \left(\tfrac{e}{2e+1}, \tfrac{1}{2e+1}, "
             r"\tfrac{e}{2e+1}\right) = " + _vec(wt[0]))
    st.latex(r"\alpha_2 = \mathrm{softmax}(0, 1, 1) = \left(\tfrac{1}{1+2e}, \tfrac{e}{1+2e}, "
             r"\tfrac{e}{1+2e}\right) = " + _vec(wt[1]))
    st.latex(r"\alpha_3 = \mathrm{softmax}(1, 1, 2) = \left(\tfrac{1}{2+e}, \tfrac{1}{2+e}, "
             r"\tfrac{e}{2+e}\right) = " + _vec(wt[2]))
    st.latex(rf"c_1 = {wt[0, 0]:.4f}\,(1, 0) + {wt[0, 1]:.4f}\,(0, 1) + {wt[0, 2]:.4f}\,(1, 1) = "
             + _vec(out[0]))


def soft_hard_local(colorscale: str) -> None:
    """The tiny example under three mechanisms, side by side."""
    st.markdown("The tiny example under three mechanisms, side by side.")
    views = {"soft": ("soft, global", steps(TINY_X, TINY_WA)),
             "hard": ("hard, global", steps(TINY_X, TINY_WA, normalization="hard")),
             "local": ("soft, local w = 1", steps(TINY_X, TINY_WA, scope="local", window=1))}
    soft, loc = views["soft"][1].weights, views["local"][1].weights
    captions = [
        f"Same as section 2: row x1 = {fmt_vec(soft[0], 3)}.",
        "Row x1's scores [1, 0, 1] tie between x1 and x3; the first wins. Every token picks "
        "itself here, so the output equals X.",
        f"|i − j| ≤ 1: x1 sees x1, x2 → softmax(1, 0) = [e/(e+1), 1/(e+1)] = {fmt_vec(loc[0, :2], 3)}; "
        f"x3 sees x2, x3 → softmax(1, 2) = {fmt_vec(loc[2, 1:], 3)}; blank = outside the scope.",
    ]
    for col, (key, (title, t)), cap in zip(st.columns(3), views.items(), captions):
        with col:
            charts.plot(matrix_heatmap(t.weights, TOK3, TOK3, title=title, height=340,
                                       colorscale=colorscale, scope_mask=t.mask),
                        key=f"tiny_{key}", name=f"tiny_weights_{key}")
            st.caption(cap)
            show_matrix(t.weights, TOK3, TOK3, name=f"tiny_weights_{key}", key=f"m_tiny_{key}")
    a, b = st.columns(2)
    with a:
        quiz("q_hard", "x1's scores are [1, 0, 1], a tie. Which key does hard attention pick?",
             ["x1", "x3", "half each"], 0,
             "Hard attention is a one-hot at the arg-max; on a tie the first index wins "
             "(that is how arg-max is defined here), so x1 picks itself.")
    with b:
        quiz("q_local", "with a local window w = 1, what weight does x1 give x3?",
             ["0", "0.423", "0.269"], 0,
             "|1 − 3| = 2 > w, so x3 is outside S(1): its weight is 0 and the softmax runs "
             "over x1 and x2 only.")
