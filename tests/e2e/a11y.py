"""Accessibility checks in the browser: axe-core (bundled in the ``axe-playwright-python`` wheel,
nothing downloaded at run time) on a page as a student sees it, in the light or dark theme and
in large-text mode.

* :func:`open_view` opens a page in a fresh context at 1280 x 720 with the theme the browser
  asks for (``prefers-color-scheme``: Streamlit's default "Use system setting" follows it).
* :func:`audit` runs axe-core on the whole document and returns :class:`Finding` rows
  (rule, impact, nodes); :func:`table` counts them by impact.
* :data:`KNOWN` lists the violations that come from Streamlit itself and cannot be fixed from
  the app, with their reason; the tests pin their node counts so a new one shows up.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

import stbrowser as S

VIEWPORT = {"width": 1280, "height": 720}
THEMES = ("light", "dark")
IMPACTS = ("critical", "serious", "moderate", "minor")


@dataclass(frozen=True)
class Finding:
    """One axe violation: ``rule`` (axe rule id), ``impact``, the CSS ``targets`` of its nodes and
    the first node's HTML (for the failure message)."""
    rule: str
    impact: str
    targets: tuple
    html: str
    help: str
    messages: tuple = ()          # axe's message per node (e.g. the contrast ratio and colours)

    @property
    def nodes(self) -> int:
        return len(self.targets)

    def __str__(self) -> str:
        return (f"{self.impact} {self.rule} on {self.nodes} node(s) ({self.help}): "
                f"{', '.join(self.targets[:4])} -- {self.html[:200]} -- {self.messages[:1]}")


def open_view(browser, url: str, theme: str = "light", viewport: Optional[dict] = None):
    """``(context, page)``: a fresh session at ``url`` in ``theme``, idle and drawn."""
    ctx = browser.new_context(viewport=viewport or VIEWPORT, color_scheme=theme)
    ctx.set_default_timeout(S.TIMEOUT_MS)
    ctx.add_init_script(S.INIT_SCRIPT)
    page = ctx.new_page()
    return ctx, page


def audit(page, exclude: Iterable[str] = ()) -> list[Finding]:
    """axe-core's violations on the current document (all rules axe runs by default: WCAG 2.x
    A/AA and best practices).  ``exclude``: CSS selectors left out of the check."""
    from axe_playwright_python.sync_playwright import Axe
    context = {"exclude": [[s] for s in exclude]} if exclude else None
    res = Axe().run(page, context=context, options={"resultTypes": ["violations"]})
    out = []
    for v in res.response["violations"]:
        targets = tuple(_selector(n["target"]) for n in v["nodes"])
        messages = tuple("; ".join(c["message"] for c in n.get("any", []) + n.get("all", [])
                               + n.get("none", [])) for n in v["nodes"])
        out.append(Finding(v["id"], v["impact"] or "minor", targets,
                           v["nodes"][0].get("html", "") if v["nodes"] else "", v["help"], messages))
    return out


