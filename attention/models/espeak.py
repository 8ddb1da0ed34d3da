"""Offline speech synthesis with eSpeak NG, through ctypes and the ``espeakng-loader`` wheel.

The wheel ships ``libespeak-ng`` and its voice data (no system package, nothing downloaded).
The library keeps global state and is not thread-safe: every call here runs under one lock.

    >>> wave, rate = synthesize("7 7 7 7", voice="en-us+f3")     # float32 (n,) in [-1, 1], 22050
    >>> words = synthesize_words("3 5 1", voice="en+m3")          # + where each word starts

Voices are ``<language>+<variant>``: a language file of the wheel (``en``, ``en-us``, ``en-gb-x-rp``,
``en-gb-scotland``, ``en-029`` ...) and a variant (``m1``..``m8``, ``f1``..``f5``, ``klatt``, named
ones such as ``Annie``).  :data:`TRAIN_VOICES` are the voices the listener models were trained on;
:data:`VAL_VOICES` chose their calibration; :data:`TEST_VOICES` were never used in training
(the "unseen voices" of the cards).  The three lists share no variant, so a test voice is new in
its timbre, not only in its accent.
"""
from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

# espeak_AUDIO_OUTPUT, espeak_PARAMETER, espeak_POSITION_TYPE, flags, event types (speak_lib.h)
_SYNCHRONOUS = 2
_RATE, _VOLUME, _PITCH, _RANGE = 1, 2, 3, 4
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EVENT_LIST_TERMINATED, _EVENT_WORD, _EVENT_MSG_TERMINATED = 0, 1, 6

#: Speaking rate (words per minute) and pitch (0-100) the library accepts here.
RATE_RANGE = (80, 350)
PITCH_RANGE = (0, 99)
DEFAULT_RATE = 160
DEFAULT_PITCH = 50
MAX_TEXT = 200          # characters per call

#: Accents (language files of the wheel) that read digits as English words.
ACCENTS = ("en", "en-us", "en-gb-x-rp", "en-gb-scotland", "en-029", "en-gb-x-gbclan",
           "en-gb-x-gbcwmd", "en-us-nyc")

#: Voices the listener models were trained on (accent + variant; male and female).
TRAIN_VOICES = tuple(f"{a}+{v}" for a in ACCENTS for v in
                     ("m1", "m2", "m3", "m4", "m6", "f1", "f2", "f4", "klatt", "klatt3",
                      "Annie", "adam", "Andy", "aunty", "boris", "david", "ed", "linda",
                      "michel", "norbert", "quincy", "robert", "steph", "travis"))
#: Voices used only to choose the calibration temperature (validation).
VAL_VOICES = ("en+m5", "en-us+f5", "en-gb-x-rp+john", "en-029+belinda", "en-us+benjamin",
              "en+grandma")
#: Voices never used in training or validation: the "unseen espeak voices" of the cards.
TEST_VOICES = ("en-us+f3", "en+m7", "en-gb-x-rp+Alicia", "en-gb-scotland+klatt2",
               "en-us-nyc+Gene", "en-029+shelby", "en+iven", "en-us+Mike")
#: Voices the page offers for "type digits and hear them" (a mix of seen and unseen ones).
PAGE_VOICES = {"en-us+f3": "US English, female 3 (unseen in training)",
               "en+m3": "English, male 3 (seen in training)",
               "en-gb-x-rp+Alicia": "British RP, Alicia (unseen)",
               "en-us+m7": "US English, male 7 (unseen variant)",
               "en-029+f2": "Caribbean English, female 2 (seen)",
               "en-gb-scotland+klatt2": "Scottish English, Klatt 2 (unseen)"}


@dataclass(frozen=True)
class Words:
    """A synthesized utterance with where each word starts.

    wave: ``(n,)`` float32 in [-1, 1]; rate: samples per second (22,050);
    starts: ``(W,)`` float64 seconds at which word w begins (eSpeak's word events);
    text_positions: ``(W,)`` int, 1-based character position of word w in the text.
    """
    wave: np.ndarray
    rate: int
    starts: np.ndarray
    text_positions: np.ndarray

    def spans(self, top_db: float = 30.0) -> np.ndarray:
        """``(W, 2)`` seconds where each word is spoken: from its start to the next word's start
        (or the end), with the quiet tail cut (frames more than ``top_db`` below the word's
        loudest, :func:`attention.models.audio.trim`)."""
        from .audio import trim
        s = np.round(self.starts * self.rate).astype(np.int64)
        ends = np.append(s[1:], self.wave.shape[0])
        out = []
        for a, b in zip(s, ends):
            if b - a > int(0.04 * self.rate):
                ta, tb = trim(self.wave[a:b], self.rate, top_db=top_db, margin_s=0.0)
                a, b = a + ta, a + tb
            out.append((a, max(b, a + 1)))
        return np.asarray(out, dtype=np.float64).reshape(-1, 2) / self.rate


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint),
                ("text_position", ctypes.c_int), ("length", ctypes.c_int),
                ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", ctypes.c_char * 8)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.POINTER(_Event))
_LOCK = threading.Lock()
_STATE: dict = {}


def available() -> bool:
    """Whether the eSpeak NG library can be loaded (the ``espeakng-loader`` wheel is installed)."""
    try:
        _lib()
        return True
    except (ImportError, OSError, RuntimeError):
        return False


