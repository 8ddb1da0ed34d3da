"""What the Listen page computes: the recording (a shipped clip, an upload, the microphone or
digits spoken by eSpeak NG), checked, and each trained listener's reading of it.

    audio, problem = clip_audio("7777")                  # Audio, or None and a sentence
    tr = listen("location", audio)                         # attention.models.listener.Transcription
    a, b = tr.segment(row)                                 # the attended segment (s)

Every weight the page draws is ``Transcription.weights``: the ``attention.attend`` results of
the steps that wrote the digits (``Listener.transcribe``).  Bad audio never reaches a model:
:func:`check` says why (silence, steady noise, too short or long), :func:`decode_upload` refuses
unreadable, renamed, empty or oversized files before decoding them.
"""
from __future__ import annotations

import functools
import hashlib
import io
import re
from dataclasses import dataclass
from typing import Optional

import numpy as np

from attention.models import audio as A
from attention.models import espeak
from attention.models.listener import VARIANTS, clips
from ui import models

from .state import MAX_DIGITS_TYPED

#: What the page accepts for upload (soundfile / libsndfile decodes them).
UPLOAD_TYPES = ("wav", "flac", "ogg", "mp3")
FORMAT_LIST = "WAV, FLAC, OGG or MP3"


@dataclass(frozen=True)
class Audio:
    """A recording ready for the listeners.

    wave: ``(n,)`` float32 mono in [-1, 1] at ``rate`` (channels averaged); name: what it is, for
    people; truth: ``(T, 2)`` seconds where each digit is, when known (shipped clips, eSpeak
    word events), else None; digits: what is said, when known; key: identifies the content
    (a click on a chart refers to the recording it was drawn for); notes: what was changed
    (stereo averaged, resampled ...).
    """
    wave: np.ndarray
    rate: int
    name: str
    key: str
    truth: Optional[np.ndarray] = None
    digits: Optional[str] = None
    notes: tuple = ()

    @property
    def seconds(self) -> float:
        return self.wave.shape[0] / float(self.rate)


def model(variant: str):
    """The shipped listener trained with attention ``variant`` and its card (read-only)."""
    return models.trained("listen", variant)


def cards() -> dict:
    """``{variant: card}`` of every shipped listener (JSON only)."""
    return models.cards("listen")


def _key(*parts) -> str:
    h = hashlib.sha1()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
    return h.hexdigest()[:16]


# ------------------------------------------------------------------ sources
def clip_audio(digits: str) -> Audio:
    """The shipped test clip saying ``digits`` (FSDD held-out speaker)."""
    for c in clips()[0]:
        if c.digits == digits:
            wave, rate = c.read()
            return Audio(wave, rate, f"test recording “{' '.join(c.digits)}” (FSDD speaker "
                         f"{c.speaker}, CC BY-SA 4.0)", _key("clip", c.file),
                         np.asarray(c.spans_s, dtype=np.float64), c.digits)
    raise ValueError(f"no shipped clip says {digits!r}")


@functools.lru_cache(maxsize=64)
def _spoken(digits: str, voice: str, rate: int) -> espeak.Words:
    """eSpeak NG's rendering, kept: the library carries state from call to call, so speaking the
    same digits again would give slightly different samples (and a rerun a different chart)."""
    w = espeak.synthesize_words(" ".join(digits), voice, rate)
    w.wave.flags.writeable = False
    return w


def parse_digits(text: str) -> tuple[Optional[str], Optional[str]]:
    """``(digits, None)`` from typed text such as ``"7 7 7 7"`` or ``"3519"`` (spaces, commas and
    dashes ignored), or ``(None, why not)``."""
    t = re.sub(r"[\s,;\-.]+", "", text or "")
    if not t:
        return None, "Type some digits, e.g. `7 7 7 7` or `3 5 1 9`."
    bad = sorted({c for c in t if c not in "0123456789"})
    if bad:
        shown = ", ".join(repr(c) for c in bad[:6])
        return None, f"Only the digits 0–9 can be spoken to the model (not {shown})."
    if len(t) > MAX_DIGITS_TYPED:
        return None, f"Type at most {MAX_DIGITS_TYPED} digits (the models were trained on up to 8)."
    return t, None


def synth_audio(text: str, voice: str, rate: int) -> tuple[Optional[Audio], Optional[str]]:
    """Typed digits spoken by eSpeak NG ``voice`` at ``rate`` words per minute (synthesized now;
    where each digit starts comes from eSpeak's word events)."""
    digits, problem = parse_digits(text)
    if problem:
        return None, problem
    try:
        w = _spoken(digits, voice, int(rate))
    except (ImportError, OSError, RuntimeError) as e:
        return None, f"Speech synthesis is not available here ({type(e).__name__}): install espeakng-loader."
    except ValueError as e:
        return None, f"Speech synthesis refused this: {e}."
    truth = w.spans() if len(w.starts) == len(digits) else None
    label = espeak.PAGE_VOICES.get(voice, voice)
    return Audio(w.wave, w.rate, f"“{' '.join(digits)}” spoken by eSpeak NG ({label}, {rate} wpm)",
                 _key("espeak", digits, voice, rate), truth, digits), None


