"""``ui.page.model_tables``: a wide per-model table shown as narrow ones (AppTest)."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _app(large: bool = False):
    import streamlit as st
    from ui import page
    st.session_state["_prefs"] = page.Prefs(colorscale="Viridis", large=large)
    rows = [{"model": "a", "p": 0.9345, "q": 0.5, "r": None, "s": 1, "t": 2, "u": 3},
            {"model": "b", "p": 1.0, "q": 0.25, "r": 0.125, "s": 4, "t": 5, "u": 6}]
    page.model_tables(rows, ("model",), [("Empty", []), (None, ("p", "q", "r")), ("Trained", ("s", "t", "u"))],
                      percent=("p", "q", "r"), headers={"p": "P"})


def test_groups_become_tables_after_the_model_column_with_shares_in_percent():
    at = AppTest.from_function(_app).run()
    assert not at.exception
    tables = [d.value for d in at.dataframe]
    assert [list(t.columns) for t in tables] == [["model", "p", "q", "r"], ["model", "s", "t", "u"]]
    assert tables[0]["p"].tolist() == [93.4, 100.0]            # 93.45 in binary is just under: 93.4
    assert tables[0]["q"].tolist() == [50.0, 25.0]
    assert tables[0]["r"].isna().tolist() == [True, False] and tables[0]["r"][1] == 12.5
    titles = [m.value for m in at.markdown]
    assert titles == ["**Trained**"]                           # an empty group shows nothing, not its title


def test_large_text_cuts_a_group_into_tables_of_at_most_five_columns():
    from ui.page import LARGE_TEXT_COLUMNS
    at = AppTest.from_function(_app, kwargs={"large": True}).run()
    tables = [list(d.value.columns) for d in at.dataframe]
    assert LARGE_TEXT_COLUMNS == 5
    assert tables == [["model", "p", "q", "r"], ["model", "s", "t", "u"]]       # 4 columns: fits


def _wide(large: bool = True):
    import streamlit as st
    from ui import page
    st.session_state["_prefs"] = page.Prefs(colorscale="Viridis", large=large)
    cols = [f"c{i}" for i in range(7)]
    page.model_tables([{"model": "a", **{c: i for i, c in enumerate(cols)}}], ("model",), [(None, cols)])


def test_a_seven_column_group_splits_into_equal_runs_with_large_text_only():
    big = [list(d.value.columns) for d in AppTest.from_function(_wide).run().dataframe]
    assert big == [["model", "c0", "c1", "c2", "c3"], ["model", "c4", "c5", "c6"]]
    normal = [list(d.value.columns) for d in AppTest.from_function(_wide, kwargs={"large": False}).run().dataframe]
    assert normal == [["model"] + [f"c{i}" for i in range(7)]]