def _selector(target) -> str:
    """axe's node target: a CSS selector, or a list of them (through iframes / shadow roots)."""
    if isinstance(target, (list, tuple)):
        return " >> ".join(_selector(t) for t in target)
    return str(target)


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Violated rules by impact: ``{"critical": 0, "serious": 1, ...}`` (a rule counts once)."""
    c = {k: 0 for k in IMPACTS}
    for f in findings:
        c[f.impact] = c.get(f.impact, 0) + 1
    return c


def table(findings: Iterable[Finding]) -> str:
    """``serious color-contrast ×4; moderate heading-order ×1`` (``—`` when clean)."""
    fs = sorted(findings, key=lambda f: (IMPACTS.index(f.impact), f.rule))
    return "; ".join(f"{f.impact} {f.rule} ×{f.nodes}" for f in fs) or "—"


#: Violations the app cannot fix (Streamlit's or a component's own markup): rule -> why.
KNOWN: dict[str, str] = {
    "scrollable-region-focusable": "streamlit-drawable-canvas 0.13 (Read digits) draws its canvas in "
        "a scrolling div without tabindex; in large-text mode the canvas is wider than its column",
}
#: Where each one shows up, with its node count: ``(page, view) -> {rule: nodes}``.  Pinned
#: exactly: one more node, a new page or view, or a fixed one (then delete the pin) fails.
PINNED: dict[tuple, dict] = {
    ("digits", "large text"): {"scrollable-region-focusable": 1},
}


def unexpected(findings: Iterable[Finding], page: str, view: str) -> list[str]:
    """Critical and serious violations not pinned for ``(page, view)``, and pinned ones whose node
    count changed or that are gone (one line each, empty when all is as expected)."""
    pins = PINNED.get((page, view), {})
    out, seen = [], set()
    for f in findings:
        if f.impact not in ("critical", "serious"):
            continue
        seen.add(f.rule)
        if f.rule in pins and f.nodes == pins[f.rule]:
            continue
        why = f" (pinned: {pins[f.rule]} nodes; {KNOWN.get(f.rule, '')})" if f.rule in pins else ""
        out.append(str(f) + why)
    out += [f"pinned {rule} ×{n} is gone: delete its pin in tests/e2e/a11y.py" for rule, n in pins.items()
            if rule not in seen]
    return out


# --------------------------------------------------------------------------- keyboard
#: The focused control as a student hears it: its widget's label (a radio group's name, a
#: slider's label), else its accessible name or text; where it is (main / sidebar); whether
#: a focus ring is drawn (a 2 px outline on it or on the container that draws it: radios,
#: sliders and switches hide their native input); whether it sits in a component's shadow DOM
#: (``component``: the app's CSS cannot reach it -- streamlit-drawable-canvas marks a focused
#: button with a darker background and border instead of a ring).
FOCUSED = """() => {
  let e = document.activeElement, component = false;
  if (!e || e === document.body) return null;
  while (e.shadowRoot && e.shadowRoot.activeElement) { e = e.shadowRoot.activeElement; component = true; }
  const up = (n) => n.parentElement || (n.getRootNode && n.getRootNode().host) || null;
  const w = e.closest && e.closest('[data-testid="stRadio"], [data-testid="stSlider"], [data-testid="stTextArea"],'
    + ' [data-testid="stSelectbox"], [data-testid="stMultiSelect"], [data-testid="stNumberInput"],'
    + ' [data-testid="stCheckbox"], [data-testid="stTextInput"]');
  const lab = w && w.querySelector('[data-testid="stWidgetLabel"]');
  const own = e.getAttribute('aria-label') || (e.innerText || '').replace(/\\s+/g, ' ').trim();
  const name = (lab && lab.innerText.trim()) || own;
  let ring = false, n = e;
  for (let k = 0; k < 5 && n && !ring; k++, n = up(n)) {
    const cs = getComputedStyle(n);
    ring = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
  }
  let host = e; while (host.getRootNode && host.getRootNode().host) host = host.getRootNode().host;
  const where = host.closest('[data-testid="stSidebar"]') ? 'sidebar'
              : host.closest('[data-testid="stMain"]') ? 'main' : 'other';
  return {name: name.slice(0, 80), tag: e.tagName, where, ring, component};
}"""


def focused(page) -> Optional[dict]:
    """What has keyboard focus (see :data:`FOCUSED`), or None (the document body)."""
    return page.evaluate(FOCUSED)


def tab_walk(page, limit: int = 80) -> list[dict]:
    """Press Tab from the top of the page until focus comes back to the first stop (or ``limit``
    presses): every stop the keyboard reaches, in order."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    stops: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        f = focused(page)
        if f is None:
            continue
        if stops and f == stops[0] and len(stops) > 3:
            break
        stops.append(f)
    return stops


def tab_to(page, name: str, limit: int = 80, where: str = "main", exact: bool = False) -> dict:
    """Press Tab until the focused control's name contains (``exact``: is) ``name``, in ``where``;
    return it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        f = focused(page)
        if f and f["where"] == where and (f["name"] == name if exact else name in f["name"]):
            return f
    raise AssertionError(f"{name!r} never took keyboard focus in {limit} Tab presses")
