"""Learn page: the tiny example's numbers by hand, the circulated NumPy snippet's real error,
matrix validation, and the page in AppTest (defaults, widgets, share links, old links)."""
import math
from pathlib import Path

import numpy as np
import pytest

from tests.plotly_utils import run_page, trace_array

from attention.tutorial import TINY_WA, TINY_X
from features.learn import compute as C, snippet as SN
from features.learn.editor import cells_to_matrix
from features.learn.state import format_matrix, parse_matrix
from features.learn.view import BY_HAND, EDIT_KEY, SOFT_HARD_LOCAL, STEPS, TAB_KEY, TABS, TINY

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "learn.py")
e = math.e
X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
# hand computation: scores X X^T, row softmax, weights X
SCORES = [[1, 0, 1], [0, 1, 1], [1, 1, 2]]
WEIGHTS = [[e / (2 * e + 1), 1 / (2 * e + 1), e / (2 * e + 1)],
           [1 / (1 + 2 * e), e / (1 + 2 * e), e / (1 + 2 * e)],
           [1 / (2 + e), 1 / (2 + e), e / (2 + e)]]
OUTPUT = [[2 * e / (2 * e + 1), (1 + e) / (2 * e + 1)],
          [(1 + e) / (1 + 2 * e), 2 * e / (1 + 2 * e)],
          [(1 + e) / (2 + e), (1 + e) / (2 + e)]]
LOCAL1 = [[e / (e + 1), 1 / (e + 1), np.nan],          # |i - j| <= 1; nan = outside the scope
          WEIGHTS[1],
          [np.nan, 1 / (1 + e), e / (1 + e)]]
# Where the tables are, in page order (two-column blocks are read column by column): the X and
# W_a editors in the "Edit X and W_a" popover, the rest in the lazy tabs under the charts (only
# the open popover / tab runs and is sent to the browser).
EDITORS = ["X_edit", "W_a_edit"]
TAB_TABLES = {STEPS: ["scores", "weights", "mask", "output"],
              TINY: ["circ", "tiny_scores", "tiny_weights", "tiny_output"],
              SOFT_HARD_LOCAL: ["tiny_soft", "tiny_hard", "tiny_local"]}


# ------------------------------------------------------------------ the page's maths, by hand
def test_tiny_example_by_hand():
    assert WEIGHTS[0][0] == pytest.approx(0.4223188, abs=1e-7)
    assert WEIGHTS[0][1] == pytest.approx(0.1553624, abs=1e-7)
    assert WEIGHTS[2][2] == pytest.approx(0.5761169, abs=1e-7)
    s = C.steps(TINY_X, TINY_WA, score="general")
    np.testing.assert_array_equal(s.scores, SCORES)
    np.testing.assert_allclose(s.weights, WEIGHTS, atol=1e-12)
    np.testing.assert_allclose(s.output, OUTPUT, atol=1e-12)
    assert s.mask.all()
    sc, wt, out = SN.self_attention_numpy(X, np.eye(2))        # the code the page shows
    np.testing.assert_array_equal(sc, SCORES)
    np.testing.assert_allclose(wt, WEIGHTS, atol=1e-12)
    np.testing.assert_allclose(out, OUTPUT, atol=1e-12)
    assert C.steps(score="dot").scores.tolist() == SCORES     # W_a = I: general == dot


def test_other_forms_by_hand():
    # additive with W_1 = W_2 = I, v = 1: e_ij = tanh(x_i1 + x_j1) + tanh(x_i2 + x_j2)
    s = C.steps(score="additive")
    assert s.scores[0, 0] == pytest.approx(math.tanh(2) + math.tanh(0))
    assert s.scores[2, 2] == pytest.approx(2 * math.tanh(2))
    assert s.scores[0, 1] == pytest.approx(2 * math.tanh(1))
    # general with W_a = 2I doubles the scores = softmax at T = 1/2
    g = C.steps(X, 2 * np.eye(2))
    np.testing.assert_allclose(g.weights, C.steps(temperature=0.5).weights, atol=1e-12)
    hard = C.steps(normalization="hard")            # ties [1, 0, 1] -> first index
    np.testing.assert_array_equal(hard.weights, np.eye(3))
    np.testing.assert_array_equal(hard.output, X)
    loc = C.steps(scope="local", window=1)
    np.testing.assert_allclose(loc.weights, np.nan_to_num(LOCAL1), atol=1e-12)
    causal = C.steps(scope="causal")
    np.testing.assert_allclose(causal.weights[1], [1 / (1 + e), e / (1 + e), 0], atol=1e-12)


