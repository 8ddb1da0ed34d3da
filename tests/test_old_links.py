"""Old share links (issue 26 #5): a refused value is reported under the key the link used, and a
link made for a page that was replaced gets one notice saying so, not one per unknown key."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def _open(page: str, query: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def _warning(at: AppTest) -> str:
    return "\n".join(w.value for w in at.warning)


def test_a_refused_old_key_is_named_as_the_link_wrote_it():
    # type= was renamed normalization=; the link says type, so the notice must too
    at = _open("sentence", {"type": "bogus"})
    text = _warning(at)
    assert "`type` = `bogus`" in text, text
    assert "normalization" not in text, text
    assert at.session_state["normalization"] == "soft"


def test_a_refused_new_key_is_still_named_as_written():
    at = _open("sentence", {"normalization": "bogus"})
    assert "`normalization` = `bogus`" in _warning(at)


def test_an_old_value_through_an_alias_still_opens_the_view_without_notice():
    at = _open("sentence", {"type": "sampled"})
    assert not at.warning, _warning(at)
    assert at.session_state["normalization"] == "hard_sampled"


# The Translate page is checked through a stand-in script with the page's name: ui/sitemap.py's
# entry for "translate" lists the retired keys, so the notice does not depend on that page's code.
TRANSLATE_STANDIN = """
from ui import page, params as P
page.notices(P.load("translate", [P.Text("text", "Date to translate", "3. März 2021"),
                                  P.Choice("variant", "Attention type", "soft", options=("soft", "hard"))]))
"""


def _translate(query: dict) -> AppTest:
    at = AppTest.from_string(TRANSLATE_STANDIN, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_link_for_the_old_translate_page_says_once_that_the_page_changed():
    at = _translate({"tr_src": "The cat sat on the mat.", "tr_type": "softmax", "tr_window": "2",
                     "tr_row": "3", "tr_hl": "1"})
    text = _warning(at)
    assert len(at.warning) == 1, text
    assert text.count("earlier version of this page") == 1, text
    assert "Ignored unknown" not in text, text
    assert "tr_src" in text                     # names what it set aside (the first few keys)
    assert at.session_state["text"] == "3. März 2021"          # the page opens as it is now


def test_an_old_translate_link_with_a_truly_unknown_key_reports_both():
    at = _translate({"tr_src": "x", "zzz": "1", "variant": "bogus"})
    text = _warning(at)
    assert text.count("earlier version of this page") == 1, text
    assert "Ignored unknown link parameter `zzz`" in text, text
    assert "`tr_src`" in text and "Ignored unknown link parameter `tr_src`" not in text, text
    assert "`variant` = `bogus`" in text, text
