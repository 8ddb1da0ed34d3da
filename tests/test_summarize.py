"""Summarize page: sentence splitting, attention pooling, the real model, the page."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from attention.applications import (MAX_SENTENCES, document_query, embed_sentences, split_sentences,
                                    summarize, top_k_in_order)
from figures.alignment import summary_bars

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "summarize.py")


# ------------------------------------------------------------------ splitter
@pytest.mark.parametrize("text,expected", [
    ("Dr. Smith arrived. He sat down.", ["Dr. Smith arrived.", "He sat down."]),
    ("The U.S. economy grew. Prices rose.", ["The U.S. economy grew.", "Prices rose."]),
    ("Use a sieve, e.g. a fine one. Then rinse.", ["Use a sieve, e.g. a fine one.", "Then rinse."]),
    ("It rose 3.5 percent. Then it fell to 2.0.", ["It rose 3.5 percent.", "Then it fell to 2.0."]),
    ("It cost $3.50. That is cheap.", ["It cost $3.50.", "That is cheap."]),
    ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
    ('"Why?" she asked. "Because!" He smiled.', ['"Why?" she asked.', '"Because!"', "He smiled."]),
    ("She asked “Really?” He nodded.", ["She asked “Really?”", "He nodded."]),
    ("No final period here", ["No final period here"]),
    ("One.\nTwo\non two lines. Three", ["One.", "Two on two lines.", "Three"]),
    ("A heading\n\nThe text. More text.", ["A heading", "The text.", "More text."]),
    ("J. K. Rowling wrote it... And then? Nothing!?", ["J. K. Rowling wrote it...", "And then?", "Nothing!?"]),
    ("I said no. Then I left.", ["I said no.", "Then I left."]),
    ("Smith vs. Jones was decided. (It was close.) The end.",
     ["Smith vs. Jones was decided.", "(It was close.)", "The end."]),
    ("Visit example.com. It is good.", ["Visit example.com.", "It is good."]),
    ("See Fig. 3 and No. 5. They agree.", ["See Fig. 3 and No. 5.", "They agree."]),
    ("lower case. after a period stays", ["lower case. after a period stays"]),
    ("One sentence.", ["One sentence."]),
    ("", []), ("   \n\t  ", []), (None, []),
])
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_split_keeps_every_word():
    from dashboard.applications import PARAGRAPHS
    for text, _ in PARAGRAPHS.values():
        assert " ".join(split_sentences(text)).split() == text.split()


# ------------------------------------------------------------------ pooling
def test_pooling_by_hand_for_each_score():
    g = torch.Generator().manual_seed(0)
    S = torch.nn.functional.normalize(torch.randn(5, 8, generator=g), dim=-1)
    q = document_query(S)
    assert torch.allclose(q, S.sum(0) / 5)
    for score, e in (("dot", S @ q), ("scaled_dot", S @ q / math.sqrt(8)), ("cosine", S @ q / q.norm())):
        sm = summarize(q, S, k=2, score=score, temperature=0.3)
        assert torch.allclose(sm.scores, e, atol=1e-6)
        alpha = torch.exp(e / 0.3) / torch.exp(e / 0.3).sum()
        assert torch.allclose(sm.weights, alpha, atol=1e-6)
        assert torch.allclose(sm.pooled, alpha @ S, atol=1e-6)
        assert sm.top == tuple(sorted(torch.topk(alpha, 2).indices.tolist()))


def test_query_equal_to_one_sentence_picks_it():
    g = torch.Generator().manual_seed(1)
    S = torch.nn.functional.normalize(torch.randn(12, 32, generator=g), dim=-1)
    for j in (0, 7, 11):
        sm = summarize(S[j], S, k=1, temperature=0.02)
        assert sm.top == (j,) and sm.weights[j] > 0.99


def test_top_k_order_ties_and_bounds():
    assert top_k_in_order([0.1, 0.5, 0.2, 0.5], 2) == (1, 3)          # original order
    assert top_k_in_order([0.3, 0.3, 0.3], 2) == (0, 1)               # ties: earlier wins
    assert top_k_in_order([0.2, 0.8], 10) == (0, 1) and top_k_in_order([1.0], 0) == ()


def test_single_sentence():
    sm = summarize(torch.ones(4), torch.ones(1, 4) / 2, k=3)
    assert sm.top == (0,) and torch.equal(sm.weights, torch.ones(1))


def test_bars_highlight_the_summary_and_escape_text():
    fig = summary_bars(np.array([0.2, 0.5, 0.3]), ["<b>a</b>", "b", "c"], (1, 2))
    colors = list(fig.data[0].marker.color)
    assert colors[0] != colors[1] == colors[2]
    assert fig.layout.yaxis.ticktext[0] == "&lt;b&gt;a&lt;/b&gt;"


# ------------------------------------------------------------------ the real model
def test_off_topic_sentence_gets_least_weight(minilm):        # minilm: tests/conftest.py
    model = minilm
    from dashboard.applications import PARAGRAPHS
    text, question = PARAGRAPHS["Cooking pasta (one off-topic sentence)"]
    sents = split_sentences(text)
    assert len(sents) == 5 and "stock market" in sents[4]
    S = embed_sentences(model, sents)
    assert torch.allclose(S.norm(dim=-1), torch.ones(5), atol=1e-5)   # sentence embeddings are unit
    sm = summarize(document_query(S), S, k=1, temperature=0.05)
    assert sm.top[0] in range(4)                                       # on topic
    assert int(sm.weights.argmin()) == 4                               # the off-topic one
    # a question embedded the same way picks the sentence that answers it
    qv = embed_sentences(model, [question])[0]
    assert summarize(qv, S, k=1, temperature=0.05).top == (1,)       # "Stir the spaghetti ... not stick."


# ------------------------------------------------------------------ the page
def _app():
    from streamlit.testing.v1 import AppTest
    return AppTest.from_file(PAGE, default_timeout=60)


def _bars(at):
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_page_default_and_widget_changes():
    at = _app().run()
    assert not at.exception and not at.error
    assert "8 sentences" in _bars(at)["layout"]["title"]["text"]
    assert len(at.get("download_button")) == 2
    at.radio(key="su_query").set_value("question").run()
    at.slider(key="su_k").set_value(1).run()
    assert not at.exception and not at.error
    summary = [t.value for t in at.text]
    assert summary == ["Worker bees are sterile females; they clean the hive, feed the larvae and forage "
                       "for nectar and pollen."]
    at.selectbox(key="para_example").set_value("A family dinner (dialogue, 7.30 p.m.)").run()
    assert not at.exception and not at.error and "6 sentences" in _bars(at)["layout"]["title"]["text"]
    at.text_area(key="su_text").set_value("Just one sentence here").run()
    assert not at.exception and not at.error and at.text[0].value == "Just one sentence here"
    at.text_area(key="su_text").set_value(" \n ").run()
    assert not at.exception and any("Type a paragraph" in i.value for i in at.info)


def test_too_many_sentences_keeps_the_first_60():
    at = _app()
    at.query_params["su_text"] = " ".join(f"Sentence number {i} is here." for i in range(75))
    at.run()
    assert not at.exception and not at.error
    assert any("75 sentences" in w.value for w in at.warning)
    assert f"{MAX_SENTENCES} sentences" in _bars(at)["layout"]["title"]["text"]


def test_share_link_with_hostile_values_shows_notices():
    at = _app()
    at.query_params.update({"su_k": "999", "su_temp": "nan", "su_query": "<img src=x>", "su_question": "x\x00y",
                            "su_text": "**Bold** claim [link](http://x) costs $5 and $6. <b>Tag</b> here."})
    at.run()
    assert not at.exception and not at.error
    notes = " ".join(w.value for w in at.warning)
    for key in ("su_k", "su_temp", "su_query", "su_question"):
        assert f"`{key}`" in notes
    assert at.session_state["su_k"] == 2 and at.session_state["su_query"] == "mean"
    assert [t.value for t in at.text] == ["**Bold** claim [link](http://x) costs $5 and $6. <b>Tag</b> here."]
    ticks = " ".join(_bars(at)["layout"]["yaxis"]["ticktext"])
    assert "&lt;b&gt;Tag" in ticks and "<b>" not in ticks
