"""Summarize page: sentence splitting, attention pooling, the real model, the page."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from features.summarize.compute import TIE, document_query, embed_one, summarize, top_k_in_order
from features.summarize.examples import PARAGRAPHS
from features.summarize.figures import summary_bars
from features.summarize.sentences import MAX_SENTENCES, split_sentences
from tests.plotly_utils import run_page, trace_array

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
        assert torch.allclose(sm.scores.float(), e, atol=1e-6)
        alpha = torch.exp(e / 0.3) / torch.exp(e / 0.3).sum()
        assert torch.allclose(sm.weights.float(), alpha, atol=1e-6)
        assert torch.allclose(sm.pooled.float(), alpha @ S, atol=1e-6)
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


def test_weights_tied_up_to_rounding_go_to_the_earlier_sentence():
    """Issue 11 #3: with alpha = (0.49999997, 0.5) in float32 the later sentence won."""
    w = torch.tensor([0.49999997, 0.5])                      # float32: 0.5 - 2**-25 and 0.5
    assert float(w[1] - w[0]) > 0 and float(w[1] - w[0]) < TIE
    assert top_k_in_order(w, 1) == (0,)
    assert top_k_in_order([0.2, 0.49999997, 0.1, 0.5, 0.3], 2) == (1, 3)
    assert top_k_in_order([0.1, 0.3, 0.30000003, 0.3], 1) == (1,)   # three tied: the earliest
    # a real difference (larger than the tie tolerance) still wins
    assert top_k_in_order([0.5 - 2 * TIE, 0.5], 1) == (1,)


def test_equal_scores_summed_in_another_order_tie_through_summarize():
    """Two sentence embeddings with the same numbers in another order: q . s_0 = q . s_1 exactly,
    but float32 sums them to 1.2999999523 and 1.3000000715, so at T = 0.01 alpha was
    (0.499997, 0.500003) and the later sentence won.  Both must be tied; the earlier one wins."""
    S = torch.tensor([[0.1, 0.2, 0.3, 0.7], [0.7, 0.3, 0.2, 0.1]])
    q = torch.ones(4)
    for T in (1.0, 0.05, 0.01):
        sm = summarize(q, S, k=1, temperature=T)
        assert sm.top == (0,), T
        assert float(sm.weights[0]) == pytest.approx(0.5, abs=1e-12)
        assert float(sm.weights[1]) == pytest.approx(0.5, abs=1e-12)


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
    text, question = PARAGRAPHS["Cooking pasta (one off-topic sentence)"]
    sents = split_sentences(text)
    assert len(sents) == 5 and "stock market" in sents[4]
    S = torch.from_numpy(np.stack([embed_one(model, t)[0] for t in sents]))   # (5, d)
    assert torch.allclose(S.norm(dim=-1), torch.ones(5), atol=1e-5)   # sentence embeddings are unit
    sm = summarize(document_query(S), S, k=1, temperature=0.05)
    assert sm.top[0] in range(4)                                       # on topic
    assert int(sm.weights.argmin()) == 4                               # the off-topic one
    # a question embedded the same way picks the sentence that answers it
    qv = embed_one(model, question)[0]
    assert summarize(qv, S, k=1, temperature=0.05).top == (1,)       # "Stir the spaghetti ... not stick."


# ------------------------------------------------------------------ the page
def _app():
    from streamlit.testing.v1 import AppTest
    return AppTest.from_file(PAGE, default_timeout=60)


def _bars(at):
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_page_default_and_widget_changes(minilm):
    at = _app().run()
    assert not at.exception and not at.error
    assert "8 sentences" in _bars(at)["layout"]["title"]["text"]
    assert len(at.get("download_button")) == 2
    # the bars are the core's alpha for the document-mean query over the real embeddings
    text, _ = PARAGRAPHS["Honeybees (abbreviations, numbers, quotes)"]
    S = torch.from_numpy(np.stack([embed_one(minilm, t)[0] for t in split_sentences(text)]))   # (8, d)
    ref = summarize(document_query(S), S, k=2, score="dot", temperature=0.05)
    np.testing.assert_allclose(trace_array(at, "x", key="summary_bars"), ref.weights.numpy(), atol=1e-6)
    table = at.dataframe[0].value
    np.testing.assert_allclose(table["score e"].to_numpy(), (S.double() @ S.double().mean(0)).numpy(), atol=1e-6)
    assert table["in summary"].to_numpy().nonzero()[0].tolist() == list(ref.top)
    at.radio(key="query").set_value("question").run()
    at.slider(key="k").set_value(1).run()
    assert not at.exception and not at.error
    summary = [t.value for t in at.text]
    assert summary == ["Worker bees are sterile females; they clean the hive, feed the larvae and forage "
                       "for nectar and pollen."]
    at.selectbox(key="para_example").set_value("A family dinner (dialogue, 7.30 p.m.)").run()
    assert not at.exception and not at.error and "6 sentences" in _bars(at)["layout"]["title"]["text"]
    at.text_area(key="text").set_value("Just one sentence here").run()
    assert not at.exception and not at.error and at.text[0].value == "Just one sentence here"
    at.text_area(key="text").set_value(" \n ").run()
    assert not at.exception and any("Type a paragraph" in i.value for i in at.info)


