"""attention.image: decoding/validation, resizing, patchify, patch features, bundled samples.

Every bad input is generated here (no stored fixtures).
"""

from __future__ import annotations

import ast
import io
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from attention import image as I
from attention.image import (
    FEATURE_NAMES,
    MAX_UPLOAD_BYTES,
    ImageError,
    feature_names,
    grid_shape,
    image_to_bytes,
    index_to_patch,
    load_image,
    patch_features,
    patch_to_index,
    patchify,
    position_encoding_2d,
    prepare,
    sample_images,
    unpatchify,
    upsample_grid,
)

RED, GREEN, BLUE, WHITE, BLACK = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0)


def px(img: Image.Image) -> list:
    """Pixels of an RGB image as nested lists, [row][col] -> [r, g, b]."""
    assert img.mode == "RGB"
    return np.asarray(img).tolist()


def roundtrip(img: Image.Image, fmt: str, **kw) -> Image.Image:
    return load_image(image_to_bytes(img, fmt, **kw))


def quadrants(size: int = 16) -> Image.Image:
    """size×size RGB image: red | green over blue | white quadrants."""
    a = np.zeros((size, size, 3), np.uint8)
    h = size // 2
    a[:h, :h], a[:h, h:], a[h:, :h], a[h:, h:] = RED, GREEN, BLUE, WHITE
    return Image.fromarray(a)


def noise_image(w: int = 64, h: int = 64, seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8))


