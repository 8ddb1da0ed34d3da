"""Helpers that drive a Streamlit app in a real browser (Playwright, sync API).

Everything here talks to the page the way a user does (type, click, arrow keys) and
reads back what the user sees (widget state in the DOM, the Plotly figure's data).
Streamlit specifics this relies on (1.67):

* ``[data-testid="stApp"]`` carries ``data-test-script-state`` = ``initial`` |
  ``running`` | ``notRunning`` | ``rerunRequested`` | ...; :data:`INIT_SCRIPT` counts
  the transitions so :func:`wait_idle` can wait for *a new* run to finish rather
  than race the one before it.
* A text area commits on blur / Ctrl+Enter; a slider is a react-aria
  ``input[type=range]`` inside the thumb (arrow keys move it by one step).
* Plotly attaches the figure to the graph div: ``gd.data``, ``gd._fullData``
  (typed arrays decoded), ``gd._fullLayout.xaxis.d2p`` (data -> pixel in the plot area).
"""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Optional

from playwright.sync_api import Locator, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 1000}
TIMEOUT_MS = 60_000          # first model load on a cold server takes a few seconds on 2 cores

# Counts script runs as the browser sees them (installed before any page script runs).
INIT_SCRIPT = """
(() => {
  window.__st = {runs: 0, done: 0, state: 'none', changed: Date.now()};
  const seen = (el) => {
    const s = el.getAttribute('data-test-script-state');
    if (!s || s === window.__st.state) return;
    if (s === 'running') window.__st.runs += 1;
    if (s === 'notRunning' && window.__st.state !== 'none') window.__st.done += 1;
    window.__st.state = s; window.__st.changed = Date.now();
  };
  new MutationObserver((muts) => {
    for (const m of muts) {
      if (m.type === 'attributes') seen(m.target);
      else for (const n of m.addedNodes)
        if (n.nodeType === 1) n.querySelectorAll?.('[data-test-script-state]').forEach(seen);
    }
    const app = document.querySelector('[data-test-script-state]');
    if (app) seen(app);
  }).observe(document, {subtree: true, childList: true, attributes: true,
                        attributeFilter: ['data-test-script-state']});
})();
"""


# --------------------------------------------------------------------------- tabs
# Off-site requests the app is known to make, kept apart so the other checks still bite.
# None now: app.py ships a local favicon (a material-icon page_icon was fetched from
# Google's font CDN on every page view).
KNOWN_OFFSITE: tuple = ()


class Tab:
    """A page plus what happened in it that a test may want to assert on."""

    def __init__(self, context, base_url: str):
        self.context = context
        self.page = context.new_page()
        self.dialogs: list[str] = []          # alert()/confirm() that fired (must stay empty)
        self.errors: list[str] = []           # uncaught JS exceptions
        self.offsite: list[str] = []          # requests to anything but the app server
        self.known_offsite: list[str] = []    # ... of which known (KNOWN_OFFSITE)
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self._request(r.url, base_url))

    def _request(self, url: str, base_url: str) -> None:
        if url.startswith((base_url, "data:", "blob:", "about:")):
            return
        (self.known_offsite if url.startswith(KNOWN_OFFSITE) else self.offsite).append(url)


def open_tab(browser, base_url: str) -> Tab:
    """A fresh browser context (= a new Streamlit session) with one page, ready for :func:`goto`."""
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.add_init_script(INIT_SCRIPT)
    return Tab(ctx, base_url)


# --------------------------------------------------------------------------- waiting
def runs(page: Page) -> int:
    """How many script runs this page has started so far."""
    return page.evaluate("() => window.__st ? window.__st.runs : 0")


def wait_idle(page: Page, since: Optional[int] = None, *, quiet_ms: int = 500,
              start_ms: int = 4_000, timeout_ms: int = TIMEOUT_MS, plot: bool = False) -> None:
    """Wait until Streamlit has finished rerunning.

    ``since``: the value of :func:`runs` taken *before* the interaction; we then wait
    (up to ``start_ms``) for a new run to start, so we never return on the stale
    "notRunning" of the previous run.  Then: the app says ``notRunning``, no status
    widget ("Running…") and no stale (greyed-out) element is shown, nothing changed for
    ``quiet_ms`` (pages may call ``st.rerun()``), and, if ``plot``, a Plotly chart is drawn.
    """
    t0 = time.monotonic()
    if since is not None:
        try:
            page.wait_for_function("(n) => window.__st && window.__st.runs > n", arg=since,
                                   timeout=start_ms, polling=50)
        except Exception:
            pass          # the interaction did not change anything: no rerun
    left = lambda: max(1_000, timeout_ms - int((time.monotonic() - t0) * 1000))  # noqa: E731
    page.wait_for_function(
        """(q) => {
             const app = document.querySelector('[data-testid="stApp"]');
             if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
             if (document.querySelector('[data-testid="stStatusWidgetRunningIcon"], '
                 + '[data-testid="stStatusWidgetRunningManIcon"], [data-stale="true"]')) return false;
             return !window.__st || Date.now() - window.__st.changed >= q;
           }""", arg=quiet_ms, timeout=left(), polling=100)
    if plot:
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=left())
        # Plotly draws asynchronously after the element appears
        page.wait_for_function("() => { const g = document.querySelector('.js-plotly-plot');"
                               " return g && g._fullLayout && g.calcdata; }", timeout=left())


