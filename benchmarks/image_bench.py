"""Image page helpers for benchmarks/run.py (moved out of app code): "a click on patch (r, c)"
-> overlay figure, and the figure's JSON size.  Same names as the old ``dashboard.image_view``."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from features.image import captions, compute, figures  # noqa: E402
from features.image.state import Settings  # noqa: E402
from ui import uploads  # noqa: E402

MAX_SIDE = compute.MAX_SIDE
__all__ = ["MAX_SIDE", "Settings", "build_bundle", "click_overlay", "payload_bytes"]


def build_bundle(data: bytes, patch: int, position: bool = False) -> dict:
    """Decode (as an upload) + prepare + features of image bytes, uncached."""
    d = uploads.decode_image(data, max_side=compute.DECODE_SIDE, max_bytes=1 << 30)
    return compute.build_bundle(d.image, patch, position, d.size)


def click_overlay(b: dict, s: Settings, row: int, col: int, title: str = "benchmark"):
    """What the server does when patch (row, col) is clicked: ``(figure, QueryView)``."""
    v = compute.query_view(b, s, row, col)
    fig = figures.overlay(b["uri"], b["grid"], b["patch"], v.values, v.in_scope, index=v.index,
                          argmax=v.argmax, samples=v.samples, windowed=captions.windowed(s), title=title,
                          colorscale="Viridis", opacity=0.75)
    return fig, v


def payload_bytes(grid: int, sample: str = "astronaut") -> int:
    """Bytes of the overlay figure's JSON at ``grid × grid`` patches (512-px square sample,
    patch = 512 / grid), default settings, centre query: what one click sends to the browser."""
    b = compute.build_bundle(compute.sample_picture(sample).image, MAX_SIDE // grid)
    gh, gw = b["grid"]
    fig, _ = click_overlay(b, Settings(), gh // 2, gw // 2)
    return len(fig.to_json())
