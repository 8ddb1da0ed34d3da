"""The Image page (the mechanism on hand-made features) through AppTest: clicks, uploads,
share-link params (old ones too), views.

A click is simulated the way the browser sends it: a widget state for the chart's element id
holding the selection JSON (``st.plotly_chart`` refuses ``session_state`` writes to its key).
"""
from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.plotly_utils import decode, run_page

from attention import attend
from attention.image import image_to_bytes
from attention.image_attention import block_mean, head_weights, project_queries
from features.image import compute, source
from features.image.state import Settings
from features.image.view import UPLOAD_OPEN
from ui.uploads import max_upload_bytes

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "image.py")


# ------------------------------------------------------------------ helpers
def typed(a) -> np.ndarray:
    """Plotly 7 JSON array (``{"dtype", "bdata", "shape"}`` or a list) -> numpy."""
    return decode(a)


def overlay(at) -> dict:
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


def overlay_z(at) -> np.ndarray:
    hm = [d for d in overlay(at)["data"] if d["type"] == "heatmap"][0]
    return typed(hm["z"]).astype(float)


def image_source(at) -> str:
    return [d for d in overlay(at)["data"] if d["type"] == "image"][0]["source"]


def click(at, row: int, col: int) -> None:
    """Send what the browser sends when the patch (row, col) of the overlay is clicked."""
    chart = at.get("plotly_chart")[0]
    ws = at._tree.get_widget_states()
    w = ws.widgets.add()
    w.id = chart.proto.id
    w.string_value = json.dumps({"selection": {
        "points": [{"x": col, "y": row, "curve_number": 3, "point_index": 0, "point_number": 0}],
        "point_indices": [0], "box": [], "lasso": []}})
    at._run(ws)


def new_page(**query) -> AppTest:
    return run_page(PAGE, 60, **query)


def uploader_page() -> AppTest:
    """The page with "Your own image" opened (a lazy section: the uploader exists only while open)."""
    at = new_page()
    assert not at.get("file_uploader")
    at.session_state[UPLOAD_OPEN] = True
    at.run()
    assert not at.exception and len(at.get("file_uploader")) == 1
    return at


def errors(at) -> list[str]:
    return [e.value for e in at.error]


def sample_bundle(name: str, patch: int) -> dict:
    return compute.build_bundle(compute.sample_picture(name).image, patch)


def reference_row(name: str, patch: int, row: int, col: int, s: Settings) -> np.ndarray:
    """Row (row, col) of ``attend`` over all N patches at once (the 2-D window as ``scope="grid"``);
    for hard_sampled the soft p the draws come from."""
    b = sample_bundle(name, patch)
    gh, gw = b["grid"]
    x = torch.from_numpy(b["features"].copy())
    q = project_queries(x, s.W_a, s.seed)
    scope = dict(scope="grid", grid=(gh, gw), window=s.window) if s.scope == "grid" else {}
    full = attend(q, x, x, score=s.score, normalization=s.normalization, temperature=s.temperature,
                  heads=s.heads, seed=s.seed, **scope)
    shown = full.probs if s.normalization == "hard_sampled" else full.weights
    return head_weights(shown, s.head)[row * gw + col].reshape(gh, gw).astype(float)


@pytest.fixture(scope="module")
def at_default():
    return new_page()


# ------------------------------------------------------------------ clicks
def test_default_overlay_is_attends_row(at_default):
    at = at_default
    assert not errors(at)
    ref = reference_row("coffee", 16, at.session_state["row"], at.session_state["col"], Settings())
    np.testing.assert_allclose(overlay_z(at), ref, rtol=1e-5, atol=1e-7)


def test_click_moves_the_query_and_the_overlay():
    at = new_page(normalization="hard", scope="grid", window="2", temperature="0.5")
    before = overlay_z(at)
    click(at, 3, 4)
    assert not at.exception and not errors(at)
    assert (at.session_state["row"], at.session_state["col"]) == (3, 4)
    s = Settings(normalization="hard", scope="grid", window=2, temperature=0.5)
    ref = reference_row("coffee", 16, 3, 4, s)
    z = overlay_z(at)
    np.testing.assert_allclose(np.nan_to_num(z), ref, atol=1e-7)      # NaN = outside the window
    assert np.isnan(z[10, 20]) and not np.array_equal(np.nan_to_num(before), np.nan_to_num(z))
    assert str(at.query_params["row"]) in ("3", "['3']") and str(at.query_params["col"]) in ("4", "['4']")
    # a second click, on a soft multi-head view
    at.selectbox(key="heads").set_value("2")
    at.radio(key="normalization").set_value("soft")
    at.run()
    click(at, 15, 30)
    s = Settings(scope="grid", window=2, temperature=0.5, heads=2)
    np.testing.assert_allclose(np.nan_to_num(overlay_z(at)), reference_row("coffee", 16, 15, 30, s),
                               rtol=1e-5, atol=1e-7)


