"""Translate page layout: the input, locale and attention type beside the chart, the rest in
"More settings"; what the model reads, the output with its verdict (a date, two readings of an
ambiguous date, or "not a date"), the alignment heatmap(s), one step's numbers, the formulas and
the accuracy table."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from attention.models import dates
from attention.models.seq2seq import VARIANTS, output_formula, tag_label
from ui import charts, page, params as P

from . import compute, figures
from .state import BY, EXAMPLES, VARIANT_LABELS

_ORDER_WORDS = {"dmy": "day/month/year", "mdy": "month/day/year", "ymd": "year/month/day"}
_PREVIOUS = "_translate_previous"      # the last input the models could read: (text, locale)


def _load_example() -> None:
    text, locale = EXAMPLES[st.session_state["example"]]
    st.session_state["text"] = text
    if locale is not None:
        st.session_state["locale"] = locale


def controls() -> None:
    """Date, example picker, locale and attention type one click away; beam, constrained
    decoding, compare and the hard model's sampling in "More settings"."""
    s = st.session_state
    P.widget(BY["text"], height=68)
    st.selectbox("Load an example", list(EXAMPLES), key="example", index=None,
                 placeholder="Choose…", on_change=_load_example)
    P.widget(BY["locale"])
    P.widget(BY["variant"], radio="vertical")
    with st.popover("More settings", icon=":material/tune:", width="stretch"):
        P.widget(BY["beam"])
        P.widget(BY["constrained"])
        P.widget(BY["compare"])
        P.widget(BY["normalization"], disabled=not (VARIANTS[s.variant].hard or
                                                     (s.compare in VARIANTS and VARIANTS[s.compare].hard)))
        P.widget(BY["seed"], disabled=s.normalization != "hard_sampled")


# ------------------------------------------------------------------ input messages
def marked(text: str, marks) -> str:
    """The typed text as Markdown with each marked position shown in red (an invisible one as
    ⍰), so the user sees where it is."""
    at = {m.index: m for m in marks}
    out, run = [], ""
    for i, ch in enumerate(text):
        if i in at:
            if run:
                out.append(page.inline_code(run))
                run = ""
            shown = "⍰" if not ch.isprintable() or ch.isspace() else ch
            out.append(f":red[**{page.inline_code(shown)}**]")
        else:
            run += ch
    if run:
        out.append(page.inline_code(run))
    return " ".join(out)


def refusal(ans: compute.Answer) -> None:
    """Why nothing is decoded (its own message per kind); the marked input when a character is
    the problem."""
    sc = ans.screen
    if ans.missing:
        st.error(ans.missing)
        return
    if sc.kind == "empty":
        st.info("Type a date (or load an example), e.g. `3. März 2021`, `March 3, 2021` or "
                "`2021年3月3日`.")
        return
    head = {"unsupported_language": "Not a language the models read",
            "unknown_characters": "The models cannot read this input",
            "too_long": "Too long for the models",
            "not_a_date": "Not a date",
            "out_of_range": "Year out of range"}[sc.kind]
    st.warning(f"**{head}**: {page.inline_code(sc.message)}.  \nNo date is shown as a "
               f"translation. The models were trained on dates from {dates.DATE_MIN.year} to "
               f"{dates.DATE_MAX.year} typed in {', '.join(dates.LOCALES)}.", icon="⚠️")
    if sc.unknown:
        st.markdown("Where: " + marked(sc.text, sc.unknown) + "  \n" +
                    "; ".join(f"position {m.index}: {m.name}" for m in sc.unknown[:6]))


def remember(text: str, locale: str) -> None:
    st.session_state[_PREVIOUS] = (text, locale)


def previous():
    """(text, locale) of the last input the models could read, or None."""
    return st.session_state.get(_PREVIOUS)


def reads(ans: compute.Answer) -> None:
    """What the model reads: the tag and the normalized characters (and what was removed)."""
    sc = ans.screen
    tags = " / ".join(tag_label(r.tag) for r in sc.readings) if ans.readings else tag_label(sc.locale)
    line = f"The model reads {tags} then {page.inline_code(sc.source)}"
    if sc.removed:
        line += (f" — removed {len(sc.removed)} invisible character{'s' if len(sc.removed) > 1 else ''}: "
                 + marked(sc.text, sc.removed) + " (" + ", ".join(m.name for m in sc.removed[:3]) + ")")
    if sc.new_words:
        line += f" — words it never saw in training: {page.inline_code(', '.join(sc.new_words[:4]))}"
    st.caption(line + ".")


