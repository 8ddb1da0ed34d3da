"""A browser whose session the server never had (issue 26 #1): a replica dies, the browser
reconnects to a survivor, and its next click is the first run of a new session, carrying the
widget values it shows plus the click.  That click must count: the widget, the URL and the
chart follow it, as they would have in the lost session.  (The real thing, through nginx and
Chromium with a killed replica: tests/load/test_reconnect_click.py.)

The reconnect is reproduced in AppTest: tab 1 opens a link and changes a widget; its widget
values (what Streamlit's frontend sends) go, with its URL, into the first run of a new AppTest
(a new session).  Plus the pinned checks of the private-API workaround (ui/reconnect.py).
"""
import logging
from pathlib import Path

import numpy as np
import streamlit
from streamlit.testing.v1 import AppTest

from tests.plotly_utils import trace_array
from ui import reconnect

ROOT = Path(__file__).resolve().parent.parent
SENTENCE = str(ROOT / "pages" / "sentence.py")


def opened(path: str, **query) -> AppTest:
    at = AppTest.from_file(path, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def reconnect_with(at: AppTest, path: str = SENTENCE) -> AppTest:
    """The widget values ``at`` would send (its pending changes included) and its URL, as the
    first run of a new session of ``path``."""
    states = at._tree.get_widget_states()
    assert states.widgets, "the browser sends its widget values"
    fresh = AppTest.from_file(path, default_timeout=120)
    for k, v in at.query_params.items():
        fresh.query_params[k] = v
    fresh._run(states)
    assert not fresh.exception, fresh.exception
    return fresh


def z(at):
    return trace_array(at, "z", key="heatmap")


def test_the_first_click_after_a_reconnect_changes_the_type():
    tab = opened(SENTENCE, normalization="sparsemax", layer="3")
    assert (z(tab) == 0).any()                          # sparsemax: exact zeros
    tab.radio(key="normalization").set_value("soft")
    at = reconnect_with(tab)
    assert at.radio(key="normalization").value == "soft"
    assert at.session_state["normalization"] == "soft"
    assert dict(at.query_params) == {"layer": "3"}      # soft is the default: gone from the URL
    w = z(at)
    assert (w > 0).all() and np.allclose(w.sum(1), 1, atol=1e-5)    # the chart is softmax's
    assert at.slider(key="layer").value == 3            # the rest of the view is the URL's
    assert not at.warning
    # and the session goes on as usual
    at.slider(key="layer").set_value(5).run()
    assert dict(at.query_params) == {"layer": "5"} and at.radio(key="normalization").value == "soft"


def test_the_first_key_press_on_a_slider_after_a_reconnect_counts():
    tab = opened(SENTENCE, normalization="sparsemax", layer="3")
    before = z(tab)
    tab.slider(key="layer").set_value(4)
    at = reconnect_with(tab)
    assert at.slider(key="layer").value == 4 and at.session_state["layer"] == 4
    assert dict(at.query_params) == {"normalization": "sparsemax", "layer": "4"}
    assert not np.allclose(z(at), before)
    assert z(at).shape == before.shape and (z(at) == 0).any()


def test_a_row_slider_whose_range_follows_the_text_keeps_the_click():
    # P.ranged_slider asserts the page's row on a new range; a new session is not a new range
    tab = opened(SENTENCE, row="2")
    tab.slider(key="row").set_value(5)
    at = reconnect_with(tab)
    assert at.slider(key="row").value == 5 and at.query_params["row"] == "5"


def test_a_text_typed_after_a_reconnect_is_the_text_shown():
    tab = opened(SENTENCE, normalization="hard")
    tab.text_area(key="text").input("A short new sentence.")
    at = reconnect_with(tab)
    assert at.session_state["text"] == "A short new sentence."
    assert at.query_params["text"] == "A short new sentence." and at.query_params["normalization"] == "hard"
    assert z(at).shape[0] < z(tab).shape[0]


def test_a_sidebar_preference_changed_after_a_reconnect_counts():
    tab = opened(SENTENCE, layer="2")
    tab.selectbox(key="colorscale").set_value("Cividis")
    at = reconnect_with(tab)
    assert at.session_state["colorscale"] == "Cividis" and at.query_params["colorscale"] == "Cividis"


def test_another_pages_widget_values_do_not_leak_into_the_page_opened():
    # right after a reconnect the user goes to another page: widget ids carry the page, so the
    # Image page's Attention type is not taken for the Sentence page's (the URL decides)
    tab = opened(str(ROOT / "pages" / "image.py"), normalization="hard")
    states = tab._tree.get_widget_states()
    at = AppTest.from_file(SENTENCE, default_timeout=120)
    at.query_params["normalization"] = "sparsemax"
    at._run(states)
    assert not at.exception
    assert at.session_state["normalization"] == "sparsemax"


def test_a_new_tab_sends_no_widget_values_and_opens_the_link():
    at = opened(SENTENCE, normalization="sparsemax", layer="3")
    assert at.session_state["normalization"] == "sparsemax" and at.session_state["layer"] == 3


# ---------------------------------------------------------------- the private API, pinned
def test_streamlit_is_the_version_the_workaround_was_verified_with():
    assert streamlit.__version__ == reconnect.VERIFIED_STREAMLIT, (
        f"Streamlit {streamlit.__version__}: re-verify ui/reconnect.py (tests/test_reconnect.py and "
        f"tests/load/test_reconnect_click.py), then update VERIFIED_STREAMLIT")


def test_the_internals_are_where_the_workaround_expects_them():
    from streamlit.runtime.state.session_state import Serialized, SessionState, WStates
    s = SessionState()
    assert isinstance(s._old_state, dict) and isinstance(s._new_session_state, dict)
    assert isinstance(s._new_widget_state, WStates)
    assert isinstance(s._new_widget_state.states, dict) and isinstance(s._new_widget_state.widget_metadata, dict)
    assert Serialized


def test_moved_internals_are_logged_as_an_error(monkeypatch, caplog):
    class Ctx:
        session_state = object()                 # no _state inside
    monkeypatch.setattr("streamlit.runtime.scriptrunner_utils.script_run_context.get_script_run_ctx",
                        lambda suppress_warning=False: Ctx())
    with caplog.at_level(logging.ERROR, logger="attention_explorer.reconnect"):
        assert reconnect.session_state() is None
        assert reconnect.browser_values_pending() is False
    assert "are gone" in caplog.text


def test_outside_a_script_run_nothing_is_pending(caplog):
    with caplog.at_level(logging.ERROR, logger="attention_explorer.reconnect"):
        assert reconnect.browser_values_pending() is False
    assert not caplog.text
