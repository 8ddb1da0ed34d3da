"""The app's words for the core's names: one label and one formula per score, normalization and
scope.  URL values, widget option values and ``attention.attend`` options are the core names
themselves (``hard_sampled``, ``local_p`` ...); this module only says how to show them, so no
page maps one vocabulary onto another.
"""
from attention.masks import SCOPES
from attention.scores import SCORES

#: Scores and scopes bring their own label and formula (``attention.scores.SCORES``,
#: ``attention.masks.SCOPES``), so a new one needs no entry here; only the app's wording differs.
SCORE_LABELS = {**{n: x.label or n for n, x in SCORES.items()},
                "scaled_dot": "Scaled dot product (the model's own)"}

NORMALIZATION_LABELS = {
    "soft": "Soft",
    "hard": "Hard (arg-max)",
    "hard_sampled": "Hard (sampled)",
    "sparsemax": "Sparsemax",
}

SCOPE_LABELS = {n: x.label or n for n, x in SCOPES.items()}

SCORE_LATEX = {n: x.latex for n, x in SCORES.items()}

NORMALIZATION_LATEX = {
    "soft": r"\alpha_{ij} = \frac{\exp(e_{ij}/T)}{\sum_{j' \in S(i)} \exp(e_{ij'}/T)}",
    "hard": r"\alpha_{ij} = [\, j = \arg\max_{j' \in S(i)} e_{ij'} \,]",
    "hard_sampled": r"j^{*} \sim \mathrm{softmax}_{S(i)}(e_{i\cdot}/T),\quad \alpha_{ij} = [\, j = j^{*} \,]",
    "sparsemax": r"\alpha_{ij} = \max\!\left(e_{ij}/T - \tau_i,\ 0\right),\ \ \tau_i \text{ such that } "
                 r"\textstyle\sum_{j \in S(i)} \alpha_{ij} = 1",
}

# The sigmoid is written out as "sigmoid"; sigma is only the Gaussian's width (see SCOPES).
SCOPE_LATEX = {n: x.latex for n, x in SCOPES.items()}

OUTPUT_LATEX = r"c_i = \sum_{j} \alpha_{ij}\, v_j"


def row_sum_note(scope: str) -> str:
    """What a row of weights sums to under ``scope`` (a caption sentence)."""
    if scope == "local_p":
        return "Local-p multiplies by a Gaussian, so a row sums to at most 1. "
    return "Each row sums to 1 (0 if its scope is empty). "
