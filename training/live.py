"""Train one live: a small date translator trained for at most a minute while a class watches.

The Translate page's "Train a small model now" asks the :class:`Runner` of its server process
for a job.  One job runs per process at a time, in a child process (``python -m training.live
--worker``) started with a lower CPU priority (``nice`` +10) and one torch thread, so the pages
of everyone else keep the CPU they need; other requests wait in a FIFO queue and see their place
in it.  Every few seconds the child reports a snapshot -- the step, the loss, and the attention
map of greedy decoding of the lesson input with how much of it lies on the true span -- as one
JSON line on its stdout.  Nothing is persisted: no file is written, the model dies with the
child, snapshots live in the server's memory for :data:`KEEP_S` seconds.

Time limit: the job's clock starts when it leaves the queue (the child is spawned); the child
stops training :data:`RESERVE_S` before the limit to decode its last snapshot, and the runner
kills it at the limit if it is still alive.  A request that nobody asks about for
:data:`STALE_S` seconds (a closed tab) is dropped from the queue, or stopped if it is running.

Server side, light: this module imports only the standard library and numpy; torch and the
training data are imported by the child only.  The model, data and loss are the date task's own
(:func:`training.translate.make_model`, :func:`training.translate.tensors`,
:func:`training.translate.loss_fn`, :mod:`training.dates`).

    r = runner()                          # one per server process
    job = r.submit("bahdanau", "3. März 2021")
    r.status(job)                         # Status(state="running", position=0, snapshots=(...))
    r.cancel(job)

    python -m training.live --variant bahdanau --seconds 20      # one run in a terminal, JSON lines
"""
from __future__ import annotations

import argparse
import collections
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LIMIT_S = 60.0          # wall-clock limit of one job (spawn to exit)
EVERY_S = 3.0           # seconds between snapshots
RESERVE_S = 2.5         # the child stops training this long before the limit (last snapshot + exit)
MAX_QUEUE = 40          # requests waiting at most (a full class, twice over, would be refused)
STALE_S = 30.0          # a request nobody asked about for this long is dropped / stopped
KEEP_S = 900.0          # a finished job's snapshots stay readable this long
NICE = 10               # the child's CPU priority offset (lower priority than the pages)
N_TRAIN = 6000          # training examples the child generates (different days from the held-out)
N_HELD = 100           # held-out examples: the exact match reported with each snapshot
SEED = 0

#: Lesson inputs: the text, its ISO target and where each field is written in the text
#: (start, end character offsets), i.e. what the data generator knows.  The target's rows
#: 0-3 are the year, 5-6 the month, 8-9 the day; "-" and the end token are not scored.
LESSONS = {
    "3. März 2021": ("2021-03-03", {"day": (0, 1), "month": (3, 7), "year": (8, 12)}),
    "March 3, 2021": ("2021-03-03", {"month": (0, 5), "day": (6, 7), "year": (9, 13)}),
    "2021年3月3日": ("2021-03-03", {"year": (0, 4), "month": (5, 6), "day": (7, 8)}),
}
DEFAULT_LESSON = "3. März 2021"
ROW_FIELDS = ("year",) * 4 + (None,) + ("month",) * 2 + (None,) + ("day",) * 2 + (None,)
ACTIVE = ("queued", "starting", "running")


def truth(lesson: str, keys: int) -> np.ndarray:
    """``(11, keys)`` bool: row t = the source positions holding what output t writes: year digit
    t <- the t-th digit of the year, a month or day digit <- the whole month or day field (as the
    replays of ``training/translate.py`` mark it).  The text's characters are the LAST
    ``len(text)`` positions: a model may put a tag first."""
    if lesson not in LESSONS:
        raise ValueError(f"lesson must be one of {', '.join(map(repr, LESSONS))}; got {lesson!r}")
    _target, spans = LESSONS[lesson]
    off = keys - len(lesson)
    if off < 0:
        raise ValueError(f"{keys} keys cannot hold the {len(lesson)} characters of {lesson!r}")
    tr = np.zeros((len(ROW_FIELDS), keys), dtype=bool)
    for t, f in enumerate(ROW_FIELDS):
        if f == "year" and spans[f][1] - spans[f][0] == 4:
            tr[t, off + spans[f][0] + t] = True        # year digit t <- the t-th digit of the year
        elif f is not None:
            a, b = spans[f]
            tr[t, off + a: off + b] = True
    return tr


