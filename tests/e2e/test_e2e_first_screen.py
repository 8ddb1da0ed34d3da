"""Issue 14: the picture first, on every page.  On first load, at a classroom projector's
1280 x 720 and at 1920 x 1080, the top edge of the page's first chart is inside the viewport."""
from __future__ import annotations

import pytest

import stbrowser as S
from pagespecs import PAGES

pytestmark = pytest.mark.e2e

SIZES = [(1280, 720), (1920, 1080)]
CASES = [(spec, size) for spec in PAGES for size in SIZES]


@pytest.mark.parametrize("spec,size", CASES, ids=[f"{s.name}-{w}x{h}" for s, (w, h) in CASES])
def test_first_chart_is_on_the_first_screen(browser, base_url, artifacts, spec, size):
    w, h = size
    ctx = browser.new_context(viewport={"width": w, "height": h})
    ctx.set_default_timeout(S.TIMEOUT_MS)
    ctx.add_init_script(S.INIT_SCRIPT)
    page = ctx.new_page()
    try:
        S.goto(page, f"{base_url}/{spec.name}", plot=True)
        top = page.evaluate("() => document.querySelector('.js-plotly-plot').getBoundingClientRect().top")
        page.screenshot(path=str(artifacts / f"first-screen-{spec.name}-{w}x{h}.png"))
        assert 0 <= top < h - 40, f"{spec.name}: first chart starts at {top:.0f} px of {h}"
    finally:
        ctx.close()
