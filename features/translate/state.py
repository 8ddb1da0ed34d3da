"""Translate page parameters (URL key = widget key; attention names are the core's names).

``variant`` names the trained model (``attention.models.seq2seq.VARIANTS``, the one list of them):
each was trained with one attention type, so switching it switches the model.  ``locale`` is the
tag the model reads at source position 0 (``attention.models.dates.TAGS``: ``auto`` or one of the
9 locales); it decides the order of a numeric date.  ``constrained`` restricts the beam to valid
dates (a teaching option: the page still judges the unconstrained output).  ``normalization``
only applies to the hard model at test time: ``hard`` (arg-max, as trained for) or
``hard_sampled`` (one position drawn from the soft distribution with ``seed``), the same names
``attention.attend`` takes.
"""
from attention.models.dates import LOCALE_NAMES, TAGS
from attention.models.seq2seq import MAX_BEAM, VARIANTS
from ui import learning, params as P

DEFAULT_TEXT = "3. März 2021"
MAX_STEPS = 12                 # the models' max_target_len

VARIANT_LABELS = VARIANTS.labels()
COMPARE_LABELS = {"none": "Nothing (one model)", **VARIANT_LABELS}
LOCALE_LABELS = {t: LOCALE_NAMES[t] + ("" if t == "auto" else f" · {t}") for t in TAGS}

#: Example inputs: label -> (text, locale or None to keep the current one).
EXAMPLES = {
    "German, day first": ("3. März 2021", None),
    "English (US), month first": ("March 3, 2021", None),
    "Japanese, year first (ISO order)": ("2021年3月3日", None),
    "German with weekday": ("Mittwoch, 3. März 2021", None),
    "Numeric: 03/04/2021 in en_US": ("03/04/2021", "en_US"),
    "Numeric: 03/04/2021 in en_GB": ("03/04/2021", "en_GB"),
    "Numeric, ambiguous (auto)": ("03/04/2021", "auto"),
    "Two-digit year (de_DE short)": ("03.03.21", "de_DE"),
    "Typed: upper case, ordinal": ("the 29TH of MARCH, 1920", None),
    "Impossible: 31 February": ("31 February 2021", None),
    "Spanish, long": ("miércoles, 3 de marzo de 2021", None),
    "Russian": ("3 марта 2021 г.", None),
    "Full-width digits": ("２０２１年３月３日(水)", None),
    "Not a date: March 2021": ("March 2021", None),
}

PARAMS = [
    P.Text("text", "Date to translate", DEFAULT_TEXT, max_chars=200),
    P.Choice("locale", "Locale (the tag the model reads first)", "auto", options=TAGS,
             labels=LOCALE_LABELS),
    P.Choice("variant", "Attention type (switches to the model trained with it)", "bahdanau",
             options=VARIANTS.names(), labels=VARIANT_LABELS),
    P.Choice("compare", "Compare with", "none", options=("none", *VARIANTS.names()), labels=COMPARE_LABELS),
    P.Int("beam", "Beam width (1 = greedy)", 1, lo=1, hi=MAX_BEAM),
    P.Flag("constrained", "Constrain the beam to valid dates", False,
           help="Only prefixes of a real date in 1900-2099 may be written (the page still judges "
                "the unconstrained output, and shows both maps)."),
    P.Choice("normalization", "Hard model at test time", "hard", options=("hard", "hard_sampled"),
             labels=("Arg-max position", "Sample a position (seeded)")),
    P.Int("seed", "Seed of the sample", 0, lo=0, hi=9999),
    P.Int("row", "Inspect target step #", 0, lo=0, hi=MAX_STEPS - 1),
    *learning.params("learn"),          # "How it learned" (the training replays, issue 24)
]
BY = {p.key: p for p in PARAMS}
