"""Home: what Attention Explorer is, where to start, and one-click lesson presets."""
import streamlit as st

from dashboard import presets, ui

ui.page_setup("home")
st.title("Attention Explorer")
st.markdown(
    "See what attention does — in a real pretrained transformer (all-MiniLM-L6-v2, running "
    "here, offline) and in the textbook mechanisms: **soft**, **hard** and **self-attention**, "
    "**global** or **local** with a window. Every number on every page can be checked by hand "
    "from the formulas the page states.")

st.subheader("Pages")
ui.page_links([
    ("pages/sentence.py", "sentence", "Sentence — type a sentence, pick a mechanism, read the heatmap",
     ":material/notes:"),
    ("pages/model.py", "model", "Model explorer — all 72 heads at once, head lines, q·k step by step, "
     "statistics, rollout, counterfactual attention", ":material/grid_view:"),
    ("pages/image.py", "image", "Image — upload or pick a photo, click a patch, see where it attends",
     ":material/image:"),
    ("pages/translate.py", "translate", "Translate — align two sentences by cross-attention (global, local-m, local-p)",
     ":material/translate:"),
    ("pages/summarize.py", "summarize", "Summarize — an extractive summary by attention pooling over sentences",
     ":material/summarize:"),
    ("pages/learn.py", "learn", "Learn — the formulas step by step on a tiny example you can edit",
     ":material/school:"),
    ("pages/compare.py", "compare", "Compare — 2 to 4 mechanisms side by side, differences, entropy, KL and JS",
     ":material/compare:"),
])

st.subheader("Lesson presets")
st.caption("Each opens a page with its settings in the link, ready for a classroom.")
cols = st.columns(3)
for i, (title, page, blurb, query) in enumerate(presets.LESSONS):
    with cols[i % 3].container(border=True):
        st.markdown(f"**{title}**")
        st.caption(blurb)
        try:
            st.page_link(page, label="Open", icon=":material/arrow_forward:", query_params=query)
        except Exception:  # outside the router (bare page run): a plain link
            import urllib.parse
            st.markdown(f"[Open](/{page.split('/')[-1][:-3]}?{urllib.parse.urlencode(query)})")