def settled_top(page: Page, selector: str = ".js-plotly-plot", still_ms: int = 600, within_ms: int = 15000) -> float:
    """The top edge (px) of the first ``selector`` once the layout has settled: the same value
    read over ``still_ms`` (a page still placing images or an audio player above the chart can
    report a top that the user never sees; on a loaded machine a single read caught a chart at
    1,218 px whose screenshot, moments later, shows it at ~350)."""
    js = f"() => document.querySelector('{selector}').getBoundingClientRect().top"
    last, since, waited, step = None, 0, 0, 150
    while True:
        top = page.evaluate(js)
        since = since + step if top == last else 0
        if since >= still_ms or waited >= within_ms:
            return top
        last = top
        page.wait_for_timeout(step)
        waited += step


def goto(page: Page, url: str, *, plot: bool = True) -> None:
    """Open ``url`` and wait for the first complete run (and its chart, if ``plot``)."""
    page.goto(url, wait_until="domcontentloaded", timeout=TIMEOUT_MS)
    page.wait_for_function("() => window.__st && window.__st.done > 0", timeout=TIMEOUT_MS,
                           polling=100)
    wait_idle(page, plot=plot)


# --------------------------------------------------------------------------- widgets
def widget(page: Page, testid: str, label: str) -> Locator:
    """The widget container (``stTextArea``, ``stRadio``, ``stSlider`` ...) whose label is ``label``."""
    return page.get_by_test_id(testid).filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True)).first


def set_text_area(page: Page, label: str, text: str, *, plot: bool = True) -> None:
    """Replace a text area's content and commit it (Ctrl+Enter), then wait for the rerun."""
    box = widget(page, "stTextArea", label).locator("textarea")
    n = runs(page)
    box.fill(text)
    box.press("Control+Enter")
    wait_idle(page, n, plot=plot)


def text_area_value(page: Page, label: str) -> str:
    return widget(page, "stTextArea", label).locator("textarea").input_value()


def click_radio(page: Page, group: str, option: str, *, plot: bool = True) -> None:
    """Click the radio option labelled ``option`` in the radio group labelled ``group``."""
    n = runs(page)
    widget(page, "stRadio", group).locator("label").filter(
        has_text=re.compile(rf"^\s*{re.escape(option)}\s*$")).click()
    wait_idle(page, n, plot=plot)


def radio_value(page: Page, group: str) -> str:
    """The label of the checked option of a radio group."""
    return widget(page, "stRadio", group).locator("label").filter(
        has=page.locator("input:checked")).inner_text().strip()


def slider_input(page: Page, label: str) -> Locator:
    return widget(page, "stSlider", label).locator("input[type=range]")


def slider_value(page: Page, label: str) -> float:
    return float(slider_input(page, label).get_attribute("value"))


def move_slider(page: Page, label: str, to: float, *, step: float = 1, plot: bool = True) -> None:
    """Move a slider to ``to`` with the arrow keys on its focused thumb (as a keyboard user)."""
    thumb = slider_input(page, label)
    cur = float(thumb.get_attribute("value"))
    presses = int(round((to - cur) / step))
    if presses == 0:
        return
    n = runs(page)
    thumb.focus()
    key = "ArrowRight" if presses > 0 else "ArrowLeft"
    for _ in range(abs(presses)):
        thumb.press(key)
    # Streamlit commits a slider value after a short debounce once keys stop
    wait_idle(page, n, plot=plot)


# --------------------------------------------------------------------------- Plotly
def heatmap_z(page: Page, chart: int = 0) -> list:
    """The first trace's ``z`` of the ``chart``-th Plotly chart, as nested lists (NaN -> None)."""
    return page.evaluate(
        """(i) => { const g = document.querySelectorAll('.js-plotly-plot')[i];
                    return Array.from(g._fullData[0].z, r => Array.from(r, v => Number.isNaN(v) ? null : v)); }""",
        chart)


def figure_layout(page: Page, chart: int = 0) -> dict:
    """Tick labels and title of a chart (what a user reads on it)."""
    return page.evaluate(
        """(i) => { const g = document.querySelectorAll('.js-plotly-plot')[i]; const L = g._fullLayout;
                    return {title: L.title && L.title.text, xticks: L.xaxis.ticktext, yticks: L.yaxis.ticktext}; }""",
        chart)