# ------------------------------------------------------------------ results
def result(tr: compute.Translation, short: bool = False, check: bool = True) -> None:
    """The output on one line: the translation (with the CLDR check when there is one and
    ``check``; an ambiguous date's readings have no single right answer) or "not a date", then
    whether it is unsure."""
    beam = "greedy" if tr.beam == 1 else f"beam width {tr.beam}"
    beam += ", constrained to dates" if tr.constrained else ""
    head = f"**{VARIANT_LABELS[tr.variant]}** ({beam}) → "
    if not tr.valid:
        what = ("which is not the date you typed" if tr.validity.kind == "mismatch"
                else "which is not a date")
        st.markdown(head + f"the model wrote {page.inline_code(tr.output or '(nothing)')}, "
                    f":red[**{what}**]" + ("" if short else f": {tr.validity.problem}. "
                    "No translation is shown; the steps responsible are marked ✗ on the chart."))
        return
    text, ok = compute.verdict(tr) if check else ("", None)
    line = head + page.inline_code(tr.output)
    if ok is not None:
        line += " &nbsp; " + ((":green[✓ correct]" if ok else ":red[**✗ wrong**]") if short else
                              (f":green[{text}]" if ok else f":red[**{text}**]"))
    st.markdown(line)
    _confidence(tr, short)


def _confidence(tr: compute.Translation, short: bool = False) -> None:
    """The calibrated probability and the unsure flag (``short``: a narrow column's one line)."""
    p = f"calibrated p(output) = {tr.confidence:.2f}"
    if tr.other_order and short:
        st.caption(f":orange[**Unsure**: in {tr.tag}'s order this is {page.inline_code(tr.locale_date)}.]")
    elif tr.other_order:
        st.caption(f":orange[**Unsure**: read in the order {dates.LOCALE_NAMES[tr.tag]} ({tr.tag}) "
                   f"writes it, {_ORDER_WORDS[dates.locale_order(tr.source, tr.tag)]}, this is "
                   f"{page.inline_code(tr.locale_date)}, but the model wrote "
                   f"{page.inline_code(tr.output)} ({p}). Check this date yourself.]")
    elif tr.unsure:
        weak = "; ".join(f"step {i} {page.inline_code(tr.tgt_labels[i])} p = {tr.calibrated[i]:.2f}"
                         for i in tr.weakest)
        st.caption(f":orange[**Unsure**: {p} < {tr.threshold:.2f}" + (f" (weakest: {weak})" if weak else "")
                   + ". Check this date yourself.]")
    elif short:
        st.caption(f"{p} (unsure below {tr.threshold:.2f}).")
    else:
        st.caption(f"{p} (unsure below {tr.threshold:.2f}; temperature {tr.temperature:.2f} fitted on "
                   "validation data).")


def chart(tr: compute.Translation, row: int, colorscale: str, key: str, height=None,
          narrow: bool = False, title: str = "") -> None:
    """The alignment heatmap of ``tr`` (click a row to inspect it) and its exports."""
    title = title or (tr.variant if narrow else f"{tr.variant}: weights used for each output character")
    fig = figures.alignment(tr.weights, tr.src_labels, tr.tgt_labels, title=title, colorscale=colorscale,
                            mask=tr.mask if tr.positions is not None else None,
                            positions=tr.positions, window=tr.window,
                            row=row if key == "heatmap" else None,
                            unsure=tr.weakest, bad=() if tr.valid else tr.validity.steps,
                            height=height, centre_name=VARIANTS[tr.variant].get("centre_name", "p_t"),
                            upright=not narrow, colorbar=key != "heatmap" or not narrow,
                            axis_titles=not narrow)
    ev = charts.plot(fig, key=key, name=f"alignment_{tr.variant}", select=True)
    pt = charts.clicked(ev)
    if pt is not None and 0 <= int(round(float(pt.get("y", -1)))) < len(tr.tokens):
        P.request(row=int(round(float(pt["y"]))))
    charts.downloads(tr.weights, tr.tgt_labels, tr.src_labels, f"alignment_{tr.variant}", f"dl_{key}",
                     meta={"model": tr.variant, "tag": tr.tag, "source": tr.source, "output": tr.output,
                           "is_a_date": tr.valid, "rows": "output character (query)",
                           "columns": "source position (key): the locale tag, then the characters",
                           "values": "attention weights used to decode",
                           "window_centres": None if tr.positions is None else tr.positions.tolist(),
                           "window": tr.window, "token_probabilities": tr.token_probs.tolist(),
                           "calibrated_probabilities": tr.calibrated.tolist(),
                           "constrained": tr.constrained})


def caption(tr: compute.Translation) -> None:
    how = "the arg-max of its softmax" if tr.normalization == "hard" else "drawn from its softmax (seeded)"
    tag = float(tr.weights[:, 0].max()) if tr.weights.size else 0.0
    st.caption(VARIANTS[tr.variant].caption.format(window=tr.window, how=how)
               + f" Column 0 (blue) is the locale tag {tag_label(tr.tag)}: its largest weight here is "
               f"{tag:.2f}. Click a row to inspect it below.")


def pair(items, row: int, colorscale: str, check: bool = True) -> None:
    """Two decodings side by side: ``items = [(heading, Translation, key), ...]``."""
    cols = st.columns(len(items), gap="small")
    for col, (heading, tr, key) in zip(cols, items):
        with col:
            st.markdown(heading)
            result(tr, short=True, check=check)
            chart(tr, row, colorscale, key, height=420, narrow=True)


