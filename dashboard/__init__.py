"""Streamlit glue shared by the pages: caching, share-link parameters, page chrome.

The only package (with ``pages/`` and ``app.py``) that imports Streamlit.
"""
