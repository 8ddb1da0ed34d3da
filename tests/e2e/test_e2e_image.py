"""The Image page (the mechanism on hand-made features) in a real browser: click a patch, upload
images (good, corrupt, a bomb).  The uploader sits in the "Your own image" section beside the chart
(a lazy expander: the uploader exists only while it is open)."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

import stbrowser as S

pytestmark = pytest.mark.e2e

UPLOAD = '[data-testid="stFileUploaderDropzoneInput"]'


def _png(path, size=(96, 64), color=(200, 30, 30)):
    im = Image.new("RGB", size, color)
    im.paste((20, 40, 220), (0, 0, size[0] // 2, size[1]))     # two halves: something to attend to
    im.save(path)
    return path


def _bomb(path):
    """A 100-byte PNG that declares 30000 x 30000 pixels."""
    def chunk(t, data):
        return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16))
                     + chunk(b"IEND", b""))
    return path


def _upload(page, path):
    if page.locator(UPLOAD).count() == 0:                   # open "Your own image" first, as a user does
        n = S.runs(page)
        page.get_by_test_id("stExpander").filter(has_text="Your own image").locator("summary").click()
        S.wait_idle(page, n)
        page.locator(UPLOAD).wait_for(state="attached")
    n = S.runs(page)
    page.locator(UPLOAD).set_input_files(str(path))
    S.wait_idle(page, n, plot=True)


def test_click_a_patch_makes_it_the_query(tab, base_url, artifacts):
    page = tab.page
    S.goto(page, f"{base_url}/image?patch=32")              # coffee: 11 x 16 patches
    assert "row=3" not in page.url
    S.click_cell(page, 5, 3)                                # x = column, y = row (patch coordinates)
    S.shot(page, artifacts, "image-01-clicked-patch")
    assert "row=3" in page.url and "col=5" in page.url      # the clicked patch is the query, in the link
    assert S.problems(page) == [] and tab.offsite == []
    # the table of top patches is for the clicked query
    assert "(3, 5)" in page.locator('[data-testid="stMain"]').inner_text()


def test_uploads_good_bad_and_bomb(tab, base_url, artifacts, tmp_path):
    page = tab.page
    S.goto(page, f"{base_url}/image")
    _upload(page, _png(tmp_path / "two<b>halves<i>.png"))
    S.shot(page, artifacts, "image-02-uploaded")
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "Showing your upload" in main and "two<b>halves<i>.png" in main   # file name literal
    S.assert_no_injection(page)
    assert page.locator("b", has_text="halves").count() == 0

    truncated = tmp_path / "broken.png"
    truncated.write_bytes((tmp_path / "two<b>halves<i>.png").read_bytes()[:60])
    _upload(page, truncated)
    S.shot(page, artifacts, "image-03-corrupt-upload")
    alerts = " ".join(S.alerts(page))
    assert "broken.png" in alerts and "Still showing your earlier upload" in alerts, alerts
    assert page.locator(".js-plotly-plot").count() >= 1     # the previous image is still drawn

    _upload(page, _bomb(tmp_path / "bomb.png"))
    S.shot(page, artifacts, "image-04-bomb-upload")
    alerts = " ".join(S.alerts(page))
    assert "bomb.png" in alerts and "pixels" in alerts and "Still showing" in alerts, alerts
    assert S.problems(page) == [] and S.connected(page)