def test_circulated_snippet_really_fails():
    with pytest.raises(ValueError, match="shapes|not aligned|mismatch"):
        SN.circulated_version(X, np.eye(2))
    run = SN.run_circulated(X, np.eye(2))
    assert run.error_type == "ValueError"
    assert any(w in run.error for w in ("shapes", "not aligned", "mismatch"))
    assert run.product_shape == (3, 2)
    np.testing.assert_allclose(run.weights[0], [e / (e + 1), 1 / (e + 1)])   # per feature
    square = SN.run_circulated(np.eye(3), np.eye(3))          # d == n: runs, still wrong
    assert square.error is None and square.output.shape == (3, 3)


def test_matrix_text_and_cells():
    assert parse_matrix("1,0;0,1;1,1").tolist() == X.tolist()
    assert format_matrix([[1, 0.5], [-2, 1e-5]]) == "1,0.5;-2,1e-05"
    for bad, why in [("1,0;0,abc", "not a number"), ("1,0;0", "different lengths"),
                     ("nan,1", "not a number"), ("1e400,1", "not a finite"),
                     ("101,0", "outside"), (";".join(["1"] * 7), "rows"), ("1,2,3,4,5", "columns"),
                     ("", "empty"), ("<script>,1", "not a number")]:
        with pytest.raises(ValueError, match=why):
            parse_matrix(bad)
    m, problems = cells_to_matrix([[1, 2], [3, 4]])
    assert m.tolist() == [[1, 2], [3, 4]] and problems == []
    m, problems = cells_to_matrix([[1, None], [float("nan"), "x"], [float("inf"), 500]], "X")
    assert m is None
    assert problems == ["X row 1, column 2 is empty", "X row 2, column 1 is empty",
                        "X row 2, column 2 is not a number", "X row 3, column 1 is not a finite number",
                        "X row 3, column 2 = 500 is outside [-100, 100]"]


def test_core_and_figures_stay_ui_free():
    import subprocess
    import sys
    probe = ("import sys, {mod}; print(sorted({{m.split('.')[0] for m in sys.modules}} & {banned}))")
    for mod, banned in (("attention.tutorial", {"streamlit", "plotly"}),
                        ("features.learn.compute", {"streamlit", "plotly"}),
                        ("features.learn.snippet", {"streamlit", "plotly"}),
                        ("features.learn.figures", {"streamlit"}), ("figures.matrix", {"streamlit"})):
        out = subprocess.run([sys.executable, "-c", probe.format(mod=mod, banned=banned)],
                             cwd=str(Path(PAGE).parent.parent), capture_output=True, text=True)
        assert out.stdout.strip() == "[]", (mod, out.stdout, out.stderr)


# ------------------------------------------------------------------ the page
def page(**query):
    return run_page(PAGE, 60, **query)


def state(at, key, default=None):
    try:
        return at.session_state[key]
    except KeyError:
        return default


def show(at, tab=None, edit=None):
    """Open the lazy tab ``tab`` and/or the editors' popover (``edit``), as a click does."""
    changes = {k: v for k, v in ((TAB_KEY, tab), (EDIT_KEY, edit))
               if v is not None and state(at, k, TABS[0] if k == TAB_KEY else False) != v}
    if changes:
        for k, v in changes.items():
            at.session_state[k] = v
        at.run()
        assert not at.exception, at.exception
    return at


def table(at, name) -> np.ndarray:
    """The table ``name`` at full precision (its tab or the editors' popover opened first)."""
    if name in EDITORS:
        show(at, edit=True)
    else:
        show(at, tab=next(t for t, names in TAB_TABLES.items() if name in names))
    names = (EDITORS if state(at, EDIT_KEY, False) else []) + TAB_TABLES.get(state(at, TAB_KEY), [])
    assert len(at.dataframe) == len(names)
    return at.dataframe[names.index(name)].value.to_numpy()


def page_text(at) -> str:
    return " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption) \
        + " ".join(x.value for x in at.get("latex"))


def chart_z(at, key) -> np.ndarray:
    return trace_array(at, "z", key=key).astype(float)