def ambiguity(ans: compute.Answer, row: int, colorscale: str) -> None:
    """An ambiguous numeric date under auto: both readings, each decoded with its tag."""
    (ra, a), (rb, b) = ans.readings
    if ans.ambiguous:
        st.info(f"**Ambiguous**: {page.inline_code(ans.screen.text.strip())} reads "
                f"**{a.output}** {ra.label} or **{b.output}** {rb.label}. Choose a locale to "
                "decide. Below, each reading decoded with its tag: the '-' step before the month "
                "reads the tag (column 0) and the decoder carries it into the month rows; only the "
                "tag says which number is the month.",
                icon=":material/call_split:")
    elif ans.presented:
        st.markdown(f"Two readings were tried; only one is a date: **{ans.presented}**.")
    # one line per heading (the locale lists are in the note above), so the two maps align
    pair([(f"**{r.label.split(' (')[0].capitalize()}**, tag {tag_label(r.tag)}", t, key)
          for (r, t), key in zip(ans.readings, ("heatmap", "heatmap_b"))], row, colorscale, check=False)


def constrained(ans: compute.Answer, row: int, colorscale: str) -> None:
    """Unconstrained beside constrained decoding: what restricting the beam changed."""
    a, b = ans.main, ans.constrained
    same = a.output == b.output and np.allclose(a.weights, b.weights)
    if same:
        st.caption("Constrained decoding changed nothing here: the unconstrained output is already a date.")
    else:
        st.info(f"Restricted to valid dates, the beam writes {page.inline_code(b.output)} instead of "
                f"{page.inline_code(a.output)}; the rows after the first changed character attend "
                "differently (right chart). " + ("It is not shown as the translation: the "
                                                 "unconstrained model did not write a date, and a "
                                                 "constrained beam writes one even when the input "
                                                 "names none." if not a.valid else ""),
                icon=":material/rule:")
    pair([("**Unconstrained**", a, "heatmap"), ("**Constrained to valid dates**", b, "heatmap_b")],
         row, colorscale)


def inspect(tr: compute.Translation) -> None:
    """One output step: every source position's score, window membership and weight."""
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
                f"{tr.token_probs[t]:.4f}, calibrated {tr.calibrated[t]:.4f}; top 3: {top}){where}; "
                f"sum of weights = {float(np.sum(tr.weights[t])):.4f}")
    st.dataframe(pd.DataFrame(tab), hide_index=True, width="stretch", height=260,
                 column_config={k: st.column_config.NumberColumn(format="%.4f")
                                for k in tab if k not in ("#", "source", "in scope")})


def formulas(tr: compute.Translation) -> None:
    with st.expander("How these models work (formulas)", icon=":material/school:"):
        st.markdown(
            "A character-level encoder–decoder, one model per attention type, all trained here on "
            "the same typed-date data. The source starts with a **locale tag** (position 0, its key "
            "encoded alone), then the characters after normalization (NFKC, invisible characters "
            "removed, lower case). Key s is a small GRU run over the characters s−3 … s+3 (so it "
            "describes its own neighbourhood only); the decoder starts from a learned constant, so "
            "everything it knows about the input passes through these weights.")
        st.latex(VARIANTS[tr.variant].formula)
        st.latex(output_formula(tr.variant))
        st.caption(f"{VARIANTS[tr.variant].label}: {VARIANTS[tr.variant].paper}.")
        if VARIANTS[tr.variant].get("assumes"):
            st.markdown(VARIANTS[tr.variant].get("assumes").format(window=tr.window))
        st.markdown(compute.cards().get(tr.variant, {}).get("why", ""))
        st.markdown("**Calibration.** The probabilities are divided by a temperature T fitted on "
                    "generated validation data (logits / T); an output is *unsure* when the product "
                    "of its calibrated step probabilities is below the threshold in the card.")


def accuracy() -> None:
    rows = compute.accuracy_rows()
    if not rows:
        st.info("No trained models are shipped. Train them with "
                "`python -m training translate --variant all`.")
        return
    st.markdown("**How well each model translates**: dates typed by hand (a fixed test file, "
                "never used in training), the generator's own test split, and Babel's four widths "
                "on held-out days")
    pct = ("typed dates (hand-written)", "generator test", "Babel full", "Babel long",
           "Babel medium", "Babel short")
    trained = ("unsure below", "temperature", "CPU time (s)", "wall time (s)", "steps", "parameters",
               "weights (MB)")
    page.model_tables(rows, ("attention type",), [(None, pct), ("How each was trained", trained)],
                      percent=pct, headers={"typed dates (hand-written)": "typed dates",
                                            "CPU time (s)": "CPU (s)", "wall time (s)": "wall (s)"})
    st.markdown("**Why they differ**\n\n" + "\n".join(f"- **{r['attention type']}**: {r['why']}"
                           for r in rows if r.get("why")))
    st.caption("Greedy decoding. Typed dates: a row is right when the page presents the right "
               "date, offers both readings of an ambiguous date, or presents no date for an "
               "impossible date, a non-date, another language or a year out of range. CPU / wall "
               "time: the training loop on one torch thread. Retrain: "
               "`python -m training translate --variant all`.")

