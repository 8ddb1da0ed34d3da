"""attention.image: colour modes to RGB, resizing, patchify, patch features; the Image page's
bundled samples.  (Decoding uploads: tests/test_ui_uploads.py.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from attention import image as I
from features.image.samples import ASSETS_DIR, sample_credit, sample_images
from ui.uploads import decode_image
from attention.image import (
    FEATURE_NAMES,
    feature_names,
    grid_shape,
    image_to_bytes,
    index_to_patch,
    patch_features,
    patch_to_index,
    patchify,
    position_encoding_2d,
    prepare,
    to_rgb,
    unpatchify,
    upsample_grid,
)

RED, GREEN, BLUE, WHITE, BLACK = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0)


def px(img: Image.Image) -> list:
    """Pixels of an RGB image as nested lists, [row][col] -> [r, g, b]."""
    assert img.mode == "RGB"
    return np.asarray(img).tolist()


def quadrants(size: int = 16) -> Image.Image:
    """size×size RGB image: red | green over blue | white quadrants."""
    a = np.zeros((size, size, 3), np.uint8)
    h = size // 2
    a[:h, :h], a[:h, h:], a[h:, :h], a[h:, h:] = RED, GREEN, BLUE, WHITE
    return Image.fromarray(a)


def noise_image(w: int = 64, h: int = 64, seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8))


# ---------------------------------------------------------------------------------------------
# to_rgb (decoding uploads is ui.uploads' job: tests/test_ui_uploads.py)
# ---------------------------------------------------------------------------------------------


def test_to_rgb_exact_rules():
    rgba = Image.fromarray(np.array([[[255, 0, 0, 0], [255, 0, 0, 128], [0, 0, 255, 255]]], np.uint8))
    # round((c·a + 255·(255 − a)) / 255): a=0 -> white, a=128 -> c·128/255 + 127
    assert px(to_rgb(rgba)) == [[[255, 255, 255], [255, 127, 127], [0, 0, 255]]]
    deep = Image.fromarray(np.array([[0, 65535, 257 * 128, 300]], np.uint16))
    assert deep.mode == "I;16"
    assert np.asarray(to_rgb(deep))[0, :, 0].tolist() == [0, 255, 128, 1]   # scaled, not clipped
    grey = Image.fromarray(np.array([[0, 100, 255]], np.uint8))
    assert px(to_rgb(grey)) == [[[0, 0, 0], [100, 100, 100], [255, 255, 255]]]
    rgb = quadrants()
    out = to_rgb(rgb)
    assert out is not rgb and np.array_equal(np.asarray(out), np.asarray(rgb))   # a fresh copy


# ---------------------------------------------------------------------------------------------
# prepare()
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "w, h, patch, max_side, expected",
    [
        (600, 400, 16, 512, (336, 512)),  # short side 21.33 patches -> 21
        (400, 600, 16, 512, (512, 336)),
        (451, 300, 14, 224, (154, 224)),  # 10.64 patches -> 11 (rounded, not floored)
        (33, 17, 8, 64, (32, 64)),  # small image: upscaled
        (512, 512, 32, 512, (512, 512)),
    ],
)
def test_prepare_shapes_and_aspect(w, h, patch, max_side, expected):
    x = prepare(noise_image(w, h), patch=patch, max_side=max_side)
    H, W, C = x.shape
    assert (H, W) == expected
    assert C == 3 and x.dtype == np.float32 and H % patch == 0 and W % patch == 0
    assert max(H, W) == round(max_side / patch) * patch
    assert abs(W / H - w / h) <= patch / min(H, W) * (w / h) + 1e-9  # aspect kept up to one patch of rounding
    assert 0.0 <= x.min() and x.max() <= 1.0


def test_prepare_extreme_aspect():
    x = prepare(Image.new("RGB", (10000, 10), (0, 128, 255)), patch=16, max_side=512)
    assert x.shape == (16, 512, 3)
    y = prepare(Image.new("RGB", (10, 10000)), patch=16, max_side=512)
    assert y.shape == (512, 16, 3)


def test_prepare_one_pixel_upscales_flat():
    x = prepare(Image.new("RGB", (1, 1), (255, 0, 51)), patch=16, max_side=512)
    assert x.shape == (512, 512, 3)
    assert np.array_equal(x, np.broadcast_to(np.array([1.0, 0.0, 0.2], np.float32), x.shape))


def test_prepare_tiny_image_upscales_with_nearest():
    x = prepare(Image.fromarray(np.array([[RED, GREEN], [BLUE, WHITE]], np.uint8)), patch=16, max_side=32)
    assert x.shape == (32, 32, 3)
    means = patchify(torch.from_numpy(x), 16).reshape(4, 16 * 16, 3)  # (N, p·p, 3)
    assert torch.equal(means.amin(1), means.amax(1))  # every patch is one flat colour
    assert means[:, 0].tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]]


def test_prepare_keeps_pixels_when_already_on_grid():
    img = noise_image(48, 32)
    x = prepare(img, patch=16, max_side=48)
    assert np.array_equal(x, np.asarray(img, np.float32) / 255)
    assert np.array_equal(I.to_uint8(x), np.asarray(img))  # and back, exactly
    assert np.array_equal(I.to_uint8(torch.from_numpy(x)), np.asarray(img))


def test_prepare_converts_non_rgb_and_validates():
    assert prepare(Image.new("L", (20, 10), 255), patch=5, max_side=20).shape == (10, 20, 3)
    with pytest.raises(ValueError):
        prepare(Image.new("RGB", (4, 4)), patch=0)


# ---------------------------------------------------------------------------------------------
# patchify / unpatchify / indices / upsample_grid
# ---------------------------------------------------------------------------------------------


def test_patchify_hand_made():
    x = torch.arange(4 * 6).reshape(4, 6, 1)  # (H, W, C): pixel value = y·6 + x
    p = patchify(x, 2)
    assert p.shape == (6, 4)  # grid (2, 3)
    assert p[0].tolist() == [0, 1, 6, 7]
    assert p[1].tolist() == [2, 3, 8, 9]  # (r=0, c=1)
    assert p[3].tolist() == [12, 13, 18, 19]  # (r=1, c=0)
    assert p[5].tolist() == [16, 17, 22, 23]


def test_patchify_channel_fastest():
    x = torch.zeros(2, 2, 3)
    x[0, 1] = torch.tensor([1.0, 2.0, 3.0])  # pixel (y=0, x=1)
    x[1, 0, 2] = 9.0  # pixel (y=1, x=0), blue
    p = patchify(x, 2)  # one patch
    assert p.tolist() == [[0, 0, 0, 1, 2, 3, 0, 0, 9, 0, 0, 0]]


def test_patchify_roundtrip_and_errors():
    x = torch.rand(48, 80, 3)
    p = patchify(x, 16)
    assert p.shape == (3 * 5, 16 * 16 * 3)
    assert torch.equal(unpatchify(p, (3, 5), 16, 3), x)
    assert torch.equal(patchify(x.numpy(), 16), p)  # numpy accepted
    with pytest.raises(ValueError):
        patchify(torch.rand(10, 16, 3), 16)
    with pytest.raises(ValueError):
        unpatchify(p, (5, 3), 8, 3)


@settings(max_examples=200, deadline=None)
@given(
    gh=st.integers(1, 6), gw=st.integers(1, 6), patch=st.integers(1, 5), channels=st.integers(1, 4)
)
def test_patchify_roundtrip_property(gh, gw, patch, channels):
    H, W = gh * patch, gw * patch
    x = torch.arange(H * W * channels).reshape(H, W, channels)  # every value distinct
    p = patchify(x, patch)
    assert p.shape == (gh * gw, patch * patch * channels)
    assert torch.equal(unpatchify(p, (gh, gw), patch, channels), x)
    # row i holds exactly the block of patch index_to_patch(i)
    i = (gh * gw) // 2
    r, c = index_to_patch(i, (gh, gw))
    block = x[r * patch : (r + 1) * patch, c * patch : (c + 1) * patch]  # (p, p, C)
    assert torch.equal(p[i], block.reshape(-1))


def test_index_patch_inverse():
    grid = (3, 5)
    seen = set()
    for i in range(15):
        r, c = index_to_patch(i, grid)
        assert 0 <= r < 3 and 0 <= c < 5
        assert patch_to_index(r, c, grid) == i
        seen.add((r, c))
    assert len(seen) == 15
    assert index_to_patch(7, grid) == (1, 2) and patch_to_index(2, 4, grid) == 14
    for bad in (-1, 15):
        with pytest.raises(IndexError):
            index_to_patch(bad, grid)
    with pytest.raises(IndexError):
        patch_to_index(0, 5, grid)
    with pytest.raises(IndexError):
        patch_to_index(3, 0, grid)


@settings(max_examples=200, deadline=None)
@given(gh=st.integers(1, 50), gw=st.integers(1, 50), data=st.data())
def test_index_patch_inverse_property(gh, gw, data):
    i = data.draw(st.integers(0, gh * gw - 1))
    assert patch_to_index(*index_to_patch(i, (gh, gw)), (gh, gw)) == i


def test_grid_shape():
    assert grid_shape((48, 80, 3), 16) == (3, 5)
    assert grid_shape((48, 80), 16) == (3, 5)
    with pytest.raises(ValueError):
        grid_shape((50, 80, 3), 16)


def test_upsample_grid_matches_patch_layout():
    v = np.arange(6, dtype=np.float32)
    up = upsample_grid(v, (2, 3), 4)
    assert up.shape == (8, 12) and up.dtype == np.float32
    assert up[0, 0] == 0 and up[3, 11] == 2 and up[4, 0] == 3 and up[7, 11] == 5
    # patchify of the map gives back one constant row per patch, in the same order
    p = patchify(torch.from_numpy(up)[..., None], 4)  # (6, 16)
    assert torch.equal(p, torch.from_numpy(v)[:, None].expand(6, 16))
    assert upsample_grid(torch.tensor(v), (2, 3), 1).shape == (2, 3)
    with pytest.raises(ValueError):
        upsample_grid(v, (2, 2), 4)


# ---------------------------------------------------------------------------------------------
# patch_features
# ---------------------------------------------------------------------------------------------


def test_feature_names():
    assert len(FEATURE_NAMES) == 20 and len(set(FEATURE_NAMES)) == 20
    assert FEATURE_NAMES[:8] == ["mean_R", "mean_G", "mean_B", "std_R", "std_G", "std_B", "grad_x", "grad_y"]
    names = feature_names(position=True, pos_dim=8)
    assert len(names) == 28 and names[20] == "pos_row_sin_0" and names[-1] == "pos_col_cos_1"


def test_features_shape_and_standardized():
    x = prepare(noise_image(96, 64, seed=3), patch=16, max_side=96)  # (64, 96, 3): grid 4×6
    f = patch_features(x, 16)
    assert f.shape == (24, 20) and f.dtype == torch.float32
    assert torch.allclose(f.mean(0), torch.zeros(20), atol=1e-5)
    assert torch.allclose(f.std(0, correction=0), torch.ones(20), atol=1e-4)
    assert torch.equal(patch_features(torch.from_numpy(x), 16), f)  # torch input gives the same


def test_features_constant_image_is_zero_not_nan():
    x = np.full((32, 48, 3), 0.3, np.float32)
    f = patch_features(x, 16)
    assert f.shape == (6, 20) and not torch.isnan(f).any() and torch.equal(f, torch.zeros(6, 20))
    raw = patch_features(x, 16, raw=True)
    assert torch.allclose(raw[:, :3], torch.full((6, 3), 0.3))
    assert torch.allclose(raw[:, 3:8], torch.zeros(6, 5), atol=1e-6)
    single = patch_features(x[:16, :16], 16)  # one patch: every column is constant
    assert torch.equal(single, torch.zeros(1, 20))


def test_features_red_vs_blue():
    x = np.zeros((8, 16, 3), np.float32)
    x[:, :8, 0] = 1.0  # left patch red
    x[:, 8:, 2] = 1.0  # right patch blue
    raw = patch_features(x, 8, raw=True)
    col = {n: i for i, n in enumerate(FEATURE_NAMES)}
    assert raw[:, col["mean_R"]].tolist() == [1.0, 0.0]
    assert raw[:, col["mean_B"]].tolist() == [0.0, 1.0]
    assert raw[0, col["thumb_BR_R"]] == 1.0 and raw[1, col["thumb_TL_B"]] == 1.0
    f = patch_features(x, 8)
    assert f[0, col["mean_R"]] == pytest.approx(1.0) and f[1, col["mean_R"]] == pytest.approx(-1.0)
    assert f[0, col["mean_B"]] < f[1, col["mean_B"]]
    assert f[:, col["mean_G"]].tolist() == [0.0, 0.0]  # constant column


def test_features_gradients_and_thumbnail():
    stripes = np.zeros((4, 4, 3), np.float32)
    stripes[:, 1::2] = 1.0  # vertical stripes: change along x only
    corner = np.zeros((4, 4, 3), np.float32)
    corner[:2, :2] = 1.0  # white top-left quadrant
    raw = patch_features(np.concatenate([stripes, corner], axis=1), 4, raw=True)  # (2, 20)
    col = {n: i for i, n in enumerate(FEATURE_NAMES)}
    assert raw[0, col["grad_x"]].item() == pytest.approx(1.0) and raw[0, col["grad_y"]].item() == 0.0
    assert raw[0, col["std_G"]].item() == pytest.approx(0.5)
    thumb = raw[1, col["thumb_TL_R"] :].reshape(4, 3)  # (quadrant, RGB)
    assert thumb.tolist() == [[1, 1, 1], [0, 0, 0], [0, 0, 0], [0, 0, 0]]
    assert raw[1, col["mean_R"]].item() == pytest.approx(0.25)


def test_features_patch_one_has_no_nan():
    f = patch_features(np.random.default_rng(0).random((3, 5, 3)).astype(np.float32), 1)
    assert f.shape == (15, 20) and torch.isfinite(f).all()


def test_features_position_encoding():
    x = prepare(noise_image(64, 32, seed=1), patch=16, max_side=64)  # grid (2, 4)
    f = patch_features(x, 16, position=True, pos_dim=8)
    assert f.shape == (8, 28)
    assert torch.equal(f[:, :20], patch_features(x, 16))
    pos = f[:, 20:]
    assert torch.equal(pos, position_encoding_2d((2, 4), 8))
    assert pos[0].tolist() == [0, 0, 1, 1, 0, 0, 1, 1]  # (0, 0): sin 0 = 0, cos 0 = 1
    assert torch.equal(pos[1, :4], pos[3, :4])  # same row -> same row half
    assert torch.equal(pos[1, 4:], pos[5, 4:])  # same column -> same column half
    assert pos[5, 0].item() == pytest.approx(np.sin(1.0))  # row 1, ω_0 = 1
    assert len({tuple(r) for r in pos.tolist()}) == 8  # all positions distinct
    assert patch_features(x, 16, position=True).shape == (8, 36)  # default pos_dim 16
    with pytest.raises(ValueError):
        patch_features(x, 16, position=True, pos_dim=6)


def test_features_reject_bad_shapes():
    with pytest.raises(ValueError):
        patch_features(np.zeros((16, 16), np.float32), 8)
    with pytest.raises(ValueError):
        patch_features(np.zeros((16, 20, 3), np.float32), 8)


# ---------------------------------------------------------------------------------------------
# Bundled samples and module hygiene
# ---------------------------------------------------------------------------------------------


def test_sample_images_load_and_are_licensed():
    samples = sample_images()
    assert 4 <= len(samples) <= 6
    licences = (ASSETS_DIR / "LICENSES.md").read_text(encoding="utf-8")
    total = 0
    for name, path in samples.items():
        assert path.parent == ASSETS_DIR and path.stem == name
        assert f"`{path.name}`" in licences
        credit = sample_credit(name)
        assert "Licence:" in credit and ("CC0" in credit or "public domain" in credit)
        data = path.read_bytes()
        total += len(data)
        img = decode_image(data).image
        assert img.mode == "RGB" and max(img.size) <= 512 and min(img.size) >= 256
        x = prepare(img, patch=32, max_side=256)
        assert patch_features(x, 32).shape[0] == (x.shape[0] // 32) * (x.shape[1] // 32)
    assert total < 600_000
    assert sample_credit("no such sample") == ""


def test_module_imports_neither_streamlit_nor_plotly():
    tree = ast.parse(Path(I.__file__).read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    assert roots <= {"__future__", "io", "numpy", "torch", "PIL"}, roots
