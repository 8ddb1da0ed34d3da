"""The writer and the reader of share links agree (issue 26 #4): whatever state a page is in, the
link it writes opens without a notice and reproduces the view.

Before: a text with a NUL was written as ``%00`` into the link, and opening that link was
refused ("contains control characters; using the default"); an emptied text box was written as
``text=`` and refused as empty.  Now :meth:`ui.params.Param.link` writes only what
:meth:`~ui.params.Param.parse` accepts.
"""
import importlib
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.plotly_utils import trace_array
from ui import params as P, sitemap

ROOT = Path(__file__).resolve().parent.parent

#: values a user can put into a widget of each kind (not only the ones a link could carry)
TYPED = {
    P.Text: ["3. März\x002021", "\x00", "a\x1fb\x7fc\x0bd", "   ", "", "\n\t", "tab\tand\nline",
             "Bidi \u202e and ‮ zero\u200bwidth", "ok"],
}


def declared() -> list[tuple[str, P.Param]]:
    out = []
    for entry in sitemap.PAGES:
        try:
            mod = importlib.import_module(f"features.{entry.name}.state")
        except ModuleNotFoundError:
            continue
        out += [(entry.name, p) for p in getattr(mod, "PARAMS", [])]
    return out


def values(p: P.Param) -> list:
    if type(p) is P.Text:                        # a text box (Learn's matrices have editors)
        return TYPED[P.Text] + [p.default, "x" * p.max_chars]
    if isinstance(p, P.Choice):
        return list(p.options)
    if isinstance(p, (P.Int, P.IntSet)):
        return [[p.lo, p.hi]] if isinstance(p, P.IntSet) else [p.lo, p.hi, p.default]
    if isinstance(p, P.Float):
        return [p.lo, p.hi, p.default, p.lo + p.step * 3]
    return [p.default]


@pytest.mark.parametrize("page, p", declared(), ids=lambda x: getattr(x, "key", x))
def test_every_value_a_widget_can_hold_is_written_as_something_the_reader_accepts(page, p):
    for v in values(p):
        form = p.link(v)
        got = p.parse(form)                       # raises Invalid if the reader refuses it
        assert p.link(got) == form, (page, p.key, v)          # and reading it back is stable


def test_a_text_a_link_can_carry_is_written_unchanged():
    t = P.Text("text", "Text", "default")
    for v in ("ok", "tab\tand\nline", "Bidi \u202e", "März 2021"):
        assert t.link(v) == v == t.parse(t.link(v))


def reopen(at: AppTest, path: str) -> AppTest:
    """A new session opening the link ``at`` published."""
    link = dict(at.query_params)
    fresh = AppTest.from_file(path, default_timeout=120)
    for k, v in link.items():
        fresh.query_params[k] = v[-1] if isinstance(v, list) else v
    fresh.run()
    assert not fresh.exception, fresh.exception
    return fresh


def test_sentence_a_nul_in_the_text_gives_a_link_that_opens_the_same_view():
    path = str(ROOT / "pages" / "sentence.py")
    at = AppTest.from_file(path, default_timeout=120)
    at.run()
    at.text_area(key="text").input("The cat\x00 sat on the mat.").run()
    assert not at.exception
    assert "\x00" not in at.query_params["text"]
    again = reopen(at, path)
    assert not again.warning, [w.value for w in again.warning]
    np.testing.assert_allclose(trace_array(again, "z", key="heatmap"), trace_array(at, "z", key="heatmap"))


def test_translate_a_nul_in_the_date_gives_a_link_that_opens_without_a_refusal():
    path = str(ROOT / "pages" / "translate.py")
    at = AppTest.from_file(path, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    at.text_area(key="text").input("12 April\x00 2023").run()
    assert not at.exception
    assert at.query_params["text"] == "12 April 2023"                    # no %00 in the link
    again = reopen(at, path)
    assert not again.warning, [w.value for w in again.warning]
    assert again.session_state["text"] == "12 April 2023"


def test_an_emptied_text_box_gives_a_link_that_opens_empty():
    path = str(ROOT / "pages" / "compare.py")
    at = AppTest.from_file(path, default_timeout=120)
    at.run()
    at.text_area(key="text").set_value("").run()
    assert at.query_params["text"] == ""
    again = reopen(at, path)
    assert not again.warning, [w.value for w in again.warning]
    assert again.session_state["text"] == ""
    assert any("Type a sentence" in i.value for i in again.info)
