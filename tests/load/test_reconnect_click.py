"""Issue 26 #1: a replica dies, its tabs reconnect to the survivor, and the FIRST click there counts.

``scripts/serve.sh --replicas 2`` (Debian's nginx, cookie affinity), 3 Chromium tabs on one
Sentence link.  The replica serving most of them is killed (SIGKILL).  Streamlit's frontend
reconnects (through nginx, to the survivor) without rerunning, so the click that follows is the
first run of a new session; before the fix the page's fill-from-URL outranked it: Soft snapped
back to Sparsemax, a key press on Layer snapped back to 3, URL and chart unchanged.  Now one
click each: the widget, the URL and the chart follow.

Its own serve.sh (the kill in test_replicas.py leaves one replica): ~1 minute on 2 cores.
"""
from __future__ import annotations

import os
import signal

import pytest

import classroom as C
import stserve

pytestmark = pytest.mark.e2e

if not os.path.exists(stserve.NGINX):
    pytest.skip(f"{stserve.NGINX} missing: install Debian's nginx (./scripts/test.sh does)",
                allow_module_level=True)

LINK = "/sentence?normalization=sparsemax&layer=3"

# Every value Streamlit's connection state takes, in order (a reconnect can take < 1 s).
CONNECTION_LOG = """
(() => {
  window.__conn = [];
  const note = () => {
    const a = document.querySelector('[data-testid="stApp"]');
    const s = a && a.getAttribute('data-test-connection-state');
    if (s && window.__conn[window.__conn.length - 1] !== s) window.__conn.push(s);
  };
  new MutationObserver(note).observe(document, {subtree: true, childList: true, attributes: true,
                                                attributeFilter: ['data-test-connection-state']});
})();
"""


@pytest.fixture(scope="module")
def served(request):
    s = stserve.start(replicas=2)
    yield s
    stserve.stop(s, keep=request.session.testsfailed > 0)
    assert [p for p in s.pids if stserve._ours(p, s.proc.pid)] == []


def reconnected(page) -> bool:
    """The tab lost its websocket and has it back."""
    log = page.evaluate("() => window.__conn")
    return "CONNECTED" in log[log.index("CONNECTED") + 1:] if "CONNECTED" in log else False


def test_after_a_replica_dies_the_first_click_on_a_recovered_tab_counts(served, browser):
    import stbrowser as S

    tabs = []
    try:
        for _ in range(3):
            tab = S.open_tab(browser, served.base_url)
            tab.context.add_init_script(CONNECTION_LOG)
            upstream: dict = {}
            tab.page.on("response", lambda r, u=upstream: u.setdefault("addr", C.served_by(r.headers.get("x-upstream")))
                        if r.request.resource_type == "document" else None)
            S.goto(tab.page, served.base_url + LINK)
            assert S.radio_value(tab.page, "Attention type") == "Sparsemax"
            tabs.append((tab, upstream["addr"], S.heatmap_z(tab.page)))
        on = {}
        for tab, addr, z in tabs:
            on.setdefault(addr, []).append((tab, z))
        victim = max(on, key=lambda a: len(on[a]))
        moved = on[victim]
        assert len(moved) >= 2, on.keys()
        os.kill(served.by_address()[victim].pid, signal.SIGKILL)       # a replica serve.sh started

        for tab, _ in moved:
            tab.page.wait_for_function(
                """() => { const l = window.__conn, i = l.indexOf('CONNECTED');
                           return i >= 0 && l.slice(i + 1).includes('CONNECTED'); }""",
                timeout=60_000, polling=200)
            assert reconnected(tab.page)
            S.wait_idle(tab.page)
            # the tab still shows the view its URL holds (nothing has rerun yet)
            assert S.radio_value(tab.page, "Attention type") == "Sparsemax"
            assert tab.page.url.endswith(LINK)

        # one click: Soft
        (a, z_before), (b, _) = moved[0], moved[1]
        S.click_radio(a.page, "Attention type", "Soft")
        assert S.radio_value(a.page, "Attention type") == "Soft"
        assert a.page.url.endswith("/sentence?layer=3"), a.page.url          # soft is the default
        z = S.heatmap_z(a.page)
        assert all(v > 0 for row in z for v in row), "the chart is still sparsemax's"
        assert all(abs(sum(row) - 1) < 1e-4 for row in z)
        assert any(v == 0 for row in z_before for v in row)
        assert S.problems(a.page) == []

        # one key press: Layer 3 -> 4
        S.move_slider(b.page, "Layer", 4)
        assert S.slider_value(b.page, "Layer") == 4
        assert b.page.url.endswith("/sentence?normalization=sparsemax&layer=4"), b.page.url
        assert S.heatmap_z(b.page) != z_before
        assert S.problems(b.page) == []
        # both now live on the survivor
        survivor = next(x for x in served.by_address() if x != victim)
        assert served.by_address()[survivor].alive() and not served.by_address()[victim].alive()
    finally:
        for tab, _, _ in tabs:
            tab.context.close()
