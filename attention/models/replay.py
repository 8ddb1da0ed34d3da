"""Replays: how a trained model's attention formed, recorded by training, read by the pages.

Training records ~40 snapshots from the first step to the last.  Each snapshot holds, for a
fixed handful of *lesson inputs* (3 per task, chosen to teach), the attention maps the model
produced by free-running greedy decoding at that step, and what it wrote; plus the training
loss and the validation accuracy at that step.  A replay is stored beside the weights as
``<variant>.replay.safetensors`` (float16 maps, a few hundred kB at most), with its metadata as
JSON in the file's header.

Ground truth.  The data generators know where each output's evidence is (the source characters
of the day / month / year, the image columns of each digit, the audio frames of each spoken
digit): a lesson input carries it as a bool mask ``truth (T_true, S)`` (row t: the keys that
output step t should look at; an all-False row is not scored).  :func:`alignment` scores a map
against it.

Shapes: K snapshots, T = most output steps recorded (rows past an output's length are 0),
S = keys of that input (source characters, grid cells, audio frames).

    >>> r = load(weights_dir / "bahdanau")              # or None when absent
    >>> r.steps, r.loss, r.accuracy                      # (K,) each
    >>> r.lessons[0].maps.shape                          # (K, T, S)
    >>> alignment(r.lessons[0].maps[-1], r.lessons[0].truth)   # Alignment(share=.., peak=..)
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch

SUFFIX = ".replay.safetensors"
#: Default number of snapshots a training run records (first and last step included).
SNAPSHOTS = 40


@dataclass(frozen=True)
class Lesson:
    """One lesson input of a replay.

    name:      short id ("reordered", "repeated", "long").
    text:      what the input is, for people ("3. März 2021", "7 7 7 7", "test image #5").
    keys:      the label of each key (source characters, "r0c3" cells, frame times) ``(S,)``.
    target:    the right output, one label per output step ``(T_true,)``.
    truth:     ``(T_true, S)`` bool: where each output step's evidence is (all False = unscored).
    maps:      ``(K, T, S)`` float32: the maps at each snapshot (0 past the output's length).
    outputs:   ``(K,)`` what the model wrote at each snapshot (one label per step).
    grid:      ``(h, w)`` when the keys are cells of a grid (digits), else None.
    """
    name: str
    text: str
    keys: tuple
    target: tuple
    truth: np.ndarray
    maps: np.ndarray
    outputs: tuple
    grid: Optional[tuple] = None


@dataclass(frozen=True)
class Replay:
    """A recorded training run: ``steps``, ``loss``, ``accuracy`` ``(K,)`` (accuracy NaN where
    not measured) and the :class:`Lesson` snapshots."""
    task: str
    variant: str
    steps: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    lessons: tuple
    meta: dict = field(default_factory=dict)

    def lesson(self, name: str) -> Lesson:
        for x in self.lessons:
            if x.name == name:
                return x
        raise ValueError(f"lesson must be one of {', '.join(repr(x.name) for x in self.lessons)}; "
                         f"got {name!r}")


def snapshot_steps(total: int, n: int = SNAPSHOTS) -> list[int]:
    """The steps to record for a run of ``total`` steps: ``n`` points from 0 to ``total``,
    denser early (attention forms fast), always including the first and the last."""
    if total <= n:
        return list(range(total + 1))
    x = np.linspace(0.0, 1.0, n) ** 2 * total
    out = sorted({int(round(v)) for v in x} | {0, total})
    return out


def save(path, task: str, variant: str, steps, loss, accuracy, lessons: Sequence[Lesson],
         meta: Optional[dict] = None) -> Path:
    """Write a replay to ``path`` (``<stem>.replay.safetensors``); maps stored as float16."""
    from safetensors.torch import save_file
    path = Path(path)
    if not path.name.endswith(SUFFIX):
        path = path.with_name(path.name + SUFFIX) if path.suffix != ".safetensors" else path
    tensors = {"steps": torch.as_tensor(np.asarray(steps, dtype=np.int64)),
               "loss": torch.as_tensor(np.asarray(loss, dtype=np.float32)),
               "accuracy": torch.as_tensor(np.asarray(accuracy, dtype=np.float32))}
    info = []
    for i, x in enumerate(lessons):
        tensors[f"maps.{i}"] = torch.as_tensor(np.asarray(x.maps, dtype=np.float16))
        tensors[f"truth.{i}"] = torch.as_tensor(np.asarray(x.truth, dtype=np.uint8))
        info.append({"name": x.name, "text": x.text, "keys": list(map(str, x.keys)),
                     "target": list(map(str, x.target)), "outputs": [list(map(str, o)) for o in x.outputs],
                     "grid": None if x.grid is None else list(x.grid)})
    header = {"task": task, "variant": variant, "lessons": info, "meta": meta or {}}
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path),
              metadata={"replay": json.dumps(header, ensure_ascii=False, sort_keys=True)})
    path.chmod(0o644)
    return path


def replay_path(stem) -> Path:
    """``<stem>.replay.safetensors`` for a weights stem ``weights/<task>/<variant>``."""
    stem = Path(stem)
    return stem.with_name(stem.name + SUFFIX)


def load(stem) -> Optional[Replay]:
    """The replay beside the weights ``<stem>`` (``weights/<task>/<variant>``), or None if absent."""
    from safetensors import safe_open
    path = replay_path(stem)
    if not path.is_file():
        return None
    with safe_open(str(path), framework="pt") as f:
        header = json.loads(f.metadata()["replay"])
        t = {k: f.get_tensor(k) for k in f.keys()}
    lessons = []
    for i, x in enumerate(header["lessons"]):
        lessons.append(Lesson(name=x["name"], text=x["text"], keys=tuple(x["keys"]),
                              target=tuple(x["target"]), truth=t[f"truth.{i}"].numpy().astype(bool),
                              maps=t[f"maps.{i}"].float().numpy(),
                              outputs=tuple(tuple(o) for o in x["outputs"]),
                              grid=None if x.get("grid") is None else tuple(x["grid"])))
    return Replay(task=header["task"], variant=header["variant"], steps=t["steps"].numpy(),
                  loss=t["loss"].numpy(), accuracy=t["accuracy"].numpy(), lessons=tuple(lessons),
                  meta=header.get("meta", {}))


@dataclass(frozen=True)
class Alignment:
    """How well one map points at the truth, over the scored rows.

    share: mean over scored rows of the weight inside the row's true span (0..1).
    peak:  share of scored rows whose largest weight is inside the span (0..1).
    rows:  number of scored rows (rows with a true span that the output reached).
    """
    share: float
    peak: float
    rows: int


def alignment(maps, truth) -> Alignment:
    """Score ``maps (T, S)`` against ``truth (T_true, S)`` bool: row t of the map is compared
    with row t of the truth, for rows present in both whose truth is not empty.  A row with no
    weight at all (an output step never taken) scores 0."""
    m = np.asarray(maps, dtype=np.float64)
    tr = np.asarray(truth, dtype=bool)
    T = min(m.shape[0], tr.shape[0])
    rows = [t for t in range(T) if tr[t].any()]
    if not rows:
        return Alignment(float("nan"), float("nan"), 0)
    share = [float(m[t][tr[t]].sum()) for t in rows]
    peak = [bool(m[t].sum() > 0 and tr[t][int(np.argmax(m[t]))]) for t in rows]
    return Alignment(float(np.mean(share)), float(np.mean(peak)), len(rows))


def aligned_at(replay: Replay, lesson: str, threshold: float = 0.5) -> Optional[int]:
    """The first recorded training step from which the share of weight on the true spans
    (:func:`alignment`) stays at or above ``threshold`` until the end; None if never."""
    x = replay.lesson(lesson)
    shares = [alignment(x.maps[k], x.truth).share for k in range(len(replay.steps))]
    at = None
    for k in range(len(shares) - 1, -1, -1):
        if not shares[k] >= threshold:
            break
        at = int(replay.steps[k])
    return at
