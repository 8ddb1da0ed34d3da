"""Lesson presets: one click opens a page with these share-link parameters.

Each is ``(title, page file, blurb, params)``; the parameter keys are the pages' own URL keys.
"""
from ui import sitemap
from ui.examples import SENTENCES

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
     {"text": SENTENCES["Coreference (it = animal)"], "normalization": "hard", "layer": "4", "head": "2"}),
    ("Pooling: one query, the tutorial's formula", "pages/sentence.py",
     "e_i, α_i = softmax(e)_i, c = Σ α_i v_i with the mean of all queries as the query.",
     {"text": SENTENCES["Bank (river)"], "form": "pooling", "pooling_query": "mean", "layer": "6"}),
    ("Translation: a local window that cannot reorder", "pages/translate.py",
     "A model trained with local-m attention reads “3. März 2021” near the diagonal and never reaches "
     "the year at the end: the output is wrong. Compare it with Bahdanau's global attention.",
     {"text": "3. März 2021", "variant": "local_m", "compare": "bahdanau"}),
    ("Watch attention learn to align", "pages/translate.py",
     "Replay how each translation model's attention formed while it trained: press ▶ Play and watch "
     "the year's rows find the end of “3. März 2021”, measured against where the year really is. "
     "Then train a small model yourself, live, in under a minute.",
     {"text": "3. März 2021", "variant": "bahdanau", "learn": "1"}),
    ("Reading handwriting: where the model looks", "pages/digits.py",
     "Each digit the captioning model emits comes with the cells it attended to. Switch to Hard to "
     "see its sampled glimpses, to Local for its moving window; or draw your own digits.",
     {"source": "test", "test_image": "3"}),
    ("Attention that has to jump: largest digit first", "pages/digits.py",
     "The same kind of model, trained to list the digits from the largest to the smallest: to read "
     "the next digit its map has to find it, wherever it stands, so the attention jumps back and "
     "forth. It does not always find it; the page says how often.",
     {"source": "test", "test_image": "36", "order": "largest_first"}),
    ("Why location-aware attention exists: 7 7 7 7", "pages/listen.py",
     "Four sevens, a voice the models never heard. Content-only attention scores every frame by "
     "how it sounds, and all four sevens sound alike; location-aware attention also sees where it "
     "listened last. The two models side by side, one row per digit.",
     {"source": "clip", "clip": "7777", "variant": "location", "compare": "content"}),
]

#: The live picture on Home: the first lesson's head, for its sentence.
PICTURE = {"text": SENTENCES["Coreference (it = animal)"], "layer": 4, "head": 2, "row": 10}

def pages() -> list[tuple[str, str, str, str]]:
    """Every page Home lists under the presets, from the page registry ``ui/sitemap.py``:
    ``(file, url_path, label, icon)``."""
    return [(p.file, p.name, p.blurb, p.icon) for p in sitemap.PAGES if p.blurb]
