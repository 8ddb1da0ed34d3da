"""The URL is the state, in a real browser: fast input never leaves the view and the address
bar apart, Back / Forward move between views, echoed link values cannot reverse the page's
text, and every page's deep link opens that page on a fresh server (issues 11 and 15)."""
from __future__ import annotations

import urllib.parse

import pytest

import stbrowser as S
import stclient
import stserver

pytestmark = pytest.mark.e2e

SENTENCE = "The cat sat on the mat."


def url_params(page) -> dict:
    return {k: v[-1] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query).items()}


def chart_title(page) -> str:
    return page.evaluate("() => document.querySelector('.js-plotly-plot')._fullLayout.title.text")


def test_fast_arrow_keys_keep_slider_chart_and_url_equal(tab, base_url, artifacts):
    """Issue 15 #3: focus "Layer", press ArrowRight three times quickly: slider, chart and URL
    all say layer 4 (before: 1 run in 4-8 ended with the URL one step ahead of the view)."""
    page = tab.page
    for attempt in range(8):
        S.goto(page, f"{base_url}/sentence?text={urllib.parse.quote(SENTENCE)}")
        thumb = S.slider_input(page, "Layer")
        n = S.runs(page)
        thumb.focus()
        for _ in range(3):
            thumb.press("ArrowRight")
        S.wait_idle(page, n, plot=True, quiet_ms=1500)
        shown = S.slider_value(page, "Layer")
        assert shown == 4, (attempt, shown)
        assert url_params(page).get("layer") == "4", (attempt, page.url)
        assert ">layer 4," in chart_title(page), (attempt, chart_title(page))


def test_a_change_that_arrives_with_a_stale_url_is_what_shows(base_url):
    """Issue 15 #3, the mechanism without the timing: a browser that sends a widget change while
    its address bar still holds an older view (the page's URL update for the last change not
    yet applied) must get the change it made, in the view and in the URL.  The old code applied
    the URL on every run: layer 4 came back as layer 2 (the stale URL), deterministically."""
    def title(res):
        return res.charts[0]["layout"]["title"]["text"]

    async def go():
        async with stclient.Session(base_url, "sentence", "text=" + urllib.parse.quote(SENTENCE)) as s:
            assert (await s.open()).ok
            assert "layer 2," in title(await s.set("layer", 2))
            stale = s.query
            assert "layer 3," in title(await s.set("layer", 3))
            s.query = stale                              # the address bar is one change behind
            res = await s.set("layer", 4)
            assert res.ok, res.exceptions
            return title(res), urllib.parse.parse_qs(s.query)

    shown, query = stclient.run(go())
    assert shown.startswith("layer 4,"), shown
    assert query.get("layer") == ["4"], query


def test_back_and_forward_move_between_views(tab, base_url, artifacts):
    """Issue 15 #3: entering a page adds no history entry of its own, so the first Back after a
    change goes to the previous view, the next Back to the previous page; Forward returns."""
    page = tab.page
    S.goto(page, f"{base_url}/home")
    n = S.runs(page)
    page.get_by_test_id("stSidebarNav").locator("a").filter(has_text="Sentence").first.click()
    S.wait_idle(page, n, plot=True)
    assert urllib.parse.urlsplit(page.url).path.endswith("/sentence")
    S.click_radio(page, "Attention type", "Hard (arg-max)")
    S.click_radio(page, "Scope", "Causal")
    assert url_params(page) == {"normalization": "hard", "scope": "causal"}

    for want_type, want_scope, want_url in [("Hard (arg-max)", "Global", {"normalization": "hard"}),
                                            ("Soft", "Global", {})]:
        n = S.runs(page)
        page.go_back()
        S.wait_idle(page, n, plot=True)
        assert S.radio_value(page, "Attention type") == want_type
        assert S.radio_value(page, "Scope") == want_scope
        assert url_params(page) == want_url
    n = S.runs(page)
    page.go_back()                                      # before the page: Home
    S.wait_idle(page, n)
    assert urllib.parse.urlsplit(page.url).path.endswith("/home")
    n = S.runs(page)
    page.go_forward()
    S.wait_idle(page, n, plot=True)
    assert urllib.parse.urlsplit(page.url).path.endswith("/sentence")
    n = S.runs(page)
    page.go_forward()
    S.wait_idle(page, n, plot=True)
    assert S.radio_value(page, "Attention type") == "Hard (arg-max)"
    assert url_params(page) == {"normalization": "hard"}


@pytest.mark.parametrize("raw", ["%E2%80%AE99", "%E2%81%A6x%E2%81%A9", "%E2%80%8Bx"])
def test_bidi_and_invisible_characters_in_a_link_are_shown_neutralised(tab, base_url, raw):
    """Issue 15 #4: /sentence?layer=%E2%80%AE99 showed the notice reversed ("... tluafed eht")."""
    page = tab.page
    S.goto(page, f"{base_url}/sentence?layer={raw}")
    notice = "\n".join(S.alerts(page))
    assert "Link parameter" in notice and "using the default" in notice, notice
    text = page.get_by_test_id("stAlert").first.inner_text()
    assert not set(text) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b"), repr(text)
    assert "<U+" in text


DEEP_LINKS = ["home", "sentence", "model", "image", "translate", "summarize", "learn", "compare"]


def test_every_deep_link_opens_its_page_on_a_fresh_server(browser, artifacts):
    """Issue 11: /home (the default page is served at /) and every url_path, each as the very
    first request of its own fresh server (the legacy pages/ trap), opens that page with the
    router in charge and no "Page not found" dialog."""
    from pagespecs import PAGE_BY_NAME
    for name in DEEP_LINKS:
        server = stserver.start()
        try:
            tab = S.open_tab(browser, server.base_url)
            spec = PAGE_BY_NAME[name]
            S.goto(tab.page, f"{server.base_url}/{name}", plot=spec.chart)
            page = tab.page
            assert page.get_by_test_id("stHeading").filter(has_text=spec.title).count(), name
            assert "Home" in page.get_by_test_id("stSidebarNav").inner_text(), name
            assert page.title() == "Attention Explorer", name
            assert not page.get_by_text("Page not found").count(), name
            assert S.problems(page) == [], (name, S.problems(page))
            tab.context.close()
        finally:
            stserver.stop(server)


def test_lone_surrogate_paste_never_claims_the_new_text(tab, base_url):
    """Issue 15 #7: a pasted lone surrogate ("ab\\uD800cd") makes Streamlit's websocket reject the
    message as bad UTF-8 (upstream; it never reaches the app).  The page keeps its previous result
    and says which text that result is for; the next ordinary edit works."""
    page = tab.page
    S.goto(page, f"{base_url}/sentence?text={urllib.parse.quote(SENTENCE)}")
    box = S.widget(page, "stTextArea", "Sentence").locator("textarea")
    box.click()
    page.evaluate("""() => { const ta = document.querySelector('textarea');
        const set = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set;
        set.call(ta, 'ab\\ud800cd'); ta.dispatchEvent(new Event('input', {bubbles: true})); }""")
    box.press("Control+Enter")
    page.wait_for_timeout(2500)
    caption = page.get_by_test_id("stCaptionContainer").filter(has_text="Showing the sentence").first
    assert SENTENCE in caption.inner_text()               # not "ab…cd": the server never got it
    assert S.figure_layout(page)["yticks"][1] == "the (1)"
    S.set_text_area(page, "Sentence", "A new sentence.")   # the session still works
    assert "A new sentence." in caption.inner_text()
    assert S.figure_layout(page)["yticks"][1] == "a (1)"
