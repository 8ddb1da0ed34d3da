"""The only place that caches.

* ``model()`` -- ``st.cache_resource``: one read-only MiniLM per server process.
* ``encode(text, pair)`` -- ``st.cache_data`` (bounded): tokens and the model's
  per-layer queries/keys/values as numpy arrays.  Attention weights are not
  cached: pages recompute them from q and k with :func:`attention.attend`.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import streamlit as st

from attention.text import MiniLM


@st.cache_resource(show_spinner="Loading all-MiniLM-L6-v2 (once per server)…")
def model() -> MiniLM:
    """The bundled all-MiniLM-L6-v2 (never mutated)."""
    return MiniLM.load()


@st.cache_data(max_entries=48, show_spinner=False)
def encode(text: str, pair: Optional[str] = None, max_tokens: int = 512) -> dict:
    """Tokenize and run the model once.

    Returns numpy arrays (L layers, H heads, n tokens):
      tokens (n,) str, special (n,) bool, type_ids (n,), n_total int,
      embeddings (n, d), hidden (L+1, n, d), queries / keys / values (L, H, n, d_head),
      sentence_embedding (d,).
    """
    m = model()
    enc = m.tokenize(text, pair, max_tokens=max_tokens)
    tr = m.forward(enc.ids, enc.type_ids)
    return dict(
        tokens=np.array(enc.tokens, dtype=object), special=np.array(enc.special, dtype=bool),
        type_ids=enc.type_ids.numpy(), n_total=enc.n_total,
        embeddings=tr.embeddings.numpy(), hidden=tr.hidden.numpy(),
        queries=tr.queries.numpy(), keys=tr.keys.numpy(), values=tr.values.numpy(),
        sentence_embedding=tr.sentence_embedding.numpy(),
    )
