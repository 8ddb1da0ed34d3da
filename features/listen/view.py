"""Listen page layout: the audio source and attention type beside the picture, the rest in
"More settings"; what was heard (calibrated confidence per digit), the picture (waveform,
log-mel, alignment), one digit's attention with its audio, a second model side by side, the
formulas and the accuracy table."""
from __future__ import annotations

import numpy as np
import streamlit as st

from attention.models.listener import FRAME_S, SHIFT, VARIANTS, WINDOW
from figures import describe
from ui import charts, page, params as P, uploads

from . import compute, figures
from .state import ATTRIBUTION, BY, DEFAULT_CLIP

LAST = "_listen_last_audio"      # the last recording that could be read (bad audio keeps it)
LIVE_TEST = ("The models learned from 4 real speakers (all men) and many synthetic voices: a new "
             "voice, a far microphone or a noisy room may be misread. The microphone is a live "
             "test, not a promise.")


def controls() -> None:
    """Where the audio comes from, and the attention type; the rest in "More settings"."""
    P.widget(BY["source"], radio="vertical")
    P.widget(BY["variant"], radio="vertical")
    with st.popover("More settings", icon=":material/tune:", width="stretch"):
        P.widget(BY["compare"])
        P.widget(BY["rate"], disabled=st.session_state.source != "type")


def source() -> tuple:
    """The widgets of the chosen source; returns ``(Audio or None, problem or None)``."""
    s = st.session_state
    if s.source == "clip":
        P.widget(BY["clip"])
        st.caption(f"Clips: {ATTRIBUTION}.")
        return compute.clip_audio(s.clip), None
    if s.source == "type":
        P.widget(BY["digits"], height=68)
        P.widget(BY["voice"])
        return compute.synth_audio(s.digits, s.voice, int(s.rate))
    if s.source == "upload":
        try:
            f = st.file_uploader("Your recording", type=list(compute.UPLOAD_TYPES), key="upload",
                                 help=f"{compute.FORMAT_LIST}; at most {uploads.limit_text()} and "
                                      "20 s. The file stays in this browser session.")
        except Exception:  # noqa: BLE001 - e.g. a forbidden file name
            return None, f"Only {compute.FORMAT_LIST} files can be used."
        if f is None:
            return None, None
        return compute.decode_upload(f.getvalue(), f.name, uploads.max_upload_bytes())
    rec = st.audio_input("Say a few digits, one by one", key="mic", sample_rate=None)
    st.caption(LIVE_TEST)
    if rec is None:
        return None, None
    return compute.decode_upload(rec.getvalue(), "", uploads.max_upload_bytes())


def usable(audio, problem):
    """The recording to show: the new one if it can be read, else (with a clear message) the
    previous one, which stays on the page."""
    s = st.session_state
    if audio is not None and problem is None:
        problem = compute.check(audio)
    if problem is None and audio is not None:
        s[LAST] = audio
        for note in audio.notes:
            st.caption(note)
        return audio
    prev = s.get(LAST)
    if prev is None:                      # nothing read yet in this session: a test recording
        prev = compute.clip_audio(DEFAULT_CLIP)
        more = f" Showing a test recording meanwhile ({page.inline_code(prev.name)})."
    else:
        more = f" Still showing the previous recording ({page.inline_code(prev.name)})."
    if problem:
        st.warning(f"This audio can't be read: {problem}{more}", icon="⚠️")
    else:
        st.info(("Choose a file" if s.source == "upload" else "Record a few digits") + "." + more)
    return prev