def _lib():
    """The initialised library (once per process; call under :data:`_LOCK` or from it)."""
    if "lib" in _STATE:
        return _STATE["lib"]
    import espeakng_loader
    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    data = espeakng_loader.get_data_path().encode()
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    rate = lib.espeak_Initialize(_SYNCHRONOUS, 0, data, 0)
    if rate <= 0:
        raise RuntimeError(f"espeak_Initialize failed ({rate}) with data at {data.decode()}")
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                 ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
    lib.espeak_Synth.restype = ctypes.c_int
    lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]      # breath / noise: seeded per call

    chunks: list = []
    events: list = []

    def on_audio(wav, n, ev):                # called synchronously inside espeak_Synth
        if n > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while ev and ev[i].type != _EVENT_LIST_TERMINATED:
            if ev[i].type == _EVENT_WORD:
                events.append((ev[i].sample, ev[i].text_position))
            i += 1
        return 0

    cb = _CALLBACK(on_audio)                  # kept alive in _STATE
    lib.espeak_SetSynthCallback(cb)
    _STATE.update(lib=lib, rate=rate, cb=cb, chunks=chunks, events=events)
    return lib


def check_voice(voice: str) -> str:
    """``voice`` if it has the form ``<accent>+<variant>`` with a known accent, else ValueError."""
    if not isinstance(voice, str) or "+" not in voice:
        raise ValueError(f"voice must look like 'en-us+f3' (accent + variant); got {voice!r}")
    accent, variant = voice.split("+", 1)
    if accent not in ACCENTS:
        raise ValueError(f"voice accent must be one of {', '.join(ACCENTS)}; got {accent!r}")
    if variant not in variants():
        raise ValueError(f"eSpeak NG has no voice variant {variant!r} (e.g. m3, f3, klatt, Annie)")
    return voice


def variants() -> frozenset:
    """Names of the voice variants the wheel ships (``m1``, ``f3``, ``klatt``, ``Annie`` ...)."""
    if "variants" not in _STATE:
        import espeakng_loader
        folder = Path(espeakng_loader.get_data_path()) / "voices" / "!v"
        _STATE["variants"] = frozenset(p.name for p in folder.iterdir() if p.is_file())
    return _STATE["variants"]


def synthesize_words(text: str, voice: str = "en-us+f3", rate: int = DEFAULT_RATE,
                     pitch: int = DEFAULT_PITCH, seed: int = 0) -> Words:
    """Speak ``text`` with ``voice`` at ``rate`` words per minute and ``pitch`` (0-99).

    Repeatability: the library's random source (breath, noise) is reseeded with ``seed`` before
    every call, but eSpeak NG also keeps state between calls that no API resets (measured: the
    second "7 5" in a process is 5 samples longer than the first, and differs from sample 2,074
    on; a fresh process repeats the same sequence exactly).  So the same calls in the same order
    give the same samples; a page caches what it synthesized to keep one recording stable.

    Returns :class:`Words`: the float32 wave at the library's rate (22,050 Hz) and the start of
    every word.  ValueError for empty or too long text, an unknown voice or out-of-range settings.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text to speak is empty")
    if len(text) > MAX_TEXT:
        raise ValueError(f"text to speak has {len(text)} characters; at most {MAX_TEXT}")
    check_voice(voice)
    if not RATE_RANGE[0] <= int(rate) <= RATE_RANGE[1]:
        raise ValueError(f"rate must be {RATE_RANGE[0]}-{RATE_RANGE[1]} words per minute; got {rate}")
    if not PITCH_RANGE[0] <= int(pitch) <= PITCH_RANGE[1]:
        raise ValueError(f"pitch must be {PITCH_RANGE[0]}-{PITCH_RANGE[1]}; got {pitch}")
    data = text.encode("utf-8") + b"\0"
    with _LOCK:
        lib = _lib()
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"eSpeak NG has no voice {voice!r}")
        lib.espeak_SetParameter(_RATE, int(rate), 0)
        lib.espeak_SetParameter(_PITCH, int(pitch), 0)
        lib.espeak_ng_SetRandSeed(int(seed))
        chunks, events = _STATE["chunks"], _STATE["events"]
        chunks.clear()
        events.clear()
        err = lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        if err != 0:
            raise RuntimeError(f"espeak_Synth failed with code {err}")
        pcm = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
        ev = list(events)
        sr = int(_STATE["rate"])
    wave = (pcm.astype(np.float32) / 32768.0)                          # (n,)
    starts = np.array([s / sr for s, _ in ev], dtype=np.float64)         # (W,)
    return Words(wave=wave, rate=sr, starts=starts,
                 text_positions=np.array([p for _, p in ev], dtype=np.int64))


def synthesize(text: str, voice: str = "en-us+f3", rate: int = DEFAULT_RATE,
               pitch: int = DEFAULT_PITCH, seed: int = 0) -> tuple[np.ndarray, int]:
    """``(wave (n,) float32 in [-1, 1], sample_rate)`` of ``text`` spoken by ``voice``."""
    w = synthesize_words(text, voice, rate, pitch, seed)
    return w.wave, w.rate


def voice_rate() -> Optional[int]:
    """The library's output rate (22,050 Hz), or None if it cannot be loaded."""
    with _LOCK:
        try:
            _lib()
        except (ImportError, OSError, RuntimeError):
            return None
        return int(_STATE["rate"])
