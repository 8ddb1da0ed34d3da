"""Translate page layout: the input and attention type beside the chart, the rest in "More
settings", the output with its verdict, the alignment heatmap(s), one step's numbers, the
formulas and the accuracy table."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from attention.models import dates
from attention.models.seq2seq import OUTPUT_FORMULA, VARIANTS
from ui import charts, page, params as P

from . import compute, figures
from .state import BY, EXAMPLES, VARIANT_LABELS


def _load_example() -> None:
    st.session_state["text"] = EXAMPLES[st.session_state["example"]]


def controls() -> None:
    """Date, example picker and attention type one click away; beam, compare and the hard
    model's sampling in "More settings"."""
    s = st.session_state
    P.widget(BY["text"], height=68)
    st.selectbox("Load an example", list(EXAMPLES), key="example", index=None,
                 placeholder="Choose…", on_change=_load_example)
    P.widget(BY["variant"], radio="vertical")
    with st.popover("More settings", icon=":material/tune:", width="stretch"):
        P.widget(BY["beam"])
        P.widget(BY["compare"])
        P.widget(BY["normalization"], disabled=not (VARIANTS[s.variant].hard or
                                                     (s.compare in VARIANTS and VARIANTS[s.compare].hard)))
        P.widget(BY["seed"], disabled=s.normalization != "hard_sampled")


def input_problem(chk: compute.Check) -> None:
    """The message for an input the models cannot read (nothing is decoded)."""
    if chk.missing:
        st.error(chk.error)
        return
    if "empty" in chk.error:
        st.info("Type a date (or load an example), e.g. `3. März 2021`, `March 3, 2021` or "
                "`2021年3月3日`.")
        return
    st.warning(f"The models cannot read this input: {page.inline_code(chk.error)}.  \n"
               f"They were trained on dates from {dates.DATE_MIN.year} to "
               f"{dates.DATE_MAX.year} written in the CLDR formats of "
               f"{', '.join(dates.LOCALES)}.", icon="⚠️")


def result(tr: compute.Translation, chk: compute.Check, short: bool = False) -> None:
    """The output and whether it is right (from the CLDR formats), on one line, then where the
    model was unsure.  ``short``: the verdict as one word (side by side comparison; the input's
    reading is stated once above)."""
    text, ok = compute.verdict(tr, chk)
    beam = "greedy" if tr.beam == 1 else f"beam width {tr.beam}"
    line = f"**{VARIANT_LABELS[tr.variant]}** ({beam}) → {page.inline_code(tr.output or '(nothing)')}"
    if chk.reference is None:
        st.markdown(f"{line} &nbsp; :orange[unverified]")
        if not short:
            st.warning(text, icon="⚠️")
    elif short:
        st.markdown(f"{line} &nbsp; " + (":green[✓ correct]" if ok else ":red[**✗ wrong**]"))
    else:
        st.markdown(f"{line} &nbsp; " + (f":green[{text}]" if ok else f":red[**{text}**]"))
    _unsure(tr)


def reading(chk: compute.Check) -> None:
    """What the input is, once, above a side-by-side comparison."""
    if chk.reference:
        st.markdown(f"The input is **{chk.reference}** ({chk.formats}).")
    else:
        st.warning(f"Unverified: {chk.problem}. The outputs below are guesses on unfamiliar input.",
                   icon="⚠️")


def _unsure(tr: compute.Translation) -> None:
    """One small line naming the low-probability steps (also marked "?" on the chart's axis)."""
    notes = []
    for i in tr.unsure:
        b, pb = tr.top[i][1]
        notes.append(f"step {i} {page.inline_code(tr.tgt_labels[i])} p = {tr.token_probs[i]:.2f} "
                     f"(runner-up {page.inline_code(b if b != '</s>' else 'end')} {pb:.2f})")
    if not tr.finished:
        notes.append(f"no end token within {len(tr.tokens)} steps")
    if notes:
        st.caption(f":orange[**Unsure** (p < {compute.LOW_CONFIDENCE:g}, marked ? on the chart): "
                   + "; ".join(notes) + ".]")


