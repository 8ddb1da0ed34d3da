"""Bad-input corpus for text, typed into every page that has a main text area
(``PageSpec.text_label``).  Each case must give a clear message or a correct chart: never
an exception box or a traceback, never an injected element, and the session stays
connected.  The cases run one after another in one browser tab per page, as a user would
type them; afterwards a fresh session must still be served."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

import pytest

import stbrowser as S
from pagespecs import TEXT_PAGES, TRUNCATING_PAGES, PageSpec

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    expect: str                          # "message" | "chart" | "either"
    message: Optional[str] = None        # regex an alert must match
    shows: Optional[str] = None          # text some rendered tick label must contain

    def __str__(self):
        return self.id


CASES = [
    Case("empty", "", "message"),
    Case("whitespace", " \n\t \u3000 \n", "message"),
    Case("emoji", "I ❤️ 🐍 and 👩‍👩‍👧‍👦 🇫🇷!", "chart", shows="and"),
    Case("arabic", "القطة جلست على السجادة", "chart", shows="ق"),
    Case("hebrew", "החתול ישב על השטיח", "chart", shows="ח"),
    Case("mixed_bidi", "The word \u202eevil\u202c and שלום mixed", "chart", shows="word"),
    Case("zero_width_only", "\u200b\u200c\u200d\ufeff\u2060", "either"),
    Case("nul_inside", "ab\x00cd and\x07 more", "chart", message=r"control character", shows="more"),
    Case("markup", '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> '
                   "<b>bold</b> `tick` ``two``", "chart", shows="<"),
    Case("markdown", "**bold** [link](javascript:window.__pwned=3) ![i](x) # head $x^2$ ~~s~~",
         "chart", shows="java"),
    Case("combining", "Z̴̡̛a̷̢l̶̨g̸̡o̵ café naïve", "chart", shows="caf"),
    Case("one_long_word", "a" * 3000, "chart"),
    Case("many_lines", "\n".join(["line"] * 60), "chart", shows="line"),
]

_tabs: dict[str, object] = {}


@pytest.fixture(scope="module")
def corpus_tabs(browser, base_url):
    """One tab per page, shared by the cases (opened on first use)."""
    yield lambda spec: _tabs.get(spec.name) or _tabs.setdefault(spec.name, S.open_tab(browser, base_url))
    for t in _tabs.values():
        t.context.close()
    _tabs.clear()


def check_case(tab, spec: PageSpec, case: Case) -> None:
    page = tab.page
    alerts = S.alerts(page)
    charts = page.locator(".js-plotly-plot").count()
    assert S.problems(page) == [], S.problems(page)
    assert S.connected(page), "the session lost its connection"
    S.assert_no_injection(page)
    assert tab.dialogs == [] and tab.offsite == [], (tab.dialogs, tab.offsite)
    if case.expect == "message":
        assert alerts, "no message for this input"
    elif case.expect == "chart":
        assert charts >= 1, f"no chart; alerts: {alerts}"
    else:
        assert alerts or charts, "neither a message nor a chart"
    if case.message:
        assert any(re.search(case.message, a, re.I) for a in alerts), alerts
    if charts and case.shows:       # the chart is this text's (not the previous one's), shown literally
        ticks = S.tick_texts(page, "y", spec.token_chart) + S.tick_texts(page, "x", spec.token_chart)
        assert any(case.shows in t for t in ticks), (case.shows, ticks)


@pytest.mark.parametrize("spec", TEXT_PAGES, ids=str)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_text(corpus_tabs, base_url, artifacts, spec, case):
    tab = corpus_tabs(spec)
    page = tab.page
    if not page.url.startswith(base_url):
        S.goto(page, f"{base_url}/{spec.name}", plot=spec.chart)
    try:
        S.set_text_area(page, spec.text_label, case.text, plot=False)
        check_case(tab, spec, case)
    finally:
        S.shot(page, artifacts, f"{spec.name}-corpus-{case.id}", full_page=False)


LONG = " ".join(f"word{i % 97} lorem ipsum" for i in range(2000))


@pytest.mark.parametrize("spec", TRUNCATING_PAGES, ids=str)
def test_long_text_says_tokens_were_dropped(tab, base_url, artifacts, spec):
    """As long a text as the widget takes (its max_chars): the model reads 512 tokens and the
    page says how many it dropped.  Runs in ``long_text_query`` (for the sentence page:
    pooling, a 512-bar chart) because a 512 x 512 clickable heatmap takes ~20-50 s to draw in
    software-rendered Chromium (see docs/TESTING.md)."""
    page = tab.page
    S.goto(page, f"{base_url}/{spec.name}?{spec.long_text_query}", plot=spec.chart)
    limit = max_chars(page, spec.text_label)
    text = LONG[:limit] if limit else LONG
    S.set_text_area(page, spec.text_label, text, plot=spec.chart)
    S.shot(page, artifacts, f"{spec.name}-corpus-long-text", full_page=False)
    kept = S.text_area_value(page, spec.text_label)
    assert kept and text.startswith(kept), "the text area lost the text"
    assert S.problems(page) == []
    assert any(spec.truncation_text in a for a in S.alerts(page)), S.alerts(page)


def max_chars(page, label: str) -> Optional[int]:
    """The widget's own limit, read from its "n/limit" counter."""
    S.widget(page, "stTextArea", label).locator("textarea").focus()
    m = re.search(r"\d+/(\d+)", S.widget(page, "stTextArea", label).inner_text())
    return int(m.group(1)) if m else None


@pytest.mark.parametrize("spec", TEXT_PAGES, ids=str)
def test_paste_100k_characters(tab, base_url, artifacts, spec):
    """A user pastes 100,000 characters: the page must take them and say what it kept."""
    page = tab.page
    S.goto(page, f"{base_url}/{spec.name}?{spec.long_text_query}", plot=spec.chart)
    text = (LONG * 10)[:100_000]
    try:
        S.set_text_area(page, spec.text_label, text, plot=False)
    finally:
        S.shot(page, artifacts, f"{spec.name}-corpus-paste-100k", full_page=False)
    assert S.problems(page) == []
    assert S.text_area_value(page, spec.text_label).startswith(text[:200]), "the paste was dropped"
    assert any(re.search(r"dropped|cut|longer than", a) for a in S.alerts(page)), S.alerts(page)


@pytest.mark.parametrize("spec", TEXT_PAGES, ids=str)
def test_other_sessions_still_served(new_page, base_url, artifacts, spec):
    """After the corpus, a fresh session loads the page with its default text and chart."""
    tab = new_page()
    S.goto(tab.page, f"{base_url}/{spec.name}", plot=spec.chart)
    notices = [a for a in S.alerts(tab.page) if not any(x in a for x in spec.static_alerts)]
    assert S.problems(tab.page) == [] and notices == []
    if spec.chart and spec.heatmap:
        assert len(S.heatmap_z(tab.page)) > 2
    S.shot(tab.page, artifacts, f"{spec.name}-corpus-after-fresh-session", full_page=False)
