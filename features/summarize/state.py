"""Summarize page parameters: URL key = widget key = ``attention.attend`` option name where there
is one (``score``, ``temperature``)."""
from ui import params as P
from ui.vocab import SCORE_LABELS

from .compute import SCORES
from .examples import DEFAULT_PARAGRAPH, DEFAULT_QUESTION

PARAMS = [
    P.Text("text", "Paragraph", DEFAULT_PARAGRAPH, max_chars=10_000),
    P.Choice("query", "Query q", "mean", options=("mean", "question"),
             labels=("The document (mean)", "A question"),
             help="The document: q = the mean of the sentence embeddings. A question: q = the "
                  "question's embedding, computed the same way as a sentence's."),
    P.Text("question", "Question", DEFAULT_QUESTION, max_chars=500),
    P.Choice("score", "Score function", "dot", options=SCORES, labels=SCORE_LABELS),
    P.Float("temperature", "Temperature T", 0.05, lo=0.01, hi=2.0, step=0.01,
            help="α = softmax(e / T): a lower T sharpens the weights; the order of the sentences stays."),
    P.Int("k", "Summary length k (sentences)", 2, lo=1, hi=10),
]
BY = {p.key: p for p in PARAMS}
