"""attention.image_attention (generic grid maths) + figures.image + the Image page's compute and figures.

References: ``attend`` on the full N × N problem, hand-listed neighbours, hand-computed block means.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from attention import attend
from attention.image_attention import (block_mean, block_starts, head_weights, matrix_blocks,
                                       project_queries, sample_patches, top_k)
from attention.scores import init_bilinear
from features.image import compute, figures as F
from features.image.state import Settings
from figures.image import image_overlay

ROOT = Path(__file__).resolve().parent.parent


def feats(n: int, d: int = 8, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def grid_row(q, k, v, i, grid, window=None, **opts):
    """One query row the way the page computes it: ``q[i:i+1]``, the 2-D window centred on cell i."""
    if window is not None:
        opts.update(scope="grid", grid=grid, window=window, positions=torch.tensor([divmod(i, grid[1])]))
    return attend(q[i:i + 1], k, v, **opts)


def full(q, k, v, grid, window=None, **opts):
    """Every query at once: the reference."""
    if window is not None:
        opts.update(scope="grid", grid=grid, window=window)
    return attend(q, k, v, **opts)


# ------------------------------------------------------------------ one row == row of the full matrix
CONFIGS = [
    dict(score="scaled_dot", normalization="soft"),
    dict(score="dot", normalization="hard"),
    dict(score="cosine", normalization="soft", temperature=0.3),
    dict(score="scaled_dot", normalization="soft", window=1),
    dict(score="additive", normalization="soft", window=2, temperature=2.5, heads=2, seed=3),
    dict(score="dot", normalization="hard", window=0),
    dict(score="scaled_dot", normalization="sparsemax", window=1, heads=4),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_one_grid_row_equals_the_full_matrix_row(cfg):
    grid = (5, 7)
    x = feats(35, 8, seed=1)
    q = project_queries(x, "random", seed=2)
    ref = full(q, x, x, grid, **cfg)
    for i in (0, 6, 17, 28, 34):  # corners, an edge, the middle
        row = grid_row(q, x, x, i, grid, **cfg)
        assert row.weights.shape == (cfg.get("heads", 1), 1, 35)
        torch.testing.assert_close(row.weights[:, 0], ref.weights[:, i], rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(row.scores[:, 0], ref.scores[:, i], rtol=1e-5, atol=1e-5)
        assert torch.equal(row.mask.reshape(-1), ref.mask.reshape(-1, 35)[i])


def test_the_2d_window_by_hand_3x4():
    # 3 × 4 grid, row-major:   0  1  2  3
    #                          4  5  6  7
    #                          8  9 10 11
    x = feats(12, 4, seed=3)

    def allowed(i, w=1):
        return set(np.flatnonzero(grid_row(x, x, x, i, (3, 4), window=w).mask.reshape(-1).numpy()).tolist())

    assert allowed(0) == {0, 1, 4, 5}                       # top-left corner
    assert allowed(3) == {2, 3, 6, 7}                       # top-right corner
    assert allowed(5) == {0, 1, 2, 4, 5, 6, 8, 9, 10}       # centre cell (1, 1)
    assert allowed(6) == {1, 2, 3, 5, 6, 7, 9, 10, 11}      # centre cell (1, 2)
    assert allowed(11) == {6, 7, 10, 11}                    # bottom-right corner
    assert allowed(8) == {4, 5, 8, 9}                       # bottom-left corner
    assert allowed(5, 0) == {5} and allowed(0, 3) == set(range(12))
    w = grid_row(x, x, x, 5, (3, 4), window=1).weights[0, 0].numpy()
    assert np.all(w[[3, 7, 11]] == 0) and np.all(w[[0, 1, 2, 4, 5, 6, 8, 9, 10]] > 0)
    assert w.sum() == pytest.approx(1.0, abs=1e-6)


def test_project_queries():
    x = feats(10, 6)
    assert torch.equal(project_queries(x, "identity"), x)
    torch.testing.assert_close(project_queries(x, "random", seed=5),
                               x @ init_bilinear(6, 6, "random", seed=5))
    assert not torch.allclose(project_queries(x, "random", seed=5), project_queries(x, "random", seed=6))
    with pytest.raises(ValueError):
        project_queries(x, "orthogonal")
    with pytest.raises(ValueError):
        project_queries(x, torch.eye(5))


# ------------------------------------------------------------------ downsampling
def test_block_mean_hand_values():
    M = np.arange(16, dtype=float).reshape(4, 4)
    D, rs, cs = block_mean(M, max_size=2)
    assert D.tolist() == [[2.5, 4.5], [10.5, 12.5]]          # (0+1+4+5)/4, (2+3+6+7)/4, ...
    assert rs.tolist() == cs.tolist() == [0, 2]
    # ragged: 5 × 5 in blocks of ceil(5/2) = 3 -> sizes 3 and 2
    M = np.arange(25, dtype=float).reshape(5, 5)
    D, rs, _ = block_mean(M, max_size=2)
    assert rs.tolist() == [0, 3]
    assert D[0, 0] == pytest.approx(np.mean([0, 1, 2, 5, 6, 7, 10, 11, 12]))
    assert D[1, 1] == pytest.approx(np.mean([18, 19, 23, 24]))
    assert D[0, 1] == pytest.approx(np.mean([3, 4, 8, 9, 13, 14]))
    # small matrices come back unchanged
    M = np.random.default_rng(0).random((7, 9))
    assert np.array_equal(block_mean(M, 64)[0], M)


def test_block_starts():
    assert block_starts(4096, 64).tolist() == list(range(0, 4096, 64))
    assert len(block_starts(2752, 64)) <= 64 and len(block_starts(4095, 64)) <= 64
    assert block_starts(10, 64).tolist() == list(range(10))


@pytest.mark.parametrize("cfg", [
    dict(),
    dict(scope="grid", grid=(6, 10), window=2, heads=2, head=1),
    dict(normalization="hard", heads=2, head=None, score="dot"),
    dict(scope="local", window=3),                           # any windowed scope: centres per chunk
    dict(scope="causal"),
], ids=["global", "grid-head1", "hard-mean", "local", "causal"])
def test_matrix_blocks_equals_block_mean_of_full_weights_in_chunks(cfg):
    x = feats(60, 8, seed=4)
    head = cfg.pop("head", None)
    ref = block_mean(head_weights(attend(x, x, x, **cfg).weights, head), max_size=8)[0]
    D, starts = matrix_blocks(x, x, x, head=head, max_size=8, chunk_elems=200, **cfg)
    assert D.shape == ref.shape == (8, 8) and starts.tolist() == list(range(0, 60, 8))
    np.testing.assert_allclose(D, ref, rtol=1e-5, atol=1e-7)


def test_matrix_blocks_of_hard_sampled_shows_the_soft_distribution():
    x = feats(30, 6, seed=9)
    soft = block_mean(attend(x, x, x, temperature=2.0).weights[0].numpy(), 8)[0]
    D, _ = matrix_blocks(x, x, x, normalization="hard_sampled", temperature=2.0, probs=True,
                         max_size=8, chunk_elems=50)
    np.testing.assert_allclose(D, soft, rtol=1e-5, atol=1e-7)


def test_matrix_display_at_4096_patches_is_64x64():
    x = feats(64 * 64, 20, seed=5)
    D, starts = matrix_blocks(x, x, x, scope="grid", grid=(64, 64), window=2)
    assert D.shape == (64, 64) and len(starts) == 64
    widths = np.diff(np.append(starts, 4096))
    np.testing.assert_allclose((D * widths[None, :]).sum(axis=1), 1.0, atol=1e-4)


# ------------------------------------------------------------------ samples, pooling, heads, top-k
def test_samples_match_attends_hard_sampled_for_one_row():
    x = feats(30, 6, seed=6)
    soft = grid_row(x, x, x, 4, (5, 6), temperature=3.0).weights[0, 0]
    got = sample_patches(soft.numpy(), range(10, 18))
    for t, s in enumerate(range(10, 18)):
        hs = grid_row(x, x, x, 4, (5, 6), temperature=3.0, normalization="hard_sampled", seed=s)
        assert int(hs.weights[0, 0].argmax()) == got[t]
        torch.testing.assert_close(hs.probs[0, 0], soft)                # probs = what it draws from
    assert len(set(got.tolist())) > 1                      # T = 3 spreads the draws
    assert sample_patches(np.zeros(5), [0, 1]).tolist() == [-1, -1]


def test_pooling_mean_query_and_patch_query():
    x = feats(20, 5, seed=7) - feats(20, 5, seed=7).mean(0)   # zero-mean columns, like standardized features
    assert torch.count_nonzero(compute.pooling_query(x, "mean")) == 0
    r = attend(compute.pooling_query(x, "mean"), x, x, form="pooling", score="cosine")
    torch.testing.assert_close(r.weights[0, 0], torch.full((20,), 1 / 20))
    r2 = attend(compute.pooling_query(x, 7), x, x, form="pooling", temperature=0.5)
    torch.testing.assert_close(r2.output, r2.weights[0, 0] @ x)
    # the patch query in pooling = the global query row
    torch.testing.assert_close(r2.weights[:, 0], grid_row(x, x, x, 7, (4, 5), temperature=0.5).weights[:, 0])


def test_head_weights_and_top_k():
    x = feats(12, 8, seed=8)
    r = grid_row(x, x, x, 2, (3, 4), heads=2)
    m = head_weights(r.weights, None)[0]
    np.testing.assert_allclose(m, r.weights.mean(0)[0].numpy())
    assert m.sum() == pytest.approx(1.0, abs=1e-6)
    t = top_k(r, 3, head=1)
    w1 = r.weights[1, 0].numpy()
    assert t["index"].tolist() == np.argsort(-w1, kind="stable")[:3].tolist()
    np.testing.assert_allclose(t["weight"], np.sort(w1)[::-1][:3], rtol=1e-6)
    hs = grid_row(x, x, x, 2, (3, 4), normalization="hard_sampled", seed=1)
    tp = top_k(hs, 3, probs=True)                          # ranks the soft p, not the one-hot draw
    p = hs.probs[0, 0].numpy()
    assert tp["index"].tolist() == np.argsort(-p, kind="stable")[:3].tolist()
    np.testing.assert_allclose(tp["weights"][0], np.sort(p)[::-1][:3], rtol=1e-6)


# ------------------------------------------------------------------ figures
def tiny_bundle(patch: int = 16, size=(96, 64)) -> dict:
    a = np.zeros((size[1], size[0], 3), np.uint8)
    a[:, : size[0] // 2] = (200, 30, 30)
    a[size[1] // 2:, :] += np.uint8(40)
    a[::7, ::5] = (10, 200, 90)
    return compute.build_bundle(Image.fromarray(a), patch)


def test_overlay_figure_values_scope_and_click_targets():
    b = tiny_bundle()
    gh, gw = b["grid"]
    vals = np.linspace(0, 1, gh * gw, dtype=np.float32)
    m = np.ones(gh * gw, bool)
    m[3] = False
    fig = image_overlay(b["uri"], (gh, gw), 16, vals, scope_mask=m, query=(1, 2), argmax=(0, 0),
                        samples=[(1, 1, 3)])
    img, hm = fig.data[0], fig.data[1]
    assert img.type == "image" and img.source.startswith("data:image/jpeg;base64,") and img.z is None
    z = np.asarray(hm.z)
    assert z.shape == (gh, gw) and np.isnan(z.reshape(-1)[3])
    np.testing.assert_allclose(np.delete(z.reshape(-1), 3), np.delete(vals, 3))
    click = fig.data[-1]
    assert click.name == "patches" and click.marker.opacity == 0 and len(click.x) == gh * gw
    assert set(map(int, click.x)) == set(range(gw)) and set(map(int, click.y)) == set(range(gh))
    assert list(fig.layout.yaxis.range) == [gh - 0.5, -0.5]


def test_window_outline_is_the_scope_attend_built():
    x = feats(5 * 7, 4, seed=2)
    for i, w, box in ((0, 1, (0, 1, 0, 1)), (17, 1, (1, 3, 2, 4)), (34, 2, (2, 4, 4, 6)), (17, 9, (0, 4, 0, 6))):
        m = grid_row(x, x, x, i, (5, 7), window=w).mask.reshape(-1).numpy()
        assert F.scope_bounds(m, (5, 7)) == box                   # clipped at the borders, by hand
    b = tiny_bundle(patch=64)                                       # 96 × 64 px -> 512 × 320: 5 × 8 patches
    assert b["grid"] == (5, 8)
    v = compute.query_view(b, Settings(scope="grid", window=1), 0, 7)
    fig = F.overlay(b["uri"], b["grid"], 64, v.values, v.in_scope, index=v.index, argmax=v.argmax,
                    samples=v.samples, windowed=True, title="t", colorscale="Viridis", opacity=0.7)
    rect = fig.layout.shapes[0]
    assert (rect.x0, rect.x1, rect.y0, rect.y1) == (5.5, 7.5, -0.5, 1.5) and rect.line.dash == "dash"


# ------------------------------------------------------------------ the page's compute
SETTINGS = [Settings(), Settings(normalization="hard", score="dot"),
            Settings(scope="grid", window=2, temperature=0.4, W_a="random", seed=3),
            Settings(normalization="hard_sampled", heads=4, head=2, score="cosine"),
            Settings(normalization="sparsemax", heads=2, head=None, scope="grid", window=1)]


@pytest.mark.parametrize("s", SETTINGS, ids=lambda s: f"{s.normalization}-{s.scope}-{s.score}")
def test_query_view_equals_the_full_matrix_row(s):
    b = tiny_bundle(patch=32)                                 # 96 × 64 px -> 512 × 352: 11 × 16 patches
    gh, gw = b["grid"]
    x = torch.from_numpy(b["features"].copy())
    q = project_queries(x, s.W_a, s.seed)
    ref = full(q, x, x, (gh, gw), window=s.window if s.scope == "grid" else None, score=s.score,
               normalization=s.normalization, temperature=s.temperature, heads=s.heads, seed=s.seed)
    shown = ref.probs if s.normalization == "hard_sampled" else ref.weights
    for r, c in ((0, 0), (3, 5), (gh - 1, gw - 1)):
        v = compute.query_view(b, s, r, c)
        want = head_weights(shown, s.head)[r * gw + c]
        np.testing.assert_allclose(v.values, want, rtol=1e-5, atol=1e-7)
        fig = F.overlay(b["uri"], b["grid"], 8, v.values, v.in_scope, index=v.index, argmax=v.argmax,
                        samples=v.samples, windowed=s.scope == "grid", title="", colorscale="Viridis",
                        opacity=0.7)
        z = np.asarray(fig.data[1].z, dtype=float).reshape(-1)
        np.testing.assert_allclose(z, np.where(v.in_scope, want, np.nan), rtol=1e-5, atol=1e-7)
        if s.normalization == "hard_sampled":
            assert v.samples.tolist() == sample_patches(want, range(s.seed, s.seed + 8)).tolist()


def test_matrix_view_is_the_block_mean_of_the_full_matrix():
    b = tiny_bundle(patch=16)
    pic = compute.Picture("sample", "tiny", "test:tiny", Image.new("RGB", (1, 1)))
    s = Settings(view="matrix", scope="grid", window=2, heads=2, head=1)
    x = torch.from_numpy(b["features"].copy())
    ref = block_mean(head_weights(full(x, x, x, b["grid"], window=2, heads=2).weights, 1), 64)[0]
    D, _ = compute.matrix(pic, b, s)
    np.testing.assert_allclose(D, ref, rtol=1e-5, atol=1e-8)


def test_check_table_recomputes_weights_by_hand():
    b = tiny_bundle(patch=8)
    s = Settings(temperature=0.7)
    v = compute.query_view(b, s, 2, 3)
    cols, how = compute.check_table(v, s, b["grid"])
    Z = float(how.split("Z = Σ_(j∈S) exp((e_j − e_max)/T) = ")[1])
    np.testing.assert_allclose(np.exp(cols["(e − e_max)/T"]) / Z, cols["α"], rtol=1e-4)


def test_core_module_imports_neither_streamlit_nor_plotly():
    code = ("import sys, attention.image_attention; "
            "print(any(m.split('.')[0] in ('streamlit', 'plotly') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
