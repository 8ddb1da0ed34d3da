"""Helpers shared by the training commands: threads, progress bar, parameter count, saving.

Small and generic on purpose: nothing here knows about a task.
"""
from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Mapping

import torch
from safetensors.torch import save_file
from tqdm.auto import tqdm


def set_threads(n: int) -> int:
    """``torch.set_num_threads(n)``; returns the number actually in use (for the card)."""
    torch.set_num_threads(max(1, int(n)))
    return torch.get_num_threads()


def progress(total: int, desc: str) -> tqdm:
    """A tqdm bar over ``total`` steps; call ``bar.set_postfix(loss=...)`` and ``bar.update()``."""
    return tqdm(total=total, desc=desc, unit="step", dynamic_ncols=True, mininterval=0.5)


def param_count(model: torch.nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def environment(threads: int) -> dict:
    """Where a model was trained (goes in the card next to the wall time)."""
    return {"torch": torch.__version__, "threads": threads, "python": platform.python_version(),
            "machine": platform.machine(), "processor": platform.processor() or "unknown"}


def save(stem: Path, tensors: Mapping[str, torch.Tensor], card: dict) -> tuple[Path, Path]:
    """Write ``<stem>.safetensors`` (contiguous CPU copies) and ``<stem>.json`` (sorted, indented).

    Same tensors and card give byte-identical files.
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    st = stem.with_suffix(".safetensors")
    js = stem.with_suffix(".json")
    save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(st))
    st.chmod(0o644)                    # safetensors writes 0600; the app server may be another user
    js.write_text(json.dumps(card, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                  encoding="utf-8")
    return st, js
