"""The Listen page in a real browser: pick a test clip, click a digit's row in the alignment,
and the audio element plays exactly the segment that row attended to; the content-only and
location-aware models side by side on “7 7 7 7”.

``LISTEN_SCREENSHOTS=1`` also writes the 1280 x 720 screenshot
``docs/screenshots/listen_content_vs_location.png`` (and ``listen.png``, the default view).
"""
from __future__ import annotations

import os
import re
import urllib.parse
from pathlib import Path

import pytest

import stbrowser as S

pytestmark = pytest.mark.e2e

CLIP = "Test recording (FSDD speaker “george”, never heard in training)"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def doc_shot(page, name: str) -> None:
    if os.environ.get("LISTEN_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        page.locator('[data-testid="stMain"]').evaluate("m => m.scrollTo(0, 0)")
        page.wait_for_timeout(500)
        page.screenshot(path=str(DOCS / f"{name}.png"))


def query(page) -> dict:
    return {k: v[-1] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query).items()}


def heard(page) -> str:
    label = page.locator("[aria-label^='digits heard:']").first.get_attribute("aria-label")
    return label.split(":", 1)[1].replace(" ", "")


def pick_clip(page, label: str) -> None:
    n = S.runs(page)
    page.get_by_role("combobox", name=CLIP, exact=True).click()
    page.get_by_role("option", name=label, exact=True).click()
    S.wait_idle(page, n, plot=True)


def alignment(page, chart: int = 0) -> dict:
    """The alignment subplot of the picture: its weights, times and row labels."""
    return page.evaluate(
        """(i) => { const g = document.querySelectorAll('.js-plotly-plot')[i];
                    const t = g._fullData.find(d => d.type === 'heatmap' && d.yaxis === 'y3');
                    return {z: Array.from(t.z, r => Array.from(r, v => Number.isNaN(v) ? null : v)),
                            x: Array.from(t.x), rows: g._fullLayout.yaxis3.ticktext}; }""", chart)


def click_row(page, x: float, row: int, chart: int = 0) -> None:
    """Click the alignment cell at time ``x`` (s) in output step ``row``, wait for the rerun."""
    g = page.locator(".js-plotly-plot").nth(chart)
    g.scroll_into_view_if_needed()
    px, py = page.evaluate(
        """([i, x, y]) => { const g = document.querySelectorAll('.js-plotly-plot')[i];
              const L = g._fullLayout, r = g.getBoundingClientRect();
              return [r.left + L.xaxis3._offset + L.xaxis3.d2p(x),
                      r.top + L.yaxis3._offset + L.yaxis3.d2p(y)]; }""", [chart, x, row])
    n = S.runs(page)
    page.mouse.move(px, py)
    page.mouse.click(px, py)
    S.wait_idle(page, n, plot=True)


def audio_duration(page, k: int = 0) -> float:
    """Duration (s) of the k-th audio element once its metadata has loaded."""
    el = page.locator("audio").nth(k)
    el.scroll_into_view_if_needed()
    return page.evaluate(
        """(k) => new Promise((ok, bad) => { const a = document.querySelectorAll('audio')[k];
              if (a.readyState >= 1 && isFinite(a.duration)) return ok(a.duration);
              a.addEventListener('loadedmetadata', () => ok(a.duration), {once: true});
              a.addEventListener('error', () => bad('audio error'), {once: true}); a.load(); })""", k)


def test_pick_a_clip_click_a_digit_hear_its_segment(tab, base_url):
    page = tab.page
    page.set_viewport_size({"width": 1280, "height": 720})
    S.goto(page, f"{base_url}/listen")
    doc_shot(page, "listen")
    pick_clip(page, "“3 5 1 9” (held-out speaker)")
    assert query(page).get("clip") == "3519"
    al = alignment(page)
    assert len(al["rows"]) == len(al["z"]) >= 2
    for row in al["z"]:                                            # soft rows sum to 1
        assert abs(sum(v for v in row if v is not None) - 1.0) < 1e-3
    row = 2 if len(al["z"]) > 2 else 1
    peak = max(range(len(al["x"])), key=lambda j: al["z"][row][j] or 0.0)
    click_row(page, al["x"][peak], row)
    assert query(page).get("row") == str(row)
    assert S.slider_value(page, "Digit # (or click a row above)") == row
    text = page.get_by_test_id("stMarkdown").filter(has_text=f"What step {row} listened to").inner_text()
    a, b = map(float, re.search(r"(\d+\.\d+)–(\d+\.\d+) s", text).groups())
    assert a <= al["x"][peak] <= b
    # the first audio element plays exactly [a, b] (cut out: st.audio's start/end are whole seconds)
    assert abs(audio_duration(page, 0) - (b - a)) < 0.01
    assert audio_duration(page, 1) > b                              # the whole recording
    assert not S.problems(page) and not tab.errors


def test_content_vs_location_on_7777(tab, base_url):
    page = tab.page
    page.set_viewport_size({"width": 1280, "height": 720})
    S.goto(page, f"{base_url}/listen?clip=7777&variant=location&compare=content")
    assert page.locator(".js-plotly-plot").count() >= 2
    labels = page.locator("[aria-label^='digits heard:']")
    assert labels.count() == 2
    outs = [labels.nth(i).get_attribute("aria-label").split(":", 1)[1].replace(" ", "") for i in range(2)]
    assert outs[0] == "7777", outs                                  # location-aware reads four sevens
    doc_shot(page, "listen_content_vs_location")
    assert not S.problems(page) and not tab.errors