def test_share_link_params_and_bad_values():
    at = new_page(sample="cat", patch="32", row="2", col="5", normalization="hard_sampled", temperature="9",
                  heads="4", head="3")
    assert any("temperature" in w.value for w in at.warning)    # out of range -> default + notice
    s = Settings(normalization="hard_sampled", heads=4, head=2)
    np.testing.assert_allclose(overlay_z(at), reference_row("cat", 32, 2, 5, s), rtol=1e-5, atol=1e-7)
    names = [d.get("name") for d in overlay(at)["data"]]
    assert "hard samples" in names
    assert "Licence" in " ".join(c.value for c in at.caption)


def test_patch_change_keeps_the_query_on_the_same_pixel():
    at = new_page(row="10", col="16")
    at.selectbox(key="patch").set_value("32").run()
    assert (at.session_state["row"], at.session_state["col"]) == (5, 8)
    at.selectbox(key="patch").set_value("64").run()
    assert (at.session_state["row"], at.session_state["col"]) == (2, 4)


def test_pooling_and_matrix_views():
    at = new_page(view="pooling", score="additive")
    assert not errors(at) and len(at.get("plotly_chart")) == 1
    z = overlay_z(at)
    assert z.sum() == pytest.approx(1.0, abs=1e-4) and z.std() > 0   # additive: non-uniform saliency
    click(at, 4, 6)                                                  # click picks the pooling query
    assert at.session_state["pooling_query"] == "patch"
    at = new_page(view="matrix", sample="cat", patch="32", scope="grid", window="2", heads="2", head="2")
    b = sample_bundle("cat", 32)
    x = torch.from_numpy(b["features"].copy())
    full = attend(x, x, x, scope="grid", grid=b["grid"], window=2, heads=2)
    ref = block_mean(head_weights(full.weights, 1), 64)[0]
    z = typed(json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["z"])
    assert z.shape == ref.shape and ref.shape[0] < b["grid"][0] * b["grid"][1]   # really downsampled
    np.testing.assert_allclose(z, ref, rtol=1e-5, atol=1e-8)
    at = new_page(view="matrix", sample="astronaut", patch="8")     # 64 × 64 = 4,096 patches
    assert not errors(at)
    z = typed(json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["z"])
    assert z.shape == (64, 64)
    assert any("4,096 × 4,096" in c.value for c in at.caption)


# ------------------------------------------------------------------ uploads
def png_declaring(w: int, h: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def photo(w=64, h=48, seed=0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8))


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (32, 32), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    assert Image.open(io.BytesIO(buf.getvalue())).n_frames == 3
    return buf.getvalue()