def chart(tr: compute.Translation, row: int, colorscale: str, key: str, height=None,
          narrow: bool = False) -> None:
    """The alignment heatmap of ``tr`` (click a row to inspect it) and its exports."""
    title = tr.variant if narrow else f"{tr.variant}: weights used for each output character"
    local = tr.positions is not None
    fig = figures.alignment(tr.weights, tr.src_labels, tr.tgt_labels, title=title, colorscale=colorscale,
                      mask=tr.mask if local else None, positions=tr.positions, window=tr.window,
                      row=row if key == "heatmap" else None, unsure=tr.unsure, height=height,
                      centre_name=VARIANTS[tr.variant].get("centre_name", "p_t"),
                      upright=not narrow, colorbar=key != "heatmap" or not narrow,
                      axis_titles=not narrow)
    ev = charts.plot(fig, key=key, name=f"alignment_{tr.variant}", select=True)
    pt = charts.clicked(ev)
    if pt is not None and 0 <= int(round(float(pt.get("y", -1)))) < len(tr.tokens):
        P.request(row=int(round(float(pt["y"]))))
    charts.downloads(tr.weights, tr.tgt_labels, tr.src_labels, f"alignment_{tr.variant}", f"dl_{key}",
                     meta={"model": tr.variant, "source": tr.source, "output": tr.output,
                           "rows": "output character (query)", "columns": "source character (key)",
                           "values": "attention weights used to decode",
                           "window_centres": None if tr.positions is None else tr.positions.tolist(),
                           "window": tr.window, "token_probabilities": tr.token_probs.tolist()})


def caption(tr: compute.Translation) -> None:
    how = "the arg-max of its softmax" if tr.normalization == "hard" else "drawn from its softmax (seeded)"
    st.caption(VARIANTS[tr.variant].caption.format(window=tr.window, how=how)
               + " Click a row to inspect it below.")


def inspect(tr: compute.Translation) -> None:
    """One output step: every source character's score, window membership and weight."""
    s = st.session_state
    T = len(tr.tokens)
    if s.row >= T:
        s.row = 0
    P.ranged_slider("Inspect target step #", 0, max(T - 1, 1), key="row", disabled=T < 2)
    t = int(s.row)
    tab = compute.row_table(tr, t)
    where = ""
    if tr.positions is not None:
        name = VARIANTS[tr.variant].get("centre_name", "p_t").split(" ")[0]
        where = f"; {name} = {tr.positions[t]:.3f}, window [{tr.positions[t] - tr.window:.2f}, " \
                f"{tr.positions[t] + tr.window:.2f}]"
    top = ", ".join(f"{page.inline_code('end' if a == '</s>' else a)} {p:.3f}" for a, p in tr.top[t])
    st.markdown(f"**Step {t}: output {page.inline_code(tr.tgt_labels[t])}** (p = "
                f"{tr.token_probs[t]:.4f}; top 3: {top}){where}; sum of weights = "
                f"{float(np.sum(tr.weights[t])):.4f}")
    st.dataframe(pd.DataFrame(tab), hide_index=True, width="stretch", height=260,
                 column_config={k: st.column_config.NumberColumn(format="%.4f")
                                for k in tab if k not in ("#", "source char", "in scope")})


def formulas(tr: compute.Translation) -> None:
    with st.expander("How these models work (formulas)", icon=":material/school:"):
        st.markdown(
            "A character-level encoder–decoder, one model per attention type, all trained here on "
            "the same data. Key s is a small GRU run over the source characters s−3 … s+3 (so it "
            "describes its own neighbourhood only); the decoder starts from a learned constant, so "
            "everything it knows about the input passes through these weights.")
        st.latex(VARIANTS[tr.variant].formula)
        st.latex(OUTPUT_FORMULA)
        st.caption(f"{VARIANTS[tr.variant].label}: {VARIANTS[tr.variant].paper}.")
        st.markdown(compute.cards().get(tr.variant, {}).get("why", ""))


def accuracy() -> None:
    rows = compute.accuracy_rows()
    if not rows:
        st.info("No trained models are shipped. Train them with "
                "`python -m training translate --variant all`.")
        return
    st.markdown("**How well each model translates** (held-out test split: dates never seen in "
                "training, every format equally often)")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={k: st.column_config.NumberColumn(format="percent")
                                for k in ("exact match", "per token", "year first (ja, zh)",
                                          "day first", "month first (en_US)")})
    st.caption("Exact match: the whole ISO date right. Per token: share of the 11 output tokens "
               "(10 characters + end) right at their position. Greedy decoding. Train time: "
               "wall-clock seconds on this machine's CPU with the torch threads shown. Retrain: "
               "`python -m training translate --variant all`.")