def test_page_defaults_show_the_hand_numbers():
    at = page()
    assert not at.warning
    # the first screen: scores and weights of the tiny example, and nothing heavy below them
    # (no data grid, no code highlighter: the editors and the other tabs are lazy)
    np.testing.assert_array_equal(chart_z(at, "chart_scores"), SCORES)
    np.testing.assert_allclose(chart_z(at, "chart_weights"), WEIGHTS, atol=1e-6)
    assert len(at.get("plotly_chart")) == 2 and not at.dataframe and not at.code
    text = page_text(at)                                             # the first tab: one row by hand
    # the circulated snippet's real NumPy error text is shown verbatim
    err = SN.run_circulated().error
    assert any(w in err for w in ("shapes", "not aligned", "mismatch"))
    show(at, tab=TINY)
    text += page_text(at)
    assert any(c.value == err for c in at.code)
    assert any("ValueError" in x.value for x in at.error)
    np.testing.assert_allclose(table(at, "circ")[0], [e / (e + 1), 1 / (e + 1)])
    np.testing.assert_array_equal(table(at, "tiny_scores"), SCORES)
    np.testing.assert_allclose(table(at, "tiny_weights"), WEIGHTS, atol=1e-12)
    np.testing.assert_allclose(table(at, "tiny_output"), OUTPUT, atol=1e-12)
    # the editable part starts on the tiny example too
    np.testing.assert_array_equal(table(at, "X_edit"), X)
    np.testing.assert_array_equal(table(at, "W_a_edit"), np.eye(2))
    np.testing.assert_array_equal(table(at, "scores"), SCORES)
    assert table(at, "mask").all()
    np.testing.assert_allclose(table(at, "weights"), WEIGHTS, atol=1e-12)
    np.testing.assert_allclose(table(at, "output"), OUTPUT, atol=1e-12)
    # soft / hard / local heatmaps
    show(at, tab=SOFT_HARD_LOCAL)
    np.testing.assert_allclose(chart_z(at, "tiny_soft"), WEIGHTS, atol=1e-6)
    np.testing.assert_array_equal(chart_z(at, "tiny_hard"), np.eye(3))
    np.testing.assert_allclose(chart_z(at, "tiny_local"), LOCAL1, atol=1e-6, equal_nan=True)
    np.testing.assert_allclose(table(at, "tiny_local"), np.nan_to_num(LOCAL1), atol=1e-12)
    # the captions quote the same numbers
    text += page_text(at)
    for s in ("0.4223, 0.1554, 0.4223", "0.2119, 0.2119, 0.5761", "[0.8446, 0.5777]",
              "[2.7183, 1.0000, 2.7183], sum = 6.4366", "[0.731, 0.269]"):
        assert s in text, s


