"""Issue 25: every student can use it -- axe-core, the keyboard and the screen reader's text.

* ``test_axe_and_keyboard_on_first_load[page]``: one load per page at 1280 x 720; axe-core in the
  light theme, the dark theme (``prefers-color-scheme``: Streamlit's "Use system setting") and
  large-text mode (switched on with the keyboard): 0 critical and 0 serious violations beyond the
  pinned ones of :data:`a11y.PINNED` (Streamlit's or a component's own, counts pinned so a new one
  shows up); Tab reaches the page's main controls and every stop shows a focus ring.
* ``test_axe_after_interaction[case]``: a popover opened, a cell clicked, the numbers table and a
  lazy tab opened, on the pages that have them (one theme each, alternating).
* ``test_sentence_task_by_keyboard_alone``: type, choose the attention type, pick the query row,
  read the numbers -- no mouse.
Every audit's table goes to ``test-artifacts/e2e/axe.md``.
"""
from __future__ import annotations

import re

import pytest

import a11y
import stbrowser as S
from pagespecs import PAGES

pytestmark = pytest.mark.e2e

#: Per page: controls the keyboard must reach in the main area (a widget's label or a button's
#: text).  A page not listed must at least reach one control in the main area.
KEYBOARD = {
    "home": ["Open", "Sentence — "],
    "sentence": ["Sentence", "Attention type", "Scope", "Layer", "More settings", "Numbers table",
                 "Inspect query token #"],
    "model": ["Text (segment A)", "View", "Layer", "Head", "Numbers table"],
    "image": ["Sample photo", "View", "Attention type", "More settings", "Numbers table"],
    "summarize": ["Paragraph", "Query q", "Summary length k (sentences)", "More settings", "Numbers table"],
    "learn": ["Edit X and W_a", "Score", "Scope", "Attention type", "Check a row by hand"],
    "compare": ["Sentence", "Variants", "Type", "Scope", "Numbers table"],
}

_RESULTS: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module", autouse=True)
def _axe_table(artifacts):
    """Write every audit of this module to test-artifacts/e2e/axe.md (the issue's table)."""
    yield
    if _RESULTS:
        lines = ["| page | view | violations (impact rule ×nodes) |", "|---|---|---|"]
        lines += [f"| {p} | {v} | {t} |" for (p, v), t in sorted(_RESULTS.items())]
        (artifacts / "axe.md").write_text("\n".join(lines) + "\n")


def check(page, name: str, view: str) -> None:
    """Audit the page as it is now; record it; fail on critical/serious beyond the pinned ones."""
    findings = a11y.audit(page)
    _RESULTS[(name, view)] = a11y.table(findings)
    problems = a11y.unexpected(findings, name, view)
    assert not problems, f"{name} ({view}):\n" + "\n".join(problems)


