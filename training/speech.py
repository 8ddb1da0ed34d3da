"""Spoken digit strings with their alignment truth: FSDD speakers, eSpeak NG voices, augmentation.

Sources (all brought to 8 kHz, :data:`attention.models.audio.RATE`):

* **Real voices**: the Free Spoken Digit Dataset (Zohar Jackson et al., CC BY-SA 4.0,
  DOI 10.5281/zenodo.1342401) at ``../shared/data/fsdd`` (or ``$AE_FSDD``): single digits, 5
  speakers, 50 takes of each digit.  Split **by speaker**: :data:`TEST_SPEAKER` is never heard in
  training; the other four give takes 0-44 to training and 45-49 to validation.
* **Synthetic voices**: eSpeak NG (:mod:`attention.models.espeak`); training voices, validation
  voices and test voices are disjoint lists (accent + variant), rate and pitch drawn per utterance.

An utterance is 1-8 digits.  From FSDD it is composed from one speaker's takes with pauses of
0-300 ms; from eSpeak either composed from digits spoken one at a time, or spoken as one string
("3 5 1", the word events give where each digit starts).  Strings are random, a run of one
repeated digit ("7 7 7 7"), or random with a run inside.  The truth is each digit's span in
samples, so the encoder frames holding each digit are known (:func:`truth_frames`).

Augmentation (training only): ±10% speed, gain, noise at 5-40 dB SNR (white, pink or brown),
and a little reverberation (an exponentially decaying noise impulse response).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from scipy.fft import next_fast_len

from attention.models import audio as A
from attention.models import espeak as E

ROOT = Path(__file__).resolve().parents[1]
SPEAKERS = ("george", "jackson", "lucas", "nicolas", "yweweler")
#: The FSDD speaker held out for testing (never in training or validation).
TEST_SPEAKER = "george"
TRAIN_SPEAKERS = tuple(s for s in SPEAKERS if s != TEST_SPEAKER)
TRAIN_TAKES = range(0, 45)
VAL_TAKES = range(45, 50)
PAUSE = (0.0, 0.3)                     # seconds between digits
EDGE = (0.05, 0.3)                     # silence before the first and after the last digit
ESPEAK_RATE = (120, 220)               # words per minute
ESPEAK_PITCH = (20, 80)
FSDD_RELEASE = "https://github.com/Jakobovski/free-spoken-digit-dataset (git tag v1.0.10)"
ATTRIBUTION = ("Free Spoken Digit Dataset (FSDD) v1.0.10, Zohar Jackson et al., CC BY-SA 4.0, "
               "DOI 10.5281/zenodo.1342401")


class MissingData(RuntimeError):
    """The FSDD recordings are not where training needs them."""


def fsdd_dir() -> Path:
    """Where the FSDD recordings are expected: ``$AE_FSDD`` or ``../shared/data/fsdd``."""
    env = os.environ.get("AE_FSDD")
    return Path(env) if env else ROOT.parent / "shared" / "data" / "fsdd"


def missing_message(where: Optional[Path] = None) -> str:
    where = fsdd_dir() if where is None else where
    return (f"The Free Spoken Digit Dataset was not found at {where} (expected "
            f"{where}/recordings/<digit>_<speaker>_<take>.wav).\n"
            f"Get it from its public release, {FSDD_RELEASE}:\n"
            f"    git clone --depth 1 --branch v1.0.10 "
            f"https://github.com/Jakobovski/free-spoken-digit-dataset /tmp/fsdd\n"
            f"    mkdir -p {where} && cp -r /tmp/fsdd/recordings {where}/\n"
            f"or point AE_FSDD at a folder holding recordings/.  Speakers used: {', '.join(SPEAKERS)}.")


def available() -> bool:
    d = fsdd_dir() / "recordings"
    return d.is_dir() and any(d.glob(f"0_{TEST_SPEAKER}_*.wav"))


# ----------------------------------------------------------------------------- FSDD
@dataclass(frozen=True)
class Clip:
    """One spoken digit: ``wave (n,)`` float32 at 8 kHz, trimmed to the speech."""
    wave: np.ndarray
    digit: int
    speaker: str
    take: int


def read_wav(path) -> tuple[np.ndarray, int]:
    """A WAV file as ``(wave (n,) float32, rate)`` (16-bit PCM, the standard library's reader)."""
    import wave as W
    with W.open(str(path), "rb") as f:
        n, ch, width, rate = f.getnframes(), f.getnchannels(), f.getsampwidth(), f.getframerate()
        raw = f.readframes(n)
    if width != 2:
        raise ValueError(f"{path}: expected 16-bit PCM, got {8 * width}-bit")
    x = np.frombuffer(raw, dtype="<i2").reshape(-1, ch)
    return A.to_mono(x), rate


@lru_cache(maxsize=2)
def load_fsdd(root: Optional[str] = None) -> dict[str, tuple[Clip, ...]]:
    """Every FSDD clip of :data:`SPEAKERS`, by speaker, trimmed (``A.trim``, 20 ms margin).
    Raises :class:`MissingData` (with how to get the data) when the recordings are absent."""
    d = (Path(root) if root else fsdd_dir()) / "recordings"
    if not d.is_dir():
        raise MissingData(missing_message(d.parent))
    out: dict[str, list[Clip]] = {s: [] for s in SPEAKERS}
    pat = re.compile(r"^(\d)_([a-z]+)_(\d+)\.wav$")
    for p in sorted(d.iterdir()):
        m = pat.match(p.name)
        if not m or m.group(2) not in out:
            continue
        x, rate = read_wav(p)
        x = A.resample(x, rate, A.RATE) if rate != A.RATE else x
        x = x - x.mean()
        a, b = A.trim(x, A.RATE, margin_s=0.02)
        out[m.group(2)].append(Clip(np.ascontiguousarray(x[a:b]), int(m.group(1)), m.group(2),
                                    int(m.group(3))))
    missing = [s for s, v in out.items() if len(v) < 10]
    if missing:
        raise MissingData(missing_message(d.parent) + f"\n(no recordings for {', '.join(missing)})")
    return {s: tuple(sorted(v, key=lambda c: (c.digit, c.take))) for s, v in out.items()}


def takes(speaker: str, which: range) -> dict[int, list[Clip]]:
    """The clips of ``speaker`` whose take index is in ``which``, by digit."""
    by: dict[int, list[Clip]] = {d: [] for d in range(10)}
    for c in load_fsdd()[speaker]:
        if c.take in which:
            by[c.digit].append(c)
    return by


# ----------------------------------------------------------------------------- utterances
@dataclass
class Utterance:
    """A spoken digit string.

    wave:   ``(n,)`` float32 at 8 kHz.
    digits: the string, e.g. ``"7777"``.
    spans:  ``(T, 2)`` int sample indices ``[start, end)`` of each digit's speech.
    source: ``"fsdd:<speaker>"`` or ``"espeak:<voice>"`` (+ ``"/string"`` when spoken as one).
    """
    wave: np.ndarray
    digits: str
    spans: np.ndarray
    source: str
    info: dict = field(default_factory=dict)


def digit_string(rng: np.random.Generator, n: int, kind: str = "random") -> str:
    """``n`` digits: ``random``; ``repeated`` (one digit n times); ``run`` (random with a run of
    2-4 equal digits inside)."""
    if kind == "repeated":
        return str(int(rng.integers(10))) * n
    s = [int(d) for d in rng.integers(0, 10, size=n)]
    if kind == "run" and n >= 3:
        k = int(rng.integers(2, min(4, n) + 1))
        at = int(rng.integers(0, n - k + 1))
        s[at:at + k] = [s[at]] * k
    return "".join(map(str, s))


def compose(pieces: Sequence[np.ndarray], digits: str, rng: np.random.Generator, source: str,
            pause=PAUSE, edge=EDGE) -> Utterance:
    """Concatenate one wave per digit with silent pauses drawn from ``pause`` (s), and silence
    drawn from ``edge`` before and after; spans are where each piece landed."""
    sil = lambda lo_hi: np.zeros(int(rng.uniform(*lo_hi) * A.RATE), np.float32)   # noqa: E731
    parts, spans, at = [sil(edge)], [], 0
    at = parts[0].shape[0]
    for i, p in enumerate(pieces):
        if i:
            g = sil(pause)
            parts.append(g)
            at += g.shape[0]
        parts.append(p)
        spans.append((at, at + p.shape[0]))
        at += p.shape[0]
    parts.append(sil(edge))
    return Utterance(np.concatenate(parts), digits, np.array(spans, dtype=np.int64), source)


def fsdd_utterance(digits: str, speaker: str, which: range, rng: np.random.Generator,
                   pause=PAUSE) -> Utterance:
    """``digits`` spoken by an FSDD ``speaker``, one random take (from ``which``) per digit,
    ``pause`` (s, drawn per gap) between them."""
    by = takes(speaker, which)
    clips = [by[int(d)][int(rng.integers(len(by[int(d)])))] for d in digits]
    u = compose([c.wave for c in clips], digits, rng, f"fsdd:{speaker}", pause=pause)
    u.info["files"] = [f"{c.digit}_{c.speaker}_{c.take}.wav" for c in clips]
    return u


def _espeak_8k(text: str, voice: str, rate: int, pitch: int):
    """eSpeak NG at 8 kHz: ``(wave (n,), word spans (W, 2) in samples at 8 kHz)``."""
    w = E.synthesize_words(text, voice, rate, pitch)
    return A.resample(w.wave, w.rate, A.RATE), np.round(w.spans() * A.RATE).astype(np.int64)


def espeak_utterance(digits: str, voice: str, rng: np.random.Generator,
                     string: Optional[bool] = None, pause=PAUSE) -> Utterance:
    """``digits`` in eSpeak ``voice`` at a random rate and pitch: composed from digits spoken one
    at a time (with pauses), or (``string=True``) spoken as one string, spans from word events."""
    rate = int(rng.integers(*ESPEAK_RATE))
    pitch = int(rng.integers(*ESPEAK_PITCH))
    if string is None:
        string = bool(rng.random() < 0.5)
    if not string:
        pieces = []
        for d in digits:
            x, _ = _espeak_8k(d, voice, rate, pitch)
            a, b = A.trim(x, A.RATE, margin_s=0.02)
            pieces.append(x[a:b])
        u = compose(pieces, digits, rng, f"espeak:{voice}", pause=pause)
    else:
        sep = ", " if rng.random() < 0.3 else " "
        x, spans = _espeak_8k(sep.join(digits), voice, rate, pitch)
        if len(spans) != len(digits):
            return espeak_utterance(digits, voice, rng, string=False, pause=pause)
        lead = np.zeros(int(rng.uniform(*EDGE) * A.RATE), np.float32)
        a, b = A.trim(x, A.RATE, margin_s=0.02)
        x = np.concatenate([lead, x[a:b], np.zeros(int(rng.uniform(*EDGE) * A.RATE), np.float32)])
        spans = np.clip(spans - a, 0, b - a) + lead.shape[0]
        u = Utterance(x, digits, spans, f"espeak:{voice}/string")
    u.info.update(rate=rate, pitch=pitch)
    return u


# ----------------------------------------------------------------------------- augmentation
SPEEDS = np.round(np.arange(0.90, 1.101, 0.02), 2)     # (rounded to rates in steps of 200 Hz)


def augment(u: Utterance, rng: np.random.Generator, eq_db: float = 0.0) -> Utterance:
    """A new :class:`Utterance`: ±10% speed (resampled, spans scaled), a random microphone /
    room colouring of up to ``eq_db`` dB (p = 0.8, :func:`equalize`; 0 = off), a little
    reverberation (p = 0.3), noise at 5-40 dB SNR (p = 0.7; white, pink or brown), gain
    -20..+6 dB, clipped."""
    x, spans = u.wave, u.spans.astype(np.float64)
    new = int(round(A.RATE / float(rng.choice(SPEEDS)) / 200.0)) * 200   # gcd >= 200: small kernels
    f = A.RATE / new
    if new != A.RATE:
        x = A.resample(x, A.RATE, new)                                  # longer when slower
        spans = spans * (x.shape[0] / max(1, u.wave.shape[0]))
    if eq_db > 0 and rng.random() < 0.8:
        x = equalize(x, rng, eq_db)
    if rng.random() < 0.3:
        x = reverb(x, rng)
    if rng.random() < 0.7:
        x = add_noise(x, float(rng.uniform(5, 40)), rng, colour=str(rng.choice(["white", "pink", "brown"])))
    x = x + rng.normal(0, 1e-4, size=x.shape).astype(np.float32)       # a floor: never digital zero
    x = x * 10 ** (rng.uniform(-20, 6) / 20)
    x = np.clip(x, -1, 1).astype(np.float32)
    return Utterance(x, u.digits, np.round(spans).astype(np.int64), u.source, dict(u.info, speed=round(f, 4)))


def equalize(x: np.ndarray, rng: np.random.Generator, db: float) -> np.ndarray:
    """``x`` through a random smooth filter, as another microphone or room would colour it: a
    spectral tilt of up to ±``db`` dB across 0-4 kHz plus two bumps or dips of up to ±``db`` dB
    (Gaussian in frequency, centre anywhere, width 5-30% of the band)."""
    L = next_fast_len(x.shape[0], real=True)
    X = np.fft.rfft(x, L)
    f = np.linspace(0.0, 1.0, X.shape[0])                               # 0 .. Nyquist
    g = rng.uniform(-db, db) * (2 * f - 1)                              # dB
    for _ in range(2):
        c, w, a = rng.uniform(0, 1), rng.uniform(0.05, 0.3), rng.uniform(-db, db)
        g = g + a * np.exp(-0.5 * ((f - c) / w) ** 2)
    return np.fft.irfft(X * 10 ** (g / 20), L)[: x.shape[0]].astype(np.float32)


def add_noise(x: np.ndarray, snr_db: float, rng: np.random.Generator, colour: str = "white") -> np.ndarray:
    """``x`` plus noise whose power is ``snr_db`` below the power of the speech (frames within
    35 dB of the loudest)."""
    n = rng.normal(size=next_fast_len(x.shape[0] + 1, real=True))   # a fast FFT length
    if colour != "white":                       # 1/f (pink) or 1/f^2 (brown) spectrum
        spec = np.fft.rfft(n)
        fr = np.maximum(np.fft.rfftfreq(n.shape[0]), 1.0 / n.shape[0])
        spec = spec / (np.sqrt(fr) if colour == "pink" else fr)
        n = np.fft.irfft(spec, n.shape[0])
    n = n[: x.shape[0]]
    e = A.frame_energy_db(x)
    loud = e[e >= e.max() - 35]
    p_speech = float(np.mean(10 ** (loud / 10)))
    n = n / max(np.sqrt(np.mean(n ** 2)), 1e-12) * np.sqrt(p_speech * 10 ** (-snr_db / 10))
    return (x + n).astype(np.float32)


def reverb(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``x`` convolved with ``delta + wet * decaying noise`` (RT60 0.1-0.5 s, wet 0.05-0.4)."""
    rt60 = rng.uniform(0.1, 0.5)
    n = int(rt60 * A.RATE)
    t = np.arange(n) / A.RATE
    ir = rng.normal(size=n) * np.exp(-6.9 * t / rt60)
    ir = ir / np.sqrt((ir ** 2).sum()) * rng.uniform(0.05, 0.4)
    ir[0] += 1.0
    L = next_fast_len(x.shape[0] + n, real=True)                        # no wrap-around, fast
    y = np.fft.irfft(np.fft.rfft(x, L) * np.fft.rfft(ir, L), L)[: x.shape[0]]
    peak = np.abs(y).max()
    return (y / peak * np.abs(x).max() if peak > 0 else y).astype(np.float32)


# ----------------------------------------------------------------------------- truth
def truth_frames(spans: np.ndarray, n_frames: int, stride: int) -> np.ndarray:
    """``(T, n_frames)`` bool: encoder frame j (centred on sample ``j * stride * HOP``) lies in
    digit t's span.  A digit too short to hold a frame centre gets its nearest frame."""
    centres = np.arange(n_frames) * stride * A.HOP                      # (S,)
    out = (centres[None] >= spans[:, :1]) & (centres[None] < spans[:, 1:])   # (T, S)
    for t in np.nonzero(~out.any(1))[0]:
        mid = (spans[t, 0] + spans[t, 1]) / 2
        out[t, min(n_frames - 1, int(round(mid / (stride * A.HOP))))] = True
    return out


# ----------------------------------------------------------------------------- sets
#: Named evaluation sets: (source, kind, lengths).  ``heldout`` = the FSDD test speaker,
#: ``unseen`` = eSpeak test voices, ``val`` = FSDD validation takes + eSpeak validation voices.
#: ``repeated`` is the test of Chorowski et al.'s failure: long runs of one digit (4-8 times)
#: with short pauses (0-150 ms), the same set for every model.
KINDS = {"4": ("random", (4,), PAUSE), "repeated": ("repeated", (4, 5, 6, 7, 8), (0.0, 0.15)),
         "long": ("random", (8,), PAUSE), "mixed": ("random", tuple(range(1, 9)), PAUSE)}


def eval_set(source: str, kind: str, n: int, seed: int = 1234) -> list[Utterance]:
    """A fixed evaluation set (same ``seed`` -> same utterances, no augmentation).

    source: ``heldout`` (FSDD :data:`TEST_SPEAKER`, all takes), ``unseen`` (eSpeak
    :data:`~attention.models.espeak.TEST_VOICES`), ``val`` (FSDD train speakers' takes 45-49 and
    eSpeak validation voices, alternately).  kind: a key of :data:`KINDS`.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    strkind, lengths, pause = KINDS[kind]
    rng = np.random.default_rng([seed, hash_name(source), hash_name(kind)])
    out = []
    for i in range(n):
        digits = digit_string(rng, int(lengths[i % len(lengths)]), strkind)
        if source == "heldout":
            out.append(fsdd_utterance(digits, TEST_SPEAKER, range(0, 50), rng, pause))
        elif source == "unseen":
            out.append(espeak_utterance(digits, E.TEST_VOICES[i % len(E.TEST_VOICES)], rng, pause=pause))
        elif source == "val":
            if i % 2 == 0:
                out.append(fsdd_utterance(digits, TRAIN_SPEAKERS[(i // 2) % 4], VAL_TAKES, rng, pause))
            else:
                out.append(espeak_utterance(digits, E.VAL_VOICES[(i // 2) % len(E.VAL_VOICES)], rng,
                                            pause=pause))
        else:
            raise ValueError(f"source must be 'heldout', 'unseen' or 'val'; got {source!r}")
    return out


def hash_name(s: str) -> int:
    """A stable small integer for a name (Python's ``hash`` changes between runs)."""
    return int.from_bytes(s.encode(), "little") % (2 ** 31)


class Sampler:
    """Training utterances, deterministic by ``seed``: a share ``p_fsdd`` from FSDD (4 training
    speakers, takes 0-44), the rest from eSpeak training voices; a share of repeated-digit
    strings and runs; augmented (:func:`augment`, channel colouring up to ``eq_db``).

    ``batch(size, max_len)`` returns ``size`` :class:`Utterance` of 1..``max_len`` digits.
    """

    def __init__(self, seed: int, p_fsdd: float = 0.5, p_repeated: float = 0.2, p_run: float = 0.2,
                 eq_db: float = 0.0):
        self.rng = np.random.default_rng([seed, 777])
        self.p_fsdd, self.p_repeated, self.p_run, self.eq_db = p_fsdd, p_repeated, p_run, eq_db
        load_fsdd()

    def one(self, max_len: int) -> Utterance:
        r = self.rng
        n = int(r.integers(1, max_len + 1))
        u = r.random()
        kind = "repeated" if (u < self.p_repeated and n >= 2) else \
            ("run" if u < self.p_repeated + self.p_run else "random")
        digits = digit_string(r, n, kind)
        if r.random() < self.p_fsdd:
            x = fsdd_utterance(digits, TRAIN_SPEAKERS[int(r.integers(4))], TRAIN_TAKES, r)
        else:
            x = espeak_utterance(digits, E.TRAIN_VOICES[int(r.integers(len(E.TRAIN_VOICES)))], r)
        return augment(x, r, self.eq_db)

    def batch(self, size: int, max_len: int) -> list[Utterance]:
        return [self.one(max_len) for _ in range(size)]


def recipe() -> dict:
    """The data recipe, for the card."""
    return {"fsdd": {"attribution": ATTRIBUTION, "train_speakers": list(TRAIN_SPEAKERS),
                     "train_takes": [TRAIN_TAKES.start, TRAIN_TAKES.stop - 1],
                     "val_takes": [VAL_TAKES.start, VAL_TAKES.stop - 1], "test_speaker": TEST_SPEAKER},
            "espeak": {"train_voices": len(E.TRAIN_VOICES), "val_voices": list(E.VAL_VOICES),
                       "test_voices": list(E.TEST_VOICES), "rate_wpm": list(ESPEAK_RATE),
                       "pitch": list(ESPEAK_PITCH),
                       "modes": "digits spoken one at a time and composed, or the string spoken at once"},
            "composition": {"digits": "1-8", "pause_s": list(PAUSE), "edge_s": list(EDGE),
                            "kinds": "random; one digit repeated; random with a run of 2-4"},
            "augmentation": "speed 0.90-1.10 (resampled), reverb p=0.3 (RT60 0.1-0.5 s), noise p=0.7 "
                            "(white/pink/brown, 5-40 dB SNR), gain -20..+6 dB",
            "features": f"log-mel, {A.N_MELS} bands {A.F_MIN:.0f}-{A.F_MAX:.0f} Hz, 25 ms / 10 ms, "
                        f"{A.TOP_DB:.0f} dB below the utterance's peak"}
