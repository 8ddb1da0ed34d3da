"""The Compare page in a real browser: issue 15's two bugs, click for click.

1. V1's "Type" -> Sparsemax, then V2's "Type" -> Soft crashed the A − B section with a
   TypeError (the A / B select boxes were labelled with the variants' descriptions; Streamlit
   keeps a select box's value as its label, so a changed description left a stale string).
2. Emptying the sentence, then typing a new one, brought the Variants slider back as 2 (the
   page stopped before drawing its widgets, and Streamlit dropped their state); the next edit
   said "A and B are the same variant", the one after gave the TypeError.
"""
from __future__ import annotations

import math
import re
import urllib.parse

import pytest

import stbrowser as S

pytestmark = pytest.mark.e2e


def selectbox(page, label: str, nth: int = 0):
    return page.get_by_test_id("stSelectbox").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True)).nth(nth)


def choose(page, label: str, nth: int, option: str) -> None:
    """Open the ``nth`` select box labelled ``label`` and click ``option``, as a user does."""
    n = S.runs(page)
    selectbox(page, label, nth).click()
    page.get_by_role("option", name=option, exact=True).click()
    S.wait_idle(page, n)


def selected(page, label: str, nth: int = 0) -> str:
    """The option a select box shows."""
    return selectbox(page, label, nth).locator("input").input_value()


def query(page) -> dict:
    return {k: v[-1] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query,
                                                       keep_blank_values=True).items()}


def chart_by_title(page, pattern: str) -> int:
    """Index of the first Plotly chart whose title (markup removed) matches ``pattern``."""
    titles = page.evaluate("() => Array.from(document.querySelectorAll('.js-plotly-plot'), "
                           "g => ((g._fullLayout.title && g._fullLayout.title.text) || '')"
                           ".replace(/<[^>]*>/g, ''))")
    return next(i for i, t in enumerate(titles) if re.search(pattern, t))


def test_issue15_1_changing_two_types_keeps_the_difference_working(tab, base_url, artifacts):
    page = tab.page
    S.goto(page, f"{base_url}/compare")
    choose(page, "Type", 0, "Sparsemax")                  # V1
    assert S.problems(page) == [], S.alerts(page)
    choose(page, "Type", 1, "Soft")                       # V2
    S.shot(page, artifacts, "compare-issue15-1")
    assert S.problems(page) == [], S.alerts(page)
    assert tab.errors == []
    # A − B is still V1 − V2, cell for cell, as the page's own heatmaps show them
    v1 = S.heatmap_z(page, chart_by_title(page, r"^V1: sparsemax global"))
    v2 = S.heatmap_z(page, chart_by_title(page, r"^V2: soft global"))
    diff = S.heatmap_z(page, chart_by_title(page, r"^V1 − V2"))
    for i, row in enumerate(diff):
        for j, d in enumerate(row):
            assert math.isclose(d, v1[i][j] - v2[i][j], abs_tol=1e-5), (i, j, d)
    assert any(abs(d) > 0.01 for row in diff for d in row)          # they really differ
    assert (selected(page, "A"), selected(page, "B")) == ("V1", "V2")
    assert query(page) == {"normalization1": "sparsemax", "normalization2": "soft"}


def test_issue15_2_emptying_the_text_keeps_the_variants(tab, base_url, artifacts):
    page = tab.page
    S.goto(page, f"{base_url}/compare")
    assert S.slider_value(page, "Variants") == 4
    S.set_text_area(page, "Sentence", "", plot=False)
    assert any("Type a sentence" in a for a in S.alerts(page))
    controls_while_empty = page.get_by_test_id("stSlider").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text("Variants", exact=True)).count()

    first, second, third = ("The cat sat on the mat.", "The dog sat on the mat.", "The dog ran on the mat.")
    S.set_text_area(page, "Sentence", first)
    assert S.slider_value(page, "Variants") == 4          # was 2, with no nv in the URL
    assert query(page) == {"text": first}
    S.set_text_area(page, "Sentence", second)
    assert not any("same variant" in a for a in S.alerts(page)), S.alerts(page)
    S.set_text_area(page, "Sentence", third)
    S.shot(page, artifacts, "compare-issue15-2")
    assert S.problems(page) == [], S.alerts(page)
    assert tab.errors == []
    assert S.slider_value(page, "Variants") == 4 and query(page) == {"text": third}
    assert [selected(page, "Type", i) for i in range(4)] == ["Soft", "Hard (arg-max)", "Soft", "Soft"]
    assert (selected(page, "A"), selected(page, "B")) == ("V1", "V2")
    assert controls_while_empty == 1, "the Variants slider was not drawn while the sentence was empty"


def test_hidden_variants_keep_their_settings(tab, base_url, artifacts):
    """The audit's third case (a hidden view): V3 set to Sparsemax, Variants down to 2, another
    change, Variants back to 4 -> V3 is still Sparsemax (it came back as Soft / Global, the
    select boxes' first options, before the cards' widgets kept their state while unmounted)."""
    page = tab.page
    S.goto(page, f"{base_url}/compare?input=tiny")
    choose(page, "Type", 2, "Sparsemax")                  # V3
    S.move_slider(page, "Variants", 2)
    choose(page, "Type", 0, "Hard (sampled)")             # V1, while V3 and V4 are hidden
    assert query(page)["normalization3"] == "sparsemax"
    S.move_slider(page, "Variants", 4)
    S.shot(page, artifacts, "compare-hidden-variants")
    assert [selected(page, "Type", i) for i in range(4)] == ["Hard (sampled)", "Hard (arg-max)", "Sparsemax", "Soft"]
    assert [selected(page, "Scope", i) for i in range(4)] == ["Global", "Global", "Local (window w)",
                                                              "Local-p (Luong)"]
    assert query(page) == {"input": "tiny", "normalization1": "hard_sampled", "normalization3": "sparsemax"}
    assert S.problems(page) == [] and tab.errors == []
