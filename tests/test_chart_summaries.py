"""Issue 25: every chart has a text alternative generated from its numbers
(``figures.describe``), and the numbers it states are the matrix's own (argmax, counts, extremes,
blank cells), checked against numpy; each page draws it under every chart."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as hst

import figures
from figures import describe as D
from ui import charts

ROOT = Path(__file__).resolve().parent.parent


def _softmax_rows(rng, n, m, mask=None):
    e = np.exp(rng.normal(size=(n, m)) * 2)
    if mask is not None:
        e = np.where(mask, e, 0.0)
    s = e.sum(-1, keepdims=True)
    w = np.divide(e, s, out=np.zeros_like(e), where=s > 0)
    return np.where(mask, w, np.nan) if mask is not None else w


def test_the_issue_example_reads_the_numbers():
    toks = ["The", "animal", "was", "it"]
    w = np.array([[1.0, 0, 0, 0], [0.5, 0.5, 0, 0], [0.2, 0.3, 0.5, 0], [0.1, 0.62, 0.08, 0.2]])
    text = D.matrix_summary(w, toks, toks, focus_row=3, rows="query", cols="key", value_name="weight")
    assert "Query “it” puts 0.62 of its weight on “animal”, then 0.20 on “it”." in text
    assert text.startswith("4 queries × 4 keys (weight in each cell).")
    assert "2 of 4 queries have their largest weight on “The”." in text      # rows 0 and 1 (tie -> first)


@settings(max_examples=60, deadline=None)
@given(hst.integers(1, 12), hst.integers(1, 12), hst.integers(0, 2**31 - 1), hst.booleans())
def test_facts_match_numpy(n, m, seed, masked):
    rng = np.random.default_rng(seed)
    mask = rng.random((n, m)) > 0.3 if masked else None
    w = _softmax_rows(rng, n, m, mask)
    rows, cols = [f"q{i}" for i in range(n)], [f"k{j}" for j in range(m)]
    focus = int(rng.integers(n))
    f = D.matrix_facts(w, rows, cols, focus_row=focus)
    finite = np.isfinite(w)
    assert f.shape == (n, m) and f.blank == int((~finite).sum())
    assert f.weights or not finite.any()                               # softmax rows (none if all blank)
    row = np.where(finite[focus], w[focus], -np.inf)
    if not finite[focus].any() or np.nanmax(np.where(finite[focus], w[focus], 0)) <= 0:
        assert f.focus_empty and f.focus is None
    else:
        j = int(np.argmax(row))
        assert (f.focus.row, f.focus.col, f.focus.col_label) == (focus, j, f"k{j}")
        assert f.focus.value == pytest.approx(w[focus, j])
        if f.focus_next is not None:
            assert f.focus_next.value <= f.focus.value and f.focus_next.col != j
    if finite.any():
        i, j = np.unravel_index(np.argmax(np.where(finite, w, -np.inf)), w.shape)
        assert (f.largest.row, f.largest.col) == (i, j)
        assert f.largest.value == pytest.approx(np.nanmax(w))
        assert f.smallest.value == pytest.approx(np.nanmin(w))
    live = [i for i in range(n) if finite[i].any() and np.nanmax(w[i]) > 0]
    if f.top_col is not None:
        arg = [int(np.argmax(np.where(finite[i], w[i], -np.inf))) for i in live]
        j, _, k = f.top_col
        assert k == arg.count(j) == max(arg.count(x) for x in set(arg)) and k >= 2


def test_a_row_that_attends_to_nothing_says_so():
    w = np.array([[np.nan, np.nan], [0.3, 0.7]])
    assert "Row “a” attends to nothing" in D.matrix_summary(w, ["a", "b"], ["c", "d"], focus_row=0)
    assert "1 of 2 rows" not in D.matrix_summary(w, ["a", "b"], ["c", "d"])
    z = np.zeros((2, 2))
    assert D.matrix_facts(z, focus_row=1).focus_empty


def test_values_that_are_not_weights_are_described_as_values():
    m = np.array([[1.5, -2.0], [3.0, 0.25]])
    f = D.matrix_facts(m, ["a", "b"], ["c", "d"], focus_row=0)
    assert not f.weights
    text = D.matrix_summary(m, ["a", "b"], ["c", "d"], focus_row=0)
    assert "Row “a” is largest at “c” (1.5), then “d” (-2)." in text
    assert "Largest: row “b”, column “c”, 3." in text and "Smallest: row “a”, column “d”, -2." in text


def test_bars_facts_and_text():
    v = np.array([0.1, 0.41, 0.03, 0.22, np.nan, 0.24])
    lab = ["a", "b", "c", "d", "e", "f"]
    f = D.bars_facts(v, lab)
    assert [t[0] for t in f.top] == [1, 5, 3] and f.smallest[:2] == (2, "c")
    assert D.bars_summary(v, lab, value_name="α", items="sentence") == (
        "6 sentences, α of each: highest “b” 0.41, then “f” 0.24 and “d” 0.22; lowest “c” 0.03.")


def test_a_figure_is_read_back_with_its_own_labels_and_highlighted_row():
    """charts.plot's default: the summary read off a heatmap built by figures equals the one from
    the arrays, with user text (escaped for Plotly) returned literally."""
    rng = np.random.default_rng(3)
    w = _softmax_rows(rng, 5, 5)
    labels = ["<b>x</b> (0)", "a&b (1)", "it (2)", "\u202eevil (3)", "z (4)"]
    fig = figures.heatmap(w, labels, labels, title="T <i>", highlight_row=2, clickable=True)
    shown = [figures.labels.visible(t) for t in labels]            # what the ticks can show
    assert D.figure_summary(fig) == D.matrix_summary(
        w.astype(np.float32), shown, shown, focus_row=2, rows="query", cols="key",
        value_name="weight", title="T <i>")
    assert "“<b>x</b> (0)”" in D.figure_summary(fig) or "“a&b (1)”" in D.figure_summary(fig)


def test_a_long_axis_keeps_right_numbers_when_ticks_are_thinned():
    rng = np.random.default_rng(0)
    w = _softmax_rows(rng, 130, 130)
    labels = [f"t{i}" for i in range(130)]
    f = D.matrix_facts(w, labels, labels, focus_row=7)
    text = D.figure_summary(figures.heatmap(w, labels, labels, highlight_row=7))
    j = f.focus.col
    name = f"“t{j}”" if j % 3 == 0 else f"“#{j}”"                  # every 3rd tick is labelled
    assert f"puts {w[7, j]:.2f} of its weight on {name}" in text


def test_bars_figure_summary():
    v = np.array([0.2, 0.5, 0.3])
    text = D.figure_summary(figures.bars(v, ["x", "y", "z"], title="pool"))
    assert text == "pool: 3 items, α of each: highest “y” 0.50, then “z” 0.30 and “x” 0.20."


def test_markdown_text_is_literal():
    t = charts.markdown_text("**a** [l](javascript:x) `c` $x$ :material/home: <b> | #")
    for ch in "*[]`$:<>|#":
        assert re.search(r"(?<!\\)" + re.escape(ch), t) is None, ch


# ------------------------------------------------------------------ on the pages (AppTest)
PAGES = ["home", "sentence", "model", "image", "summarize", "learn", "compare"]


@pytest.mark.parametrize("name", PAGES)
def test_every_chart_on_a_page_has_its_summary(name):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=90).run()
    assert not at.exception, [e.value for e in at.exception]
    n_charts = len(at.get("plotly_chart"))
    said = [c.value for c in at.caption if c.value.startswith(charts.IN_WORDS)]
    assert n_charts >= 1 and len(said) == n_charts, (n_charts, said)
    assert all(len(s) > len(charts.IN_WORDS) + 20 for s in said)
