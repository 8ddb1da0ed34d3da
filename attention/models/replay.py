"""Replays: how a trained model's attention formed, recorded by training, read by the pages.

Training records ~40 snapshots from the first step to the last.  Each snapshot holds, for a
fixed handful of *lesson inputs* (3 per task, chosen to teach), the attention maps the model
produced by free-running greedy decoding at that step, and what it wrote; plus the training
loss and the validation accuracy at that step.  A replay is stored beside the weights as
``<variant>.replay.safetensors`` (float16 maps and, for digits, each lesson's float32 model
input; a few hundred kB at most), with its metadata as JSON in the file's header.

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
    image:     ``(H, W)`` float32: the model input every snapshot decoded (digits), so the last
               frame can be checked against the shipped model on exactly that input even after
               the preprocessing changes; None when the keys are the input (text, audio frames).
    """
    name: str
    text: str
    keys: tuple
    target: tuple
    truth: np.ndarray
    maps: np.ndarray
    outputs: tuple
    grid: Optional[tuple] = None
    image: Optional[np.ndarray] = None


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
        if x.image is not None:
            tensors[f"image.{i}"] = torch.as_tensor(np.asarray(x.image, dtype=np.float32))
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
                              grid=None if x.get("grid") is None else tuple(x["grid"]),
                              image=t[f"image.{i}"].numpy() if f"image.{i}" in t else None))
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


# ----------------------------------------------------------------------------- measured from a replay
# Everything below only reads a replay: what the pages say about how a model learned is computed
# here from the recorded maps, never written by hand.

@dataclass(frozen=True)
class Curve:
    """Alignment with the truth at every snapshot of one lesson (or their mean over lessons).

    steps: ``(K,)`` training steps; share: ``(K,)`` mean weight on the true spans (see
    :func:`alignment`); peak: ``(K,)`` share of scored rows whose arg-max is in the span.
    """
    steps: np.ndarray
    share: np.ndarray
    peak: np.ndarray


def curve(replay: Replay, lesson: str) -> Curve:
    """:func:`alignment` of lesson ``lesson`` at each of the replay's K snapshots."""
    x = replay.lesson(lesson)
    a = [alignment(x.maps[k], x.truth) for k in range(len(replay.steps))]
    return Curve(np.asarray(replay.steps), np.array([v.share for v in a]), np.array([v.peak for v in a]))


def mean_curve(replay: Replay) -> Curve:
    """The mean of :func:`curve` over the lessons that have scored rows (NaN where none has)."""
    curves = [curve(replay, x.name) for x in replay.lessons if np.asarray(x.truth, dtype=bool).any()]
    if not curves:
        nan = np.full(len(replay.steps), np.nan)
        return Curve(np.asarray(replay.steps), nan, nan.copy())
    return Curve(np.asarray(replay.steps), np.mean([c.share for c in curves], axis=0),
                 np.mean([c.peak for c in curves], axis=0))


def _stays_from(steps, ok) -> Optional[int]:
    """The first step from which ``ok`` (one bool per snapshot) holds until the last one."""
    at = None
    for k in range(len(ok) - 1, -1, -1):
        if not ok[k]:
            break
        at = int(steps[k])
    return at


@dataclass(frozen=True)
class Field:
    """A group of output steps that read the same evidence: consecutive scored rows whose true
    spans overlap (the four digits of a year all read the year).  ``rows`` index the output steps;
    ``label`` is what they write (the target labels joined: "2021")."""
    rows: tuple
    label: str