def score(weights: np.ndarray, tr: np.ndarray) -> tuple[float, float]:
    """(share of weight on the true span, share of rows whose peak is in it) of ``weights
    (T, S)`` against ``tr (T_true, S)`` -- :func:`attention.models.replay.alignment`, the one
    definition, computed in the child (the server side stays free of torch)."""
    from attention.models.replay import alignment
    a = alignment(weights, tr)
    return a.share, a.peak


# ----------------------------------------------------------------------------- what a page reads
@dataclass(frozen=True)
class Snapshot:
    """One report of a running job: ``weights (T, S)`` of greedy decoding of the lesson input,
    ``output`` what it wrote, ``share`` / ``peak`` its alignment with the truth, ``exact`` the
    exact match on :data:`N_HELD` held-out dates (NaN if not measured), ``loss`` the mean
    training loss since the previous snapshot."""
    step: int
    seconds: float
    loss: float
    output: str
    weights: np.ndarray
    share: float
    peak: float
    exact: float


@dataclass(frozen=True)
class Status:
    """A job as its session sees it.

    state: ``queued`` / ``starting`` / ``running`` / ``done`` / ``cancelled`` / ``failed``;
    position: 0 = running (or finished), n = n-th in the queue; ahead: seconds the job in front
    still has at most; seconds: since the job started (0 while queued); keys / target / truth:
    the lesson input's labels and ``(T_true, S)`` truth (empty until the child reports them);
    losses: ``(step, loss)`` points; message: why it ended."""
    job: str
    state: str
    variant: str
    lesson: str
    position: int
    limit: float
    seconds: float = 0.0
    ahead: float = 0.0
    keys: tuple = ()
    target: tuple = ()
    truth: Optional[np.ndarray] = None
    snapshots: tuple = ()
    losses: tuple = ()
    message: str = ""

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def latest(self) -> Optional[Snapshot]:
        return self.snapshots[-1] if self.snapshots else None


@dataclass
class _Job:
    id: str
    variant: str
    lesson: str
    created: float
    seen: float
    state: str = "queued"
    started: Optional[float] = None
    ended: Optional[float] = None
    keys: tuple = ()
    target: tuple = ()
    truth: Optional[np.ndarray] = None
    snapshots: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    message: str = ""
    cancel: bool = False
    process: Optional[subprocess.Popen] = None


