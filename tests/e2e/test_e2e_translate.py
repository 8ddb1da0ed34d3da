"""The Translate page in a real browser: type dates, pick the locale (03/04/2021 in en_US, then
en_GB), read the output and the heatmap back from Plotly, click a cell, switch to local-m (the
reordering failure), an impossible date, out-of-scope input.

``TRANSLATE_SCREENSHOTS=1`` also writes the 1280 x 720 screenshots
``docs/screenshots/translate_<variant>.png`` of the same reordered input under each attention
type, and ``translate_locale_en_US.png`` / ``_en_GB.png`` / ``translate_ambiguous.png`` /
``translate_invalid.png``.
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
LOCALE = "Locale (the tag the model reads first)"
STEP = "Inspect target step #"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LABELS = {"bahdanau": "Global, additive (Bahdanau)", "luong": "Global, general (Luong)",
          "local_m": "Local-m (monotonic window)", "local_p": "Local-p (predicted window)",
          "hard": "Hard (stochastic, REINFORCE)"}
LOCALES = {"en_US": "English (US) · en_US", "en_GB": "English (UK) · en_GB", "auto": "Auto-detect"}


def doc_shot(page, name: str) -> None:
    if os.environ.get("TRANSLATE_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        page.evaluate("() => document.activeElement && document.activeElement.blur()")  # no focus ring
        page.locator('[data-testid="stMain"]').evaluate("m => m.scrollTo(0, 0)")
        page.wait_for_timeout(300)
        page.screenshot(path=str(DOCS / f"translate_{name}.png"))


def check_soft_rows(z):
    for i, row in enumerate(z):
        assert math.isclose(sum(v for v in row if v is not None), 1.0, abs_tol=1e-4), (i, row)


def output_line(page) -> str:
    """The "<model> (greedy) → `output` ..." line above the chart."""
    return page.get_by_test_id("stMain").get_by_test_id("stMarkdown").filter(
        has_text="(greedy) →").first.inner_text()


def choose_locale(page, option: str) -> None:
    """Pick ``option`` in the locale selectbox. Streamlit's dropdown is virtualised (only the
    first options are in the DOM: en_US, the 10th, is not), so type the option into the
    selectbox's search input first: the list is filtered down to it, then click it."""
    n = S.runs(page)
    box = page.get_by_test_id("stSelectbox").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(LOCALE, exact=True)).first
    box.click()
    field = box.locator("input")
    field.fill(option)
    page.get_by_role("option", name=option, exact=True).click()
    S.wait_idle(page, n)
    assert field.input_value() == option, field.input_value()


def query(page) -> dict:
    return {k: v[-1] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query).items()}


def test_the_locale_decides_03_04_2021(tab, base_url, artifacts):
    page = tab.page
    page.set_viewport_size({"width": 1280, "height": 720})
    S.goto(page, f"{base_url}/translate")
    S.set_text_area(page, TEXT, "03/04/2021")
    assert any("Ambiguous" in a and "2021-04-03" in a and "2021-03-04" in a for a in S.alerts(page))
    assert page.locator(".js-plotly-plot").count() == 2            # one map per reading
    doc_shot(page, "ambiguous")
    for loc, want in (("en_US", "2021-03-04"), ("en_GB", "2021-04-03")):
        choose_locale(page, LOCALES[loc])
        line = output_line(page)
        assert want in line, line
        lay = S.figure_layout(page)
        assert lay["xticks"][0] == f"⟨{loc}⟩" and lay["yticks"] == list(want) + ["end"]
        check_soft_rows(S.heatmap_z(page))
        assert query(page)["locale"] == loc
        S.shot(page, artifacts, f"translate-locale-{loc}", full_page=False)
        doc_shot(page, f"locale_{loc}")
    assert S.problems(page) == [] and tab.errors == []


