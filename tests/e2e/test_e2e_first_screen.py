"""Issue 14: the picture first, on every page.  On first load, at a classroom projector's
1280 x 720 and at 1920 x 1080, the top edge of the page's first chart is inside the viewport.
The tallest views of Read digits (hard attention: one more control; a test image: a longer caption)
keep the first row of maps on a 1280 x 720 screen as well."""
from __future__ import annotations

import pytest

import stbrowser as S
from pagespecs import PAGES

pytestmark = pytest.mark.e2e

SIZES = [(1280, 720), (1920, 1080)]
CASES = [(spec, size) for spec in PAGES for size in SIZES]


def first_chart_top(browser, url: str, size: tuple[int, int], shot) -> float:
    """Open ``url`` in a fresh context of ``size``; screenshot it to ``shot``; return the top edge
    (px) of its first Plotly chart, once the layout has settled (``stbrowser.settled_top``)."""
    w, h = size
    ctx = browser.new_context(viewport={"width": w, "height": h})
    ctx.set_default_timeout(S.TIMEOUT_MS)
    ctx.add_init_script(S.INIT_SCRIPT)
    page = ctx.new_page()
    try:
        S.goto(page, url, plot=True)
        top = S.settled_top(page)
        page.screenshot(path=str(shot))
        return top
    finally:
        ctx.close()


@pytest.mark.parametrize("spec,size", CASES, ids=[f"{s.name}-{w}x{h}" for s, (w, h) in CASES])
def test_first_chart_is_on_the_first_screen(browser, base_url, artifacts, spec, size):
    w, h = size
    top = first_chart_top(browser, f"{base_url}/{spec.name}", size,
                          artifacts / f"first-screen-{spec.name}-{w}x{h}.png")
    assert 0 <= top < h - 40, f"{spec.name}: first chart starts at {top:.0f} px of {h}"


# the views with the most above the maps: hard's extra control, largest first, a test image whose
# reading has an unsure digit (its note goes under the maps) and the empty canvas's example
TALL_VIEWS = ["digits?variant=hard&order=largest_first&source=test&test_image=94",
              "digits?variant=hard&order=largest_first"]


@pytest.mark.parametrize("view", TALL_VIEWS)
def test_tall_digits_views_keep_the_maps_on_the_first_screen(browser, base_url, artifacts, view):
    name = view.replace("?", "-").replace("&", "-")
    top = first_chart_top(browser, f"{base_url}/{view}", (1280, 720), artifacts / f"first-screen-{name}.png")
    # the first row of maps (titles + pictures, ~115 px) is wholly on the first screen
    assert 0 <= top < 720 - 120, f"{view}: the maps start at {top:.0f} px of 720"