class Runner:
    """One live-training job at a time, a FIFO queue for the rest (thread-safe; see the module
    docstring).  ``limit``: seconds per job; ``every``: seconds between snapshots; ``command``:
    the child's command line before its options (default ``python -m training.live --worker``)."""

    def __init__(self, limit: float = LIMIT_S, every: float = EVERY_S, max_queue: int = MAX_QUEUE,
                 stale: float = STALE_S, keep: float = KEEP_S, nice: int = NICE, seed: int = SEED,
                 n_train: int = N_TRAIN):
        if not 1.0 < limit <= LIMIT_S:
            raise ValueError(f"limit must be more than 1 s and at most {LIMIT_S:g} s; got {limit!r}")
        self.limit, self.every, self.max_queue = float(limit), float(every), int(max_queue)
        self.stale, self.keep, self.nice, self.seed, self.n_train = stale, keep, nice, seed, n_train
        self._cv = threading.Condition()
        self._queue: collections.deque[_Job] = collections.deque()
        self._jobs: dict[str, _Job] = {}
        self._current: Optional[_Job] = None
        self._thread: Optional[threading.Thread] = None
        self._closed = False
        self.runs = 0                      # jobs started (for tests and benchmarks)

    # -- requests ------------------------------------------------------------------------------
    def submit(self, variant: str = "bahdanau", lesson: str = DEFAULT_LESSON) -> str:
        """Queue a job; returns its id.  ValueError for an unknown lesson or a full queue."""
        if lesson not in LESSONS:
            raise ValueError(f"lesson must be one of {', '.join(map(repr, LESSONS))}; got {lesson!r}")
        if not isinstance(variant, str) or not variant.isidentifier():
            raise ValueError(f"variant must be a variant name; got {variant!r}")
        now = time.monotonic()
        with self._cv:
            if self._closed:
                raise ValueError("live training is shut down")
            self._prune(now)
            if len(self._queue) >= self.max_queue:
                raise ValueError(f"the queue is full ({self.max_queue} requests are waiting); "
                                 "try again in a minute")
            job = _Job(uuid.uuid4().hex, variant, lesson, now, now)
            self._jobs[job.id] = job
            self._queue.append(job)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="live-training", daemon=True)
                self._thread.start()
            self._cv.notify_all()
            return job.id

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job; False if there is no such active job."""
        with self._cv:
            job = self._jobs.get(job_id)
            if job is None or job.state not in ACTIVE:
                return False
            job.cancel = True
            if job.state == "queued":
                self._queue.remove(job)
                self._finish(job, "cancelled", "cancelled while waiting")
            self._cv.notify_all()
            return True

    def status(self, job_id: Optional[str]) -> Optional[Status]:
        """The job's :class:`Status` (None if unknown or forgotten); asking counts as still
        waiting for it (see :data:`STALE_S`)."""
        with self._cv:
            now = time.monotonic()
            job = self._jobs.get(job_id) if job_id else None
            if job is None:
                return None
            job.seen = now
            pos = 0
            ahead = 0.0
            if job.state == "queued":
                pos = self._queue.index(job) + 1
                cur = self._current
                ahead = self.limit * (pos - 1) + (
                    max(0.0, self.limit - (now - cur.started)) if cur is not None and cur.started else 0.0)
            end = job.ended if job.ended is not None else now
            return Status(job.id, job.state, job.variant, job.lesson, pos, self.limit,
                          seconds=0.0 if job.started is None else max(0.0, end - job.started), ahead=ahead,
                          keys=job.keys, target=job.target, truth=job.truth,
                          snapshots=tuple(job.snapshots), losses=tuple(job.losses), message=job.message)

    def queue_length(self) -> int:
        """Requests waiting (the running job not included)."""
        with self._cv:
            return len(self._queue)

    def busy(self) -> bool:
        with self._cv:
            return self._current is not None or bool(self._queue)

    def shutdown(self, wait: float = 5.0) -> None:
        """Cancel everything and stop the runner's thread (tests)."""
        with self._cv:
            self._closed = True
            for job in list(self._queue):
                self._finish(job, "cancelled", "shut down")
            self._queue.clear()
            if self._current is not None:
                self._current.cancel = True
            self._cv.notify_all()
        if self._thread is not None:
            self._thread.join(wait)

    # -- the runner's thread ---------------------------------------------------------------------
    def _finish(self, job: _Job, state: str, message: str) -> None:
        job.state, job.message = state, message
        job.ended = time.monotonic()
        job.process = None

    def _prune(self, now: float) -> None:
        """Drop stale queued requests and forget long-finished jobs (lock held)."""
        for job in [j for j in self._queue if now - j.seen > self.stale]:
            self._queue.remove(job)
            self._finish(job, "cancelled", f"nobody asked about it for {self.stale:.0f} s (tab closed?)")
        for jid in [j.id for j in self._jobs.values()
                    if j.state not in ACTIVE and j.ended is not None and now - j.ended > self.keep]:
            del self._jobs[jid]

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._closed and not self._queue:
                    self._cv.wait(1.0)
                    self._prune(time.monotonic())
                if self._closed:
                    return
                job = self._queue.popleft()
                job.state, job.started = "starting", time.monotonic()
                self._current = job
                self.runs += 1
            try:
                self._run(job)
            except Exception as e:  # noqa: BLE001 - a failed job must not stop the queue
                with self._cv:
                    self._finish(job, "failed", f"{type(e).__name__}: {e}")
            finally:
                with self._cv:
                    self._current = None
                    self._cv.notify_all()

    def _command(self, job: _Job) -> list:
        return [sys.executable, "-m", "training.live", "--worker", "--variant", job.variant,
                "--lesson", job.lesson, "--seconds", f"{self.limit:g}", "--every", f"{self.every:g}",
                "--seed", str(self.seed), "--n-train", str(self.n_train), "--nice", str(self.nice),
                "--t0", repr(time.time())]

    def _run(self, job: _Job) -> None:
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1",
                   PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        proc = subprocess.Popen(self._command(job), cwd=str(ROOT), env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                start_new_session=True)
        job.process = proc
        errors: collections.deque = collections.deque(maxlen=20)
        reader = threading.Thread(target=self._read, args=(job, proc), daemon=True)
        drain = threading.Thread(target=lambda: errors.extend(proc.stderr), daemon=True)
        reader.start()
        drain.start()
        deadline = job.started + self.limit
        why = None
        while proc.poll() is None:
            now = time.monotonic()
            if job.cancel:
                why = ("cancelled", "cancelled while training")
            elif now >= deadline:
                why = ("done", f"stopped at the time limit ({self.limit:g} s)")
            elif now - job.seen > self.stale:
                why = ("cancelled", f"nobody asked about it for {self.stale:.0f} s (tab closed?)")
            if why:
                _kill(proc)
                break
            with self._cv:
                self._prune(now)
            time.sleep(0.1)
        proc.wait()
        reader.join(2.0)
        drain.join(2.0)
        with self._cv:
            if why is not None:
                self._finish(job, *why)
            elif proc.returncode == 0:
                self._finish(job, "done", f"trained for {job.snapshots[-1].step if job.snapshots else 0} "
                                          f"steps; nothing was saved")
            else:
                tail = " | ".join(x.strip() for x in list(errors)[-3:]) or f"exit code {proc.returncode}"
                self._finish(job, "failed", f"the training process failed: {tail[-400:]}")

    def _read(self, job: _Job, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            with self._cv:
                kind = msg.get("type")
                if kind == "ready":
                    job.keys, job.target = tuple(msg["keys"]), tuple(msg["target"])
                    job.truth = np.asarray(msg["truth"], dtype=bool)
                    job.state = "running" if job.state == "starting" else job.state
                elif kind == "snapshot":
                    job.snapshots.append(Snapshot(
                        step=int(msg["step"]), seconds=float(msg["seconds"]), loss=float(msg["loss"]),
                        output=str(msg["output"]), weights=np.asarray(msg["weights"], dtype=np.float32),
                        share=float(msg["share"]), peak=float(msg["peak"]),
                        exact=float("nan") if msg.get("exact") is None else float(msg["exact"])))
                    job.losses.extend((int(s), float(v)) for s, v in msg.get("losses", []))


def _kill(proc: subprocess.Popen) -> None:
    """SIGTERM the child's process group, SIGKILL after 1 s."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(1.0)
    except (ProcessLookupError, PermissionError):
        return
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


_RUNNER: list = []
_LOCK = threading.Lock()


def runner() -> Runner:
    """The one :class:`Runner` of this process (created on first use)."""
    with _LOCK:
        if not _RUNNER:
            _RUNNER.append(Runner())
        return _RUNNER[0]


# ----------------------------------------------------------------------------- the child
def _emit(msg: dict) -> None:
    sys.stdout.write(json.dumps(msg, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _data(seed: int, n_train: int, lesson_day):
    """(training examples, held-out examples) of the date task, small enough to make in about a
    second: :func:`training.dates.generate` over random days (held-out days and the lesson's
    day never in training); older data modules without it: slices of ``make_splits``."""
    import datetime as dt
    import random

    from training import dates as D
    if hasattr(D, "generate"):
        rng = random.Random(seed)
        span = (D.DATE_MAX - D.DATE_MIN).days + 1
        days = rng.sample(range(span), n_train + N_HELD + 1)
        days = [D.DATE_MIN + dt.timedelta(days=d) for d in days]
        days = [d for d in days if d != lesson_day]
        held, train = days[:N_HELD], days[N_HELD:N_HELD + n_train]
        return D.generate(train, seed * 7 + 1), D.generate(held, seed * 7 + 2)
    sp = D.make_splits(seed)
    return sp.train[:n_train], sp.val[:N_HELD]


def _decode(model, text: str):
    """Greedy decoding of ``text``: (weights ``(T, S)``, output, one label per key)."""
    import torch
    with torch.no_grad():
        d = model.translate(text)
    labels = list(getattr(d, "src_labels", None) or d.source)
    return d.weights.detach().float().numpy(), d.output, labels


def _model(variant: str, seed: int):
    """A freshly initialised model (``torch.manual_seed(seed)``) of the shipped model's
    configuration (its card: same architecture and vocabulary as the model the page shows, read
    in milliseconds), or :func:`training.translate.make_model` when there is no card (that one
    derives the vocabulary from the whole training set: 7-27 s here, half the time limit)."""
    import torch

    from attention.models import seq2seq as M
    card = Path(M.weights_dir()) / f"{variant}.json"
    try:
        cfg = M.Config(**json.loads(card.read_text(encoding="utf-8"))["config"])
        if cfg.variant != variant:
            raise ValueError(f"{card} is not a {variant} card")
    except (OSError, ValueError, KeyError, TypeError):
        from training import translate as T
        return T.make_model(variant, seed)
    torch.manual_seed(seed)
    return M.Seq2Seq(cfg)


def _readable(model, examples) -> list:
    """The examples whose source the model's vocabulary covers (a card older than the data
    generator may lack a character)."""
    out = []
    for e in examples:
        try:
            model.check_source(e.source)
        except ValueError:
            continue
        out.append(e)
    return out


def _exact(model, held) -> float:
    import torch
    with torch.no_grad():
        if hasattr(held[0], "tag"):
            outs = model.greedy_batch([e.source for e in held], [e.tag for e in held])
        else:
            outs = model.greedy_batch([e.source for e in held])
    outs = [o[0] if isinstance(o, tuple) else o for o in outs]
    return sum(o == e.target for o, e in zip(outs, held)) / len(held)


def work(variant: str, lesson: str, seconds: float, every: float, seed: int = SEED,
         n_train: int = N_TRAIN, t0: Optional[float] = None, nice: int = NICE) -> int:
    """The child: train ``variant`` until ``t0 + seconds - RESERVE_S`` (wall clock), reporting a
    snapshot every ``every`` seconds and at the end, as JSON lines on stdout.  Writes no file."""
    t0 = time.time() if t0 is None else t0
    if nice:
        try:
            os.nice(nice)
        except OSError:
            pass
    import datetime as dt

    import torch
    torch.set_num_threads(1)
    from training import translate as T
    stop = t0 + seconds - RESERVE_S
    model = _model(variant, seed)
    train, held = _data(seed, n_train, dt.date(2021, 3, 3))
    train, held = _readable(model, train), _readable(model, held)
    ids, lengths, targets = T.tensors(model, train)
    w, _, keys = _decode(model.eval(), lesson)
    tr = truth(lesson, w.shape[1])
    _emit({"type": "ready", "keys": keys, "target": list(LESSONS[lesson][0]) + ["</s>"],
           "truth": tr.astype(int).tolist()})
    opt = torch.optim.Adam(model.parameters(), lr=T.LR)
    gen = torch.Generator().manual_seed(seed)
    baseline = [None]
    step, pending, points = 0, [], []
    last = time.time()

    shown = [-1]                       # the step of the last snapshot

    def snapshot(final: bool = False):
        nonlocal pending, points, last
        if final and shown[0] == step:
            return                         # the last one is already this step's
        shown[0] = step
        model.eval()
        w, out, _ = _decode(model, lesson)
        share, peak = score(w, tr)
        exact = _exact(model, held) if final or step > 0 else None
        model.train()
        _emit({"type": "snapshot", "step": step, "seconds": round(time.time() - t0, 2),
               "loss": float(np.mean(pending)) if pending else float("nan"), "output": out,
               "weights": np.round(w, 4).tolist(), "share": share, "peak": peak, "exact": exact,
               "losses": points})
        pending, points, last = [], [], time.time()

    snapshot()
    model.train()
    while time.time() < stop:
        idx = torch.randint(0, len(ids), (min(T.BATCH, len(ids)),), generator=gen)
        loss, nll = T.loss_fn(model, ids[idx], lengths[idx], targets[idx], seed * 100003 + step, baseline)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        nll = float(nll)
        pending.append(nll)
        if step % 5 == 0 and math.isfinite(nll):
            points.append((step, round(nll, 5)))
        if time.time() - last >= every:
            snapshot()
    snapshot(final=True)
    _emit({"type": "done", "step": step, "seconds": round(time.time() - t0, 2)})
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.live",
                                 description="Train a small date translator for a few seconds, "
                                             "reporting JSON lines (what the live job's child does).")
    ap.add_argument("--worker", action="store_true", help="(what the runner passes; no effect)")
    ap.add_argument("--variant", default="bahdanau")
    ap.add_argument("--lesson", default=DEFAULT_LESSON, choices=list(LESSONS))
    ap.add_argument("--seconds", type=float, default=LIMIT_S)
    ap.add_argument("--every", type=float, default=EVERY_S)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--n-train", type=int, default=N_TRAIN)
    ap.add_argument("--nice", type=int, default=NICE)
    ap.add_argument("--t0", type=float, default=None, help="wall-clock start of the job (time.time())")
    a = ap.parse_args(argv)
    if not 0 < a.seconds <= LIMIT_S:
        ap.error(f"--seconds must be in (0, {LIMIT_S:g}]")
    return work(a.variant, a.lesson, a.seconds, a.every, a.seed, a.n_train, a.t0, a.nice)


if __name__ == "__main__":
    sys.exit(main())
