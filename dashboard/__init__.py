"""Streamlit glue shared by the pages: caching, share-link parameters, page chrome.

The only package (with ``pages/`` and ``app.py``) that imports Streamlit.

Torch runs single-threaded inside the app (override with ``AE_TORCH_THREADS``):
every session's script already runs in its own thread, and on 2 cores torch's
2-thread pool under concurrent load was measured 10-40x slower for small inputs
(MiniLM forward at 32 tokens: 640 ms with 2 threads vs 16 ms with 1, load ~4);
on an idle machine 1 thread costs ~1.8x at 512 tokens (283 vs 154 ms).
"""
import os as _os

import torch as _torch

_torch.set_num_threads(max(1, int(_os.environ.get("AE_TORCH_THREADS", "1") or 1)))
