"""attention.attend against references: torch SDPA, hand computation, properties."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

import attention
from attention import attend
from attention import masks as M
from attention import normalize as N

torch.manual_seed(0)


# ------------------------------------------------------------------ SDPA reference
@pytest.mark.parametrize("H,nq,nk,d,dv", [(1, 1, 1, 1, 1), (1, 3, 3, 2, 2), (2, 5, 7, 8, 4),
                                          (12, 16, 16, 32, 32), (4, 33, 9, 16, 8)])
def test_default_equals_sdpa(H, nq, nk, d, dv):
    g = torch.Generator().manual_seed(H * 100 + nq)
    q, k = torch.randn(H, nq, d, generator=g), torch.randn(H, nk, d, generator=g)
    v = torch.randn(H, nk, dv, generator=g)
    r = attend(q, k, v)
    ref = F.scaled_dot_product_attention(q, k, v)
    assert torch.allclose(r.output, ref, atol=1e-5)
    # weights: softmax(QK^T/sqrt(d)) -- SDPA's own math, written out
    w_ref = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d), -1)
    assert torch.allclose(r.weights, w_ref, atol=1e-6)
    assert r.weights.shape == (H, nq, nk)


@pytest.mark.parametrize("seed", range(4))
def test_masked_equals_sdpa(seed):
    g = torch.Generator().manual_seed(seed)
    H, nq, nk, d = 3, 6, 9, 8
    q, k, v = torch.randn(H, nq, d, generator=g), torch.randn(H, nk, d, generator=g), torch.randn(H, nk, d, generator=g)
    mask = torch.rand(nq, nk, generator=g) > 0.4
    mask[:, 0] = True  # no empty rows: SDPA's behaviour there differs by backend
    r = attend(q, k, v, mask=mask)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert torch.allclose(r.output, ref, atol=1e-5)
    assert (r.weights[:, ~mask] == 0).all()


@pytest.mark.parametrize("w", [0, 1, 3])
def test_local_and_causal_equal_sdpa_with_same_mask(w):
    g = torch.Generator().manual_seed(w)
    q, k, v = (torch.randn(2, 10, 4, generator=g) for _ in range(3))
    r = attend(q, k, v, scope="local", window=w)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=M.local_mask(10, 10, w))
    assert torch.allclose(r.output, ref, atol=1e-5)
    r = attend(q, k, v, scope="causal")
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert torch.allclose(r.output, ref, atol=1e-5)


def test_heads_split_equals_sdpa_on_split_tensors():
    g = torch.Generator().manual_seed(7)
    n, d, h = 6, 12, 3
    x_q, x_k, x_v = (torch.randn(n, d, generator=g) for _ in range(3))
    r = attend(x_q, x_k, x_v, heads=h)
    split = lambda x: x.view(n, h, d // h).transpose(0, 1)
    ref = F.scaled_dot_product_attention(split(x_q), split(x_k), split(x_v))
    assert r.weights.shape == (h, n, n)
    assert torch.allclose(r.output, ref.transpose(0, 1).reshape(n, d), atol=1e-5)


# ------------------------------------------------------------------ hand computation
def test_three_tokens_by_hand():
    """X = [[1,0],[0,1],[1,1]], self-attention, dot score, W_a = I.

    scores = X X^T = [[1,0,1],[0,1,1],[1,1,2]]
    row 0: softmax([1,0,1]) = [e, 1, e] / (2e + 1)
    row 2: softmax([1,1,2]) = [1, 1, e] / (2 + e)
    output row 0 = (e*[1,0] + 1*[0,1] + e*[1,1]) / (2e+1) = [2e, e+1] / (2e+1)
    """
    X = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    e = math.e
    r = attend(X, form="self", score="dot")
    assert torch.allclose(r.scores[0], torch.tensor([[1.0, 0, 1], [0, 1, 1], [1, 1, 2]]))
    assert torch.allclose(r.weights[0, 0], torch.tensor([e, 1, e]) / (2 * e + 1), atol=1e-6)
    assert torch.allclose(r.weights[0, 1], torch.tensor([1, e, e]) / (2 * e + 1), atol=1e-6)
    assert torch.allclose(r.weights[0, 2], torch.tensor([1, 1, e]) / (2 + e), atol=1e-6)
    assert torch.allclose(r.output[0], torch.tensor([2 * e, e + 1]) / (2 * e + 1), atol=1e-6)
    # general with W_a = I is the same as dot
    r2 = attend(X, form="self", score="general", W_a=torch.eye(2))
    assert torch.allclose(r2.weights, r.weights)
    # hard: one-hot at the arg-max, first on ties (row 0: keys 0 and 2 tie -> 0)
    h = attend(X, form="self", score="dot", normalization="hard")
    assert h.weights[0].tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    # local w=0: each token sees only itself -> identity weights, output = X
    loc = attend(X, form="self", score="dot", scope="local", window=0)
    assert torch.equal(loc.weights[0], torch.eye(3))
    assert torch.allclose(loc.output, X)
    # temperature 2 halves the scores before softmax
    t = attend(X, form="self", score="dot", temperature=2.0)
    assert torch.allclose(t.weights[0, 2], torch.softmax(torch.tensor([0.5, 0.5, 1.0]), 0), atol=1e-6)


def test_pooling_is_the_tutorial_formula():
    """One query q over inputs x_i: e_i = q.x_i, alpha = softmax(e), c = sum alpha_i x_i."""
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    q = torch.tensor([2.0, 0.0])
    r = attend(q, x, form="pooling", score="dot")
    e = torch.tensor([2.0, 0.0, 2.0])
    a = torch.exp(e) / torch.exp(e).sum()
    assert r.weights.shape == (1, 1, 3)
    assert torch.allclose(r.weights[0, 0], a)
    assert torch.allclose(r.output, (a[:, None] * x).sum(0))
    assert r.output.shape == (2,)


def test_additive_by_hand():
    q = torch.tensor([[1.0, 2.0]])
    k = torch.tensor([[0.5, -1.0], [2.0, 0.0]])
    W1 = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    W2 = torch.tensor([[0.0, 1.0], [1.0, 0.0], [1.0, -1.0]])
    v = torch.tensor([1.0, -1.0, 0.5])
    r = attend(q, k, score="additive", additive=(W1, W2, v))
    for j in range(2):
        expect = (v * torch.tanh(W1 @ q[0] + W2 @ k[j])).sum()
        assert torch.isclose(r.scores[0, 0, j], expect, atol=1e-6)


def test_cosine_and_scaled_dot_scores():
    q = torch.tensor([[3.0, 4.0]])
    k = torch.tensor([[3.0, 4.0], [-4.0, 3.0], [0.0, 0.0]])
    r = attend(q, k, score="cosine")
    assert torch.allclose(r.scores[0, 0], torch.tensor([1.0, 0.0, 0.0]), atol=1e-6)
    r = attend(q, k, score="scaled_dot")
    assert torch.allclose(r.scores[0, 0], torch.tensor([25.0, 0.0, 0.0]) / math.sqrt(2), atol=1e-5)


def test_sparsemax_by_hand():
    # z = [1, 0.5, -1]: support {0, 1}: tau = (1 + 0.5 - 1) / 2 = 0.25 -> [0.75, 0.25, 0]
    w = N.sparsemax(torch.tensor([[[1.0, 0.5, -1.0]]]))
    assert torch.allclose(w, torch.tensor([[[0.75, 0.25, 0.0]]]))
    # one dominant score -> one-hot
    w = N.sparsemax(torch.tensor([[[5.0, 1.0, 0.0]]]))
    assert torch.equal(w, torch.tensor([[[1.0, 0.0, 0.0]]]))


def test_hard_sampled_is_seeded_and_follows_the_distribution():
    e = torch.tensor([[[math.log(0.7), math.log(0.2), math.log(0.1)]]]).expand(1, 4000, 3)
    a = N.hard_sampled(e, seed=3)
    b = N.hard_sampled(e, seed=3)
    assert torch.equal(a, b)
    assert not torch.equal(a, N.hard_sampled(e, seed=4))
    freq = a[0].mean(0)
    assert torch.allclose(freq, torch.tensor([0.7, 0.2, 0.1]), atol=0.03)
    assert (a.sum(-1) == 1).all()


def test_local_p_is_luong():
    """local-p: softmax inside [p-D, p+D], times exp(-(s-p)^2 / (2 (D/2)^2))."""
    g = torch.Generator().manual_seed(1)
    q, k = torch.randn(4, 6, generator=g), torch.randn(9, 6, generator=g)
    pos = torch.tensor([0.0, 2.5, 4.0, 8.0])
    D = 2
    r = attend(q, k, scope="local_p", window=D, positions=pos)
    e = (q @ k.T) / math.sqrt(6)
    s = torch.arange(9.0)
    for t in range(4):
        inside = (s - pos[t]).abs() <= D
        align = torch.zeros(9)
        align[inside] = torch.softmax(e[t][inside], 0)
        expect = align * torch.exp(-(s - pos[t]) ** 2 / (2 * (D / 2) ** 2))
        assert torch.allclose(r.weights[0, t], expect, atol=1e-6)
    assert torch.equal(r.positions, pos)
    # predicted positions lie in [0, n_key - 1]
    r = attend(q, k, scope="local_p", window=1)
    assert ((r.positions >= 0) & (r.positions <= 8)).all()


def test_grid_mask_by_hand():
    # 3 x 4 grid, radius 1: corner (0,0) = index 0 sees (0,0),(0,1),(1,0),(1,1) = 0,1,4,5
    m = M.grid_mask((3, 4), 1)
    assert m[0].nonzero().flatten().tolist() == [0, 1, 4, 5]
    # centre (1,1) = index 5 sees rows 0..2, cols 0..2
    assert m[5].nonzero().flatten().tolist() == [0, 1, 2, 4, 5, 6, 8, 9, 10]
    # right edge (1,3) = index 7: cols 2..3 -> 2,3,6,7,10,11 (no wrap-around to the next row)
    assert m[7].nonzero().flatten().tolist() == [2, 3, 6, 7, 10, 11]
    X = torch.randn(12, 4)
    r = attend(X, form="self", scope="grid", grid=(3, 4), window=1)
    assert (r.weights[0][~m] == 0).all()


def test_empty_scope_rows_are_zero_not_nan():
    # causal with more queries than keys: query 0 of 5 vs 3 keys is fine, but a local
    # window that misses the short key sequence leaves rows 5.. empty
    q, k = torch.randn(8, 4), torch.randn(3, 4)
    for norm in attention.NORMALIZATIONS:
        r = attend(q, k, scope="local", window=1, normalization=norm)
        assert torch.isfinite(r.weights).all() and torch.isfinite(r.output).all()
        assert (r.weights[0, 4:] == 0).all()          # |i - j| <= 1 impossible for i >= 4
        assert (r.output[4:] == 0).all()
        assert torch.allclose(r.weights[0, :4].sum(-1), torch.ones(4))
    r = attend(q, k, mask=torch.zeros(8, 3, dtype=torch.bool))
    assert (r.weights == 0).all() and (r.output == 0).all()


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize("kwargs,words", [
    (dict(score="bilinear"), ["score", "dot", "scaled_dot", "general", "additive", "cosine"]),
    (dict(scope="window"), ["scope", "global", "local"]),
    (dict(normalization="softer"), ["normalization", "soft", "hard", "sparsemax"]),
    (dict(form="both"), ["form", "self", "pooling", "cross"]),
    (dict(scope="local", window=-1), ["window", ">= 0"]),
    (dict(scope="local"), ["window", "required"]),
    (dict(window=2), ["window", "local"]),
    (dict(temperature=0), ["temperature", "> 0"]),
    (dict(temperature=-1.0), ["temperature"]),
    (dict(temperature=float("nan")), ["temperature"]),
    (dict(heads=5), ["heads", "divide"]),
    (dict(heads=0), ["heads", ">= 1"]),
    (dict(scope="grid", window=1), ["grid"]),
    (dict(W_a=torch.eye(4)), ["W_a", "general"]),
])
def test_invalid_options_name_the_option(kwargs, words):
    q = torch.randn(3, 4)
    with pytest.raises(ValueError) as e:
        attend(q, q, **kwargs)
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_invalid_shapes():
    with pytest.raises(ValueError, match="same size"):
        attend(torch.randn(3, 4), torch.randn(3, 5))
    with pytest.raises(ValueError, match="same length"):
        attend(torch.randn(3, 4), torch.randn(3, 4), torch.randn(2, 4))
    with pytest.raises(ValueError, match="NaN"):
        attend(torch.tensor([[float("nan"), 1.0]]), torch.randn(2, 2))
    with pytest.raises(ValueError, match="empty"):
        attend(torch.randn(0, 4), torch.randn(3, 4))
    with pytest.raises(ValueError, match=r"W_a must have shape \(4, 4\)"):
        attend(torch.randn(3, 4), torch.randn(3, 4), score="general", W_a=torch.eye(3))
    with pytest.raises(ValueError, match="pooling"):
        attend(torch.randn(4), torch.randn(3, 4))


def test_result_is_frozen():
    r = attend(torch.randn(2, 2), torch.randn(2, 2))
    with pytest.raises(Exception):
        r.weights = None


# ------------------------------------------------------------------ properties
dims = st.integers(1, 6)
sizes = st.integers(1, 24)
vals = st.floats(-50, 50, allow_nan=False, width=32)


@st.composite
def problems(draw):
    nq, nk, d = draw(sizes), draw(sizes), draw(dims)
    seed = draw(st.integers(0, 2**31 - 1))
    scale = draw(st.sampled_from([1e-3, 1.0, 10.0, 100.0]))
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(nq, d, generator=g) * scale
    k = torch.randn(nk, d, generator=g) * scale
    return q, k


SCOPES = st.sampled_from(["global", "local", "causal", "local_p"])
SCORES = st.sampled_from(list(attention.SCORES))
TEMPS = st.sampled_from([1e-6, 0.01, 0.5, 1.0, 3.0, 1e4])


def _run(q, k, scope, w, score, norm, T, seed=0):
    kw = dict(scope=scope, score=score, normalization=norm, temperature=T, seed=seed)
    if attention.masks.windowed(scope):
        kw["window"] = w
    if score == "location":          # the previous alignment and filters (d_a defaults to d_q)
        g = torch.Generator().manual_seed(seed + 1)
        prev = torch.softmax(torch.randn(1, q.shape[0], k.shape[0], generator=g), -1)
        kw["location"] = (prev, torch.randn(3, 5, generator=g), torch.randn(q.shape[1], 3, generator=g))
    return attend(q, k, **kw)


@settings(max_examples=250, deadline=None)
@given(problems(), SCOPES, st.integers(0, 30), SCORES, TEMPS)
def test_prop_soft_rows_sum_to_one_or_zero_and_respect_scope(qk, scope, w, score, T):
    q, k = qk
    r = _run(q, k, scope, w, score, "soft", T)
    assert torch.isfinite(r.weights).all() and torch.isfinite(r.output).all()
    assert (r.weights >= 0).all()
    assert (r.weights[0][~r.mask] == 0).all()                      # nothing outside the scope
    sums = r.weights[0].sum(-1)
    nonempty = r.mask.any(-1)
    if scope == "local_p":                                          # Luong: times a Gaussian <= 1
        assert (sums <= 1 + 1e-5).all()
    else:
        assert torch.allclose(sums[nonempty], torch.ones_like(sums[nonempty]), atol=1e-5)
    assert (sums[~nonempty] == 0).all()


@settings(max_examples=250, deadline=None)
@given(problems(), SCOPES, st.integers(0, 30), SCORES,
       st.sampled_from(["hard", "hard_sampled"]), TEMPS, st.integers(0, 1000))
def test_prop_hard_rows_are_one_hot_inside_the_scope(qk, scope, w, score, norm, T, seed):
    q, k = qk
    r = _run(q, k, scope, w, score, norm, T, seed)
    wts = r.weights[0] if scope != "local_p" else (r.weights[0] > 0).to(r.weights.dtype)
    nonempty = r.mask.any(-1)
    assert torch.isfinite(r.weights).all()
    assert ((wts == 0) | (wts == 1)).all()
    assert (wts.sum(-1)[nonempty] == 1).all() or scope == "local_p"
    assert (wts.sum(-1)[~nonempty] == 0).all()
    assert (r.weights[0][~r.mask] == 0).all()
    if norm == "hard" and scope != "local_p":
        # the chosen key has the largest score in scope
        e = r.scores[0].masked_fill(~r.mask, -float("inf"))
        j = wts.argmax(-1)
        rows = nonempty.nonzero().flatten()
        assert torch.equal(e[rows, j[rows]], e[rows].amax(-1))


@settings(max_examples=250, deadline=None)
@given(problems(), SCOPES, st.integers(0, 30), SCORES, TEMPS)
def test_prop_sparsemax_is_a_distribution_in_scope(qk, scope, w, score, T):
    q, k = qk
    r = _run(q, k, scope, w, score, "sparsemax", T)
    assert torch.isfinite(r.weights).all()
    assert (r.weights >= 0).all()
    assert (r.weights[0][~r.mask] == 0).all()
    nonempty = r.mask.any(-1)
    if scope != "local_p":
        s = r.weights[0].sum(-1)
        assert torch.allclose(s[nonempty], torch.ones_like(s[nonempty]), atol=1e-4)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(0, 45))
def test_prop_local_mask_is_band(nq, nk, w):
    m = M.local_mask(nq, nk, w)
    for i in range(nq):
        for j in range(nk):
            assert bool(m[i, j]) == (abs(i - j) <= w)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 8), st.integers(1, 8), st.integers(0, 9))
def test_prop_grid_mask_is_chebyshev(h, w, r):
    m = M.grid_mask((h, w), r)
    idx = torch.arange(h * w)
    rr, cc = idx // w, idx % w
    expect = ((rr[:, None] - rr[None]).abs() <= r) & ((cc[:, None] - cc[None]).abs() <= r)
    assert torch.equal(m, expect)
    assert torch.equal(m, m.T)


# ------------------------------------------------------------------ banded local attention
@settings(max_examples=200, deadline=None)
@given(st.integers(1, 150), st.integers(0, 160), st.integers(1, 3), st.sampled_from([0.3, 1.0, 4.0]),
       st.integers(0, 2**31 - 1))
def test_prop_banded_local_equals_dense_local(n, w, H, T, seed):
    from attention.local import local_attention
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(H, n, 8, generator=g) for _ in range(3))
    dense = attend(q, k, v, scope="local", window=w, temperature=T)
    band = local_attention(q, k, v, w, temperature=T)
    assert torch.allclose(band.output, dense.output, atol=1e-5)
    assert torch.allclose(band.dense(), dense.weights, atol=1e-6)
    assert band.band.shape == (H, n, 2 * min(w, n - 1) + 1)      # O(n * w) memory, never n x n
    assert torch.allclose(band.band.sum(-1), torch.ones(H, n), atol=1e-5)


def test_banded_local_rejects_bad_options():
    from attention.local import local_attention
    q = torch.randn(1, 4, 2)
    with pytest.raises(ValueError, match="window"):
        local_attention(q, q, q, -1)
    with pytest.raises(ValueError, match="temperature"):
        local_attention(q, q, q, 1, temperature=0)


# ---------------------------------------------------------------- edge cases (issue 11)
def test_float32_overflowing_scores_are_computed_in_float64_not_nan():
    X = torch.full((3, 4), 1e19)                         # x.x = 4e38 > float32 max
    for norm in ("soft", "hard", "hard_sampled", "sparsemax"):
        r = attend(X, form="self", score="dot", normalization=norm)
        assert r.weights.dtype == torch.float64
        assert torch.isfinite(r.weights).all() and torch.isfinite(r.output).all()
        assert torch.allclose(r.weights.sum(-1), torch.ones(1, 3, dtype=torch.float64))
    # equal rows -> equal scores -> uniform soft weights (the true answer, by hand)
    assert torch.allclose(attend(X, form="self", score="dot").weights,
                          torch.full((1, 3, 3), 1 / 3, dtype=torch.float64))


def test_cosine_of_tiny_vectors_is_the_cosine():
    X = torch.tensor([[3e-9, 4e-9], [4e-9, 3e-9]], dtype=torch.float64)
    e = attend(X, form="self", score="cosine").scores[0]
    # by hand: (3*4 + 4*3) / (5 * 5) = 0.96; each vector with itself: 1
    assert torch.allclose(e, torch.tensor([[1.0, 0.96], [0.96, 1.0]], dtype=torch.float64))
    Z = torch.tensor([[0.0, 0.0], [1e-30, 0.0]], dtype=torch.float32)
    e = attend(Z, form="self", score="cosine").scores[0]
    assert e[0].abs().max() == 0 and e[1, 1] == pytest.approx(1.0)   # only an exact zero falls back


def test_local_p_window_zero_picks_the_rounded_centre():
    q = torch.randn(4, 3, generator=torch.Generator().manual_seed(1))
    k = torch.randn(7, 3, generator=torch.Generator().manual_seed(2))
    p = torch.tensor([0.4, 2.6, 3.5, 6.0])
    r = attend(q, k, scope="local_p", window=0, positions=p)
    assert torch.equal(r.positions, torch.round(p))
    assert torch.allclose(r.weights[0].sum(-1), torch.ones(4))        # never an empty row
    assert r.weights[0].argmax(-1).tolist() == [0, 3, 4, 6]           # round half to even: 3.5 -> 4


def test_pooling_with_local_scope_is_centred_on_the_given_position_and_says_so():
    k = torch.randn(8, 4, generator=torch.Generator().manual_seed(3))
    q = k[5]
    r = attend(q, k, form="pooling", scope="local", window=2, positions=torch.tensor([5]))
    assert r.mask.reshape(-1).tolist() == [j in (3, 4, 5, 6, 7) for j in range(8)]
    full = attend(k, k, scope="local", window=2)                       # row 5 of self-attention
    assert torch.allclose(r.weights[0, 0], full.weights[0, 5], atol=1e-6)
    assert "local (w=2) at 5" in r.describe()
    with pytest.raises(ValueError, match="positions"):
        attend(q, k, form="pooling", scope="local", window=2)


def test_batched_positions_match_one_row_at_a_time():
    g = torch.Generator().manual_seed(4)
    q, k = torch.randn(3, 1, 5, generator=g), torch.randn(3, 9, 5, generator=g)
    p = torch.tensor([[1.3], [4.0], [7.9]])
    r = attend(q, k, scope="local_p", window=2, positions=p)          # batch on the leading axis
    for b in range(3):
        one = attend(q[b], k[b], scope="local_p", window=2, positions=p[b])
        assert torch.allclose(r.weights[b], one.weights[0], atol=1e-6)
        # by hand: zero outside |s - p| <= 2, Gaussian factor exp(-(s-p)^2 / (2 * 1^2)) inside
        s = torch.arange(9.0)
        inside = (s - p[b]).abs() <= 2
        assert (r.weights[b, 0][~inside] == 0).all()
        soft = torch.softmax((q[b] @ k[b].T / 5 ** 0.5)[0].masked_fill(~inside, -1e30), -1)
        assert torch.allclose(r.weights[b, 0], soft * torch.exp(-(s - p[b]) ** 2 / 2) * inside, atol=1e-6)


def test_grid_local_p_two_d_gaussian_by_hand():
    k = torch.zeros(12, 2)                                             # equal scores: softmax is uniform
    r = attend(torch.zeros(1, 2), k, scope="local_p", window=2, grid=(3, 4),
               positions=torch.tensor([[1.0, 1.0]]))
    cells = [(i // 4, i % 4) for i in range(12)]
    inside = [max(abs(a - 1), abs(b - 1)) <= 2 for a, b in cells]
    n_in = sum(inside)
    want = [(1 / n_in) * math.exp(-((a - 1) ** 2 + (b - 1) ** 2) / 2) if ok else 0.0
            for (a, b), ok in zip(cells, inside)]
    assert torch.allclose(r.weights[0, 0], torch.tensor(want), atol=1e-6)


def test_hard_results_carry_the_soft_distribution_they_pick_from():
    g = torch.Generator().manual_seed(5)
    q, k = torch.randn(4, 3, generator=g), torch.randn(6, 3, generator=g)
    soft = attend(q, k, temperature=0.7).weights
    for norm in ("hard", "hard_sampled"):
        r = attend(q, k, normalization=norm, temperature=0.7, seed=3)
        assert torch.allclose(r.probs, soft)
        assert ((r.weights == 0) | (r.weights == 1)).all() and (r.weights.sum(-1) == 1).all()
    assert attend(q, k).probs is None


# ---------------------------------------------------------------- location-aware score
def test_location_score_matches_chorowski_by_hand():
    """e_ij = v^T tanh(W1 q_i + W2 k_j + U f_ij), f_i = F * alpha_{i-1}: an explicit loop over
    the convolution (zero padding, centred filters) gives the same scores and weights."""
    g = torch.Generator().manual_seed(3)
    nq, nk, d, d_a, n_f, r = 2, 7, 4, 5, 3, 3
    q, k = torch.randn(nq, d, generator=g), torch.randn(nk, d, generator=g)
    W1, W2, v = torch.randn(d_a, d, generator=g), torch.randn(d_a, d, generator=g), torch.randn(d_a, generator=g)
    prev = torch.softmax(torch.randn(1, nq, nk, generator=g), -1)
    F_, U = torch.randn(n_f, r, generator=g), torch.randn(d_a, n_f, generator=g)
    res = attend(q, k, score="location", additive=(W1, W2, v), location=(prev, F_, U))
    want = torch.zeros(nq, nk)
    for i in range(nq):
        for j in range(nk):
            f = torch.zeros(n_f)
            for m in range(n_f):
                for o in range(r):
                    jj = j + o - r // 2
                    if 0 <= jj < nk:
                        f[m] += F_[m, o] * prev[0, i, jj]
            want[i, j] = v @ torch.tanh(W1 @ q[i] + W2 @ k[j] + U @ f)
    torch.testing.assert_close(res.scores[0], want, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(res.weights[0], torch.softmax(want, -1), atol=1e-6, rtol=1e-5)
    # with no previous alignment it is Bahdanau's additive score
    zero = attend(q, k, score="location", additive=(W1, W2, v), location=(torch.zeros_like(prev), F_, U))
    add = attend(q, k, score="additive", additive=(W1, W2, v))
    torch.testing.assert_close(zero.scores, add.scores)


def test_each_parameter_belongs_to_its_score_or_scope():
    q = torch.randn(3, 4)
    with pytest.raises(ValueError, match="W_a only applies to score='general'; got score='dot'"):
        attend(q, q, score="dot", W_a="random")
    with pytest.raises(ValueError, match="additive only applies to score='additive' or score='location'"):
        attend(q, q, score="general", additive=(torch.eye(4), torch.eye(4), torch.ones(4)))
    with pytest.raises(ValueError, match="local_p only applies to scope='local_p'"):
        attend(q, q, scope="local", window=1, local_p=(torch.eye(4), torch.ones(4)))
    with pytest.raises(ValueError, match="unknown attention option 'bogus'"):
        attend(q, q, bogus=1)
    with pytest.raises(ValueError, match="needs location="):
        attend(q, q, score="location")


def test_read_only_arrays_are_copied_not_shared_and_give_the_same_result():
    """A read-only NumPy array (a cached, frozen input) is copied before torch sees it: torch
    warns that it cannot protect such an array, and a shared one could be written through."""
    from attention.functional import _as_tensor
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    ro = x.copy()
    ro.flags.writeable = False
    t = _as_tensor("query", ro)
    assert t.data_ptr() != ro.ctypes.data and torch.equal(t, torch.from_numpy(x))
    assert _as_tensor("query", x).data_ptr() == x.ctypes.data          # a writable one is shared
    assert torch.equal(attend(ro, ro, ro).output, attend(x, x, x).output)


def test_core_functions_copy_read_only_arrays_instead_of_sharing_them():
    """``attention.arrays.as_tensor`` copies a read-only (cached, frozen) NumPy array and shares
    a writable one; the Model page's whole-model views (``explore.all_weights``, ``head_stats``)
    go through it.  torch warns "not writable" once per process, so the calls run in a fresh
    interpreter with warnings as errors; the old ``torch.as_tensor`` calls fail it."""
    import subprocess
    import sys
    from pathlib import Path
    from attention.arrays import as_tensor
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    ro = x.copy()
    ro.flags.writeable = False
    assert not np.shares_memory(as_tensor(ro).numpy(), ro) and np.shares_memory(as_tensor(x).numpy(), x)
    assert as_tensor(ro, torch.float64).dtype == torch.float64 and torch.equal(as_tensor(ro), torch.tensor(x))
    code = r"""
import warnings
warnings.simplefilter("error")
import numpy as np, torch
from attention import explore as X
from attention.metrics import head_stats
rng = np.random.default_rng(0)
q, k = (rng.standard_normal((2, 3, 5, 4)).astype(np.float32) for _ in range(2))
special = np.array([True, False, False, False, True])
for a in (q, k, special):
    a.flags.writeable = False
w = X.all_weights(q, k)
ref = torch.softmax(torch.tensor(q) @ torch.tensor(k).transpose(-1, -2) / 2.0, -1)
assert torch.allclose(w, ref, atol=1e-6)
head_stats(w, special, k=2)
X.segment_mass(w.numpy(), special.astype(int))
print("ok")
"""
    root = Path(__file__).resolve().parents[1]
    p = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and p.stdout.strip().endswith("ok"), p.stderr[-2000:]
