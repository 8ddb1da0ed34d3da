"""Lesson-ready example inputs."""

SENTENCES = {
    "Coreference (it = animal)": "The animal didn't cross the street because it was too tired.",
    "Coreference (it = street)": "The animal didn't cross the street because it was too wide.",
    "Agreement across a distance": "The keys to the old wooden cabinet in the hallway are on the table.",
    "Bank (river)": "She sat on the bank of the river and watched the boats.",
    "Bank (money)": "He deposited the cheque at the bank before it closed.",
    "Long sentence (local vs global)": (
        "When the committee finally published its long-awaited report on the city's ageing "
        "water system, residents who had complained for years about brown tap water, burst "
        "pipes and surprise repair bills discovered that the engineers had warned the council "
        "about exactly these problems more than a decade earlier."),
    "Markup shown literally": "Tokens such as <b>bold</b> & <script>alert(1)</script> stay text.",
}

DEFAULT_SENTENCE = SENTENCES["Coreference (it = animal)"]


# Lesson-ready views: one click opens the page with these share-link parameters.
# (title, page file, blurb, params)
LESSONS = [
    ("Coreference: what does “it” refer to?", "pages/sentence.py",
     "Layer 4, head 2: the pronoun “it” (row 10) puts most of its attention on “animal”.",
     {"text": SENTENCES["Coreference (it = animal)"], "layer": "4", "head": "2", "row": "10"}),
    ("Agreement across a distance", "pages/sentence.py",
     "Same head: the verb “are” (row 11) finds its subject “keys”, eight words back.",
     {"text": SENTENCES["Agreement across a distance"], "layer": "4", "head": "2", "row": "11"}),
    ("Local vs global on a long sentence", "pages/sentence.py",
     "A window of w = 3: every token may only look 3 tokens either way. Switch Scope to Global to compare.",
     {"text": SENTENCES["Long sentence (local vs global)"], "scope": "local", "window": "3", "layer": "2"}),
    ("Soft vs hard attention", "pages/sentence.py",
     "Hard attention keeps only each row's arg-max: one 1 per row. Switch back to Soft to see what was lost.",
     {"text": SENTENCES["Coreference (it = animal)"], "type": "hard", "layer": "4", "head": "2"}),
    ("Pooling: one query, the tutorial's formula", "pages/sentence.py",
     "e_i, α_i = softmax(e)_i, c = Σ α_i v_i with the mean of all queries as the query.",
     {"text": SENTENCES["Bank (river)"], "form": "pooling", "pq": "mean", "layer": "6"}),
]
