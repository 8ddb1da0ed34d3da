"""ui.uploads: the one upload policy (limit, formats, messages) and bounded decoding.

Every bad input is generated here (no stored fixtures).  Issue 15: (6b) a large JPEG is decoded
at reduced size and pixels are bounded before conversion; (8) the byte limit is Streamlit's
configured ``server.maxUploadSize`` in decimal MB, one number in one place.
"""
from __future__ import annotations

import inspect
import io
import struct
import subprocess
import sys
import tomllib
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from PIL import Image, JpegImagePlugin

import attention.image
from attention.image import image_to_bytes
from ui import uploads
from ui.uploads import decode_image, max_upload_bytes

ROOT = Path(__file__).resolve().parent.parent
RED, GREEN, BLUE, WHITE, BLACK = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0)


def px(img: Image.Image) -> list:
    """Pixels of an RGB image as nested lists, [row][col] -> [r, g, b]."""
    assert img.mode == "RGB"
    return np.asarray(img).tolist()


def load(data: bytes, **kw) -> Image.Image:
    d = decode_image(data, **kw)
    assert d.ok, d.error
    return d.image


def roundtrip(img: Image.Image, fmt: str, **kw) -> Image.Image:
    return load(image_to_bytes(img, fmt, **kw))


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
# Bad inputs -> a refusal with a readable message
# ---------------------------------------------------------------------------------------------


def assert_refused(data: bytes, *words: str, **kw) -> str:
    d = decode_image(data, **kw)
    assert not d.ok and d.image is None
    msg = d.error
    for w in words:
        assert w.lower() in msg.lower(), f"{w!r} not in {msg!r}"
    assert "Traceback" not in msg and "BytesIO" not in msg and "\n" not in msg
    return msg


def test_zero_bytes():
    assert_refused(b"", "empty")


def test_too_many_bytes():
    small_png = image_to_bytes(quadrants(), "PNG")
    assert_refused(small_png, "more than", f"{len(small_png) - 1:,} bytes", max_bytes=len(small_png) - 1)
    assert load(small_png, max_bytes=len(small_png)).size == (16, 16)


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
    load(data)  # the whole file is fine
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
    assert load(image_to_bytes(quadrants(100), "PNG"), max_pixels=10_000).size == (100, 100)


def test_bomb_between_pillow_warning_and_error():
    # 10000×10000 = 100 M: Pillow only warns (89 M .. 179 M); we refuse with our own message.
    with pytest.warns(Image.DecompressionBombWarning):
        assert_refused(png_declaring(10000, 10000), "10000×10000", "100 million")
    with warnings.catch_warnings():  # a caller whose filters escalate the warning still gets a refusal
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        assert_refused(png_declaring(10000, 10000), "too many pixels")


def test_rejects_non_bytes():
    with pytest.raises(TypeError):
        decode_image("a path.png")  # type: ignore[arg-type]


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
    out = load(data)
    assert out.size == (8, 8) and np.all(np.asarray(out) == RED)


def test_animated_webp_first_frame():
    first, *rest = frames()
    data = image_to_bytes(first, "WEBP", save_all=True, append_images=rest, duration=100, lossless=True)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    assert np.all(np.asarray(load(data)) == RED)


def test_mpo_phone_jpeg_first_frame():
    first, second, _ = frames()
    data = image_to_bytes(first, "MPO", save_all=True, append_images=[second], quality=95)
    assert Image.open(io.BytesIO(data)).format == "MPO"  # how Pillow labels multi-picture JPEGs
    a = np.asarray(load(data)).astype(int)
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
    assert set(uploads.FORMATS) <= set(Image.OPEN)


def test_result_is_detached_and_rgb():
    out = load(bytearray(image_to_bytes(quadrants(), "PNG")))
    assert isinstance(out, Image.Image) and out.mode == "RGB"
    assert out.getpixel((0, 0)) == RED and out.getpixel((15, 15)) == WHITE




# ---------------------------------------------------------------------------------------------
# Issue 15.8: one upload limit, in one place (Streamlit's server.maxUploadSize, decimal MB)
# ---------------------------------------------------------------------------------------------


def padded_png(n_bytes: int) -> bytes:
    """A valid 16×16 PNG followed by zeros up to ``n_bytes`` (Pillow ignores data after IEND)."""
    png = image_to_bytes(quadrants(), "PNG")
    return png + b"\0" * (n_bytes - len(png))