def heard(tr, audio, short: bool = False) -> None:
    """The digits read, large, each with its calibrated probability; unsure digits marked "?".

    Colours come from the theme (``:green[...]`` / ``:red[...]`` markdown), so the verdict keeps
    its contrast in the light and the dark theme; an unsure digit is marked by "?" and a dotted
    border, not by colour alone."""
    cells = []
    for tok, p, u in zip(tr.tokens, tr.token_probs, tr.unsure):
        if tok == "end":
            continue
        mark = "border-bottom:3px dotted currentColor;" if u else ""
        cells.append(f"<span style='display:inline-block;text-align:center;margin-right:0.55em;"
                     f"line-height:1.05'><span style='display:inline-block;font-size:1.9rem;font-weight:700;"
                     f"margin-bottom:0.15em;{mark}'>"
                     f"{tok}{'?' if u else ''}</span><br><span style='font-size:0.8rem'>{p:.2f}</span></span>")
    verdict = ""
    if audio.digits is not None:
        verdict = (":green[✓ right]" if tr.output == audio.digits else
                   f":red[**✗ wrong** (said {' '.join(audio.digits)})]")
    body = "".join(cells) if cells else "<span style='font-size:1.6rem'>(no digits)</span>"
    label = VARIANTS[tr.variant].label
    if short:                             # side by side: "Location-aware", the chart's title says the rest
        label = label.split(" (")[0]
    st.markdown(f"**{label}** heard" + (f" — {verdict}" if verdict else ""))
    st.html(f"<div aria-label='digits heard: {' '.join(tr.output) or 'none'}'>{body}</div>")
    if not short:
        st.caption(f"Under each digit: its probability, calibrated on held-out voices; **?** = unsure "
                   f"(p < {_unsure_below(tr):.2f})." + ("" if tr.finished else
                                                         " No end token: the model hit its step limit."))


def _unsure_below(tr) -> float:
    return float(compute.model(tr.variant)[0].cfg.unsure_below)


def labels(tr) -> list[str]:
    return figures.step_labels(tr.tokens, tr.unsure)


def summary(tr, row=None, title: str = "") -> str:
    """The alignment in words (the chart's text alternative): rows are the digits written,
    columns the frame times."""
    return describe.matrix_summary(np.where(tr.mask, tr.weights, np.nan), labels(tr),
                                   [f"{t:.2f} s" for t in tr.times], focus_row=row,
                                   rows="output step", cols="frame", value_name="attention weight",
                                   title=title)


def picture(tr, audio, row: int, colorscale: str) -> None:
    """Waveform, log-mel and alignment on one time axis; click a row to pick a digit."""
    seg = tr.segment(row) if 0 <= row < len(tr.tokens) else None
    truth_labels = list(audio.digits) if audio.digits else []
    windowed = tr.centres is not None
    fig = figures.picture(compute.envelope(audio), tr.features, tr.feature_times, tr.weights, tr.times,
                          labels(tr), colorscale=colorscale, title="",
                          row=row, segment=seg, truth=audio.truth, truth_labels=truth_labels,
                          mask=tr.mask if windowed else None, centres=tr.centres)
    ev = charts.plot(fig, key="picture", name=f"listen_{tr.variant}", select=True,
                     summary=summary(tr, row))
    _take_click(ev, len(tr.tokens))
    st.caption(VARIANTS[tr.variant].caption +
               (" Blue: where each digit really is." if audio.truth is not None else "") +
               " Shaded: what the selected row listened to. Click a row to pick a digit.")
    charts.downloads(tr.weights, labels(tr), [f"{t:.2f}" for t in tr.times], f"listen_{tr.variant}",
                     "dl_picture", meta={"model": tr.variant, "output": tr.output, "recording": audio.name,
                                         "rows": "output step", "columns": "frame centre (s)",
                                         "values": "attention weights used to decode",
                                         "token_probabilities": tr.token_probs.tolist(),
                                         "temperature": tr.temperature})


def _take_click(ev, T: int) -> None:
    pt = charts.clicked(ev)
    if pt is not None:
        y = int(round(float(pt.get("y", -1))))
        if 0 <= y < T and y != st.session_state.row:
            P.request(row=y)


def compare(tr, other, audio, row: int, colorscale: str) -> None:
    """Two models on one recording, side by side."""
    a, b = st.columns(2, gap="small")
    for col, x, key in ((a, tr, "cmp_a"), (b, other, "cmp_b")):
        with col:
            heard(x, audio, short=True)
            fig = figures.alignment(x.weights, x.times, labels(x), colorscale=colorscale,
                                    title=VARIANTS[x.variant].label, row=row,
                                    mask=x.mask if x.centres is not None else None,
                                    colorbar=key == "cmp_b")
            ev = charts.plot(fig, key=key, name=f"listen_{x.variant}", select=True,
                             summary=summary(x, row, VARIANTS[x.variant].label))
            _take_click(ev, len(x.tokens))