def fields(lesson: Lesson) -> list[Field]:
    """The :class:`Field` s of a lesson, in output order.  A row with no truth (a separator such
    as "-", the end token) ends a field; so does a row whose span neither shares a key with the
    previous row's nor (keys in a line, not a grid) touches it -- so the four year digits, each
    pointing at its own source digit, stay one field."""
    tr = np.asarray(lesson.truth, dtype=bool)
    line = lesson.grid is None

    def joined(a: np.ndarray, b: np.ndarray) -> bool:
        if (a & b).any():
            return True
        if not line:
            return False
        ia, ib = np.nonzero(a)[0], np.nonzero(b)[0]
        return bool(min(abs(ia[-1] - ib[0]), abs(ib[-1] - ia[0])) <= 1)

    out: list[list[int]] = []
    for t in range(tr.shape[0]):
        if not tr[t].any():
            out.append([])
            continue
        if out and out[-1] and joined(tr[out[-1][-1]], tr[t]):
            out[-1].append(t)
        else:
            out.append([t])
    labels = list(lesson.target)
    return [Field(tuple(rows), "".join(str(labels[t]) for t in rows if t < len(labels)))
            for rows in out if rows]


def field_aligned_at(replay: Replay, lesson: str, field: Field, threshold: float = 0.5) -> Optional[int]:
    """Like :func:`aligned_at`, for the rows of one :class:`Field` only."""
    x = replay.lesson(lesson)
    rows = [t for t in field.rows if t < x.maps.shape[1]]
    truth = np.zeros_like(np.asarray(x.truth, dtype=bool))
    truth[rows] = np.asarray(x.truth, dtype=bool)[rows]
    shares = [alignment(x.maps[k], truth).share for k in range(len(replay.steps))]
    return _stays_from(replay.steps, [s >= threshold for s in shares])


def final_span(maps, cover: float = 0.9) -> np.ndarray:
    """``(T, S)`` bool: for each row of ``maps (T, S)``, the fewest keys that hold ``cover`` of
    its weight (a row with no weight: no keys).  Where a model ends up looking, truth or not."""
    m = np.asarray(maps, dtype=np.float64)
    out = np.zeros(m.shape, dtype=bool)
    for t in range(m.shape[0]):
        total = m[t].sum()
        if total <= 0:
            continue
        order = np.argsort(-m[t], kind="stable")
        n = int(np.searchsorted(np.cumsum(m[t][order]), cover * total - 1e-12)) + 1
        out[t, order[:n]] = True
    return out


def settled_at(replay: Replay, lesson: str, threshold: float = 0.5, cover: float = 0.9) -> Optional[int]:
    """The first step from which the maps put at least ``threshold`` of each row's weight (mean
    over the rows the final model wrote) on the keys where the final model looks
    (:func:`final_span` with ``cover``): when the attention found the place it keeps, right or
    wrong.  Truth is not used, so it also says when a model settled on the wrong place."""
    x = replay.lesson(lesson)
    span = final_span(x.maps[-1], cover)
    shares = [alignment(x.maps[k], span).share for k in range(len(replay.steps))]
    return _stays_from(replay.steps, [s >= threshold for s in shares])


def change(a, b) -> float:
    """How different two maps ``(T, S)`` are: the mean, over the rows where both have weight, of
    the total-variation distance ``0.5 * sum_s |a_ts - b_ts|`` (0 = identical, 1 = disjoint);
    NaN if no row has weight in both."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"maps must be (T, S) with the same S; got {a.shape} and {b.shape}")
    T = min(a.shape[0], b.shape[0])
    rows = [t for t in range(T) if a[t].sum() > 0 and b[t].sum() > 0]
    if not rows:
        return float("nan")
    return float(np.mean([0.5 * np.abs(a[t] - b[t]).sum() for t in rows]))


def nearest(replay: Replay, step: int) -> int:
    """The index of the snapshot whose training step is closest to ``step`` (the earlier on a tie)."""
    steps = np.asarray(replay.steps)
    if not len(steps):
        raise ValueError("the replay has no snapshots")
    return int(np.argmin(np.abs(steps.astype(np.int64) - int(step))))


def size_bytes(stem) -> Optional[int]:
    """The size of the replay file beside the weights ``<stem>``, or None if absent."""
    p = replay_path(stem)
    return p.stat().st_size if p.is_file() else None
