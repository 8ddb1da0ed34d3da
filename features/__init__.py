"""One package per page: ``features/<page>/`` holds everything of that page that is not the
Streamlit entry file ``pages/<page>.py``:

* ``state.py``   -- the page's URL parameters (keys = attention option names) and defaults;
* ``compute.py`` -- what the page computes (torch / numpy through ``attention``), cached;
* ``figures.py`` -- the page's own Plotly figures (Plotly only: no Streamlit, no core);
* ``view.py``    -- the page's Streamlit layout pieces (widgets, sections).

A feature never imports another feature; shared chrome is ``ui``, shared figure primitives
are ``figures``, the maths is ``attention``.  See docs/ARCHITECTURE.md.
"""
