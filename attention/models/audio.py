"""Audio maths for the listener, in torch / numpy only: resampling, log-mel, trimming, checks.

Everything the speech model needs to turn a recording into its input lives here, so a page, a
notebook and training compute the same features:

    >>> wave8k = resample(wave, 48000, RATE)                   # (n,) -> (m,), windowed sinc
    >>> x = log_mel(wave8k)                                     # (frames, N_MELS), 100 frames/s
    >>> span = trim(wave8k, RATE)                               # where the speech is (samples)
    >>> problem = check_speech(wave8k, RATE)                    # None, or why it can't be read

Conventions: a wave is a 1-D float32 array in [-1, 1] (``(n,)``; a stereo input is averaged
first, see :func:`to_mono`); the model's rate is :data:`RATE` = 8 kHz (the Free Spoken Digit
Dataset's rate, so every source is brought down to it); a feature frame is :data:`HOP` samples
(10 ms), centred on ``i * HOP`` (``torch.stft(center=True)``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as TF

RATE = 8000            # samples per second the model hears
N_FFT = 256            # 32 ms FFT
WIN = 200              # 25 ms Hann window
HOP = 80               # 10 ms: 100 feature frames per second
N_MELS = 40
F_MIN, F_MAX = 20.0, 4000.0
TOP_DB = 60.0          # log-mel floor: 60 dB below the loudest mel bin of the utterance
MIN_SECONDS = 0.15
MAX_SECONDS = 20.0     # longest recording the listener reads (8 digits take ~6 s)


# ----------------------------------------------------------------------------- waves
def to_mono(wave) -> np.ndarray:
    """``(n,)`` or ``(n, channels)`` (soundfile's layout) -> ``(n,)`` float32, channels averaged.

    Integer PCM is scaled to [-1, 1] (int16 / 32768, int32 / 2^31, uint8 centred at 128).
    ValueError on an empty, non-numeric or non-finite input.
    """
    a = np.asarray(wave)
    if a.dtype == np.uint8:
        a = (a.astype(np.float32) - 128.0) / 128.0
    elif np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.float32) / float(2 ** (8 * a.dtype.itemsize - 1))
    elif not np.issubdtype(a.dtype, np.floating):
        raise ValueError(f"a wave must hold numbers; got dtype {a.dtype}")
    if a.ndim == 2:
        a = a.mean(axis=1)                                              # (n,)
    if a.ndim != 1:
        raise ValueError(f"a wave must have shape (n,) or (n, channels); got {a.shape}")
    if a.size == 0:
        raise ValueError("the recording is empty")
    if not np.isfinite(a).all():
        raise ValueError("the recording contains NaN or infinite samples")
    return a.astype(np.float32, copy=False)


@lru_cache(maxsize=32)
def _sinc_kernel(orig: int, new: int, width: int = 6, rolloff: float = 0.99) -> torch.Tensor:
    """Polyphase windowed-sinc kernel ``(new, 1, K)`` for ``orig -> new`` (already divided by
    their gcd): phase i holds the taps of output sample i (Hann-windowed sinc, cut-off at
    ``rolloff * min(orig, new) / 2``, ``width`` zero crossings each side; as torchaudio's
    ``sinc_interp_hann``)."""
    base = min(orig, new) * rolloff
    half = math.ceil(width * orig / base)
    idx = torch.arange(-half, half + orig, dtype=torch.float64)[None] / orig        # (1, K)
    t = -torch.arange(new, dtype=torch.float64)[:, None] / new + idx                # (new, K)
    t = (t * base).clamp(-width, width)
    window = torch.cos(t * math.pi / width / 2) ** 2
    t = t * math.pi
    k = torch.where(t == 0, torch.ones_like(t), torch.sin(t) / t) * window * (base / orig)
    return k.unsqueeze(1).float()                                                   # (new, 1, K)


def resample(wave, orig_rate: int, new_rate: int = RATE) -> np.ndarray:
    """Band-limited resampling ``(n,) -> (ceil(n * new / orig),)`` float32 (windowed sinc,
    polyphase conv1d in torch).  Rates are integers in 1,000..384,000 Hz."""
    for name, r in (("sample_rate", orig_rate), ("target rate", new_rate)):
        if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or not 1000 <= r <= 384_000:
            raise ValueError(f"{name} must be an integer from 1000 to 384000 Hz; got {r!r}")
    x = np.asarray(wave, dtype=np.float32)
    if orig_rate == new_rate:
        return x.copy()
    g = math.gcd(int(orig_rate), int(new_rate))
    o, n = int(orig_rate) // g, int(new_rate) // g
    k = _sinc_kernel(o, n)                                              # (n, 1, K)
    half = (k.shape[-1] - o) // 2
    length = x.shape[0]
    xt = torch.tensor(x).view(1, 1, -1)                                 # (1, 1, n) (a copy)
    xt = TF.pad(xt, (half, half + o))
    y = TF.conv1d(xt, k, stride=o)                                      # (1, n_phases, frames)
    y = y[0].T.reshape(-1)                                              # (frames * n_phases,)
    out_len = math.ceil(n * length / o)
    return y[:out_len].numpy().astype(np.float32)


# ----------------------------------------------------------------------------- features
def hz_to_mel(f):
    """HTK mel scale ``2595 log10(1 + f / 700)`` (numpy or float)."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    """Inverse of :func:`hz_to_mel`."""
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def warp_hz(f, alpha: float, nyquist: float):
    """Vocal tract length perturbation's piecewise-linear frequency warp (Jaitly & Hinton 2013):
    ``alpha f`` up to a boundary ``f_b = 0.8 N / max(alpha, 1)``, then a straight line to the
    Nyquist frequency N (so the band edge stays put)."""
    f = np.asarray(f, dtype=np.float64)
    fb = 0.8 * nyquist / max(alpha, 1.0)
    hi = alpha * fb + (nyquist - alpha * fb) * (f - fb) / (nyquist - fb)
    return np.where(f <= fb, alpha * f, hi)


@lru_cache(maxsize=64)
def mel_filterbank(n_freqs: int = N_FFT // 2 + 1, n_mels: int = N_MELS, sample_rate: int = RATE,
                   f_min: float = F_MIN, f_max: float = F_MAX, warp: float = 1.0) -> torch.Tensor:
    """Triangular mel filters ``(n_freqs, n_mels)`` float32 (HTK scale, no area normalization,
    like ``torchaudio.functional.melscale_fbanks(norm=None)``).

    Filter m rises linearly from the (m)-th to the (m+1)-th of ``n_mels + 2`` points equally
    spaced in mel between ``f_min`` and ``f_max``, and falls to the (m+2)-th; between the first
    and last centres the filters sum to 1 at every frequency.  ``warp`` != 1 moves the filters'
    corners with :func:`warp_hz` (training-time augmentation: a speaker with a shorter or longer
    vocal tract).
    """
    if not 0 <= f_min < f_max <= sample_rate / 2:
        raise ValueError(f"need 0 <= f_min < f_max <= sample_rate / 2; got {f_min}, {f_max}, {sample_rate}")
    freqs = np.linspace(0, sample_rate / 2, n_freqs)                    # (F,)
    pts = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))   # (M+2,)
    if warp != 1.0:
        pts = warp_hz(pts, warp, sample_rate / 2)
    lo, mid, hi = pts[:-2, None], pts[1:-1, None], pts[2:, None]        # (M, 1) each
    up = (freqs[None] - lo) / (mid - lo)                                # (M, F)
    down = (hi - freqs[None]) / (hi - mid)
    fb = np.maximum(0.0, np.minimum(up, down))                          # (M, F)
    return torch.from_numpy(fb.T.astype(np.float32))                    # (F, M)


def log_mel(wave, top_db: float = TOP_DB, warp: float = 1.0) -> torch.Tensor:
    """Log-mel features of a wave at :data:`RATE`: ``(n,) -> (frames, N_MELS)`` float32, or a
    batch ``(B, n) -> (B, frames, N_MELS)``; ``frames = n // HOP + 1``.

    ``|STFT|^2`` (Hann 25 ms, hop 10 ms, 256-point FFT, centred) -> mel filters (20-4000 Hz) ->
    ``log``, relative to the utterance's loudest bin and floored ``top_db`` below it, then
    scaled: ``x = (ln(mel / max) + 6.9) / 3.45``, so 0 dB is 2.0 and the floor (-60 dB) is -2.0.
    The features do not change with the recording's gain.  ``warp``: see :func:`mel_filterbank`.
    """
    x = torch.as_tensor(np.asarray(wave, dtype=np.float32) if not torch.is_tensor(wave) else wave)
    single = x.ndim == 1
    if single:
        x = x.unsqueeze(0)                                              # (1, n)
    if x.shape[-1] < WIN:
        x = TF.pad(x, (0, WIN - x.shape[-1]))
    spec = torch.stft(x.float(), N_FFT, hop_length=HOP, win_length=WIN,
                      window=_hann(), center=True, return_complex=True)  # (B, F, frames)
    power = spec.real ** 2 + spec.imag ** 2
    fb = mel_filterbank() if warp == 1.0 else mel_filterbank(warp=round(float(warp), 3))
    mel = power.transpose(1, 2) @ fb                                     # (B, frames, M)
    peak = mel.amax(dim=(1, 2), keepdim=True).clamp_min(1e-20)           # (B, 1, 1)
    floor = 10.0 ** (-top_db / 10.0)
    db = torch.log(torch.maximum(mel / peak, torch.tensor(floor)))       # ln: [-13.8, 0] at 60 dB
    half = 0.5 * math.log(floor)                                          # -6.9
    out = (db - half) / (-half / 2)                                       # [-2, 2]
    return out[0] if single else out


@lru_cache(maxsize=1)
def _hann() -> torch.Tensor:
    return torch.hann_window(WIN)


def frame_times(n_frames: int, stride: int = 1, offset: float = 0.0) -> np.ndarray:
    """Centre time (s) of each frame ``(n_frames,)``: frame j of a model that keeps one feature
    frame in ``stride`` is centred on feature frame ``j * stride``, at ``j * stride * HOP / RATE``."""
    return offset + np.arange(n_frames) * stride * HOP / RATE


# ----------------------------------------------------------------------------- speech checks
def frame_energy_db(wave, rate: int = RATE, frame_s: float = 0.02) -> np.ndarray:
    """Energy of consecutive ``frame_s`` frames in dB full scale ``(frames,)`` (a full-scale
    sine is about -3 dB); silence is floored at -120 dB."""
    x = np.asarray(wave, dtype=np.float64)
    n = max(1, int(round(frame_s * rate)))
    m = max(1, x.shape[0] // n)
    x = np.pad(x, (0, max(0, m * n - x.shape[0])))[: m * n].reshape(m, n)   # (frames, n)
    return 10.0 * np.log10(np.maximum((x ** 2).mean(axis=1), 1e-12))


def trim(wave, rate: int = RATE, top_db: float = 35.0, margin_s: float = 0.05) -> tuple[int, int]:
    """``(start, end)`` sample indices of the speech in ``wave``: from the first to the last 20 ms
    frame within ``top_db`` of the loudest one, widened by ``margin_s``; ``(0, n)`` if flat."""
    x = np.asarray(wave)
    e = frame_energy_db(x, rate)
    n = max(1, int(round(0.02 * rate)))
    loud = np.nonzero(e >= e.max() - top_db)[0]
    if loud.size == 0:
        return 0, x.shape[0]
    m = int(round(margin_s * rate))
    return max(0, int(loud[0]) * n - m), min(x.shape[0], (int(loud[-1]) + 1) * n + m)


@dataclass(frozen=True)
class SpeechCheck:
    """What :func:`check_speech` measured.

    peak_db: loudest 20 ms frame (dB FS); dynamic_db: its 95th minus 10th percentile frame
    energy (speech with pauses: 20-50 dB; steady noise: a few dB); seconds: duration;
    problem: None, or a sentence saying why the listener should not try to read it.
    """
    peak_db: float
    dynamic_db: float
    seconds: float
    problem: Optional[str]


SILENCE_DB = -55.0     # a recording whose loudest 20 ms stays under this is silence
STEADY_DB = 8.0        # energy that varies less than this (95th - 10th pct) is steady noise


def check_speech(wave, rate: int) -> SpeechCheck:
    """Whether ``wave`` ``(n,)`` could hold spoken digits: not too short or long, not silence,
    not steady noise (see :data:`SILENCE_DB`, :data:`STEADY_DB`, :data:`MAX_SECONDS`).  The
    steady-noise rule applies from 1 s on: one tightly trimmed digit can be nearly flat."""
    x = np.asarray(wave, dtype=np.float32)
    seconds = x.shape[0] / float(rate)
    e = frame_energy_db(x, rate)
    peak = float(e.max())
    dyn = float(np.percentile(e, 95) - np.percentile(e, 10)) if e.size > 1 else 0.0
    problem = None
    if seconds < MIN_SECONDS:
        problem = f"the recording is {seconds:.2f} s long: too short to hold a spoken digit"
    elif seconds > MAX_SECONDS:
        problem = (f"the recording is {seconds:.0f} s long; the listener reads at most "
                   f"{MAX_SECONDS:.0f} s (up to about 20 digits)")
    elif peak < SILENCE_DB:
        problem = f"the recording is silent (loudest moment {peak:.0f} dB below full scale)"
    elif dyn < STEADY_DB and seconds >= 1.0:
        problem = (f"no speech found: the loudness hardly changes ({dyn:.1f} dB between quiet and "
                   "loud moments), as in steady noise or a hum")
    return SpeechCheck(peak_db=peak, dynamic_db=dyn, seconds=seconds, problem=problem)


def prepare(wave, sample_rate: int) -> tuple[np.ndarray, float]:
    """What the listener hears: mono, at :data:`RATE`, DC removed, speech trimmed.

    Returns ``(wave (m,) float32 at RATE, offset_s)``: ``offset_s`` is where the trimmed wave
    starts in the original recording (for frame times).  ValueError (with the reason) when the
    recording cannot hold spoken digits (see :func:`check_speech`).
    """
    x = to_mono(wave)
    c = check_speech(x, int(sample_rate))
    if c.problem:
        raise ValueError(c.problem)
    x = resample(x, int(sample_rate), RATE)
    x = x - x.mean()
    a, b = trim(x, RATE)
    return np.ascontiguousarray(x[a:b]), a / RATE
