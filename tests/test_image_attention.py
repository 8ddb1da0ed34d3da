"""attention.image_attention + figures.image + the pure half of dashboard.image_view.

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
from attention.image import image_to_bytes, sample_images
from attention.image_attention import (block_mean, block_starts, full_attention, head_weights,
                                       matrix_blocks, pooling_attention, pooling_query,
                                       project_queries, query_attention, sample_patches, top_k,
                                       window_bounds, window_row)
from attention.masks import grid_mask
from attention.scores import init_bilinear
from dashboard import image_view as V
from figures.image import image_overlay

ROOT = Path(__file__).resolve().parent.parent


def feats(n: int, d: int = 8, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


# ------------------------------------------------------------------ one row == row of the full matrix
CONFIGS = [
    dict(score="scaled_dot", normalization="soft"),
    dict(score="dot", normalization="hard"),
    dict(score="cosine", normalization="soft", temperature=0.3),
    dict(score="scaled_dot", normalization="soft", scope="window", radius=1),
    dict(score="additive", normalization="soft", scope="window", radius=2, temperature=2.5, heads=2, seed=3),
    dict(score="dot", normalization="hard", scope="window", radius=0),
    dict(score="scaled_dot", normalization="sparsemax", scope="window", radius=1, heads=4),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_query_row_equals_full_matrix_row(cfg):
    grid = (5, 7)
    x = feats(35, 8, seed=1)
    q = project_queries(x, "random", seed=2)
    full = full_attention(q, x, x, grid=grid, **cfg)
    for i in (0, 6, 17, 28, 34):  # corners, an edge, the middle
        row = query_attention(q, x, x, i, grid=grid, **cfg)
        assert row.weights.shape == (cfg.get("heads", 1), 1, 35)
        torch.testing.assert_close(row.weights[:, 0], full.weights[:, i], rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(row.scores[:, 0], full.scores[:, i], rtol=1e-5, atol=1e-5)
        assert torch.equal(row.mask.reshape(-1), full.mask[i])


def test_window_full_matrix_is_attends_grid_scope():
    x = feats(12, 4)
    a = full_attention(x, x, x, grid=(3, 4), scope="window", radius=1)
    b = attend(x, x, x, scope="grid", grid=(3, 4), window=1)
    torch.testing.assert_close(a.weights, b.weights)


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


# ------------------------------------------------------------------ 2-D window by hand
def test_window_row_hand_made_3x4_radius_1():
    # 3 × 4 grid, row-major:   0  1  2  3
    #                          4  5  6  7
    #                          8  9 10 11
    def allowed(i):
        return set(np.flatnonzero(window_row((3, 4), 1, i).numpy()).tolist())

    assert allowed(0) == {0, 1, 4, 5}                       # top-left corner
    assert allowed(3) == {2, 3, 6, 7}                       # top-right corner
    assert allowed(5) == {0, 1, 2, 4, 5, 6, 8, 9, 10}       # centre cell (1, 1)
    assert allowed(6) == {1, 2, 3, 5, 6, 7, 9, 10, 11}      # centre cell (1, 2)
    assert allowed(11) == {6, 7, 10, 11}                    # bottom-right corner
    assert allowed(8) == {4, 5, 8, 9}                       # bottom-left corner
    for i in range(12):
        assert torch.equal(window_row((3, 4), 1, i), grid_mask((3, 4), 1)[i])
    assert set(np.flatnonzero(window_row((3, 4), 0, 5).numpy()).tolist()) == {5}
    assert window_row((3, 4), 3, 0).all()
    assert window_bounds((3, 4), 1, 0, 0) == (0, 1, 0, 1)
    assert window_bounds((3, 4), 1, 1, 2) == (0, 2, 1, 3)


def test_window_weights_zero_outside():
    x = feats(12, 4, seed=3)
    r = query_attention(x, x, x, 5, grid=(3, 4), scope="window", radius=1)
    w = r.weights[0, 0].numpy()
    assert np.all(w[[3, 7, 11]] == 0) and np.all(w[[0, 1, 2, 4, 5, 6, 8, 9, 10]] > 0)
    assert w.sum() == pytest.approx(1.0, abs=1e-6)


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


def test_matrix_blocks_equals_block_mean_of_full_weights_in_chunks():
    grid = (6, 10)
    x = feats(60, 8, seed=4)
    for cfg in (dict(), dict(scope="window", radius=2, heads=2, head=1),
                dict(normalization="hard", heads=2, head=None, score="dot")):
        head = cfg.pop("head", None)
        full = full_attention(x, x, x, grid=grid, **cfg)
        ref = block_mean(head_weights(full.weights, head), max_size=8)[0]
        D, starts = matrix_blocks(x, x, x, grid=grid, head=head, max_size=8, chunk_elems=200, **cfg)
        assert D.shape == ref.shape == (8, 8) and starts.tolist() == list(range(0, 60, 8))
        np.testing.assert_allclose(D, ref, rtol=1e-5, atol=1e-7)


def test_matrix_display_at_4096_patches_is_64x64():
    x = feats(64 * 64, 20, seed=5)
    D, starts = matrix_blocks(x, x, x, grid=(64, 64), scope="window", radius=2)
    assert D.shape == (64, 64) and len(starts) == 64
    widths = np.diff(np.append(starts, 4096))
    np.testing.assert_allclose((D * widths[None, :]).sum(axis=1), 1.0, atol=1e-4)


# ------------------------------------------------------------------ samples, pooling, heads, top-k
def test_samples_match_attends_hard_sampled_for_one_row():
    x = feats(30, 6, seed=6)
    soft = query_attention(x, x, x, 4, grid=(5, 6), temperature=3.0).weights[0, 0]
    got = sample_patches(soft.numpy(), range(10, 18))
    for t, s in enumerate(range(10, 18)):
        hs = query_attention(x, x, x, 4, grid=(5, 6), temperature=3.0, normalization="hard_sampled", seed=s)
        assert int(hs.weights[0, 0].argmax()) == got[t]
    assert len(set(got.tolist())) > 1                      # T = 3 spreads the draws
    assert sample_patches(np.zeros(5), [0, 1]).tolist() == [-1, -1]


def test_pooling_mean_query_and_patch_query():
    x = (feats(20, 5, seed=7) - feats(20, 5, seed=7).mean(0))  # zero-mean columns, like standardized features
    assert torch.count_nonzero(pooling_query(x, "mean")) == 0
    r = pooling_attention(x, x, x, "mean", score="cosine")
    torch.testing.assert_close(r.weights[0, 0], torch.full((20,), 1 / 20))
    r2 = pooling_attention(x, x, x, 7, score="scaled_dot", temperature=0.5)
    ref = attend(x[7], x, x, form="pooling", temperature=0.5)
    torch.testing.assert_close(r2.weights, ref.weights)
    torch.testing.assert_close(r2.output, ref.weights[0, 0] @ x)
    # the patch query in pooling = the global query row
    torch.testing.assert_close(r2.weights[:, 0], query_attention(x, x, x, 7, grid=(4, 5), temperature=0.5).weights[:, 0])


def test_head_weights_and_top_k():
    x = feats(12, 8, seed=8)
    r = query_attention(x, x, x, 2, grid=(3, 4), heads=2)
    m = head_weights(r.weights, None)[0]
    np.testing.assert_allclose(m, r.weights.mean(0)[0].numpy())
    assert m.sum() == pytest.approx(1.0, abs=1e-6)
    t = top_k(r, 3, head=1)
    w1 = r.weights[1, 0].numpy()
    assert t["index"].tolist() == np.argsort(-w1, kind="stable")[:3].tolist()
    np.testing.assert_allclose(t["weight"], np.sort(w1)[::-1][:3], rtol=1e-6)


# ------------------------------------------------------------------ figure + pure page pipeline
def tiny_bundle(patch: int = 16, size=(96, 64)) -> dict:
    a = np.zeros((size[1], size[0], 3), np.uint8)
    a[:, : size[0] // 2] = (200, 30, 30)
    a[size[1] // 2:, :] += np.uint8(40)
    a[::7, ::5] = (10, 200, 90)
    return V.build_bundle(image_to_bytes(Image.fromarray(a), "PNG"), patch)


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


def test_click_overlay_equals_full_matrix_row():
    b = tiny_bundle(patch=8)                                  # 12 × 8 px-grid -> 8 × 12 patches
    gh, gw = b["grid"]
    x = torch.from_numpy(b["features"])
    for s in (V.Settings(), V.Settings(attn_type="hard", score="dot"),
              V.Settings(scope="window", radius=2, temperature=0.4, wa="random", seed=3),
              V.Settings(attn_type="sampled", heads=4, head=2, score="cosine"),
              V.Settings(attn_type="sparsemax", heads=2, head=None, scope="window", radius=1)):
        q = project_queries(x, s.wa, s.seed)
        full = full_attention(q, x, x, grid=(gh, gw), scope=s.scope,
                              radius=s.radius if s.scope == "window" else None, **s.attend_options())
        for r, c in ((0, 0), (3, 5), (gh - 1, gw - 1)):
            fig, v = V.click_overlay(b, s, r, c)
            ref = head_weights(full.weights, s.head)[r * gw + c]
            np.testing.assert_allclose(v.values, ref, rtol=1e-5, atol=1e-7)
            z = np.asarray(fig.data[1].z, dtype=float).reshape(-1)
            shown = np.where(v.in_scope, ref, np.nan)
            np.testing.assert_allclose(z, shown, rtol=1e-5, atol=1e-7)
            if s.attn_type == "sampled":
                assert v.samples.shape == (8,)


def test_check_table_recomputes_weights_by_hand():
    b = tiny_bundle(patch=8)
    s = V.Settings(temperature=0.7)
    v = V.query_view(b, s, 2, 3)
    cols, how = V.check_table(v, s, b["grid"])
    Z = float(how.split("Z = Σ_(j∈S) exp((e_j − e_max)/T) = ")[1])
    np.testing.assert_allclose(np.exp(cols["(e − e_max)/T"]) / Z, cols["α"], rtol=1e-4)


def test_sample_credit_comes_from_licences():
    for name in sample_images():
        credit = V.sample_credit(name)
        assert "Licence:" in credit and ("CC0" in credit or "public domain" in credit)


def test_core_module_imports_neither_streamlit_nor_plotly():
    code = ("import sys, attention.image_attention; "
            "print(any(m.split('.')[0] in ('streamlit', 'plotly') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
