"""A browser that comes back to a server that never had its session: the second workaround on a
private Streamlit API, alone and loud (the first is ``ui/router.py``).

**The trap** (issue 26 #1).  Behind several replicas, a replica dies; its browsers reconnect
and land on a survivor, which does not know their session and makes a new one.  Streamlit's
frontend (1.67, ``handleConnectionStateChanged``) does **not** rerun after a reconnect: it
expects to resume its old session, so it keeps showing the old page.  The user's next click is
therefore the *first* run of the new session, and that run carries the browser's widget values
(the old ones plus the click).  :func:`ui.params.load` fills a fresh session from the URL with
``st.session_state[key] = value``, and a value set that way outranks the value the browser sent:
the click snapped back (Soft -> Sparsemax), the URL and the chart stayed, the second click
worked.  A plain widget does not lose the click, because nothing outranks the browser's value.

**The fix.**  In that run only (:func:`browser_values_pending`: values arrived from the browser
for widgets that no run of this session has registered), the URL's values are put where
Streamlit keeps a value written *before* its widget first registered (:func:`fallback`,
``SessionState._old_state[key]``) instead of ``st.session_state[key]``.  Streamlit's own order
then decides, widget by widget and by exact widget id (page included): the value the browser
sent for *that* widget wins; a widget the browser did not send (another page's, one not on
screen, a slider with a new range) gets the URL's value, and the page reads the URL's value
until the widget is drawn.

**Loud.**  If a Streamlit upgrade moves these internals, :func:`browser_values_pending` logs an
error and returns False: the app falls back to the old behaviour (the first click after a
replica dies is lost, nothing else), and ``tests/test_reconnect.py`` fails.  Verified with
:data:`VERIFIED_STREAMLIT`.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

log = logging.getLogger("attention_explorer.reconnect")

#: The Streamlit release this workaround was verified against (a test pins it).
VERIFIED_STREAMLIT = "1.67.0"


def session_state() -> Optional[Any]:
    """Streamlit's private ``SessionState`` of this run, or None (logged as an error) if its
    internals moved.  None outside a script run (bare mode) without an error."""
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
        from streamlit.runtime.state.session_state import Serialized  # noqa: F401 - checked here
    except ImportError as e:
        log.error("Streamlit internals moved (%s; verified with %s): the first click after a "
                  "reconnect to another replica may be lost", e, VERIFIED_STREAMLIT)
        return None
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return None
    state = getattr(ctx.session_state, "_state", None)
    widgets = getattr(state, "_new_widget_state", None)
    if (not isinstance(getattr(state, "_old_state", None), dict)
            or not isinstance(getattr(widgets, "states", None), dict)
            or not isinstance(getattr(widgets, "widget_metadata", None), dict)):
        log.error("SessionState._old_state / _new_widget_state.states / .widget_metadata are gone "
                  "(verified with Streamlit %s): the first click after a reconnect to another "
                  "replica may be lost", VERIFIED_STREAMLIT)
        return None
    return state


def browser_values_pending() -> bool:
    """True when this run carries widget values from the browser for widgets no run of this
    session has registered: a browser whose session this server never had (a reconnect to
    another replica, or to a restarted server).  A new tab sends none."""
    state = session_state()
    if state is None:
        return False
    from streamlit.runtime.state.session_state import Serialized
    widgets = state._new_widget_state
    return any(isinstance(v, Serialized) and k not in widgets.widget_metadata
               for k, v in widgets.states.items())


def fallback(key: str, value: Any) -> None:
    """Give widget ``key`` the value ``value`` unless the browser sent this widget's own value
    with this run (see the module docstring).  Readable as ``st.session_state[key]`` at once."""
    state = session_state()
    if state is None:                                   # logged; the old behaviour
        import streamlit as st
        st.session_state[key] = value
        return
    state._new_session_state.pop(key, None)
    state._old_state[key] = value
