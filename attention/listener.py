"""``attention.listener``: the spoken-digit listeners (a re-export of :mod:`attention.models.listener`).

    >>> from attention import listener
    >>> model, card = listener.load("location")
    >>> tr = model.transcribe(wave, sample_rate)      # float32 wave in [-1, 1]
    >>> tr.output, tr.weights.shape                   # "7777", (steps, frames)
"""
from .models.listener import (END, FRAME_S, SHIFT, STRIDE, TOKENS, VARIANTS, WINDOW,  # noqa: F401
                              Config, Decoded, Listener, Transcription, features_batch,
                              from_files, load, weights_dir)
