"""The independent digit evaluation sets of ``tests/digit_eval.py`` (no torch, a few seconds)."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests import digit_eval as E
from tests import digit_strokes as DS

needs_mnist = pytest.mark.skipif(not E.mnist_available(), reason=E.MNIST_SKIP_REASON)


def _glyph28(strokes, width: int = 3) -> np.ndarray:
    """A unit-box glyph drawn with Pillow in a 28 x 28 frame (box at 4..24, MNIST-like width):
    ``(28, 28)`` bool ink mask.  Independent of both fonts' own renderers."""
    im = Image.new("L", (28, 28), 0)
    d = ImageDraw.Draw(im)
    for s in strokes:
        pts = [(4 + 20 * x, 4 + 20 * y) for x, y in s]
        d.line(pts, fill=255, width=width, joint="curve")
        for x, y in (pts[0], pts[-1]):
            d.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=255)
    return np.asarray(im) > 127


def test_font_has_2_or_3_styles_per_digit_in_the_unit_box():
    assert sorted(E.FONT) == list("0123456789")
    for d, styles in E.FONT.items():
        assert 2 <= len(styles) <= 3, d
        for g in styles:
            p = np.concatenate([np.asarray(s) for s in g.strokes])
            assert p.min() >= -0.05 and p.max() <= 1.05, (d, g.name)   # splines bulge a bit
            assert all(len(s) >= 2 for s in g.strokes)


def test_font_shapes_differ_from_digit_strokes():
    """Every style of at least 7 digits overlaps the old test font's glyph by IoU < 0.6."""
    differ = []
    for d in "0123456789":
        ref = _glyph28(DS.FONT[d])
        ious = [(m & ref).sum() / (m | ref).sum() for m in (_glyph28(g.strokes) for g in E.FONT[d])]
        if max(ious) < 0.6:
            differ.append(d)
    assert len(differ) >= 7, differ


def test_strokes_for_stays_on_the_canvas_and_validates():
    rng = np.random.default_rng(0)
    for text in ["0", "42", "2026", "111111", "808080", "47474"]:
        for pen in (None, 6, 20):
            lines = E.strokes_for(text, rng, pen=pen)
            p = np.concatenate([np.asarray(l) for l in lines])
            m = (20 if pen is None else pen) / 2
            assert p[:, 0].min() >= m and p[:, 0].max() <= 440 - m, (text, pen)
            assert p[:, 1].min() >= m and p[:, 1].max() <= 150 - m, (text, pen)
            assert all(isinstance(x, float) and isinstance(y, float) for l in lines for x, y in l)
    with pytest.raises(ValueError):
        E.strokes_for("12a", rng)
    with pytest.raises(ValueError):
        E.strokes_for("", rng)
    with pytest.raises(ValueError):
        E.strokes_for("12", rng, style=[0])


def test_stroke_set_is_deterministic_in_bounds_and_not_clipped():
    a = E.stroke_set(16, seed=3, lengths=(1, 3, 4, 6))
    b = E.stroke_set(16, seed=3, lengths=(1, 3, 4, 6))
    c = E.stroke_set(4, seed=4, lengths=(1, 3, 4, 6))
    assert [t for t, _, _ in a] == [t for t, _, _ in b]
    assert all(np.array_equal(x[1], y[1]) and x[2] == y[2] for x, y in zip(a, b))
    assert [t for t, _, _ in c] != [t for t, _, _ in a[:4]]
    assert {len(t) for t, _, _ in a} <= {1, 3, 4, 6}
    for text, img, lines in a:
        assert text.isdigit()
        assert img.shape == (150, 440, 4) and img.dtype == np.uint8
        assert (img[..., 3] == 255).all()                   # the page's opaque white canvas
        p = np.concatenate([np.asarray(l) for l in lines])
        assert (p >= 0).all() and (p[:, 0] <= 439).all() and (p[:, 1] <= 149).all()
        ink = img[..., :3].min(-1) < 250
        assert ink.any()
        assert not (ink[0].any() or ink[-1].any() or ink[:, 0].any() or ink[:, -1].any())
        assert (np.ptp(p[:, 1])) >= 40                      # digits at a readable size


def test_render_canvas_inks_exactly_the_strokes():
    rng = np.random.default_rng(5)
    pen = 12
    lines = E.strokes_for("3907", rng, pen=pen)
    img = E.render_canvas(lines, pen=pen)
    assert img.shape == (150, 440, 4) and img.dtype == np.uint8
    # an independent mask: Pillow, 2 px wider than the pen, round joins and caps
    mask = Image.new("L", (440, 150), 0)
    d = ImageDraw.Draw(mask)
    r = pen / 2 + 2
    for line in lines:
        d.line(line, fill=255, width=int(2 * r), joint="curve")
        for x, y in line:
            d.ellipse((x - r, y - r, x + r, y + r), fill=255)
    near = np.asarray(mask) > 0
    ink = img[..., :3].min(-1) < 255
    assert ink.any() and not (ink & ~near).any()            # ink only near the strokes
    for line in lines:                                      # every mouse point is inked
        for x, y in line[1:-1]:
            assert img[int(y), int(x), :3].max() < 64
    bg = ~near
    assert (img[bg] == [255, 255, 255, 255]).all()
    # grey levels only at the anti-aliased edge
    grey = (img[..., 0] > 0) & (img[..., 0] < 255)
    assert 0 < grey.sum() < 0.6 * ink.sum()


