"""Shipped model files: ``<stem>.safetensors`` (the weights) + ``<stem>.json`` (the card).

One reader for every model trained here, so each loads the same way: the card says how to
build the model, the weights must match it exactly, and the model comes back ready to read
(eval mode, no gradients)::

    >>> model, card = read_trained(WEIGHTS_DIR / "location", lambda card: Listener(...),
    ...                            retrain="python -m training listen --variant all")
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, TypeVar

import torch.nn as nn
from safetensors.torch import load_file

M = TypeVar("M", bound=nn.Module)


def read_trained(stem, build: Callable[[dict], M], retrain: str) -> tuple[M, dict]:
    """``(model, card)`` from ``<stem>.safetensors`` + ``<stem>.json``.

    build: the card (a dict) -> an untrained model of the right shape.  The weights must hold
    exactly that model's parameters.  The model is returned in eval mode with gradients off.
    ValueError when a file is missing (saying ``retrain``, the command that writes them) or the
    weights do not match their card.
    """
    stem = Path(stem)
    st, js = stem.with_suffix(".safetensors"), stem.with_suffix(".json")
    if not st.is_file() or not js.is_file():
        raise ValueError(f"no trained model at {stem} (need {st.name} and {js.name}); run: {retrain}")
    card = json.loads(js.read_text(encoding="utf-8"))
    model = build(card)
    missing, unexpected = model.load_state_dict(load_file(str(st)), strict=False)
    if missing or unexpected:
        raise ValueError(f"{st.name} does not match its card: missing {missing}, unexpected {unexpected}")
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model, card
