"""Every page with a text box says which text its result is for (issue 26 #2).

A browser can send text the server never receives: a pasted lone surrogate makes Streamlit's
websocket drop the whole message before any app code runs.  The box then shows the new text
while the result belongs to the old one, so each page states the text it computed from
("Showing the sentence: `...`"; Translate: "The model reads <locale> then `...`", the date as
the model reads it, lower-cased).  In a real browser: tests/e2e/test_e2e_showing_text.py.
"""
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import sitemap

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from pagespecs import declared_params  # noqa: E402 - the pages' PARAMS read with ast, nothing run

#: how a page's line naming its input starts
NAMING = ("Showing the ", "The model reads ")
SENTENCE = "Bees dance to tell the hive where flowers are."
#: page -> (link that sets every text box, the texts the page must say it shows)
CASES = {
    "sentence": ({"text": SENTENCE}, [SENTENCE]),
    "compare": ({"text": SENTENCE}, [SENTENCE]),
    "model": ({"text": SENTENCE, "pair": "The hive listens."}, [SENTENCE, "The hive listens."]),
    "summarize": ({"text": "Bees dance. The dance points to flowers. Hives stay warm in winter.",
                   "query": "question", "question": "How do bees find flowers?"},
                  ["Bees dance. The dance points to flowers.", "How do bees find flowers?"]),
    "translate": ({"text": "12 April 2023"}, ["12 April 2023"]),
    # Listen's text box is the digits eSpeak NG speaks; the line names the recording they made
    "listen": ({"source": "type", "digits": "4 0 4"}, ["“4 0 4” spoken by eSpeak NG"]),
}


def text_pages() -> list[str]:
    """Pages that declare a text parameter (a text box)."""
    out = []
    for entry in sitemap.PAGES:
        state = ROOT / "features" / entry.name / "state.py"
        if any(p.kind == "Text" for p in declared_params(state)):
            out.append(entry.name)
    return out


def test_every_page_with_a_text_box_is_checked_here():
    new = sorted(set(text_pages()) - set(CASES))
    assert not new, (f"{new} declare(s) a text box: make the page say which text its result is for "
                     "(ui.page.showing) and add it to CASES here")
    assert set(CASES) <= set(text_pages())


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_page_says_which_text_its_result_is_for(name):
    query, texts = CASES[name]
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    captions = [c.value.lower() for c in at.caption if c.value.startswith(NAMING)]
    for text in texts:
        assert any(text.lower() in c for c in captions), (name, text, captions)
