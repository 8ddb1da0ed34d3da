"""The app's words for the core's names: one label and one formula per score, normalization and
scope.  URL values, widget option values and ``attention.attend`` options are the core names
themselves (``hard_sampled``, ``local_p`` ...); this module only says how to show them, so no
page maps one vocabulary onto another.
"""

SCORE_LABELS = {
    "dot": "Dot product",
    "scaled_dot": "Scaled dot product (the model's own)",
    "general": "General / bilinear (W_a)",
    "additive": "Additive (Bahdanau)",
    "cosine": "Cosine",
}

NORMALIZATION_LABELS = {
    "soft": "Soft",
    "hard": "Hard (arg-max)",
    "hard_sampled": "Hard (sampled)",
    "sparsemax": "Sparsemax",
}

SCOPE_LABELS = {
    "global": "Global",
    "local": "Local (window w)",
    "causal": "Causal",
    "local_p": "Local-p (Luong)",
    "grid": "2-D window",
}

SCORE_LATEX = {
    "dot": r"e_{ij} = q_i \cdot k_j",
    "scaled_dot": r"e_{ij} = \frac{q_i \cdot k_j}{\sqrt{d}}",
    "general": r"e_{ij} = q_i\, W_a\, k_j^{\top}",
    "additive": r"e_{ij} = v^{\top} \tanh(W_1 q_i + W_2 k_j)",
    "cosine": r"e_{ij} = \frac{q_i \cdot k_j}{\lVert q_i \rVert\, \lVert k_j \rVert}",
}

NORMALIZATION_LATEX = {
    "soft": r"\alpha_{ij} = \frac{\exp(e_{ij}/T)}{\sum_{j' \in S(i)} \exp(e_{ij'}/T)}",
    "hard": r"\alpha_{ij} = [\, j = \arg\max_{j' \in S(i)} e_{ij'} \,]",
    "hard_sampled": r"j^{*} \sim \mathrm{softmax}_{S(i)}(e_{i\cdot}/T),\quad \alpha_{ij} = [\, j = j^{*} \,]",
    "sparsemax": r"\alpha_{ij} = \max\!\left(e_{ij}/T - \tau_i,\ 0\right),\ \ \tau_i \text{ such that } "
                 r"\textstyle\sum_{j \in S(i)} \alpha_{ij} = 1",
}

# The sigmoid is written out as "sigmoid"; sigma is only the Gaussian's width.
SCOPE_LATEX = {
    "global": r"S(i) = \{\, 1, \dots, n \,\}",
    "local": r"S(i) = \{\, j : |j - c_i| \le w \,\},\quad c_i = i",
    "causal": r"S(i) = \{\, j : j \le c_i \,\},\quad c_i = i",
    "local_p": (r"S(i) = \{\, j : |j - p_i| \le w \,\},\ \ p_i = (n-1)\,\mathrm{sigmoid}(v_p^{\top}\tanh(W_p q_i)),"
                r"\ \ \alpha_{ij} \leftarrow \alpha_{ij}\, e^{-(j - p_i)^2 / 2\sigma^2},\ \sigma = w/2"),
    "grid": r"S(i) = \{\, j : \max(|r_i - r_j|, |c_i - c_j|) \le w \,\}",
}

OUTPUT_LATEX = r"c_i = \sum_{j} \alpha_{ij}\, v_j"


def row_sum_note(scope: str) -> str:
    """What a row of weights sums to under ``scope`` (a caption sentence)."""
    if scope == "local_p":
        return "Local-p multiplies by a Gaussian, so a row sums to at most 1. "
    return "Each row sums to 1 (0 if its scope is empty). "
