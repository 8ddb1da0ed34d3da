"""The sentence page in a real browser: typing, choosing a mechanism, reading the heatmap
back from Plotly, clicking a cell, and opening a share link."""
from __future__ import annotations

import math
import urllib.parse

import pytest

import stbrowser as S

pytestmark = pytest.mark.e2e

SENTENCE = "The cat sat on the mat because it was tired."
TOKENS = ["[CLS]", "the", "cat", "sat", "on", "the", "mat", "because", "it", "was", "tired", ".", "[SEP]"]
LABELS = [f"{t} ({i})" for i, t in enumerate(TOKENS)]


def check_soft_rows(z):
    for i, row in enumerate(z):
        vals = [v for v in row if v is not None]
        assert all(0 <= v <= 1 for v in vals), i
        assert math.isclose(sum(vals), 1.0, abs_tol=1e-4), (i, sum(vals))


def check_hard_rows(z):
    """Hard (arg-max) attention: every row is one-hot."""
    for i, row in enumerate(z):
        vals = [v for v in row if v is not None]
        assert sorted(vals)[-1] == 1.0 and sum(vals) == 1.0 and all(v in (0.0, 1.0) for v in vals), (i, row)


def check_local(z, w):
    """Local scope: cells with |i - j| > w are blank (outside the scope), the band is shown."""
    for i, row in enumerate(z):
        for j, v in enumerate(row):
            if abs(i - j) > w:
                assert v is None, (i, j, v)
            else:
                assert v is not None, (i, j)


def query_line(page) -> str:
    """The "Query `tok` (#i): sum of weights = ..." line under the heatmap."""
    return page.get_by_test_id("stMarkdown").filter(has_text="sum of weights").first.inner_text()


@pytest.mark.first_request
def test_share_link_is_applied_even_as_first_request(tab, base_url, artifacts):
    """A share link opened as the very first request of a fresh server (the legacy pages/
    trap in DESIGN.md): the router is in charge and every value in the link is applied."""
    # an old-style link (type=, before the rename to normalization=) still opens the same view
    q = urllib.parse.urlencode({"type": "hard", "scope": "local", "window": "1", "text": SENTENCE})
    page = tab.page
    S.goto(page, f"{base_url}/sentence?{q}")
    S.shot(page, artifacts, "sentence-03-share-link")
    nav = page.get_by_test_id("stSidebarNav").inner_text()
    assert "Home" in nav and "Sentence" in nav, "app.py's router is not in charge"
    assert page.title() == "Attention Explorer"             # app.py's page config
    assert S.alerts(page) == [] and S.problems(page) == []
    assert S.text_area_value(page, "Sentence") == SENTENCE
    assert S.radio_value(page, "Attention type") == "Hard (arg-max)"
    assert S.radio_value(page, "Scope") == "Local (window w)"
    assert S.slider_value(page, "Window w") == 1
    z = S.heatmap_z(page)
    assert S.figure_layout(page)["yticks"] == LABELS and len(z) == len(TOKENS)
    check_hard_rows(z)
    check_local(z, 1)
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    assert params == {"normalization": ["hard"], "scope": ["local"], "window": ["1"], "text": [SENTENCE]}


def test_type_change_mechanism_and_window(tab, base_url, artifacts):
    page = tab.page
    S.goto(page, f"{base_url}/sentence")
    S.set_text_area(page, "Sentence", SENTENCE)
    assert S.figure_layout(page)["yticks"] == LABELS
    check_soft_rows(S.heatmap_z(page))
    S.shot(page, artifacts, "sentence-04-typed")

    S.click_radio(page, "Attention type", "Hard (arg-max)")
    assert S.radio_value(page, "Attention type") == "Hard (arg-max)"
    check_hard_rows(S.heatmap_z(page))
    S.shot(page, artifacts, "sentence-05-hard")

    assert widget_disabled(page, "Window w")                  # global scope: no window
    S.click_radio(page, "Scope", "Local (window w)")
    assert not widget_disabled(page, "Window w")
    z = S.heatmap_z(page)
    check_hard_rows(z)
    check_local(z, 2)                                         # the default window
    S.move_slider(page, "Window w", 1)
    assert S.slider_value(page, "Window w") == 1
    z = S.heatmap_z(page)
    check_hard_rows(z)
    check_local(z, 1)
    assert "w=1" in S.figure_layout(page)["title"]
    S.shot(page, artifacts, "sentence-06-hard-local-w1")

    params = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    assert params == {"normalization": ["hard"], "scope": ["local"], "window": ["1"], "text": [SENTENCE]}
    assert S.problems(page) == [] and tab.errors == []


def widget_disabled(page, label: str) -> bool:
    return S.slider_input(page, label).is_disabled()


def test_click_heatmap_cell_inspects_that_row(tab, base_url, artifacts):
    q = urllib.parse.urlencode({"text": SENTENCE})
    page = tab.page
    S.goto(page, f"{base_url}/sentence?{q}")
    assert S.slider_value(page, "Inspect query token #") == 0
    assert "[CLS]" in query_line(page) and "#0" in query_line(page)
    for key, query in ((6, 2), (1, 10)):          # (x = key column, y = query row)
        S.click_cell(page, key, query)
        assert S.slider_value(page, "Inspect query token #") == query
        line = query_line(page)
        assert f"#{query}" in line and TOKENS[query] in line, line
        shapes = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullLayout.shapes"
                               ".map(s => [s.y0, s.y1])")
        assert shapes == [[query - 0.5, query + 0.5]]             # the highlighted row moved
        assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)["row"] == [str(query)]
    S.shot(page, artifacts, "sentence-07-clicked-cell")
    assert S.problems(page) == [] and tab.errors == []


def test_hover_shows_tokens_and_weight(tab, base_url):
    page = tab.page
    S.goto(page, f"{base_url}/sentence?" + urllib.parse.urlencode({"text": SENTENCE}))
    z = S.heatmap_z(page)
    page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    x, y = S.cell_position(page, 1, 2)               # query "cat (2)" -> key "the (1)"
    page.mouse.move(x - 4, y - 4)
    page.mouse.move(x, y)
    page.wait_for_timeout(500)
    hover = page.locator(".js-plotly-plot .hoverlayer").first.text_content()
    assert f"cat (2) → the (1): {z[2][1]:.4f}" in hover, hover
