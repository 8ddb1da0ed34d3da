"""Translate page parameters (URL key = widget key; attention names are the core's names).

``variant`` names the trained model (``attention.models.seq2seq.VARIANTS``, the one list of them):
each was trained with one attention type, so switching it switches the model.  ``normalization`` only applies to the hard
model at test time: ``hard`` (arg-max, as trained for) or ``hard_sampled`` (one position drawn
from the soft distribution with ``seed``), the same names ``attention.attend`` takes.
"""
from attention.models.seq2seq import MAX_BEAM, VARIANTS
from ui import params as P

DEFAULT_TEXT = "3. März 2021"
MAX_STEPS = 12                 # the models' max_target_len

VARIANT_LABELS = VARIANTS.labels()
COMPARE_LABELS = {"none": "Nothing (one model)", **VARIANT_LABELS}

#: Example inputs: reordered (day or month before the year) and in ISO order, several scripts.
EXAMPLES = {
    "German, day first": "3. März 2021",
    "English (US), month first": "March 3, 2021",
    "Japanese, year first (ISO order)": "2021年3月3日",
    "German with weekday": "Mittwoch, 3. März 2021",
    "French": "3 mars 2021",
    "Spanish, long": "miércoles, 3 de marzo de 2021",
    "Russian": "3 марта 2021 г.",
    "Chinese with weekday": "2021年3月3日星期三",
    "Numeric, day/month/year": "03/04/2021",
    "English (UK), abbreviated": "Wed, 3 Mar 2021",
}

PARAMS = [
    P.Text("text", "Date to translate", DEFAULT_TEXT, max_chars=200),
    P.Choice("variant", "Attention type (switches to the model trained with it)", "bahdanau",
             options=VARIANTS.names(), labels=VARIANT_LABELS),
    P.Choice("compare", "Compare with", "none", options=("none", *VARIANTS.names()), labels=COMPARE_LABELS),
    P.Int("beam", "Beam width (1 = greedy)", 1, lo=1, hi=MAX_BEAM),
    P.Choice("normalization", "Hard model at test time", "hard", options=("hard", "hard_sampled"),
             labels=("Arg-max position", "Sample a position (seeded)")),
    P.Int("seed", "Seed of the sample", 0, lo=0, hi=9999),
    P.Int("row", "Inspect target step #", 0, lo=0, hi=MAX_STEPS - 1),
]
BY = {p.key: p for p in PARAMS}
