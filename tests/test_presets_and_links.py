"""Lesson presets open cleanly; the home page and router work; exports parse back."""
import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from features.home import presets
from ui.charts import matrix_csv, matrix_json

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("title,page,blurb,query", presets.LESSONS, ids=[l[0][:30] for l in presets.LESSONS])
def test_preset_opens_its_page_without_notices(title, page, blurb, query):
    at = AppTest.from_file(str(ROOT / page), default_timeout=90)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    assert not at.warning, [w.value for w in at.warning]
    for k, v in query.items():
        got = at.session_state[k]
        assert (("1" if got else "0") if isinstance(got, bool) else str(got)) == v   # a Flag is 1 / 0
    assert at.get("plotly_chart")


def test_home_page_lists_presets():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    for title, *_ in presets.LESSONS:
        assert title in text


def test_home_lists_every_page_of_the_navigation():
    """The list under the presets links every page of the registry but Home (Read digits was
    missing when the list was kept by hand)."""
    from ui import sitemap
    assert {f for f, *_ in presets.pages()} == {p.file for p in sitemap.PAGES if not p.default}


def test_export_csv_and_json_parse_back_to_the_matrix():
    m = np.array([[0.25, 0.75], [1.0, np.nan]])
    rows, cols = ["q <b>1</b>", "q,2"], ["k\"1", "k2"]
    parsed = list(csv.reader(io.StringIO(matrix_csv(m, rows, cols))))
    assert parsed[0] == ["", "k\"1", "k2"]
    assert [r[0] for r in parsed[1:]] == rows
    got = np.array([[float(x) for x in r[1:]] for r in parsed[1:]])
    np.testing.assert_array_equal(np.isnan(got), np.isnan(m))
    np.testing.assert_array_equal(got[~np.isnan(m)], m[~np.isnan(m)])
    j = json.loads(matrix_json(m, rows, cols, meta={"view": "x"}))
    assert j["rows"] == rows and j["columns"] == cols and j["meta"] == {"view": "x"}
    assert j["values"] == [[0.25, 0.75], [1.0, None]]


def test_sentence_page_exports_the_shown_matrix(monkeypatch):
    """The JSON behind the page's download button holds exactly the heatmap's numbers."""
    import ui.charts as ex
    seen = []
    real = ex.matrix_json
    monkeypatch.setattr(ex, "matrix_json", lambda *a, **k: seen.append(real(*a, **k)) or seen[-1])
    at = AppTest.from_file(str(ROOT / "pages" / "sentence.py"), default_timeout=90)
    at.query_params["scope"] = "local"
    at.query_params["window"] = "1"
    at.run()
    from tests.plotly_utils import chart_spec, trace_array
    z = trace_array(at, "z", key="heatmap")
    j = json.loads(seen[-1])
    got = np.array([[np.nan if x is None else x for x in row] for row in j["values"]], dtype=float)
    shown = np.where(np.isnan(z), 0.0, z)            # blank (out-of-scope) cells are weight 0
    np.testing.assert_allclose(got, shown, atol=1e-6)
    ticks = chart_spec(at, key="heatmap")["layout"]["yaxis"]["ticktext"]
    assert j["rows"] == ticks and j["columns"] == ticks


def test_entering_a_page_shows_its_url_and_keeps_no_other_pages_state():
    """The URL is the state: two pages may use the same key without seeing each other's values,
    and entering a page from the navigation (an address with no parameters) shows its defaults."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at.switch_page("pages/sentence.py").run()
    at.slider(key="temperature").set_value(2.0).run()
    at.radio(key="normalization").set_value("hard").run()
    assert dict(at.query_params)["normalization"] in ("hard", ["hard"])
    at.switch_page("pages/home.py").run()
    assert not at.exception
    at.switch_page("pages/sentence.py").run()
    assert not at.exception
    assert at.slider(key="temperature").value == 1.0 and at.radio(key="normalization").value == "soft"