def large_text_by_keyboard(page) -> None:
    """Switch on "Large text (projector)" in the sidebar with Tab and Space."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    a11y.tab_to(page, "Large text (projector)", where="sidebar")
    n = S.runs(page)
    page.keyboard.press("Space")
    S.wait_idle(page, n)
    assert page.evaluate("() => getComputedStyle(document.documentElement).fontSize") == "21px"


@pytest.mark.parametrize("spec", PAGES, ids=str)
def test_axe_and_keyboard_on_first_load(browser, base_url, artifacts, spec):
    ctx, page = a11y.open_view(browser, "", "light")
    try:
        S.goto(page, f"{base_url}/{spec.name}", plot=spec.chart)
        check(page, spec.name, "light")
        stops = a11y.tab_walk(page)
        main = [s for s in stops if s["where"] == "main" and s["tag"] != "MAIN"]
        assert main, f"{spec.name}: Tab reaches nothing in the main area"
        no_ring = [s for s in stops if not s["ring"] and not s["component"]]
        assert not no_ring, f"{spec.name}: focus not visible on {no_ring[:5]}"
        names = [s["name"] for s in main]
        missing = [c for c in KEYBOARD.get(spec.name, []) if not any(c in n for n in names)]
        assert not missing, f"{spec.name}: Tab never reaches {missing} (reached: {names})"
        page.emulate_media(color_scheme="dark")
        page.wait_for_timeout(600)
        assert page.evaluate("() => getComputedStyle(document.querySelector('[data-testid=stApp]'))"
                             ".backgroundColor") != "rgb(255, 255, 255)"
        check(page, spec.name, "dark")
        S.shot(page, artifacts, f"a11y-{spec.name}-dark", full_page=False)
        page.emulate_media(color_scheme="light")
        large_text_by_keyboard(page)
        if spec.chart:
            S.wait_idle(page, plot=True)
        check(page, spec.name, "large text")
    finally:
        ctx.close()


def _popover(page, label: str) -> None:
    n = S.runs(page)
    page.get_by_test_id("stPopoverButton").filter(has_text=label).first.click()
    page.wait_for_timeout(500)
    S.wait_idle(page, n)


def _expander(page, label: str) -> None:
    n = S.runs(page)
    page.get_by_test_id("stExpander").locator("summary").filter(has_text=label).first.click()
    S.wait_idle(page, n)
    page.wait_for_timeout(500)


def _tab(page, label: str) -> None:
    n = S.runs(page)
    page.get_by_role("tab", name=label).click()
    S.wait_idle(page, n)


def _close(page) -> None:
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)


#: (page, theme, [(what, action)]): the interactions audited (a subset: each costs a load).
INTERACTIONS = [
    ("sentence", "light", [("More settings open", lambda p: _popover(p, "More settings")),
                           ("a cell clicked", lambda p: (_close(p), S.click_cell(p, 2, 10))),
                           ("numbers table open", lambda p: _expander(p, "Numbers table")),
                           ("formulas open", lambda p: _expander(p, "Formulas"))]),
    ("learn", "dark", [("X and W_a editors open", lambda p: _popover(p, "Edit X and W_a")),
                       ("four steps tab", lambda p: (_close(p), _tab(p, "The four steps, every number"))),
                       ("formulas tab", lambda p: _tab(p, "1 · The formulas"))]),
    ("model", "dark", [("neuron view, a cell clicked",
                        lambda p: (S.click_radio(p, "View", "Neuron (q·k)"), S.click_cell(p, 3, 5))),
                       ("head lines", lambda p: S.click_radio(p, "View", "Head lines"))]),
    ("compare", "light", [("More settings open", lambda p: _popover(p, "More settings")),
                          ("w · T open", lambda p: (_close(p), _popover(p, "w · T")))]),
    ("image", "light", [("More settings open", lambda p: _popover(p, "More settings"))]),
]


@pytest.mark.parametrize("name,theme,steps", INTERACTIONS, ids=[c[0] for c in INTERACTIONS])
def test_axe_after_interaction(browser, base_url, name, theme, steps):
    ctx, page = a11y.open_view(browser, "", theme)
    try:
        S.goto(page, f"{base_url}/{name}")
        for what, act in steps:
            act(page)
            check(page, name, f"{theme}, {what}")
    finally:
        ctx.close()


def test_sentence_task_by_keyboard_alone(browser, base_url, artifacts):
    """Type a sentence, choose Hard attention, pick the query row and open its numbers -- Tab,
    typing, arrow keys, Enter only -- and the page shows that row (chart, summary, table)."""
    ctx, page = a11y.open_view(browser, "", "light")
    try:
        S.goto(page, f"{base_url}/sentence")
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        assert a11y.tab_to(page, "Sentence", exact=True)["tag"] == "TEXTAREA"
        page.keyboard.press("Control+a")
        page.keyboard.type("The cat sat on the mat because it was warm.")
        n = S.runs(page)
        page.keyboard.press("Control+Enter")
        S.wait_idle(page, n, plot=True)
        a11y.tab_to(page, "Attention type", exact=True)
        n = S.runs(page)
        page.keyboard.press("ArrowDown")                       # Soft -> Hard (arg-max)
        S.wait_idle(page, n, plot=True)
        assert S.radio_value(page, "Attention type") == "Hard (arg-max)"
        f = a11y.tab_to(page, "Inspect query token #")
        assert f["ring"]
        n = S.runs(page)
        for _ in range(8):                                     # row 8: "it"
            page.keyboard.press("ArrowRight")
        S.wait_idle(page, n, plot=True)
        assert S.slider_value(page, "Inspect query token #") == 8
        assert "row=8" in page.url and "normalization=hard" in page.url
        z = S.heatmap_z(page)
        assert sorted(v for v in z[8] if v is not None)[-1] == 1.0      # hard: one-hot row
        said = [t for t in S.texts(page, "stCaptionContainer") if t.startswith("In words:")]
        assert said and re.search(r"Query “it \(8\)” puts 1\.00 of its weight on “[^”]+”", said[0]), said
        body = page.locator("body").inner_text()
        assert "it (#8): sum of weights = 1.0000" in body.replace("\n", " ")
        a11y.tab_to(page, "Numbers table")
        n = S.runs(page)
        page.keyboard.press("Enter")
        S.wait_idle(page, n)
        a11y.tab_to(page, "Show/hide columns")                 # the data grid's own toolbar, then the grid
        S.shot(page, artifacts, "a11y-sentence-keyboard", full_page=False)
    finally:
        ctx.close()
