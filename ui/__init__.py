"""Shared Streamlit chrome for every page: page setup and guard (``page``), share-link
parameters (``params``), charts and exports (``charts``), the models and byte-bounded shared
caches (``models``, ``cache``), the words for the core's names (``vocab``), example inputs
(``examples``), and the one private-API workaround (``router``).  See docs/ARCHITECTURE.md."""
