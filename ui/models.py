"""The models and the shared model outputs every page reads.

* :func:`minilm` -- ``st.cache_resource``: one read-only all-MiniLM-L6-v2 per server process.
* :func:`trained` / :func:`cards` -- the small models this project trains (translation,
  captioning): one read-only instance per kind and variant, and their JSON cards.
* :func:`encode` -- a byte-bounded shared cache (:mod:`ui.cache`): tokens and the model's
  per-layer queries / keys / values / hidden states as read-only numpy arrays.  Attention
  weights are not cached: pages recompute them from q and k with :func:`attention.attend`.

Torch runs single-threaded inside the app (override with ``AE_TORCH_THREADS``): every
session's script already runs in its own thread, and on 2 cores torch's 2-thread pool under
concurrent load was measured 10-40x slower for small inputs (MiniLM forward at 32 tokens:
640 ms with 2 threads vs 16 ms with 1); on an idle machine 1 thread costs ~1.8x at 512 tokens.
"""
from __future__ import annotations

import functools
import importlib
import json
import os
import warnings
from typing import Optional

import numpy as np
import streamlit as st
import torch

from attention.models.minilm import MiniLM

from .cache import bounded

torch.set_num_threads(max(1, int(os.environ.get("AE_TORCH_THREADS", "1") or 1)))


def _fixed_mmap_threshold(nbytes: int = 128 * 1024) -> bool:
    """glibc raises its mmap threshold each time a large block is freed (up to 32 MB), after
    which the 20-75 MB tensors of a 512-token forward pass come from the heap and are never
    given back: one session sending 64 long texts kept ~1.1 GB.  A fixed threshold keeps big
    blocks in mmap, returned to the OS on free (measured: 670 -> 447 MB for the same work)."""
    try:
        import ctypes
        return bool(ctypes.CDLL("libc.so.6").mallopt(-3, nbytes))      # M_MMAP_THRESHOLD
    except (OSError, AttributeError):                                   # not glibc: nothing to do
        return False


MALLOC_TUNED = _fixed_mmap_threshold()
# Cached arrays are read-only on purpose (shared by every session); torch only reads them.
warnings.filterwarnings("ignore", message="The given NumPy array is not writable")

#: Budget of the shared text cache: ~20 MB per 512-token text, ~0.3 MB per 16-token sentence.
ENCODE_BYTES = int(os.environ.get("AE_ENCODE_CACHE_MB", "160")) * 2**20


@st.cache_resource(show_spinner="Loading all-MiniLM-L6-v2 (once per server)…")
def minilm() -> MiniLM:
    """The bundled all-MiniLM-L6-v2 (never mutated)."""
    return MiniLM.load()


@bounded("encode", ENCODE_BYTES)
def encode(text: str, pair: Optional[str] = None, max_tokens: int = 512) -> dict:
    """Tokenize and run the model once; shared read-only by every session.

    Returns numpy arrays (L layers, H heads, n tokens):
      tokens (n,) str, special (n,) bool, type_ids (n,), n_total int,
      embeddings (n, d), hidden (L+1, n, d), queries / keys / values (L, H, n, d_head),
      sentence_embedding (d,).
    """
    m = minilm()
    enc = m.tokenize(text, pair, max_tokens=max_tokens)
    tr = m.forward(enc.ids, enc.type_ids, keep_weights=False)         # pages recompute weights
    return dict(
        tokens=np.array(enc.tokens, dtype=object), special=np.array(enc.special, dtype=bool),
        type_ids=enc.type_ids.numpy(), n_total=enc.n_total,
        embeddings=tr.embeddings.numpy(), hidden=tr.hidden.numpy(),
        queries=tr.queries.numpy(), keys=tr.keys.numpy(), values=tr.values.numpy(),
        sentence_embedding=tr.sentence_embedding.numpy(),
    )


#: The models trained here: kind -> (the core module, the option sets it ships).  The module
#: defines ``VARIANTS``, ``weights_dir(**options)`` (``<variant>.safetensors`` + ``.json``) and
#: ``load(variant, **options) -> (model, card)``; each option set holds one model per variant
#: (captioning: one set per caption order).
TRAINED = {"translate": ("attention.models.seq2seq", ({},)),
           "caption": ("attention.models.captioner", ({"order": "left_to_right"}, {"order": "largest_first"})),
           "listen": ("attention.models.listener", ({},))}


@st.cache_resource(show_spinner="Loading the model trained with this attention type…")
def trained(kind: str, variant: str, **options):
    """``(model, card)`` of the shipped ``kind`` model trained with attention ``variant`` (and
    ``options``, e.g. ``order=``; read-only, never mutated; one per server)."""
    return importlib.import_module(TRAINED[kind][0]).load(variant, **options)


def warm_trained() -> None:
    """Load every shipped trained model and its card (called when the server starts: ~11 MB in
    all, so the first visitor of Translate or Read digits does not wait for them)."""
    for kind, (_, option_sets) in TRAINED.items():
        for options in option_sets:
            for variant in cards(kind, **options):
                trained(kind, variant, **options)


@functools.lru_cache(maxsize=None)
def cards(kind: str, **options) -> dict:
    """``{variant: card}`` of every shipped ``kind`` model with ``options`` (JSON only, no
    weights loaded), each with ``weights_bytes``, the size of its safetensors file."""
    mod = importlib.import_module(TRAINED[kind][0])
    folder = mod.weights_dir(**options)
    out = {}
    for v in mod.VARIANTS:
        js, w = folder / f"{v}.json", folder / f"{v}.safetensors"
        if js.exists():
            card = json.loads(js.read_text(encoding="utf-8"))
            card["weights_bytes"] = w.stat().st_size if w.exists() else None
            out[v] = card
    return out
