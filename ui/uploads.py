"""Uploaded images: the one upload policy of the app (limits, formats, messages).

Any page that takes a picture uses this module (the Image page, the Read digits page):

    file, problem = uploads.image_uploader("Your own image", key="upload")
    if file is not None:
        d = uploads.decode_image(file.getvalue(), max_side=1024)
        if d.ok:
            use(d.image)            # PIL "RGB", longer side <= max_side
        else:
            st.error(d.error)       # one clear sentence, never a traceback

* :func:`max_upload_bytes`: THE byte limit.  It is Streamlit's own ``server.maxUploadSize``
  (``.streamlit/config.toml``) in decimal megabytes (10**6 bytes), which is what the browser's
  uploader says ("Limit 20MB per file") and enforces (Linux / macOS; Streamlit's server allows
  up to 2**20-byte megabytes, so this check is the tighter one).  No second number exists.
* :func:`decode_image`: validate and decode bytes with **bounded decoded pixels**: the declared
  size is checked before any pixel is decoded; a large JPEG is decoded at 1/2, 1/4 or 1/8 scale
  (Pillow's ``draft``), other formats are box-reduced right after decoding, and only the small
  image is rotated (EXIF) and converted to RGB (``attention.image.to_rgb``).
* :func:`image_uploader`: ``st.file_uploader`` limited to :data:`TYPES`, never raising.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Optional

import streamlit as st
from PIL import Image, ImageOps

from attention.image import to_rgb

__all__ = ["TYPES", "FORMAT_LIST", "MAX_PIXELS", "Decoded", "max_upload_bytes", "limit_text",
           "decode_image", "image_uploader"]

#: file name extensions the uploader offers (``st.file_uploader(type=...)``)
TYPES = ("png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff")
#: Pillow format names accepted.  Phone JPEGs with extra frames come back labelled "MPO" by
#: Pillow's JPEG opener, so "MPO" must not be listed (it has no opener of its own).
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")
FORMAT_LIST = "PNG, JPEG, WebP, BMP, GIF or TIFF"
#: declared width * height above this is refused before any pixel is decoded
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class Decoded:
    """What :func:`decode_image` made of some bytes.

    image: ``PIL.Image`` in mode "RGB", upright (EXIF applied), longer side ``<= max_side``
           (exactly ``max_side`` when the file was larger); None when refused.
    error: one user-facing sentence when refused, else "".
    size:  ``(width, height)`` of the file's picture, upright, before any reduction.
    notes: sentences worth telling the user (first frame of an animation, CMYK, 16 bits ...).
    """
    image: Optional[Image.Image] = None
    error: str = ""
    size: tuple[int, int] = (0, 0)
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.image is not None


def max_upload_bytes() -> int:
    """The upload limit in bytes: Streamlit's ``server.maxUploadSize`` x 10**6."""
    return int(st.get_option("server.maxUploadSize")) * 1_000_000


def limit_text() -> str:
    """The limit as users read it, e.g. ``"20 MB"``."""
    return f"{max_upload_bytes() / 1e6:g} MB"


# ------------------------------------------------------------------ messages
def _sniff_document(data: bytes) -> Optional[str]:
    """A friendly name for common non-image uploads recognised by their magic bytes, or None."""
    if data.startswith(b"%PDF"):
        return "a PDF document"
    if data.startswith(b"PK\x03\x04"):
        return "a ZIP archive (or an Office document)"
    if data[:256].lstrip().lower().startswith((b"<svg", b"<?xml")):
        return "an SVG/XML file (vector images are not supported)"
    return None


def _looks_like_text(data: bytes) -> bool:
    try:
        text = data[:1024].decode("utf-8")
    except UnicodeDecodeError:      # may also be a multi-byte character cut at 1024: fine, not "text"
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def _other_format(data: bytes) -> Optional[str]:
    """Pillow's name for an image format we don't accept (only the header is read), or None."""
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"):
        return "HEIC"
    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.format
    except Exception:  # noqa: BLE001 - any failure just means "unknown"
        return None


def _unreadable(data: bytes) -> str:
    """Why Pillow could not open ``data`` (restricted to FORMATS), as one sentence."""
    kind = _sniff_document(data)
    fmt = None if kind else _other_format(data)
    if kind is None and fmt is None and _looks_like_text(data):
        kind = "a text file"
    if kind:
        return f"This looks like {kind}, not an image; please upload a {FORMAT_LIST} file."
    if fmt:
        return f"{fmt} images are not supported; please upload a {FORMAT_LIST} file."
    return f"This file is not a recognisable image (or it is damaged); please upload a {FORMAT_LIST} file."


def _too_many_pixels(w: int, h: int, max_pixels: int) -> str:
    return (f"The image declares {w}×{h} pixels ({w * h / 1e6:,.0f} million), more than the "
            f"{max_pixels / 1e6:,.0f} million allowed; please upload a smaller image.")


def _notes(frames: int, mode: str) -> tuple[str, ...]:
    out = []
    if frames > 1:
        out.append(f"The file has {frames} frames (an animation or multi-page file): the first frame is used.")
    if mode.startswith("I;16") or mode in ("I", "F"):
        out.append(f"High bit depth ({mode}) was scaled to 8 bits per channel.")
    if mode == "CMYK":
        out.append("CMYK colours were converted to RGB.")
    return tuple(out)


