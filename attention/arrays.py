"""Turning array-likes into tensors, for every function of the core that accepts NumPy input.

    t = as_tensor(x)                    # torch.as_tensor(x), but a read-only array is copied
    t = as_tensor(x, torch.float32)

A read-only NumPy array (a cached, frozen one: the pages freeze what they share between
sessions) cannot be shared by torch safely: torch warns "not writable ... undefined behavior",
and a tensor sharing it could be written through.  Such an array is copied; a writable array,
a tensor or a list goes to ``torch.as_tensor`` unchanged (shared where torch shares).
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch


def as_tensor(x, dtype: Optional[torch.dtype] = None) -> torch.Tensor:
    """``torch.as_tensor(x, dtype=dtype)``, any shape; a read-only NumPy array is copied first."""
    if isinstance(x, np.ndarray) and not x.flags.writeable:
        x = x.copy()
    return torch.as_tensor(x, dtype=dtype)
