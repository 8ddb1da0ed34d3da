"""Home layout: the live picture next to what the app is; the presets as the way in."""
from __future__ import annotations

import urllib.parse

import streamlit as st

import figures
from attention import attend
from attention.models.minilm import display_tokens
from ui import charts, models

from .presets import LESSONS, PICTURE


def warm() -> None:
    """Compute the picture's model outputs once (called when the server starts)."""
    models.encode(PICTURE["text"])


def picture(colorscale: str) -> None:
    """The first lesson's head, computed live by the model: "it" attends to "animal"."""
    enc = models.encode(PICTURE["text"])
    l, h = PICTURE["layer"] - 1, PICTURE["head"] - 1
    q, k, v = (enc[a][l, h] for a in ("queries", "keys", "values"))
    w = attend(q, k, v).weights[0].numpy()                                  # (n, n)
    labels = display_tokens(list(enc["tokens"]))
    fig = figures.heatmap(w, labels, labels, colorscale=colorscale, highlight_row=PICTURE["row"],
                          title=f"all-MiniLM-L6-v2, layer {l + 1}, head {h + 1}", height=430)
    charts.plot(fig, key="home_picture", name="home_layer4_head2")
    st.caption("Computed live from the model running on this server: row 10 (“it”) puts most of its "
               "attention on “animal”.")


def lessons() -> None:
    st.header("Start with a lesson")
    cols = st.columns(2)
    for i, (title, page_file, blurb, query) in enumerate(LESSONS):
        with cols[i % 2].container(border=True):
            st.markdown(f"**{title}**")
            st.caption(blurb)
            try:
                st.page_link(page_file, label="Open", icon=":material/arrow_forward:", query_params=query)
            except Exception:  # noqa: BLE001 - outside the router (bare page run): a plain link
                st.markdown(f"[Open](/{page_file.split('/')[-1][:-3]}?{urllib.parse.urlencode(query)})")
