"""The NumPy code the Learn page shows and runs: the widely shared "attention" snippet, which
softmaxes ``X @ W_a`` (per *feature*) and then fails with a shape error, and the working form
``scores = X W_a X^T``.  The page prints these functions' own source (``inspect``), so what a
student reads is exactly what ran."""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Optional

import numpy as np

from attention.tutorial import TINY_WA, TINY_X


def np_softmax(x):
    """Softmax of each row (over the last axis)."""
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def circulated_version(X, W_a):
    weights = np_softmax(X @ W_a)  # (n, d): per FEATURE
    output = weights @ X           # (n, d) @ (n, d)
    return weights, output


def self_attention_numpy(X, W_a):
    scores = X @ W_a @ X.T         # (n, n): token vs token
    weights = np_softmax(scores)   # (n, n): rows sum to 1
    output = weights @ X           # (n, n) @ (n, d) -> (n, d)
    return scores, weights, output


SOFTMAX_CODE = inspect.getsource(np_softmax).strip()
CIRCULATED_CODE = inspect.getsource(circulated_version).strip()
WORKING_CODE = inspect.getsource(self_attention_numpy).strip()


@dataclass(frozen=True)
class CirculatedRun:
    """What happened when :func:`circulated_version` ran.

    product_shape: shape of ``X @ W_a`` -- also the shape of ``weights``.
    error_type / error: the exception NumPy raised (``None`` if the code ran, which
    happens when d == n: it then runs but still computes per-feature weights).
    weights: ``softmax(X @ W_a)`` ``(n, d)``; output: ``(n, d)`` or None.
    """
    X_shape: tuple
    product_shape: tuple
    weights: np.ndarray
    error_type: Optional[str]
    error: Optional[str]
    output: Optional[np.ndarray]


def run_circulated(X=TINY_X, W_a=TINY_WA) -> CirculatedRun:
    """Run the circulated snippet on ``X (n, d)``, ``W_a (d, d)`` and keep NumPy's error text."""
    X = np.asarray(X, dtype=float)
    W_a = np.asarray(W_a, dtype=float)
    weights = np_softmax(X @ W_a)                                   # (n, d)
    try:
        _, output = circulated_version(X, W_a)
    except ValueError as e:
        return CirculatedRun(tuple(X.shape), tuple(weights.shape), weights,
                             type(e).__name__, str(e), None)
    return CirculatedRun(tuple(X.shape), tuple(weights.shape), weights, None, None, output)
