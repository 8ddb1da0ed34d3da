"""Home: what Attention Explorer is and where to start."""
import streamlit as st

from dashboard import ui

ui.page_setup("home")
st.title("Attention Explorer")
st.markdown(
    "See what attention does — in a real pretrained transformer (all-MiniLM-L6-v2, running "
    "here, offline) and in the textbook mechanisms: **soft**, **hard** and **self-attention**, "
    "**global** or **local** with a window. Every number on every page can be checked by hand "
    "from the formulas the page states.")
ui.page_links([("pages/sentence.py", "sentence", "Sentence: type a sentence, pick a mechanism, read the heatmap",
                ":material/notes:")])
