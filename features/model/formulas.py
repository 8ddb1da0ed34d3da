"""The formulas the Model explorer states (LaTeX); the shared ones are in ``ui.vocab``."""

STAT_LATEX = {
    "entropy": r"\mathrm{entropy} = \frac{1}{n}\sum_i \Big(-\sum_j \alpha_{ij} \ln \alpha_{ij}\Big)",
    "mean_distance": r"\mathrm{distance} = \frac{1}{n}\sum_i \sum_j \alpha_{ij}\, |i - j|",
    "special_share": r"\mathrm{special} = \frac{1}{n}\sum_i \sum_{j \in \{\mathrm{[CLS]},\mathrm{[SEP]}\}} \alpha_{ij}",
    "topk_mass": r"\mathrm{top}k = \frac{1}{n}\sum_i \sum_{j \in \mathrm{top}_k(\alpha_{i\cdot})} \alpha_{ij}",
    "max_weight": r"\max = \frac{1}{n}\sum_i \max_j \alpha_{ij}",
}
ROLLOUT_LATEX = (r"\hat A_\ell = \mathrm{rownorm}\big(0.5\, \bar A_\ell + 0.5\, I\big),\quad "
                 r"\mathrm{rownorm}(M)_{ij} = \frac{M_{ij}}{\sum_{j'} M_{ij'}},\quad "
                 r"R = \hat A_{\mathrm{to}} \cdots \hat A_{\mathrm{from}}")
MEAN_LATEX = r"\bar A_\ell = \frac{1}{12}\sum_{h=1}^{12} A_{\ell h}"
COS_LATEX = (r"\cos(s, s') = \frac{s \cdot s'}{\lVert s\rVert\,\lVert s'\rVert},\quad "
             r"s = \frac{\bar x}{\lVert \bar x \rVert},\ \bar x = \frac{1}{n}\sum_i x^{(6)}_i")
JS_LATEX = (r"\mathrm{JS}(p, q) = \tfrac12 \mathrm{KL}(p\,\|\,m) + \tfrac12 \mathrm{KL}(q\,\|\,m),"
            r"\ m = \tfrac12 (p + q)")
SHARE_LATEX = (r"\mathrm{share}_{A\to B} = \frac{1}{|A|}\sum_{i \in A}\ \sum_{j \in B} \alpha_{ij}"
               r"\qquad(\mathrm{share}_{A\to A} + \mathrm{share}_{A\to B} = 1)")