GOOD_PNG = image_to_bytes(photo(), "PNG")
BAD = {   # name -> (file name, bytes, words the message must contain)
    "text": ("notes.png", b"just some text, definitely not pixels\n" * 5, "text file"),
    "empty": ("empty.png", b"", "empty"),
    "truncated": ("cut.png", image_to_bytes(photo(200, 200), "PNG")[:3000], "truncated"),
    "corrupt": ("garbage.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8, "image"),
    "bomb": ("bomb.png", png_declaring(30000, 30000), "too many pixels"),
    "bomb_ours": ("big.png", png_declaring(8000, 6000), "8000×6000"),
    "pdf": ("paper.png", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
}
ODD_BUT_FINE = {  # name -> (file name, bytes, words a note must contain or None)
    "1x1": ("dot.png", image_to_bytes(Image.new("RGB", (1, 1), (200, 10, 10)), "PNG"), "enlarged"),
    "10000x10": ("strip.png", image_to_bytes(photo(10000, 10), "PNG"), "aspect ratio"),
    "16bit": ("deep.png", image_to_bytes(Image.fromarray(np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 16), "PNG"), "8 bits"),
    "cmyk": ("print.jpg", image_to_bytes(photo().convert("CMYK"), "JPEG"), "CMYK"),
    "palette": ("pal.png", image_to_bytes(photo().convert("P", palette=Image.Palette.ADAPTIVE), "PNG"), None),
    "animated": ("anim.gif", animated_gif(), "first frame"),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_an_upload_is_refused_with_a_clear_sentence(kind):
    name, data, word = BAD[kind]
    pic, error = source.picture_of(name, data)
    assert pic is None and word.lower() in error.lower()
    assert "Traceback" not in error and "\n" not in error


@pytest.mark.parametrize("kind", list(ODD_BUT_FINE))
def test_odd_uploads_are_accepted(kind):
    name, data, word = ODD_BUT_FINE[kind]
    pic, error = source.picture_of(name, data)
    assert pic is not None and pic.key.startswith("upload:") and pic.kind == "upload", error
    b = compute.build_bundle(pic.image, 64, size=pic.size)
    if word:
        assert any(word in n for n in pic.notes + tuple(b["notes"]))
    assert np.isfinite(b["features"]).all()


def test_bad_uploads_on_the_page_keep_the_previous_image():
    at = uploader_page()
    sample_src = image_source(at)
    for kind, (name, data, word) in BAD.items():          # nothing uploaded yet: the sample stays
        at.file_uploader(key="upload").set_value((name, data, "application/octet-stream")).run()
        assert not at.exception, kind
        msgs = errors(at)
        assert len(msgs) == 1 and word.lower() in msgs[0].lower() and name in msgs[0], (kind, msgs)
        assert "still showing the sample" in msgs[0].lower()
        assert image_source(at) == sample_src, kind
    at.file_uploader(key="upload").set_value(("good.png", GOOD_PNG, "image/png")).run()
    assert not errors(at)
    good_src = image_source(at)
    assert good_src != sample_src
    assert any("not** part of the share link" in c.value for c in at.caption)
    for kind, (name, data, word) in BAD.items():          # now the earlier upload stays
        at.file_uploader(key="upload").set_value((name, data, "application/octet-stream")).run()
        msgs = errors(at)
        assert not at.exception and len(msgs) == 1 and "earlier upload" in msgs[0], (kind, msgs)
        assert image_source(at) == good_src, kind
        at.run()                                            # the error stays while the file does
        assert len(errors(at)) == 1 and image_source(at) == good_src
    click(at, 1, 2)                                         # the kept image is still interactive
    assert (at.session_state["row"], at.session_state["col"]) == (1, 2) and image_source(at) == good_src
    at.file_uploader(key="upload").set_value(None).run()    # an empty uploader keeps the image
    assert not errors(at) and image_source(at) == good_src
    at.button(key="to_sample").click().run()                # the button goes back to the sample
    assert not errors(at) and image_source(at) == sample_src


def test_odd_uploads_on_the_page_are_shown():
    at = uploader_page()
    seen = {image_source(at)}
    for kind, (name, data, word) in ODD_BUT_FINE.items():
        at.file_uploader(key="upload").set_value((name, data, "image/png")).run()
        assert not at.exception and not errors(at), (kind, errors(at))
        src = image_source(at)
        assert src not in seen, kind
        seen.add(src)
        if word:
            assert any(word in i.value for i in at.info), kind


def test_an_upload_over_the_configured_limit_is_refused_on_the_page():
    """Issue 15.8: the uploader says "Limit 20MB" (10**6-byte MB): a valid image one byte over it is
    refused with that number (it used to pass the app's own 20 MiB check)."""
    limit = max_upload_bytes()
    over = GOOD_PNG + b"\0" * (limit + 1 - len(GOOD_PNG))           # a valid PNG, padded after IEND
    at = uploader_page()
    sample_src = image_source(at)
    at.file_uploader(key="upload").set_value(("big.png", over, "image/png")).run()
    msgs = errors(at)
    assert len(msgs) == 1 and f"{limit / 1e6:g} MB ({limit:,} bytes) upload limit" in msgs[0], msgs
    assert image_source(at) == sample_src


def test_old_share_link_keys_and_values_still_work():
    """Links made before the rename (type=sampled, temp=, radius=, scope=window, qr/qc, wa, pq, pos)
    open the same view, with no notice, and the URL is rewritten with the new names."""
    at = new_page(type="sampled", temp="0.5", scope="window", radius="2", qr="3", qc="4", wa="random",
                  pq="patch", pos="1", seed="3")
    assert not at.warning, [w.value for w in at.warning]
    s = at.session_state
    assert (s["normalization"], s["temperature"], s["scope"], s["window"], s["row"], s["col"], s["W_a"],
            s["pooling_query"], s["position_encoding"]) == ("hard_sampled", 0.5, "grid", 2, 3, 4, "random",
                                                            "patch", True)
    qp = dict(at.query_params)
    assert not {"type", "temp", "radius", "qr", "qc", "wa", "pq", "pos"} & set(qp)
    assert qp["scope"] in ("grid", ["grid"]) and qp["normalization"] in ("hard_sampled", ["hard_sampled"])


def test_changing_the_row_after_a_click_sticks():
    """A click sets the query; typing another row afterwards is not undone by the old click."""
    at = new_page(patch="32")
    click(at, 3, 5)
    assert (at.session_state["row"], at.session_state["col"]) == (3, 5)
    at.number_input(key="row").set_value(7).run()
    at.run()
    assert (at.session_state["row"], at.session_state["col"]) == (7, 5)
    np.testing.assert_allclose(overlay_z(at), reference_row("coffee", 32, 7, 5, Settings()), rtol=1e-5, atol=1e-7)