def cell_position(page: Page, x: float, y: float, chart: int = 0) -> tuple[float, float]:
    """Page pixel coordinates of data point (x, y) on a chart (centre of a heatmap cell)."""
    return tuple(page.evaluate(
        """([i, x, y]) => { const g = document.querySelectorAll('.js-plotly-plot')[i];
              const L = g._fullLayout, r = g.querySelector('.nsewdrag').getBoundingClientRect();
              return [r.left + L.xaxis.d2p(x), r.top + L.yaxis.d2p(y)]; }""", [chart, x, y]))


def click_cell(page: Page, x: int, y: int, chart: int = 0, *, plot: bool = True) -> None:
    """Click heatmap cell (key ``x``, query ``y``) at its pixel position, wait for the rerun."""
    page.locator(".js-plotly-plot").nth(chart).scroll_into_view_if_needed()
    px, py = cell_position(page, x, y, chart)
    n = runs(page)
    page.mouse.move(px, py)
    page.mouse.click(px, py)
    wait_idle(page, n, plot=plot)


# --------------------------------------------------------------------------- reading the page
def texts(page: Page, testid: str) -> list[str]:
    """inner text of every element with ``data-testid=testid`` (e.g. ``stAlert``)."""
    return [t.strip() for t in page.get_by_test_id(testid).all_inner_texts()]


def alerts(page: Page) -> list[str]:
    """Every visible st.info / st.warning / st.error / st.success text."""
    return texts(page, "stAlert")


def problems(page: Page) -> list[str]:
    """What must never be on a page: exception boxes, tracebacks, our guard's error line."""
    out = [f"stException: {t[:300]}" for t in texts(page, "stException")]
    body = page.locator("body").inner_text()
    for needle in ("Traceback (most recent call last)", "Sorry, something went wrong"):
        if needle in body:
            out.append(f"page text contains {needle!r}")
    return out


def shot(page: Page, folder: Path, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot ``folder/name.png`` (file-name safe) and return its path.

    Streamlit scrolls inside ``stMain``, not the document, so ``full_page`` grows the
    viewport to the content's height for the shot (then restores it)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:120] + ".png")
    size = page.viewport_size
    grown = False
    if full_page and size:
        h = page.evaluate("() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
                          " return m ? m.scrollHeight : document.body.scrollHeight; }")
        if h > size["height"]:
            page.set_viewport_size({"width": size["width"], "height": min(int(h) + 40, 6000)})
            page.wait_for_timeout(400)          # let Plotly re-lay out its responsive charts
            grown = True
    try:
        page.screenshot(path=str(path), full_page=True)
    finally:
        if grown:
            page.set_viewport_size(size)
            page.wait_for_timeout(400)
    return path


# --------------------------------------------------------------------------- security probes
INJECTION_PROBE = """() => ({
  pwned: window.__pwned === undefined ? null : String(window.__pwned),
  img_x: document.querySelectorAll('img[src="x"]').length,
  onerror: document.querySelectorAll('[onerror], [onload]:not(iframe):not(link):not(script[src])').length,
  payload_scripts: Array.from(document.querySelectorAll('script')).filter(s => s.textContent.includes('__pwned')).length,
  js_links: document.querySelectorAll('a[href^="javascript:" i]').length,
  alert_html: document.querySelectorAll('[data-testid="stAlert"] img, [data-testid="stAlert"] h1, [data-testid="stAlert"] h2, [data-testid="stAlert"] strong, [data-testid="stAlert"] a').length,
})"""


def injection(page: Page) -> dict:
    """Counts of everything a markup payload could have injected (all must be 0 / None)."""
    return page.evaluate(INJECTION_PROBE)


def assert_no_injection(page: Page) -> None:
    """No payload ran or left an element behind (markup inside alerts: see ``alert_html``)."""
    got = injection(page)
    got.pop("alert_html")
    assert got == {"pwned": None, "img_x": 0, "onerror": 0, "payload_scripts": 0, "js_links": 0}, got


def connected(page: Page) -> bool:
    """The browser's websocket to the server is up (Streamlit's own connection state)."""
    return page.evaluate("() => { const a = document.querySelector('[data-testid=\"stApp\"]');"
                         " return !!a && a.getAttribute('data-test-connection-state') === 'CONNECTED'; }")


def tick_texts(page: Page, axis: str = "y", chart: int = 0) -> list[str]:
    """Tick labels as rendered (SVG text: entities decoded, so ``&lt;`` reads ``<``)."""
    return page.evaluate(
        """([i, a]) => Array.from(document.querySelectorAll('.js-plotly-plot')[i]
                .querySelectorAll('.' + a + 'tick text'), t => t.textContent)""", [chart, axis])
