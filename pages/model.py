"""Model explorer: every layer and head of all-MiniLM-L6-v2 -- what BertViz shows, and more
(head statistics, rollout, counterfactual attention, sentence-pair blocks, 512 tokens)."""
import streamlit as st

from attention.explore import BLOCKS, VARIANT_NORMS, VARIANT_SCOPES
from dashboard import model_view as MV, params as P, presets, ui

PARAMS = [
    P.Text("text", "Text (segment A)", presets.DEFAULT_SENTENCE, max_chars=10_000),
    P.Text("pair", "Second segment B (optional: the model reads “A [SEP] B”)", "", max_chars=10_000),
    P.Choice("view", "View", "model", options=tuple(MV.VIEWS), labels=tuple(MV.VIEWS.values())),
    P.Int("layer", "Layer", 1, lo=1, hi=6), P.Int("head", "Head", 1, lo=1, hi=12),
    P.Int("row", "Query token i", 0, lo=0, hi=511),
    P.Flag("hide", "Hide [CLS]/[SEP]", False, help="Drop the special tokens from the charts (not from the model)"),
    P.Int("topk", "Top-k per row (0 = all)", 0, lo=0, hi=64,
          help="Keep each query row's k largest weights; the rest are left blank"),
    P.Float("zmax", "Colour scale top", 1.0, lo=0.05, hi=1.0, step=0.05,
            help="Weights at or above this value get the top colour: raise the contrast of long inputs"),
    P.Choice("block", "Pair block (query → key)", "all", options=BLOCKS, labels=MV.BLOCK_LABELS),
    MV.IntSet("heads", "Heads", list(range(1, 13)), lo=1, hi=12),
    P.Float("thr", "Hide lines with weight below", 0.05, lo=0.0, hi=1.0, step=0.01),
    P.Int("iso", "Isolated token", -1, lo=-1, hi=511),
    P.Choice("isodir", "Isolated token is", "q", options=("q", "k"),
             labels=("a query (its lines out)", "a key (lines into it)")),
    P.Choice("stat", "Statistic", "entropy", options=tuple(MV.STATS), labels=tuple(MV.STATS.values())),
    P.Int("sk", "k for top-k mass", 3, lo=1, hi=20),
    P.Int("r0", "Rollout from layer", 1, lo=1, hi=6), P.Int("r1", "Rollout to layer", 6, lo=1, hi=6),
    P.Choice("cfs", "Scope", "local", options=VARIANT_SCOPES,
             labels=("Global (model's own)", "Local window |i−j| ≤ w", "Causal (j ≤ i)")),
    P.Int("cfw", "Window w", 2, lo=0, hi=512),
    P.Choice("cfn", "Normalization", "soft", options=VARIANT_NORMS,
             labels=("Soft (model's own)", "Hard (arg-max)", "Sparsemax")),
    MV.IntSet("cfl", "Layers", list(range(1, 7)), lo=1, hi=6),
]
by = {p.key: p for p in PARAMS}

prefs = ui.page_setup("model")
st.title("Model explorer")
st.caption("Every layer and head of all-MiniLM-L6-v2 (6 layers × 12 heads, running here): the whole model "
           "at a glance, head lines, the q·k arithmetic, statistics, rollout — and what happens when a "
           "layer attends differently.")
ui.notices(P.load("model", PARAMS))
MV.apply_pending()
MV.keep(PARAMS)
s = st.session_state


def _load_example():
    s.text, s.pair = MV.PAIRS[s.example] if s.example in MV.PAIRS else (presets.SENTENCES[s.example], "")


c1, c2 = st.columns([3, 1])
c2.selectbox("Load an example", list(presets.SENTENCES) + list(MV.PAIRS), key="example", index=None,
             placeholder="Choose…", on_change=_load_example)
with c1:
    P.widget(by["text"], height=80)
    P.widget(by["pair"], height=68)
P.widget(by["view"], radio=True)
text, pair = ui.user_text(s.text), ui.user_text(s.pair)
pair = pair if pair.strip() else ""
with st.sidebar:
    st.subheader("Display filters", help="They change what the charts show, never what the model computes.")
    P.widget(by["hide"])
    P.widget(by["topk"])
    P.widget(by["zmax"])
    P.widget(by["block"], disabled=not pair)
if not text.strip():
    st.info("Type a text (or load an example) to see the model's attention.")
    st.stop()

with ui.guard("run the model"):
    enc = MV.encode(text, pair)
    ui.warn_dropped(enc, pair=bool(pair))
    ctx = MV.Ctx(text, pair, enc, by, prefs.colorscale)
    with ui.guard(f"draw the {MV.VIEWS[s.view].lower()}"):
        MV.RENDER[s.view](ctx)

ui.share_link(P.publish(PARAMS), "model")
