"""The Translate page in a real browser: type a date in two languages, read the output and the
heatmap back from Plotly, click a cell, switch to local-m (the reordering failure), hostile input.

``TRANSLATE_SCREENSHOTS=1`` also writes the 1280 x 720 screenshots
``docs/screenshots/translate_<variant>.png`` of the same reordered input under each attention type.
"""
from __future__ import annotations

import math
import os
import urllib.parse
from pathlib import Path

import pytest

import stbrowser as S

pytestmark = pytest.mark.e2e

TEXT = "Date to translate"
TYPE = "Attention type (switches to the model trained with it)"
STEP = "Inspect target step #"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LABELS = {"bahdanau": "Global, additive (Bahdanau)", "luong": "Global, general (Luong)",
          "local_m": "Local-m (monotonic window)", "local_p": "Local-p (predicted window)",
          "hard": "Hard (stochastic, REINFORCE)"}


def check_soft_rows(z):
    for i, row in enumerate(z):
        assert math.isclose(sum(v for v in row if v is not None), 1.0, abs_tol=1e-4), (i, row)


def output_line(page) -> str:
    """The "<model> (greedy) → `output` ✓ correct ..." line above the chart."""
    return page.get_by_test_id("stMain").get_by_test_id("stMarkdown").filter(
        has_text="(greedy) →").first.inner_text()


def test_type_dates_in_two_languages_and_click_a_cell(tab, base_url, artifacts):
    page = tab.page
    S.goto(page, f"{base_url}/translate")
    S.set_text_area(page, TEXT, "Mittwoch, 3. März 2021")
    assert "2021-03-03" in output_line(page) and "✓ correct" in output_line(page)
    lay = S.figure_layout(page)
    assert lay["yticks"] == list("2021-03-03") + ["end"]
    assert lay["xticks"][:9] == list("Mittwoch,")
    z = S.heatmap_z(page)
    assert len(z) == 11 and len(z[0]) == len("Mittwoch, 3. März 2021")
    check_soft_rows(z)
    # reordering: the year's rows point at the end of the source
    assert all(max(range(len(r)), key=lambda j: r[j]) >= 18 for r in z[:4])
    S.shot(page, artifacts, "translate-01-german")

    S.set_text_area(page, TEXT, "2021年3月3日")
    assert "2021-03-03" in output_line(page) and "✓ correct" in output_line(page)
    assert S.figure_layout(page)["xticks"] == list("2021年3月3日")
    check_soft_rows(S.heatmap_z(page))
    S.shot(page, artifacts, "translate-02-japanese")

    for step in (2, 8):
        S.click_cell(page, 1, step)
        assert S.slider_value(page, STEP) == step
        line = page.get_by_test_id("stMarkdown").filter(has_text=f"Step {step}: output").first.inner_text()
        assert "sum of weights" in line
        shapes = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullLayout.shapes"
                               ".map(s => [s.y0, s.y1])")
        assert [step - 0.5, step + 0.5] in shapes
        assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)["row"] == [str(step)]
    S.shot(page, artifacts, "translate-03-clicked")
    assert S.problems(page) == [] and tab.errors == []


def test_local_m_fails_on_the_reordered_date_and_draws_its_window(tab, base_url, artifacts):
    page = tab.page
    S.goto(page, f"{base_url}/translate?" + urllib.parse.urlencode({"text": "3. März 2021"}))
    S.click_radio(page, TYPE, "Local-m (monotonic window)")
    assert "✗ wrong" in output_line(page) and "2021-03-03" in output_line(page)
    z = S.heatmap_z(page)
    for t, row in enumerate(z):             # blank outside |s - min(t, S-1)| <= 4
        c = min(t, len(row) - 1)
        assert all((v is None) == (abs(s - c) > 4) for s, v in enumerate(row)), (t, row)
    n_marks = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData[2].x.length")
    assert n_marks == len(z)
    S.shot(page, artifacts, "translate-04-local-m")
    S.click_radio(page, TYPE, "Local-p (predicted window)")
    assert "✓ correct" in output_line(page)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)["variant"] == ["local_p"]
    assert S.problems(page) == [] and tab.errors == []


def test_hostile_input_gets_a_message_not_a_traceback(tab, base_url, artifacts):
    page = tab.page
    S.goto(page, f"{base_url}/translate")
    for text, needle in (("3. März 2021 ☃", "never trained on these characters"),
                         ('<img src=x onerror="window.__pwned=1">', "cannot read this input"),
                         ("", "Type a date"),
                         ("31/02/2021", "no day 31")):
        S.set_text_area(page, TEXT, text, plot=False)
        assert any(needle in a for a in S.alerts(page)), (text, S.alerts(page))
        assert S.problems(page) == [] and S.connected(page)
        S.assert_no_injection(page)
    S.shot(page, artifacts, "translate-05-hostile")
    assert tab.errors == [] and tab.dialogs == []


def test_each_type_on_the_same_input_fits_the_first_screen(tab, base_url, artifacts):
    page = tab.page
    page.set_viewport_size({"width": 1280, "height": 720})
    S.goto(page, f"{base_url}/translate?" + urllib.parse.urlencode({"text": "Mittwoch, 3. März 2021"}))
    for variant, label in LABELS.items():
        if variant != "bahdanau":
            S.click_radio(page, TYPE, label)
        assert S.radio_value(page, TYPE) == label and S.problems(page) == []
        page.locator('[data-testid="stMain"]').evaluate("m => m.scrollTo(0, 0)")
        page.wait_for_timeout(300)
        S.shot(page, artifacts, f"translate-{variant}", full_page=False)
        if os.environ.get("TRANSLATE_SCREENSHOTS") == "1":
            DOCS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(DOCS / f"translate_{variant}.png"))
        box = page.locator(".js-plotly-plot").first.bounding_box()
        assert box["y"] < 720 - 200, box           # the chart starts on the first screen