def test_widgets_recompute_every_matrix():
    at = page()
    at.radio(key="scope").set_value("local").run()
    at.slider(key="window").set_value(1).run()
    np.testing.assert_allclose(table(at, "weights"), np.nan_to_num(LOCAL1), atol=1e-12)
    np.testing.assert_allclose(chart_z(at, "chart_weights"), LOCAL1, atol=1e-6, equal_nan=True)
    assert table(at, "mask").tolist() == [[True, True, False], [True, True, True], [False, True, True]]
    at.radio(key="normalization").set_value("hard").run()
    np.testing.assert_array_equal(table(at, "weights"), [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(table(at, "output"), X)
    at.radio(key="normalization").set_value("soft").run()
    at.radio(key="scope").set_value("global").run()
    at.slider(key="temperature").set_value(0.5).run()
    np.testing.assert_allclose(table(at, "weights")[0], np.array([e**2, 1, e**2]) / (2 * e**2 + 1))
    at.selectbox(key="score").set_value("additive").run()
    ref = C.steps(X, np.eye(2), score="additive", temperature=0.5)
    np.testing.assert_allclose(table(at, "scores"), ref.scores, atol=1e-12)
    np.testing.assert_allclose(chart_z(at, "chart_scores"), ref.scores, atol=1e-6)
    np.testing.assert_allclose(table(at, "weights"), ref.weights, atol=1e-12)
    # resize: a 4th token (zeros) and a 3rd feature; W_a grows with 1 on the diagonal
    show(at, edit=True)                                              # the sizes sit by the editors
    at.number_input(key="n_tokens").set_value(4).run()
    at.number_input(key="n_features").set_value(3).run()
    assert not at.exception
    np.testing.assert_array_equal(table(at, "X_edit"), [[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(table(at, "W_a_edit"), np.eye(3))
    assert table(at, "scores").shape == (4, 4)
    show(at, tab=BY_HAND)
    at.selectbox(key="row").set_value(4).run()
    assert any("Row x4" in m.value for m in at.markdown)
    at.button(key="reset").click().run()
    np.testing.assert_array_equal(table(at, "X_edit"), X)


def test_predict_then_reveal():
    at = page()
    assert not at.success
    show(at, tab=TINY)
    at.radio(key="q_most").set_value(2).run()                       # "x3"
    assert any("Right" in s.value and f"{e / (2 + e):.4f}" in s.value for s in at.success)
    show(at, tab=SOFT_HARD_LOCAL)
    at.radio(key="q_hard").set_value(1).run()                       # "x3": wrong
    assert any("the answer is **x1**" in x.value for x in at.error)


def test_share_link_values_and_hostile_ones():
    at = page(X="2,0;0,1;1,1", normalization="hard", scope="causal", temperature="0.5")
    assert not at.warning
    Xl = np.array([[2.0, 0], [0, 1], [1, 1]])
    np.testing.assert_array_equal(table(at, "scores"), [[4, 0, 2], [0, 1, 1], [2, 1, 2]])
    # causal: x2 sees [0, 1] -> x2; x3 sees [2, 1, 2] -> tie, the first (x1) wins
    np.testing.assert_array_equal(table(at, "weights"), [[1, 0, 0], [0, 1, 0], [1, 0, 0]])
    np.testing.assert_array_equal(table(at, "output"), [Xl[0], Xl[1], Xl[0]])
    at = page(X="1,0;0,<script>alert(1)</script>", W_a="1,2,3;4,5,6;7,8,9", window="99",
              row="6", bogus="1")
    notes = " ".join(w.value for w in at.warning)
    assert "`X` = `1,0;0,<script>alert(1)</script>` is not a usable matrix" in notes  # code span
    assert "row 2, column 2 is not a number" in notes
    assert "`window`" in notes and "from 0 to 5" in notes
    assert "`W_a` is 3×3, but X has 2 columns" in notes and "`row`" in notes and "`bogus`" in notes
    np.testing.assert_array_equal(table(at, "X_edit"), X)         # defaults kept
    np.testing.assert_array_equal(table(at, "W_a_edit"), np.eye(2))
    np.testing.assert_allclose(table(at, "weights"), WEIGHTS, atol=1e-12)


def test_old_share_link_keys_still_work():
    """Links made before the rename (Wa=, w=, type=, T=) open the same view, with no notice,
    and the address is rewritten with the new names."""
    at = page(Wa="2,0;0,2", scope="local", w="0", type="soft", T="2")
    assert not at.warning, [w.value for w in at.warning]
    s = at.session_state
    assert (s["W_a"], s["window"], s["normalization"], s["temperature"]) == ("2,0;0,2", 0, "soft", 2.0)
    # w = 0: every token sees only itself, whatever the scores
    np.testing.assert_array_equal(table(at, "weights"), np.eye(3))
    np.testing.assert_array_equal(table(at, "scores"), 2 * np.array(SCORES))
    qp = {k: (v[-1] if isinstance(v, list) else v) for k, v in dict(at.query_params).items()}
    assert qp == {"W_a": "2,0;0,2", "scope": "local", "window": "0", "temperature": "2"}
    at = page(type="hard")
    np.testing.assert_array_equal(table(at, "weights"), np.eye(3))


def test_choice_labels_never_depend_on_other_widgets():
    """Streamlit 1.67 identifies a select box's / radio's value by its label: a label that
    changes with another widget makes the value stale (issue 15).  Change every choice; the
    labels of every select box and radio (in every lazy tab) stay the same."""
    at = page()

    def labels(at):
        out = {}
        for tab in TABS:
            show(at, tab=tab)
            out.update({w.key: list(w.options) for w in list(at.selectbox) + list(at.radio) if w.key})
        return out

    before = labels(at)
    assert {"score", "scope", "normalization", "row", "q_temp", "q_shape", "q_most", "q_hard",
            "q_local"} <= set(before)
    for kind, key, value, tab in (("selectbox", "score", "dot", BY_HAND), ("radio", "scope", "causal", BY_HAND),
                                  ("radio", "normalization", "hard", BY_HAND), ("selectbox", "row", 3, BY_HAND),
                                  ("radio", "q_shape", 1, TINY), ("selectbox", "score", "additive", BY_HAND)):
        show(at, tab=tab)
        getattr(at, kind)(key=key).set_value(value).run()
        assert not at.exception and labels(at) == before, key
