"""Learn page: the attention formulas, step by step, on matrices small enough to check by hand."""
import streamlit as st

from features.learn import compute, lesson, state, view
from ui import page, params as P

prefs = page.setup("learn")
page.notices(P.load("learn", state.PARAMS) + state.check(st.session_state))
s = st.session_state

X, W_a = view.matrices_row()
left, right = st.columns([1, 2.7], gap="medium")
with left:
    view.controls()
tabs = view.lesson_tabs()            # lazy: only the open tab's content runs

r = None
with page.guard("compute your example"):
    r = compute.steps(X, W_a, score=s.score, scope=s.scope, window=s.window,
                      normalization=s.normalization, temperature=s.temperature)
    with right:
        view.step_charts(r, prefs.colorscale)
if r is not None and tabs[view.BY_HAND].open:
    with tabs[view.BY_HAND], page.guard("check a row by hand"):
        view.by_hand(r)
        lesson.temperature_quiz()
if r is not None and tabs[view.STEPS].open:
    with tabs[view.STEPS], page.guard("show the four steps"):
        view.step_tables(r)
if tabs[view.FORMULAS].open:
    with tabs[view.FORMULAS], page.guard("show the formulas"):
        lesson.formulas()
if tabs[view.TINY].open:
    with tabs[view.TINY], page.guard("run the tiny example"):
        lesson.circulated()
        lesson.working_form()
if tabs[view.SOFT_HARD_LOCAL].open:
    with tabs[view.SOFT_HARD_LOCAL], page.guard("compare soft, hard and local"):
        lesson.soft_hard_local(prefs.colorscale)

page.share_link(P.publish("learn", state.PARAMS), "learn")
