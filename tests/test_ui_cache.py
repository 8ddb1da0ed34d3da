"""ui/cache.py: the byte-bounded cache shared by every session (issue 15 #6)."""
from __future__ import annotations

import threading
from pathlib import Path
import time

import numpy as np
import pytest

from ui.cache import BytesLRU, bounded, nbytes


def arr(mb: float, fill: float = 0.0) -> np.ndarray:
    return np.full(int(mb * 2**20) // 8, fill, dtype=np.float64)


def test_bounded_by_bytes_and_evicts_least_recently_used():
    c = BytesLRU("t", max_bytes=int(3.5 * 2**20))
    for k in "abc":
        c.get_or_compute(k, lambda k=k: arr(1, ord(k)))
    assert len(c) == 3 and c.total == 3 * 2**20
    c.get_or_compute("a", lambda: pytest.fail("a is cached"))           # a becomes most recent
    c.get_or_compute("d", lambda: arr(1, 1.0))                          # over budget: b goes
    assert len(c) == 3 and c.total <= c.max_bytes
    calls = []
    c.get_or_compute("b", lambda: calls.append("b") or arr(1))         # b was evicted
    assert calls == ["b"]
    assert c.get_or_compute("a", lambda: pytest.fail("a still cached"))[0] == ord("a")


def test_a_value_larger_than_the_budget_is_returned_but_not_kept():
    c = BytesLRU("t", max_bytes=2**20)
    v = c.get_or_compute("big", lambda: arr(2))
    assert v.size == 2**18 and len(c) == 0 and c.total == 0


def test_cached_arrays_are_read_only_so_no_session_can_change_anothers():
    c = BytesLRU("t", max_bytes=2**20)
    v = c.get_or_compute("k", lambda: {"q": np.zeros(3), "parts": [np.ones(2)]})
    for a in (v["q"], v["parts"][0]):
        with pytest.raises(ValueError):
            a[0] = 5


def test_a_key_asked_for_by_a_class_at_once_is_computed_once():
    c = BytesLRU("t", max_bytes=2**20)
    calls, out = [], []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return np.arange(4.0)

    threads = [threading.Thread(target=lambda: out.append(c.get_or_compute("k", slow))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(out) == 8 and all(o is out[0] for o in out)


def test_a_failed_computation_is_not_cached_and_does_not_block_the_next():
    c = BytesLRU("t", max_bytes=2**20)
    with pytest.raises(RuntimeError):
        c.get_or_compute("k", lambda: (_ for _ in ()).throw(RuntimeError("boom")))
    assert len(c) == 0
    assert c.get_or_compute("k", lambda: np.ones(1))[0] == 1


def test_bounded_decorator_keys_on_arguments():
    calls = []

    @bounded("test-decorator", max_bytes=2**20)
    def f(n, scale=1.0):
        calls.append((n, scale))
        return np.full(n, scale)

    assert f(3)[0] == 1.0 and f(3)[0] == 1.0 and f(3, scale=2.0)[0] == 2.0
    assert calls == [(3, 1.0), (3, 2.0)]
    assert f.cache.total == nbytes(np.ones(3)) * 2


def test_pages_read_frozen_cached_arrays_without_sharing_or_torch_warnings():
    """The cached encodings are frozen (``writeable=False``).  The Sentence, Model and Compare
    compute functions and the core they call copy them into tensors: ``torch.from_numpy`` and
    ``torch.as_tensor`` shared the read-only buffer and warned "not writable ... undefined
    behavior" (once per process, so this runs in a fresh interpreter with warnings as errors)."""
    import subprocess
    import sys
    code = r"""
import warnings
warnings.simplefilter("error")
import numpy as np, torch
from features.sentence import compute as S
from features.model import compute as M
from features.compare import compute as C
rng = np.random.default_rng(0)
enc = {a: rng.standard_normal((2, 3, 5, 4)).astype(np.float32) for a in ("queries", "keys", "values")}
enc["embeddings"] = rng.standard_normal((5, 8)).astype(np.float32)
enc["tokens"] = np.array(["[CLS]", "a", "b", "c", "[SEP]"], dtype=object)
for v in enc.values():
    v.flags.writeable = False
outs = list(S.qkv(enc, "model", 2, 3)) + list(S.qkv(enc, "embed", 1, 1))
inp = C.sentence_input(enc, 2, 3)
outs += [inp.q, inp.k, inp.v]
for t in outs:
    assert not any(np.shares_memory(t.numpy(), a) for a in enc.values() if a.dtype != object)
assert torch.equal(outs[0], torch.tensor(enc["queries"][1, 2]))
r = M.layer_attention(enc, 1)
ref = torch.softmax(torch.tensor(enc["queries"][1]) @ torch.tensor(enc["keys"][1]).transpose(-1, -2) / 2.0, -1)
assert torch.allclose(r.weights, ref, atol=1e-6)
c = M.counterfactual_layer(enc, 0, {}, ())
assert c.weights.shape == (3, 5, 5)
print("ok")
"""
    root = Path(__file__).resolve().parents[1]
    p = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and p.stdout.strip().endswith("ok"), p.stderr[-2000:]