def decode_upload(data: bytes, name: str = "", max_bytes: Optional[int] = None) -> tuple[Optional[Audio], Optional[str]]:
    """An uploaded or recorded file (WAV / FLAC / OGG / MP3) as :class:`Audio`, or ``(None, why)``.

    Refused before decoding: an empty file, one over the upload limit, one that is not audio
    (a renamed picture or text), a declared duration over :data:`attention.models.audio.MAX_SECONDS`.
    Stereo is averaged to mono (noted); the model resamples any rate to 8 kHz itself.
    """
    import soundfile as sf
    if not data:
        return None, "The file is empty (0 bytes)."
    if max_bytes is not None and len(data) > max_bytes:
        return None, f"The file is {len(data) / 1e6:.1f} MB, more than the {max_bytes / 1e6:g} MB upload limit."
    try:
        info = sf.info(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - libsndfile: not a format it knows, or a broken header
        return None, (f"This file is not audio the page can read (or it is damaged); please upload a "
                      f"{FORMAT_LIST} file.")
    seconds = info.frames / float(info.samplerate) if info.samplerate else 0.0
    if seconds > A.MAX_SECONDS:
        return None, (f"The recording is {_duration(seconds)} long; the listener reads at most "
                      f"{A.MAX_SECONDS:.0f} s. Cut out the digits and upload that part.")
    try:
        wave, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except Exception:  # noqa: BLE001 - truncated or corrupt data
        return None, "The audio data is truncated or corrupt and could not be decoded."
    if wave.shape[0] == 0:
        return None, "The file holds no audio samples."
    notes = []
    if wave.shape[1] > 1:
        notes.append(f"{wave.shape[1]} channels were averaged to one.")
    if rate != A.RATE:
        notes.append(f"Resampled from {rate:,} Hz to the models' {A.RATE:,} Hz.")
    try:
        mono = A.to_mono(wave)
    except ValueError as e:
        return None, f"The audio could not be used: {e}."
    return Audio(mono, int(rate), f"your file {name}".strip() if name else "your recording",
                 _key("upload", data), None, None, tuple(notes)), None


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.1f} minutes" if seconds >= 120 else f"{seconds:.1f} s"


def check(audio: Audio) -> Optional[str]:
    """Why the listeners should not read ``audio`` (silence, steady noise, length), or None."""
    c = A.check_speech(audio.wave, audio.rate)
    if c.problem is None:
        return None
    return c.problem[0].upper() + c.problem[1:] + "."


# ------------------------------------------------------------------ listening
def listen(variant: str, audio: Audio):
    """The trained ``variant`` listener's :class:`~attention.models.listener.Transcription`."""
    m, _ = model(variant)
    return m.transcribe(audio.wave, audio.rate)


def segment_wave(audio: Audio, start: float, end: float) -> np.ndarray:
    """The samples of ``audio`` from ``start`` to ``end`` seconds ``(m,)`` (what was attended)."""
    a = max(0, int(round(start * audio.rate)))
    b = min(audio.wave.shape[0], max(a + 1, int(round(end * audio.rate))))
    return audio.wave[a:b]


def envelope(audio: Audio, points: int = 1200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A waveform drawn with ``points`` columns: ``(times (P,), low (P,), high (P,))``, each
    column the min and max of its samples (so no peak is lost)."""
    x = audio.wave
    n = max(1, x.shape[0] // points)
    m = x.shape[0] // n
    blocks = x[: m * n].reshape(m, n)                                   # (P, n)
    t = (np.arange(m) * n + n / 2) / audio.rate
    return t, blocks.min(axis=1), blocks.max(axis=1)


def without_location(tr) -> Optional[np.ndarray]:
    """Location variant: the weights each step would have had without the location term
    (softmax of the content part of its score, same parameters) ``(T, S)``; else None."""
    if tr.content_scores is None:
        return None
    e = tr.content_scores.astype(np.float64)
    e = np.exp(e - e.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def location_moved(tr) -> Optional[np.ndarray]:
    """Location variant: the share of each step's weight the location term moved, ``(T,)``:
    ``0.5 * sum_j |alpha_tj - alpha^content_tj|`` (total variation; 0 = it changed nothing, 1 =
    it moved the attention somewhere else entirely); else None."""
    w = without_location(tr)
    if w is None:
        return None
    return 0.5 * np.abs(tr.weights.astype(np.float64) - w).sum(axis=1)


def accuracy_rows() -> list[dict]:
    """One row per shipped listener: held-out speaker, unseen voices, repeated, long, time."""
    rows = []
    for v, c in cards().items():
        t = c.get("test", {})
        h, u = t.get("heldout", {}), t.get("unseen", {})
        f = c.get("unsure_flag_heldout", {})
        rows.append({
            "attention (model)": VARIANTS[v].label if v in VARIANTS else v,
            "4 digits": h.get("4", {}).get("exact"), "repeated": h.get("repeated", {}).get("exact"),
            "8 digits": h.get("long", {}).get("exact"), "1–8 digits": h.get("mixed", {}).get("exact"),
            "unseen voices, 4": u.get("4", {}).get("exact"),
            "unseen, repeated": u.get("repeated", {}).get("exact"),
            "unseen, 8": u.get("long", {}).get("exact"),
            "unsure: precision": f.get("precision"), "unsure: recall": f.get("recall"),
            "CPU s": c.get("training", {}).get("train_cpu_s"),
        })
    return rows
