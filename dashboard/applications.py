"""Glue for the Translate and Summarize pages: examples, cached sentence embeddings,
and picking query / key vectors out of the cached model arrays (no widgets here)."""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from . import cache

#: English paraphrase pairs (source, target): the model is English-only.
PAIRS = {
    "Word order swapped (cat / mat)": ("The cat sat on the mat.", "On the mat sat the cat."),
    "Active → passive (bicycle)": ("The old man quickly repaired the broken bicycle.",
                                   "The broken bike was fixed fast by the elderly man."),
    "Clause moved to the front (storm)": ("The meeting was cancelled because of the storm.",
                                          "Because of the storm, the meeting was called off."),
    "Synonyms and reordering (station)": ("I will call you when I arrive at the station.",
                                          "When I get to the station, I will phone you."),
    "Giving → receiving (book)": ("She gave the book to her brother yesterday.",
                                  "Yesterday her brother received the book from her."),
}
DEFAULT_PAIR = PAIRS["Word order swapped (cat / mat)"]

#: Paragraphs for the summary, with a question that fits each.
PARAGRAPHS = {
    "Honeybees (abbreviations, numbers, quotes)": (
        "Honeybees are social insects that live in colonies of up to 60,000 individuals. "
        "Each colony has a single queen, whose main job is to lay eggs, e.g. up to 2,000 a day in "
        "early summer. Worker bees are sterile females; they clean the hive, feed the larvae and "
        "forage for nectar and pollen. Drones are males, and their only role is to mate with a queen "
        "from another colony. Bees communicate the location of flowers with a \"waggle dance\" that "
        "encodes direction and distance. Dr. Karl von Frisch won a Nobel Prize in 1973 for decoding "
        "it. Pollination by bees is worth billions of dollars to U.S. agriculture every year. Many "
        "colonies have died in recent winters, and scientists are still debating why.",
        "What do worker bees do?"),
    "Cooking pasta (one off-topic sentence)": (
        "Boil a large pot of salted water before adding the pasta. Stir the spaghetti during the "
        "first minute so it does not stick. Cook it for about ten minutes, until it is al dente. "
        "Drain the pasta and toss it with the warm tomato sauce. The stock market fell sharply on "
        "Tuesday after the bank raised interest rates.",
        "How do I keep spaghetti from sticking?"),
    "A family dinner (dialogue, 7.30 p.m.)": (
        "Dinner was ready at 7.30 p.m., but nobody came downstairs. The oven timer went off twice. "
        "Mum called again, louder this time! \"Five more minutes,\" my brother shouted back. "
        "Meanwhile the lasagne went cold, and the dog ate one of the garlic breads. By the time we "
        "all sat down, it was nearly eight.",
        "What happened to the food?"),
}
DEFAULT_PARAGRAPH, DEFAULT_QUESTION = PARAGRAPHS["Honeybees (abbreviations, numbers, quotes)"]

MAX_PAIR_TOKENS = 128     # word pieces per sentence on the Translate page (incl. [CLS]/[SEP])


@st.cache_data(max_entries=2048, show_spinner=False)
def sentence_embedding(text: str) -> tuple[np.ndarray, int]:
    """``(d,)`` float32 sentence embedding of one sentence, and how many tokens the
    model's 512-token limit dropped (usually 0).  Cached per sentence."""
    m = cache.model()
    enc = m.tokenize(text)
    return m.forward(enc.ids, enc.type_ids).sentence_embedding.numpy(), enc.n_dropped


def embed(sentences) -> tuple[np.ndarray, int]:
    """``(n, d)`` embeddings of ``sentences`` and the total number of dropped tokens."""
    rows = [sentence_embedding(s) for s in sentences]
    return np.stack([r[0] for r in rows]), sum(r[1] for r in rows)