def test_type_dates_in_two_languages_and_click_a_cell(tab, base_url, artifacts):
    page = tab.page
    S.goto(page, f"{base_url}/translate")
    S.set_text_area(page, TEXT, "Mittwoch, 3. März 2021")
    assert "2021-03-03" in output_line(page) and "✓ correct" in output_line(page)
    lay = S.figure_layout(page)
    assert lay["yticks"] == list("2021-03-03") + ["end"]
    # 23 columns: the tag's label is wider than its column, so it sits one line lower
    assert lay["xticks"][:10] == ["<br>⟨auto⟩"] + list("mittwoch,")
    z = S.heatmap_z(page)
    assert len(z) == 11 and len(z[0]) == 1 + len("Mittwoch, 3. März 2021")
    check_soft_rows(z)
    assert all(max(range(len(r)), key=lambda j: r[j]) >= 19 for r in z[:4])   # the year: the end
    S.shot(page, artifacts, "translate-01-german")

    S.set_text_area(page, TEXT, "２０２１年３月３日(水)")
    assert "2021-03-03" in output_line(page)
    assert S.figure_layout(page)["xticks"] == ["⟨auto⟩"] + list("2021年3月3日(水)")   # NFKC
    S.shot(page, artifacts, "translate-02-japanese")

    for step in (2, 8):
        S.click_cell(page, 1, step)
        assert S.slider_value(page, STEP) == step
        line = page.get_by_test_id("stMarkdown").filter(has_text=f"Step {step}: output").first.inner_text()
        assert "sum of weights" in line
        assert query(page)["row"] == str(step)
    S.shot(page, artifacts, "translate-03-clicked")
    assert S.problems(page) == [] and tab.errors == []


def test_local_m_fails_on_the_reordered_date_and_draws_its_window(tab, base_url, artifacts):
    page = tab.page
    S.goto(page, f"{base_url}/translate?" + urllib.parse.urlencode({"text": "Mittwoch, 3. März 2021"}))
    S.click_radio(page, TYPE, "Local-m (monotonic window)")
    line = page.get_by_test_id("stMain").get_by_test_id("stMarkdown").filter(
        has_text="Local-m (monotonic window)").first.inner_text()
    assert "2021-03-03" not in line.split("→")[1][:14]
    z = S.heatmap_z(page)
    for t, row in enumerate(z):             # blank outside |s - min(t, S-1)| <= 4
        c = min(t, len(row) - 1)
        assert all((v is None) == (abs(s - c) > 4) for s, v in enumerate(row)), (t, row)
    assert all(v is None for row in z for v in row[15:])          # p_t = t never reaches past 14
    S.shot(page, artifacts, "translate-04-local-m")
    S.click_radio(page, TYPE, "Global, general (Luong)")
    assert "2021-03-03" in output_line(page)
    assert query(page)["variant"] == "luong"
    assert S.problems(page) == [] and tab.errors == []


def test_an_impossible_date_is_not_presented(tab, base_url, artifacts):
    page = tab.page
    page.set_viewport_size({"width": 1280, "height": 720})
    S.goto(page, f"{base_url}/translate?" + urllib.parse.urlencode({"text": "31 February 2021",
                                                                       "locale": "en_GB"}))
    body = page.get_by_test_id("stMain").inner_text()
    assert "which is not a date" in body and "February 2021 has no day 31" in body
    assert [t for t in S.figure_layout(page)["yticks"] if t.endswith("✗")]
    doc_shot(page, "invalid")
    S.shot(page, artifacts, "translate-05-invalid", full_page=False)
    assert S.problems(page) == [] and tab.errors == []


def test_hostile_input_gets_a_message_not_a_traceback(tab, base_url, artifacts):
    page = tab.page
    S.goto(page, f"{base_url}/translate")
    for text, needle in (("3. März 2021 ☃", "U+2603 SNOWMAN"),
                         ('<img src=x onerror="window.__pwned=1">', "Not a date"),
                         ("", "Type a date"),
                         ("3 maart 2021", "Dutch"),
                         ("12 March 1850", "outside 1900-2099")):
        S.set_text_area(page, TEXT, text, plot=False)
        assert any(needle in a for a in S.alerts(page)), (text, S.alerts(page))
        assert S.problems(page) == [] and S.connected(page)
        S.assert_no_injection(page)
    S.shot(page, artifacts, "translate-06-hostile")
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
        doc_shot(page, variant)
        top = S.settled_top(page)
        assert top < 720 - 200, top                # the chart starts on the first screen