# ------------------------------------------------------------------ decoding
def decode_image(data, *, max_side: int = 1024, max_bytes: Optional[int] = None,
                 max_pixels: int = MAX_PIXELS) -> Decoded:
    """Validate and decode uploaded bytes into a small upright RGB image; never raises for bad bytes.

    Args:
        data: the file's bytes (bytes / bytearray / memoryview).
        max_side: the longer side of the returned image is at most this (>= 1).  Decoding is
            bounded too: a JPEG is decoded at the smallest of 1/1 .. 1/8 scale that still covers
            ``max_side`` (``Image.draft``); other formats are reduced by whole factors
            (``Image.reduce``); then a bicubic resample to ``max_side``, all before rotation and
            conversion, so a 40-megapixel JPEG never exists as 40 million RGB pixels here.
        max_bytes: refuse longer inputs; default :func:`max_upload_bytes`.
        max_pixels: refuse images whose *declared* width x height exceeds this, before decoding.

    Returns:
        :class:`Decoded` -- ``ok`` with ``image``, or ``error`` (one sentence, no traceback).

    Conversion to RGB follows :func:`attention.image.to_rgb` (alpha on white, 16-bit scaled,
    CMYK inverted ...).  Accepted: PNG, JPEG (incl. MPO), WebP, BMP, GIF, TIFF; animations and
    multi-page files give their first frame.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"decode_image expects bytes, got {type(data).__name__}")
    if max_side < 1:
        raise ValueError(f"max_side must be >= 1, got {max_side}")
    data = bytes(data)
    limit = max_upload_bytes() if max_bytes is None else int(max_bytes)
    if not data:
        return Decoded(error="The file is empty (0 bytes).")
    if len(data) > limit:
        return Decoded(error=f"The file is {len(data):,} bytes ({len(data) / 1e6:.1f} MB), more than the "
                             f"{limit / 1e6:g} MB ({limit:,} bytes) upload limit.")
    try:
        im = Image.open(io.BytesIO(data), formats=FORMATS)
    except _BOMB:
        return Decoded(error="The image declares far too many pixels; please upload a smaller image.")
    except Exception:  # noqa: BLE001 - UnidentifiedImageError or a plugin choking on a bad header
        return Decoded(error=_unreadable(data))
    with im:
        return _bounded_rgb(im, max_side, max_pixels)


# No warnings.catch_warnings(): it swaps process-global state and is not thread-safe (sessions run
# in threads).  Pillow only *warns* between ~89 M and ~179 M pixels, which max_pixels refuses
# anyway; the warning class is caught in case a caller's filters raise it.
_BOMB = (Image.DecompressionBombError, Image.DecompressionBombWarning)


def _bounded_rgb(im: Image.Image, max_side: int, max_pixels: int) -> Decoded:
    """An opened (not yet decoded) image -> :class:`Decoded`: size checks, then a decode bounded
    to ``max_side`` (draft / reduce), then EXIF rotation and RGB conversion of the small image."""
    w, h = im.size
    if w < 1 or h < 1:
        return Decoded(error="The image has no pixels (zero width or height).")
    if w * h > max_pixels:
        return Decoded(error=_too_many_pixels(w, h, max_pixels))
    frames, mode = int(getattr(im, "n_frames", 1) or 1), im.mode
    try:
        if max(w, h) > max_side:
            # JPEG: draft (decode at 1/2..1/8 scale); others: decode, reduce(), bicubic
            im.thumbnail((max_side, max_side), Image.Resampling.BICUBIC, reducing_gap=1.0)
        else:
            im.load()               # a full decode of frame 0: truncation and corruption surface here
    except _BOMB:
        return Decoded(error=_too_many_pixels(w, h, max_pixels))
    except MemoryError:
        return Decoded(error="The image is too large to decode in the memory available.")
    except Exception:  # noqa: BLE001 - OSError, SyntaxError, ValueError, EOFError, ...
        return Decoded(error="The image data is truncated or corrupt and could not be decoded.")
    try:
        upright = ImageOps.exif_transpose(im)         # (after decoding: PNG's EXIF may follow the pixels)
    except Exception:  # noqa: BLE001 - broken EXIF: keep the pixels as stored
        upright = im
    turned = upright.size != im.size                   # a quarter turn: the file's sides swap
    try:
        rgb = to_rgb(upright)
    except ValueError:
        return Decoded(error=f"Images in the {upright.mode} colour mode are not supported; please save it as RGB.")
    return Decoded(image=rgb, size=(h, w) if turned else (w, h), notes=_notes(frames, mode))


def image_uploader(label: str, key: str, where=None, **kwargs):
    """``st.file_uploader`` for one image of :data:`TYPES`, with the limit in its help text.

    Returns ``(file or None, problem or None)``: Streamlit refuses some file names itself (a
    forbidden extension raises); that becomes a sentence instead of a traceback.
    """
    where = where if where is not None else st
    kwargs.setdefault("help", f"{FORMAT_LIST}; at most {limit_text()}. The file stays in this "
                              "browser session.")
    try:
        return where.file_uploader(label, type=list(TYPES), key=key, **kwargs), None
    except Exception:  # noqa: BLE001 - e.g. a file name with a forbidden extension
        return None, f"Only {FORMAT_LIST} files can be used."