def png_declaring(w: int, h: int) -> bytes:
    """A tiny, structurally valid PNG whose IHDR declares w×h (1-bit grey); its pixel data is far too short."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


# ---------------------------------------------------------------------------------------------
# Bad inputs -> ImageError with a readable message
# ---------------------------------------------------------------------------------------------


def assert_refused(data: bytes, *words: str, **kw) -> str:
    with pytest.raises(ImageError) as info:
        load_image(data, **kw)
    msg = str(info.value)
    for w in words:
        assert w.lower() in msg.lower(), f"{w!r} not in {msg!r}"
    assert "Traceback" not in msg and "BytesIO" not in msg and "\n" not in msg
    return msg


def test_image_error_is_a_value_error():
    assert issubclass(ImageError, ValueError)


def test_zero_bytes():
    assert_refused(b"", "empty")


def test_too_many_bytes():
    assert_refused(b"\0" * (MAX_UPLOAD_BYTES + 1), "larger than", "20.0 MB")
    small_png = image_to_bytes(quadrants(), "PNG")
    assert_refused(small_png, "larger than", max_bytes=len(small_png) - 1)
    assert load_image(small_png, max_bytes=len(small_png)).size == (16, 16)


def test_text_bytes():
    assert_refused(b"name,value\nalpha,1\nbeta,2\n", "text file", "not an image", "PNG, JPEG")


def test_pdf_header():
    assert_refused(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "PDF", "not an image")


def test_zip_and_svg_and_heic():
    assert_refused(b"PK\x03\x04" + b"\0" * 60, "ZIP", "not an image")
    assert_refused(b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "SVG", "not an image")
    assert_refused(b"\x00\x00\x00\x18ftypheic" + b"\0" * 40, "HEIC", "not supported")


def test_random_garbage():
    garbage = np.random.default_rng(123).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    assert_refused(garbage, "not a recognisable image")


def test_unsupported_image_format():
    assert_refused(image_to_bytes(quadrants(), "ICO"), "ICO", "not supported")
    assert_refused(image_to_bytes(quadrants(), "PPM"), "PPM", "not supported")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_file(fmt):
    data = image_to_bytes(noise_image(), fmt)
    load_image(data)  # the whole file is fine
    assert_refused(data[: len(data) // 2], "truncated or corrupt")


def test_corrupt_png_pixel_data():
    data = bytearray(image_to_bytes(noise_image(), "PNG"))
    start = data.index(b"IDAT") + 4
    data[start + 10 : start + 200] = b"\xff" * 190  # smash the zlib stream, keep the header intact
    assert_refused(bytes(data), "truncated or corrupt")


def test_bomb_beyond_pillow_limit():
    # 30000×30000 = 900 M pixels: Pillow itself refuses it at open (DecompressionBombError).
    data = png_declaring(30000, 30000)
    assert len(data) < 200
    assert_refused(data, "too many pixels")


def test_bomb_beyond_our_limit_checked_before_decoding():
    # 8000×8000 = 64 M: under Pillow's limit, over ours. The pixel data is short, so if we decoded
    # before checking the size we would report "truncated" instead.
    msg = assert_refused(png_declaring(8000, 8000), "8000×8000", "64 million", "40 million")
    assert "truncated" not in msg
    # max_pixels is honoured for a genuine small image too
    assert_refused(image_to_bytes(quadrants(100), "PNG"), "100×100", max_pixels=9_999)
    assert load_image(image_to_bytes(quadrants(100), "PNG"), max_pixels=10_000).size == (100, 100)


def test_bomb_between_pillow_warning_and_error():
    # 10000×10000 = 100 M: Pillow only warns (89 M .. 179 M); we refuse with our own message.
    with pytest.warns(Image.DecompressionBombWarning):
        assert_refused(png_declaring(10000, 10000), "10000×10000", "100 million")
    with warnings.catch_warnings():  # a caller whose filters escalate the warning still gets an ImageError
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        assert_refused(png_declaring(10000, 10000), "too many pixels")


def test_rejects_non_bytes():
    with pytest.raises(TypeError):
        load_image("a path.png")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Formats and colour modes -> RGB with exact values
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, kw",
    [("PNG", {}), ("BMP", {}), ("TIFF", {}), ("GIF", {}), ("WEBP", {"lossless": True})],
)
def test_lossless_formats_roundtrip_exactly(fmt, kw):
    img = quadrants(16)
    out = roundtrip(img, fmt, **kw)
    assert out.mode == "RGB" and out.size == (16, 16)
    assert np.array_equal(np.asarray(out), np.asarray(img))


def test_jpeg_roundtrip_close():
    img = quadrants(32)
    out = roundtrip(img, "JPEG", quality=95)
    assert out.mode == "RGB" and out.size == (32, 32)
    a, b = np.asarray(out).astype(int), np.asarray(img).astype(int)
    for y, x in [(4, 4), (4, 27), (27, 4), (27, 27)]:  # quadrant interiors
        assert np.abs(a[y, x] - b[y, x]).max() <= 12


def test_grey_L():
    img = Image.fromarray(np.array([[0, 100, 255]], np.uint8))
    assert img.mode == "L"
    assert px(roundtrip(img, "PNG")) == [[[0, 0, 0], [100, 100, 100], [255, 255, 255]]]


def test_grey_with_alpha_LA_on_white():
    img = Image.fromarray(np.array([[[100, 0], [100, 255], [0, 128]]], np.uint8))
    assert img.mode == "LA"
    assert px(roundtrip(img, "PNG")) == [[[255, 255, 255], [100, 100, 100], [127, 127, 127]]]


def test_rgba_on_white_every_colour_alpha_pair():
    c, a = np.meshgrid(np.arange(256), np.arange(256))  # (256, 256) each: column = colour, row = alpha
    rgba = np.stack([c, 255 - c, np.zeros_like(c), a], axis=-1).astype(np.uint8)  # (256, 256, 4)
    out = np.asarray(roundtrip(Image.fromarray(rgba), "PNG")).astype(np.int64)
    expect = lambda v: np.floor((v * a + 255 * (255 - a)) / 255 + 0.5)  # noqa: E731 - round half up
    assert np.array_equal(out[..., 0], expect(c)) and np.array_equal(out[..., 1], expect(255 - c))
    assert np.array_equal(out[..., 2], expect(np.zeros_like(c)))
    assert (out[0] == 255).all() and np.array_equal(out[255], rgba[255, :, :3])  # a=0 white, a=255 as is


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_rgba_on_white(fmt):
    rgba = np.array([[[255, 0, 0, 0], [255, 0, 0, 128], [0, 0, 255, 255], [0, 0, 0, 64]]], np.uint8)
    out = roundtrip(Image.fromarray(rgba), fmt)
    # round((c·a + 255·(255 − a)) / 255): a=128 -> c·128/255 + 127; a=64 -> 0 + 191
    assert px(out) == [[[255, 255, 255], [255, 127, 127], [0, 0, 255], [191, 191, 191]]]


def paletted_with_transparency() -> Image.Image:
    p = Image.new("P", (3, 1))
    p.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255])
    for x in range(3):
        p.putpixel((x, 0), x)
    return p


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_palette_with_transparency(fmt):
    # Build a fresh image per save: in Pillow 13, p.convert("RGBA") on a P image with
    # info["transparency"] changes how a later GIF save writes that image's palette.
    out = roundtrip(paletted_with_transparency(), fmt, transparency=0)
    assert px(out) == [[list(WHITE), list(GREEN), list(BLUE)]]
    opaque = roundtrip(paletted_with_transparency(), fmt)
    assert px(opaque) == [[list(RED), list(GREEN), list(BLUE)]]


def test_cmyk_tiff_exact():
    c = Image.new("CMYK", (3, 1))
    for x, v in enumerate([(0, 0, 0, 0), (255, 0, 0, 0), (0, 0, 0, 255)]):
        c.putpixel((x, 0), v)
    assert px(roundtrip(c, "TIFF")) == [[list(WHITE), [0, 255, 255], list(BLACK)]]


def test_cmyk_jpeg():
    c = Image.new("CMYK", (16, 16), (0, 0, 0, 0))
    out = roundtrip(c, "JPEG", quality=95)
    assert np.asarray(out).min() >= 250  # white, not black (a CMYK decode that forgot inversion gives black)


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_sixteen_bit_scaled_not_clipped(fmt):
    img = Image.fromarray(np.array([[0, 65535, 257 * 128, 300]], np.uint16))
    assert img.mode == "I;16"
    out = np.asarray(roundtrip(img, fmt))
    assert out[0, :, 0].tolist() == [0, 255, 128, 1]  # Pillow's convert("L") would give [0, 255, 255, 255]
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()


def test_32bit_int_and_float_tiff():
    i16range = Image.fromarray(np.array([[0, 65535]], np.int32))
    assert i16range.mode == "I"
    assert np.asarray(roundtrip(i16range, "TIFF"))[0, :, 0].tolist() == [0, 255]
    signed = Image.fromarray(np.array([[-100, 0, 100]], np.int32))
    assert np.asarray(roundtrip(signed, "TIFF"))[0, :, 0].tolist() == [0, 128, 255]  # min..max stretch
    unit = Image.fromarray(np.array([[0.0, 0.5, 1.0]], np.float32))
    assert unit.mode == "F"
    assert np.asarray(roundtrip(unit, "TIFF"))[0, :, 0].tolist() == [0, 128, 255]
    wide = Image.fromarray(np.array([[-1.0, 0.0, 3.0]], np.float32))
    assert np.asarray(roundtrip(wide, "TIFF"))[0, :, 0].tolist() == [0, 64, 255]


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "TIFF"])
def test_bilevel(fmt):
    b = Image.new("1", (3, 1), 0)
    b.putpixel((1, 0), 1)
    assert px(roundtrip(b, fmt)) == [[list(BLACK), list(WHITE), list(BLACK)]]


def frames() -> list[Image.Image]:
    return [Image.new("RGB", (8, 8), c) for c in (RED, GREEN, BLUE)]


def test_animated_gif_first_frame():
    first, *rest = frames()
    data = image_to_bytes(first, "GIF", save_all=True, append_images=rest, duration=100, loop=0)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    out = load_image(data)
    assert out.size == (8, 8) and np.all(np.asarray(out) == RED)


def test_animated_webp_first_frame():
    first, *rest = frames()
    data = image_to_bytes(first, "WEBP", save_all=True, append_images=rest, duration=100, lossless=True)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    assert np.all(np.asarray(load_image(data)) == RED)


def test_mpo_phone_jpeg_first_frame():
    first, second, _ = frames()
    data = image_to_bytes(first, "MPO", save_all=True, append_images=[second], quality=95)
    assert Image.open(io.BytesIO(data)).format == "MPO"  # how Pillow labels multi-picture JPEGs
    a = np.asarray(load_image(data)).astype(int)
    assert np.abs(a - RED).max() <= 3


def two_by_one() -> Image.Image:
    img = Image.new("RGB", (2, 1))
    img.putpixel((0, 0), RED)
    img.putpixel((1, 0), BLUE)
    return img


@pytest.mark.parametrize("orientation, top, bottom", [(6, RED, BLUE), (8, BLUE, RED), (1, None, None)])
def test_exif_orientation_png(orientation, top, bottom):
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = roundtrip(two_by_one(), "PNG", exif=exif)
    if orientation == 1:
        assert out.size == (2, 1) and px(out) == [[list(RED), list(BLUE)]]
    else:  # 6: rotate 90° clockwise to display; 8: counter-clockwise
        assert out.size == (1, 2)
        assert px(out) == [[list(top)], [list(bottom)]]


def test_exif_orientation_jpeg():
    img = two_by_one().resize((32, 16), Image.Resampling.NEAREST)  # 16×16 red | blue blocks
    exif = Image.Exif()
    exif[0x0112] = 6
    out = roundtrip(img, "JPEG", quality=95, exif=exif)
    assert out.size == (16, 32)  # (W, H): now portrait
    a = np.asarray(out).astype(int)
    assert np.abs(a[4, 8] - RED).max() <= 20 and np.abs(a[27, 8] - BLUE).max() <= 20


def test_every_listed_format_has_a_pillow_opener():
    # Image.open(formats=...) raises KeyError (reported to users as "not supported") for a name
    # without an opener of its own, e.g. "MPO", which Pillow's JPEG opener returns instead.
    Image.init()
    assert set(I.FORMATS) <= set(Image.OPEN)


def test_result_is_detached_and_rgb():
    out = load_image(bytearray(image_to_bytes(quadrants(), "PNG")))
    assert isinstance(out, Image.Image) and out.mode == "RGB"
    assert out.getpixel((0, 0)) == RED and out.getpixel((15, 15)) == WHITE


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
    folder = Path(I.__file__).resolve().parent.parent / "assets" / "images"
    licences = (folder / "LICENSES.md").read_text(encoding="utf-8")
    total = 0
    for name, path in samples.items():
        assert path.parent == folder and path.stem == name
        assert f"`{path.name}`" in licences
        data = path.read_bytes()
        total += len(data)
        img = load_image(data)
        assert img.mode == "RGB" and max(img.size) <= 512 and min(img.size) >= 256
        x = prepare(img, patch=32, max_side=256)
        assert patch_features(x, 32).shape[0] == (x.shape[0] // 32) * (x.shape[1] // 32)
    assert total < 600_000


def test_module_imports_neither_streamlit_nor_plotly():
    tree = ast.parse(Path(I.__file__).read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    assert roots <= {"__future__", "io", "pathlib", "numpy", "torch", "PIL"}, roots