def test_render_canvas_transparent_background_like_the_package_default():
    lines = [[(50.0, 50.0), (120.0, 90.0), (200.0, 60.0)]]
    img = E.render_canvas(lines, pen=10, background=None)
    untouched = img[..., 3] == 0
    assert untouched.any() and (img[untouched] == 0).all()   # (0, 0, 0, 0)
    assert (img[~untouched][:, :3] == 0).all()               # black ink, coverage in alpha
    assert img[..., 3].max() == 255
    opaque = E.render_canvas(lines, pen=10)
    assert np.array_equal(255 - opaque[..., 0], img[..., 3])  # same coverage either way
    red = E.render_canvas(lines, pen=10, color="#ff0000", background=None)
    assert (red[red[..., 3] > 0][:, :3] == [255, 0, 0]).all()
    with pytest.raises(ValueError):
        E.render_canvas(lines, pen=0)


def test_pencil_path_follows_fabric():
    pts = [(0.0, 0.0), (0.1, 0.0), (10.0, 0.0), (10.0, 10.0), (10.2, 10.0), (20.0, 10.0)]
    path = E._pencil_path(pts)
    assert tuple(path[0]) == (0.0, 0.0) and tuple(path[-1]) == (20.0, 10.0)
    # (0.1, 0) is within 0.4 px of (0, 0) and the second-to-last point is always dropped:
    # the curve never bends towards (10.2, 10)
    assert np.abs(path[:, 1]).max() <= 10.0 + 1e-9
    assert E._pencil_path([(3.0, 4.0)]).shape == (1, 2)


def test_photo_set_looks_like_photos():
    a = E.photo_set(3, seed=2)
    b = E.photo_set(3, seed=2)
    sizes = {(480, 640), (640, 480), (720, 1280), (1280, 720), (600, 800)}
    for (ta, ia), (tb, ib) in zip(a, b):
        assert ta == tb and np.array_equal(ia, ib)
        assert 3 <= len(ta) <= 6 and ta.isdigit()
        assert ia.dtype == np.uint8 and ia.ndim == 3 and ia.shape[2] == 3 and ia.shape[:2] in sizes
        H, W = ia.shape[:2]
        g = ia.astype(np.float32).mean(-1)
        mid = g[H // 4: 3 * H // 4, W // 4: 3 * W // 4]
        assert np.median(mid) > 120                          # paper, not table
        assert np.percentile(mid, 0.1) < np.median(mid) - 40  # and ink on it
        assert g.std() > 3
    assert [t for t, _ in E.photo_set(3, seed=3)] != [t for t, _ in a]


def test_mnist_half_ranges():
    assert E.mnist_half("first") == range(0, 5000)
    assert E.mnist_half("second") == range(5000, 10000)
    with pytest.raises(ValueError):
        E.mnist_half("third")
    assert E.mnist_available("/nonexistent/mnist") is False
    assert "../shared/data/mnist" in E.MNIST_SKIP_REASON


@needs_mnist
def test_mnist_strings_use_only_the_requested_half():
    _, labels = E.load_mnist()
    for half in ("first", "second"):
        got = E.mnist_strings(12, seed=1, half=half, length=4, return_indices=True)
        again = E.mnist_strings(12, seed=1, half=half, length=4, return_indices=True)
        rng = E.mnist_half(half)
        for (text, img, idx), (t2, i2, x2) in zip(got, again):
            assert text == t2 and idx == x2 and np.array_equal(img, i2)
            assert len(text) == 4 and len(idx) == 4
            assert all(k in rng for k in idx)
            assert "".join(str(int(labels[k])) for k in idx) == text
            assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
            assert 120 <= img.shape[0] <= 160
            g = img.mean(-1)
            assert np.median(g) > 230 and g.min() < 110         # dark ink on white paper
    plain = E.mnist_strings(3, seed=2, half="second", length=6)
    assert all(len(t) == 6 and isinstance(im, np.ndarray) for t, im in plain)
    with pytest.raises(ValueError):
        E.mnist_strings(1, seed=0, half="second", length=7)


def test_miss_sheet_shows_only_the_strings_read_wrong_with_truth_and_reading(tmp_path):
    """A picture of the misreadings (benchmarks/digits_eval.py --misses): one tile per wrong or
    refused string, in order, the model input drawn dark on white at 3x; a right reading gets none."""
    from PIL import Image
    from tests import caption_eval as CE
    x = np.zeros((32, 96), np.float32)
    x[8:24, 10:14] = 1.0                                            # one stroke of ink
    truths = ["1234", "5678", "9012", "3456"]
    reads = [CE.Read("1 2 3 4", np.ones(4)), CE.Read("5 6 7 3", np.ones(4)),
             CE.Read(None, np.zeros(0), "no ink"), CE.Read("4 5 6", np.ones(3))]
    inputs = ([x, x, None, x], [None, None, "no ink", None])
    path = tmp_path / "m.png"
    assert CE.miss_sheet(truths, reads, inputs, path, columns=2) == 3
    im = np.asarray(Image.open(path).convert("L"))
    tw, th = CE.MISS_TILE
    assert im.shape == (2 * th, 2 * tw)                             # 3 tiles, 2 a row
    first = im[2:th - 2, 2:tw - 2]                                  # "5678" read "5 6 7 3"
    assert (first[18 + 3 * 8:18 + 3 * 24, 3 * 10:3 * 14] == 0).all()   # the stroke, at 3x, dark
    assert first[18 + 3 * 8:18 + 3 * 24, 3 * 20:3 * 30].min() == 255   # white beside it
    refused = im[2:th - 2, tw + 2:2 * tw - 2]
    assert refused[20:].min() == 255                                # no input drawn
    assert (im[th:, tw:] == 128).all()                               # no 4th tile: the right reading
    assert CE.miss_sheet(truths[:1], reads[:1], ([x], [None]), tmp_path / "none.png") == 0
