"""Every page in ``pagespecs.PAGES``, in a real browser: it loads cleanly, it is reachable from
the sidebar, and hostile share links (generated from the page's declared parameters) give
visible notices, never an exception, an injected element or a broken page."""
from __future__ import annotations

import re
import urllib.parse

import pytest

import stbrowser as S
from pagespecs import PAGE_BY_NAME, PAGES, PageSpec, hostile_links, registered_pages

pytestmark = pytest.mark.e2e


def test_registered_pages_are_covered():
    """Every page app.py registers should have a PageSpec (skipped, with the list, if not)."""
    registered = registered_pages()
    assert set(PAGE_BY_NAME) <= set(registered), f"PAGES lists pages app.py does not register: " \
        f"{sorted(set(PAGE_BY_NAME) - set(registered))}"
    missing = [p for p in registered if p not in PAGE_BY_NAME]
    if missing:
        pytest.skip(f"registered in app.py but not yet covered by tests/e2e/pagespecs.py: {', '.join(missing)} "
                    "(add a PageSpec: docs/TESTING.md)")


def assert_rendered(page, spec: PageSpec) -> None:
    """The page's own title is shown and its main output rendered; nothing went wrong."""
    assert page.get_by_role("heading", name=spec.title, exact=True).first.is_visible()
    if spec.ready:
        assert page.locator(spec.ready).count() >= 1, f"{spec.ready} not rendered"
    assert S.problems(page) == []
    assert S.connected(page)


@pytest.mark.parametrize("spec", PAGES, ids=str)
def test_page_loads_clean(tab, base_url, artifacts, spec):
    page = tab.page
    S.goto(page, f"{base_url}/{spec.name}", plot=spec.chart)
    assert_rendered(page, spec)
    notices = [a for a in S.alerts(page) if not any(x in a for x in spec.static_alerts)]
    assert notices == [], "a plain visit shows no notice"
    assert tab.dialogs == [] and tab.errors == [] and tab.offsite == []
    S.shot(page, artifacts, f"{spec.name}-01-loaded")


def test_every_page_reachable_from_sidebar(tab, base_url, artifacts):
    page = tab.page
    S.goto(page, base_url + "/", plot=False)
    nav = page.get_by_test_id("stSidebarNav")
    for spec in PAGES[::-1]:                 # the default page (home) last: it is already open
        n = S.runs(page)
        nav.locator("a").filter(has=page.get_by_text(spec.nav, exact=True)).first.click()
        S.wait_idle(page, n, plot=spec.chart)
        assert_rendered(page, spec)
    assert tab.errors == []


CASES = [(spec, v) for spec in PAGES for v in range(3)]


@pytest.mark.parametrize("spec,variant", CASES, ids=[f"{s.name}-{v}" for s, v in CASES])
def test_hostile_share_link(tab, base_url, artifacts, spec, variant):
    """One bad value for every parameter in one link: each gets a notice, defaults are used.

    The same rule on every page, Home included (it declares no parameters of its own: every
    parameter but the app-wide ones is unknown to it), and the address bar is cleaned."""
    query, bad, unknown = hostile_links(spec)[variant]
    expect = list(bad) + [unknown]
    page = tab.page
    S.goto(page, f"{base_url}/{spec.name}?{query}", plot=spec.chart)
    S.shot(page, artifacts, f"{spec.name}-02-hostile-link-{variant}", full_page=False)
    assert_rendered(page, spec)
    notices = "\n".join(S.alerts(page))
    missing = [k for k in expect if not re.search(r"parameter\W{0,3}" + re.escape(k[:20]), notices)]
    assert not missing, f"no notice for {[m[:30] for m in missing]} in:\n{notices[:2000]}"
    S.assert_no_injection(page)
    assert tab.dialogs == [] and tab.offsite == []
    # the address bar now holds a link to what is shown: no hostile value survives
    left = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query, keep_blank_values=True)
    assert unknown not in left and not [k for k in left if k in bad and left[k][-1] == bad[k]], \
        page.url[:300]