def test_upload_limit_is_streamlits_configured_size_in_decimal_megabytes():
    """The browser's uploader says "Limit 20MB" and (Linux / macOS) refuses more than 20 * 10**6
    bytes; the app's own check used to be 20 * 2**20 = 20,971,520 bytes, so a 20.5 MB file got
    through a Windows browser and was accepted against the label "≤ 20 MB"."""
    mb = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["server"]["maxUploadSize"]
    assert st.get_option("server.maxUploadSize") == mb           # the config file is the one place
    assert max_upload_bytes() == mb * 10**6 and uploads.limit_text() == f"{mb} MB"
    assert decode_image(padded_png(mb * 10**6)).ok                # exactly the limit: fine
    msg = decode_image(padded_png(mb * 10**6 + 1)).error           # one byte more: refused, same number
    assert f"{mb} MB ({mb * 10**6:,} bytes) upload limit" in msg and f"{mb * 10**6 + 1:,} bytes" in msg
    assert not hasattr(attention.image, "MAX_UPLOAD_BYTES")        # no second number in the core


def test_upload_limit_follows_the_configured_option(monkeypatch):
    real = st.get_option
    monkeypatch.setattr(st, "get_option", lambda key: 5 if key == "server.maxUploadSize" else real(key))
    assert max_upload_bytes() == 5_000_000 and uploads.limit_text() == "5 MB"
    assert "5 MB (5,000,000 bytes) upload limit" in decode_image(padded_png(5_000_001)).error
    assert decode_image(padded_png(5_000_000)).ok


# ---------------------------------------------------------------------------------------------
# Issue 15.6b: large pictures are decoded at reduced size; pixels are bounded before conversion
# ---------------------------------------------------------------------------------------------


def big_photo(w: int, h: int) -> Image.Image:
    """A smooth photo-like w×h RGB picture (gradients), quick to make at any size."""
    g = Image.linear_gradient("L")                                   # 256×256 ramp
    return Image.merge("RGB", [c.resize((w, h), Image.Resampling.BILINEAR) for c in
                               (g, g.rotate(90), g.transpose(Image.Transpose.FLIP_TOP_BOTTOM))])


def test_large_jpeg_is_decoded_at_reduced_scale(monkeypatch):
    data = image_to_bytes(big_photo(4096, 3072), "JPEG", quality=90)  # 12.6 MP
    decoded = []
    real_load = JpegImagePlugin.JpegImageFile.load

    def spy(self):
        decoded.append(self.size)                                   # the size the decoder produces
        return real_load(self)
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spy)
    d = decode_image(data, max_side=512)
    assert d.ok and max(d.image.size) == 512 and d.size == (4096, 3072)
    assert decoded and all(w * h <= 4 * 512 * 512 for w, h in decoded), decoded   # not 4096 × 3072
    a = np.asarray(d.image).astype(int)                              # still the same picture
    b = np.asarray(big_photo(4096, 3072).resize(d.image.size, Image.Resampling.BICUBIC)).astype(int)
    assert np.abs(a - b).mean() < 3


def test_pixels_are_bounded_before_rotation_and_conversion(monkeypatch):
    rgba = big_photo(3000, 2000).convert("RGBA")                     # alpha: the costly conversion
    exif = Image.Exif()
    exif[0x0112] = 6                                                 # rotate 90° clockwise to display
    data = image_to_bytes(rgba, "PNG", exif=exif)
    seen = []
    real = uploads.to_rgb
    monkeypatch.setattr(uploads, "to_rgb", lambda im: seen.append(im.size) or real(im))
    d = decode_image(data, max_side=600)
    assert seen == [(400, 600)]                                      # reduced first, then turned upright
    assert d.image.size == (400, 600) and d.size == (2000, 3000)     # the file's own size, upright


def test_40_megapixel_jpeg_costs_little_memory(tmp_path):
    """Decode a real 7728 × 5152 JPEG in a fresh process and read its peak RSS: the full decode
    (+ copies for EXIF rotation and RGB conversion) cost about +460 MB before this fix."""
    path = tmp_path / "photo40mp.jpg"
    make = ("from PIL import Image\n" + inspect.getsource(big_photo)
            + f"big_photo(7728, 5152).save({str(path)!r}, quality=90)")
    subprocess.run([sys.executable, "-c", make], cwd=ROOT, check=True, timeout=120)
    measure = f"""
import sys
from ui.uploads import decode_image
def rss(field):
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith(field + ':')) / 1024
data = open({str(path)!r}, 'rb').read()
before = rss('VmRSS')
d = decode_image(data, max_side=1024)
assert d.ok and d.size == (7728, 5152) and max(d.image.size) == 1024, d
print(rss('VmHWM') - before)
"""
    out = subprocess.run([sys.executable, "-c", measure], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    peak_mb = float(out.stdout.split()[-1])
    assert peak_mb < 100, f"decoding a 40 MP JPEG raised peak RSS by {peak_mb:.0f} MB"
