"""Learn page: the attention formulas, step by step, on matrices small enough to check by hand."""
import streamlit as st

from features.learn import compute, lesson, state, view
from ui import page, params as P

prefs = page.setup("learn", "Learn: attention step by step",
                   "Scores → weights → output, on matrices small enough to check every number by hand. "
                   "Edit X and W_a, pick the mechanism; the lesson below explains each step.")
page.notices(P.load("learn", state.PARAMS) + state.check(st.session_state))
s = st.session_state

X, W_a = view.matrices_row()
left, right = st.columns([1, 2.7], gap="medium")
with left:
    view.controls()
with page.guard("compute your example"):
    r = compute.steps(X, W_a, score=s.score, scope=s.scope, window=s.window,
                      normalization=s.normalization, temperature=s.temperature)
    with right:
        view.step_charts(r, prefs.colorscale)
    view.step_tables(r)
    view.by_hand(r)
    lesson.temperature_quiz()

with page.guard("show the formulas"):
    lesson.formulas()
with page.guard("run the tiny example"):
    lesson.circulated()
    lesson.working_form()
with page.guard("compare soft, hard and local"):
    lesson.soft_hard_local(prefs.colorscale)

page.share_link(P.publish("learn", state.PARAMS), "learn")