def pair_vectors(enc_t: dict, enc_s: dict, rep: str, layer: int, head: int, hide_special: bool):
    """Query vectors of the target and key vectors of the source.

    rep "hidden": q_t = h_t^(layer), k_s = h_s^(layer) -- hidden states after ``layer``
        (0 = the input embeddings), d = 384; each sentence encoded on its own.
    rep "qk": q_t = h_t^(layer-1) W_Q + b_Q and k_s = h_s^(layer-1) W_K + b_K of ``layer``
        (1-based) and ``head`` (1-based): the model's learned projections, d = 32.
    hide_special drops [CLS] / [SEP] rows and columns *before* attention, so the
    softmax runs over the shown tokens only.
    Returns ``(q (T, d), k (S, d), target tokens (T,), source tokens (S,))``.
    """
    if rep == "hidden":
        q, k = enc_t["hidden"][layer], enc_s["hidden"][layer]                    # (T, d), (S, d)
    else:
        q = enc_t["queries"][layer - 1, head - 1]                                # (T, dh)
        k = enc_s["keys"][layer - 1, head - 1]                                   # (S, dh)
    kt, ks = np.ones(len(q), bool), np.ones(len(k), bool)
    if hide_special:
        kt, ks = ~enc_t["special"], ~enc_s["special"]
    return (torch.from_numpy(np.ascontiguousarray(q[kt])), torch.from_numpy(np.ascontiguousarray(k[ks])),
            list(enc_t["tokens"][kt]), list(enc_s["tokens"][ks]))


def short(text: str, limit: int = 70) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (still literal text)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- formulas (LaTeX)
ALIGN_SCORE_LATEX = {
    "cosine": r"e_{ts} = \frac{q_t \cdot k_s}{\lVert q_t \rVert\, \lVert k_s \rVert}",
    "dot": r"e_{ts} = q_t \cdot k_s",
    "scaled_dot": r"e_{ts} = \frac{q_t \cdot k_s}{\sqrt{d}}",
    "general": r"e_{ts} = q_t\, W_a\, k_s^{\top}",
}
ALIGN_SCORE_LABELS = {"cosine": "Cosine", "dot": "Dot product",
                      "scaled_dot": "Scaled dot product (the model's own)",
                      "general": "General / bilinear (W_a)"}
REP_LATEX = {
    "hidden": r"q_t = h^{(\ell)}_t \ (\text{target}),\qquad k_s = \bar h^{(\ell)}_s \ (\text{source}),\qquad d = 384",
    "qk": (r"q_t = h^{(\ell-1)}_t W_Q^{(\ell, h)} + b_Q,\qquad k_s = \bar h^{(\ell-1)}_s W_K^{(\ell, h)} + b_K,"
           r"\qquad d = 32"),
}
ALIGN_SCOPE_LATEX = {
    "global": r"W(t) = \{\, 0, \dots, n_s - 1 \,\}",
    "local_m": r"W(t) = \{\, s : |s - p_t| \le D \,\},\qquad p_t = t",
    "local_m_scaled": r"W(t) = \{\, s : |s - p_t| \le D \,\},\qquad p_t = t\,\frac{n_s - 1}{n_t - 1}",
    "local_p": (r"W(t) = \{\, s : |s - p_t| \le D \,\},\qquad "
                r"p_t = (n_s - 1)\,\mathrm{sigmoid}\!\left(v_p^{\top} \tanh(W_p\, q_t)\right)"),
}
ALIGN_NORM_LATEX = {
    "soft": r"\alpha_{ts} = \frac{\exp(e_{ts}/T)}{\sum_{s' \in W(t)} \exp(e_{ts'}/T)}\ \ (s \in W(t)),"
            r"\qquad \alpha_{ts} = 0\ \ (s \notin W(t))",
    "hard": r"\alpha_{ts} = [\, s = \arg\max_{s' \in W(t)} e_{ts'} \,]",
}
GAUSS_LATEX = (r"\alpha_{ts} \leftarrow \alpha_{ts}\, \exp\!\left(-\frac{(s - p_t)^2}{2\sigma^2}\right),"
               r"\qquad \sigma = D/2")
POOL_SCORE_LATEX = {
    "dot": r"e_i = q \cdot s_i",
    "cosine": r"e_i = \frac{q \cdot s_i}{\lVert q \rVert\, \lVert s_i \rVert}",
    "scaled_dot": r"e_i = \frac{q \cdot s_i}{\sqrt{d}},\quad d = 384",
}
POOL_LATEX = r"\alpha_i = \frac{\exp(e_i / T)}{\sum_{j=1}^{n} \exp(e_j / T)},\qquad c = \sum_i \alpha_i\, s_i"
