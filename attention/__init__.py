"""Attention Explorer's core: attention mechanisms in plain PyTorch.

No Streamlit, no Plotly: usable from a notebook.

    >>> import torch, attention
    >>> X = torch.tensor([[1., 0.], [0., 1.], [1., 1.]])
    >>> r = attention.attend(X, form="self", score="dot")
    >>> r.weights.shape            # (heads, n_query, n_key)
    torch.Size([1, 3, 3])
"""
from .functional import AttentionResult, FORMS, Options, attend, resolve_options
from .masks import SCOPES
from .normalize import NORMALIZATIONS
from .scores import SCORES

__all__ = ["attend", "resolve_options", "AttentionResult", "Options",
           "SCORES", "SCOPES", "NORMALIZATIONS", "FORMS"]
