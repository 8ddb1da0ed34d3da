"""Which picture the page shows: the chosen sample, or the last upload that decoded.

Kept in session state (uploads are never part of the share link):

* a new file that decodes becomes the shown picture;
* a new file that does not keeps the previous picture (sample or earlier upload) and its error
  is shown for as long as that file sits in the uploader;
* an empty uploader changes nothing (the browser empties it for a moment when one file
  replaces another): going back to the sample is :func:`choose_sample`'s job.
"""
from __future__ import annotations

import hashlib
from typing import Any, Optional

import streamlit as st

from ui import uploads

from .compute import DECODE_SIDE, Picture, sample_picture

CURRENT = "_image_current"      # Picture of the last good upload, or None (= the chosen sample)
SEEN = "_image_upload_seen"     # id of the last uploaded file that was decoded
ERROR = "_image_upload_error"   # (file name, message) for that file if it was refused


def picture_of(name: str, data: bytes) -> tuple[Optional[Picture], str]:
    """Decode an upload: ``(Picture, "")`` or ``(None, one clear sentence)``.  The cache key is
    the SHA-256 of the bytes, so two sessions uploading the same file share its features."""
    d = uploads.decode_image(data, max_side=DECODE_SIDE)
    if not d.ok:
        return None, d.error
    key = "upload:" + hashlib.sha256(bytes(data)).hexdigest()[:24]
    return Picture("upload", name, key, d.image, d.size, d.notes), ""


def _file_id(uploaded) -> Any:
    return getattr(uploaded, "file_id", None) or (uploaded.name, uploaded.size)


def sync_upload(uploaded) -> Optional[tuple[str, str]]:
    """Keep the shown picture in step with the uploader; ``(file name, message)`` while the
    uploader holds a refused file, else None."""
    ss = st.session_state
    if uploaded is None:
        ss.pop(SEEN, None)
        ss.pop(ERROR, None)
        return None
    fid = _file_id(uploaded)
    if ss.get(SEEN) != fid:
        ss[SEEN] = fid
        pic, error = picture_of(uploaded.name, uploaded.getvalue())
        if pic is not None:
            ss[CURRENT] = pic
        ss[ERROR] = (uploaded.name, error) if error else None
    return ss.get(ERROR)


def choose_sample() -> None:
    """on_change of the sample picker / the "Show the sample" button: show the sample
    (an upload stays in the uploader, unused)."""
    st.session_state[CURRENT] = None


def current(sample: str) -> Picture:
    """The picture to show: the last good upload, else the chosen sample."""
    return st.session_state.get(CURRENT) or sample_picture(sample)
