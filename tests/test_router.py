"""The one private-Streamlit-API workaround (ui/router.py), pinned to the Streamlit it was
verified with: if Streamlit moves the attribute, these fail instead of the app silently falling
back to the legacy pages/ behaviour."""
import logging

import streamlit

from ui import router


def test_streamlit_is_the_version_the_workaround_was_verified_with():
    assert streamlit.__version__ == router.VERIFIED_STREAMLIT, (
        f"Streamlit {streamlit.__version__}: re-verify ui/router.py (PagesManager.uses_pages_directory "
        f"and the /home alias) in Chromium, then update VERIFIED_STREAMLIT")


def test_the_private_attribute_is_where_the_workaround_expects_it():
    from streamlit.runtime.pages_manager import PagesManager
    assert hasattr(PagesManager, "uses_pages_directory")
    assert router.pages_manager() is PagesManager


def test_a_moved_attribute_is_logged_as_an_error(monkeypatch, caplog):
    from streamlit.runtime.pages_manager import PagesManager
    monkeypatch.delattr(PagesManager, "uses_pages_directory")
    with caplog.at_level(logging.ERROR, logger="attention_explorer.router"):
        assert router.pages_manager() is None
    assert "uses_pages_directory is gone" in caplog.text