def digit(tr, audio, row: int) -> None:
    """One output step: its weights over time, what was attended (played exactly), and for the
    location model what the previous alignment contributed."""
    T = len(tr.tokens)
    P.ranged_slider("Digit # (or click a row above)", 0, max(T - 1, 1), key="row", disabled=T < 2)
    t = min(int(st.session_state.row), T - 1)
    a, b = tr.segment(t)
    k = sum(1 for x in tr.tokens[:t] if x != "end")
    truth = tuple(audio.truth[k]) if audio.truth is not None and tr.tokens[t] != "end" and \
        k < len(audio.truth) else None
    name = "the end token" if tr.tokens[t] == "end" else f"digit {k + 1}, “{tr.tokens[t]}”"
    prev = tr.prev[t] if t > 0 else None
    without = compute.without_location(tr)
    fig = figures.digit_detail(tr.times, tr.weights[t], title=f"Step {t}: {name} (p = {tr.token_probs[t]:.2f})",
                               prev=prev, without=None if without is None else without[t],
                               mask=tr.mask[t] if tr.centres is not None else None, segment=(a, b), truth=truth)
    left, right = st.columns([2.2, 1], gap="medium")
    with left:
        charts.plot(fig, key="detail", name=f"listen_{tr.variant}_step{t}")
    with right:
        st.markdown(f"**What step {t} listened to**: {a:.2f}–{b:.2f} s (the frames holding 80% of its weight)")
        # st.audio's start_time / end_time are whole seconds in Streamlit 1.67 (int()), too coarse
        # for a 0.4 s digit: the segment itself is cut out and played from its start.
        st.audio(compute.segment_wave(audio, a, b), sample_rate=audio.rate)
        st.caption(f"The whole recording, from {int(a)} s (st.audio starts on whole seconds):")
        st.audio(audio.wave, sample_rate=audio.rate, start_time=int(a))
    if without is not None:
        moved = compute.location_moved(tr)[t]
        st.caption(f"Grey dashed: where the previous step listened (α_{{t−1}}). Green dotted: the weights "
                   f"this step would have had from the content part alone (the same model with the "
                   f"location term U f removed). Blue bars: what it used. The convolution of α_{{t−1}} "
                   f"moved **{moved:.0%}** of this step's weight (half the summed difference of the "
                   f"two curves) — on “7 7 7 7”, on to the next seven.")
    elif tr.centres is not None:
        st.caption(f"Red dotted box: the window this step could use, ±{WINDOW} frames around "
                   f"c_t = {tr.centres[t]:.1f} (the mean position of α_{{t−1}} + {SHIFT} frames, "
                   f"{SHIFT * FRAME_S:.1f} s ahead).")


def formulas(variant: str) -> None:
    with page.lazy_section("How these models work (formulas)", "_listen_formulas",
                           icon=":material/school:") as is_open:
        if not is_open:
            return
        v = VARIANTS[variant]
        st.markdown("A conv listener turns the log-mel (100 frames/s) into one key per 40 ms (each "
                    "key hears about ±0.6 s around it); a GRU speller writes one digit per step and "
                    "attends over the keys with this model's attention. It starts from a learned "
                    "constant, so everything it knows about the recording passes through these "
                    "weights.")
        st.latex(v.formula)
        st.latex(r"\alpha_t = \mathrm{softmax}(e_t),\ c_t = \sum_j \alpha_{tj} h_j,\ "
                 r"s_t = \mathrm{GRU}([E y_{t-1}; c_t], s_{t-1}),\ "
                 r"p(y_t) = \mathrm{softmax}(W_o \tanh(W_c [s_t; c_t]) / \tau)")
        st.caption(f"{v.label}: {v.description}. {v.paper}. τ: the calibration temperature.")


def accuracy() -> None:
    rows = compute.accuracy_rows()
    if not rows:
        st.info("No trained listeners are shipped. Train them with `python -m training listen "
                "--variant all` (needs the FSDD recordings).")
        return
    st.markdown("**How well each model listens** (exact strings; FSDD speaker “george”, never heard "
                "in training, and eSpeak NG voices never used in training)")
    pct = [k for k in rows[0] if k not in ("attention (model)", "CPU s")]
    page.model_tables(rows, ("attention (model)",),
                      [(None, [k for k in pct if not k.startswith("unsure")]),
                       ("Its unsure flag, and its training", [k for k in pct if k.startswith("unsure")] + ["CPU s"])],
                      percent=pct)
    st.caption("Repeated: one digit said 4–8 times, 0–150 ms apart. Unsure flag: of the digits flagged, the share "
               "that were wrong (precision), and of the wrong digits, the share flagged (recall), on "
               "1–8-digit strings of the held-out speaker. CPU s: training on one thread. Retrain: "
               "`python -m training listen --variant all`.")