def test_sentence_embeddings_live_in_a_bounded_shared_cache():
    from features.summarize import compute
    from ui.cache import caches
    at = _app().run()
    assert not at.exception
    cache = caches()["summarize.sentence_embedding"]
    assert cache is compute.sentence_embedding.cache and cache.max_bytes == compute.EMBED_BYTES
    assert len(cache) >= 8 and 0 < cache.total <= cache.max_bytes
    first, _ = compute.sentence_embedding("Honeybees are social insects that live in colonies of up to 60,000 "
                                          "individuals.")
    assert first.shape == (384,) and not first.flags.writeable     # shared and read-only


@pytest.mark.parametrize("change", ["empty text", "empty question"])
def test_nothing_to_summarize_still_draws_every_widget_and_publishes(change):
    """No st.stop() before the widgets: the controls, the share link and the URL all survive."""
    at = run_page(PAGE, 60, k="4", score="cosine")
    if change == "empty text":
        at.text_area(key="text").set_value(" \n ").run()
    else:
        at.radio(key="query").set_value("question").run()
        at.text_area(key="question").set_value("   ").run()
    assert not at.exception
    assert any(("Type a paragraph" in i.value or "Type a question" in i.value) for i in at.info)
    assert not at.get("plotly_chart")
    assert at.slider(key="k").value == 4 and at.slider(key="temperature").value == 0.05
    assert at.selectbox(key="score").value == "cosine" and at.radio(key="query")
    assert any(e.label == "Share this view" for e in at.expander)
    qp = dict(at.query_params)
    assert qp["k"] in ("4", ["4"]) and qp["score"] in ("cosine", ["cosine"])


def test_too_many_sentences_keeps_the_first_60():
    at = _app()
    at.query_params["text"] = " ".join(f"Sentence number {i} is here." for i in range(75))
    at.run()
    assert not at.exception and not at.error
    assert any("75 sentences" in w.value for w in at.warning)
    assert f"{MAX_SENTENCES} sentences" in _bars(at)["layout"]["title"]["text"]


def test_share_link_with_hostile_values_shows_notices():
    at = _app()
    at.query_params.update({"k": "999", "temperature": "nan", "query": "<img src=x>", "question": "x\x00y",
                            "text": "**Bold** claim [link](http://x) costs $5 and $6. <b>Tag</b> here."})
    at.run()
    assert not at.exception and not at.error
    notes = " ".join(w.value for w in at.warning)
    for key in ("k", "temperature", "query", "question"):
        assert f"`{key}`" in notes
    assert at.session_state["k"] == 2 and at.session_state["query"] == "mean"
    assert [t.value for t in at.text] == ["**Bold** claim [link](http://x) costs $5 and $6. <b>Tag</b> here."]
    ticks = " ".join(_bars(at)["layout"]["yaxis"]["ticktext"])
    assert "&lt;b&gt;Tag" in ticks and "<b>" not in ticks


def test_old_share_link_keys_and_values_still_work():
    """Links made before the rename (su_text=, su_query=, su_k= ...) open the same view, no notice."""
    text = "Cats sleep a lot. Dogs bark at night. Fish swim in the sea."
    at = run_page(PAGE, 60, su_text=text, su_query="question", su_question="Which animal barks?",
                  su_score="cosine", su_temp="0.5", su_k="1")
    assert not at.warning, [w.value for w in at.warning]
    s = at.session_state
    assert (s["text"], s["query"], s["question"], s["score"], s["temperature"], s["k"]) == \
        (text, "question", "Which animal barks?", "cosine", 0.5, 1)
    assert "3 sentences" in _bars(at)["layout"]["title"]["text"]
    qp = dict(at.query_params)                  # the URL is rewritten with the new names
    assert not any(k.startswith("su_") for k in qp)
    assert qp["k"] in ("1", ["1"]) and qp["score"] in ("cosine", ["cosine"])
