"""THE page registry: every page of the app, once.

One :class:`PageEntry` per page: its URL path (= the entry file's stem ``pages/<name>.py`` = its
code's folder ``features/<name>/``), the navigation title and icon, the heading and caption the
page shows, the line Home lists it with, and the old share-link keys it still accepts.  Everything
that lists pages reads this list: the router (``app.py``), Home's page list, the server warm-up,
the end-to-end test specs (``tests/e2e/pagespecs.py``) and the first-load benchmark.  Adding a
page is one entry here plus its own files (see docs/ARCHITECTURE.md, "Add a page").

Plain data: no Streamlit import, so tests and benchmarks read it without a server.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class Alias:
    """An old URL key (and old values) that a share link may still carry."""
    new: str
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PageEntry:
    """One page.

    name:     URL path ``/<name>``; entry file ``pages/<name>.py``; code in ``features/<name>/``.
    title:    its link text in the navigation.
    icon:     a Material icon (``":material/notes:"``).
    heading:  the page's ``st.title``.
    caption:  one line under the heading ("" = none).
    blurb:    how Home lists it ("" = not listed, e.g. Home itself).
    aliases:  old share-link key -> :class:`Alias` (renamed keys and values still open the view).
    retired:  keys of an older page that no longer exist here: a link with one gets ONE notice
              saying the page changed (instead of one "unknown parameter" per key).
    default:  served at ``/`` (and, through a hidden alias, at ``/<name>``).
    entry:    the entry file, if not ``pages/<name>.py`` (a test registers a page elsewhere).
    """
    name: str
    title: str
    icon: str
    heading: str
    caption: str = ""
    blurb: str = ""
    aliases: dict = field(default_factory=dict)
    retired: tuple = ()
    default: bool = False
    entry: str = ""

    @property
    def file(self) -> str:
        return self.entry or f"pages/{self.name}.py"


#: Aliases every page accepts (the app-wide sidebar preferences were renamed once).
GLOBAL_ALIASES = {"cmap": Alias("colorscale"), "big": Alias("large_text")}

_SAMPLED = {"sampled": "hard_sampled"}

PAGES: list[PageEntry] = [
    PageEntry("home", "Home", ":material/home:", "Attention Explorer", default=True),
    PageEntry(
        "sentence", "Sentence", ":material/notes:", "Sentence attention",
        "Type a sentence; see how all-MiniLM-L6-v2 (a real pretrained model, running here) or the "
        "bare token embeddings attend, under each attention mechanism.",
        "Sentence — type a sentence, pick a mechanism, read the heatmap",
        aliases={"type": Alias("normalization", _SAMPLED), "temp": Alias("temperature"),
                 "wa": Alias("W_a"), "pq": Alias("pooling_query")}),
    PageEntry(
        "model", "Model explorer", ":material/grid_view:", "Model explorer",
        "Every layer and head of all-MiniLM-L6-v2 (6 layers × 12 heads, running here): the whole "
        "model at a glance, head lines, the q·k arithmetic, statistics, rollout — and what happens "
        "when a layer attends differently.",
        "Model explorer — all 72 heads at once, head lines, q·k step by step, statistics, rollout, "
        "counterfactual attention",
        aliases={"sk": Alias("mass_k"), "iso": Alias("isolate"), "isodir": Alias("isolate_side"),
                 "thr": Alias("threshold"), "r0": Alias("rollout_from"), "r1": Alias("rollout_to"),
                 "cfs": Alias("scope"), "cfw": Alias("window"), "cfn": Alias("normalization"),
                 "cfl": Alias("layers")}),
    PageEntry(
        "image", "Image", ":material/image:", "Image: the mechanism on hand-made features",
        "Cut a photo into patches, describe each patch by 20 hand-made numbers (colour, texture, "
        "edges; no trained model) and let one patch's query attend over all patches: the soft vs "
        "hard attention of *Show, Attend and Tell*. For attention a trained model learned, see the "
        "**Read digits** page.",
        "Image — the mechanism on hand-made patch features of a photo",
        aliases={"type": Alias("normalization", _SAMPLED), "temp": Alias("temperature"),
                 "wa": Alias("W_a"), "pq": Alias("pooling_query"), "radius": Alias("window"),
                 "scope": Alias("scope", {"window": "grid"}), "qr": Alias("row"), "qc": Alias("col"),
                 "pos": Alias("position_encoding")}),
    PageEntry(
        "digits", "Read digits", ":material/draw:", "Read digits: Show, Attend and Tell",
        "Models trained here read handwritten digit strings; each emitted digit comes with the "
        "attention map it was read with. Soft, hard and local attention: one model each.",
        "Read digits — handwriting models trained here (Show, Attend and Tell): draw digits and see "
        "where each one was read",
        # the trained model = the attention type, as on Translate; "local" was renamed when the
        # names became unique across tasks (local-p on a 2-D grid)
        aliases={"model": Alias("variant", {"local": "local_p_2d"}),
                 "variant": Alias("variant", {"local": "local_p_2d"})}),
    PageEntry(
        "translate", "Translate", ":material/translate:", "Translate dates: attention that was learned",
        "Character-level translation models trained here turn a date in 9 locales into ISO "
        "YYYY-MM-DD; one model per attention type. Each row: where the model looked to write that "
        "character.",
        "Translate — small translation models trained here, one per attention type: where each "
        "looks while it translates",
        # the English-paraphrase page this one replaced
        retired=("tr_src", "tr_tgt", "tr_rep", "tr_hl", "tr_ql", "tr_head", "tr_score", "tr_wa",
                 "tr_type", "tr_temp", "tr_scope", "tr_window", "tr_seed", "tr_hide", "tr_row")),
    PageEntry(
        "listen", "Listen", ":material/hearing:", "Listen: attention over speech",
        "Models trained here read spoken digit strings (Listen, Attend and Spell): one per attention "
        "type. Under the waveform and the log-mel, each row shows where the model listened to "
        "write that digit.",
        "Listen — spoken digits read by models trained here: content-only vs location-aware vs "
        "windowed attention, on real voices, your microphone or a synthetic voice"),
    PageEntry(
        "summarize", "Summarize", ":material/summarize:", "Summarize: attention pooling over sentences",
        "An extractive summary: split the paragraph into sentences, embed each one with "
        "all-MiniLM-L6-v2, let one query attend over the sentences, keep the k most-attended "
        "sentences in their original order.",
        "Summarize — an extractive summary by attention pooling over sentences",
        aliases={"su_text": Alias("text"), "su_query": Alias("query"), "su_question": Alias("question"),
                 "su_score": Alias("score"), "su_temp": Alias("temperature"), "su_k": Alias("k")}),
    PageEntry(
        "learn", "Learn", ":material/school:", "Learn: attention step by step",
        "Scores → weights → output, on matrices small enough to check every number by hand. Edit X "
        "and W_a, pick the mechanism; the tabs below explain each step.",
        "Learn — the formulas step by step on a tiny example you can edit",
        aliases={"w": Alias("window"), "type": Alias("normalization"), "T": Alias("temperature"),
                 "Wa": Alias("W_a")}),
    PageEntry(
        "compare", "Compare", ":material/compare:", "Compare attention variants",
        "One input, several attention mechanisms side by side: where do they differ, and by how much?",
        "Compare — 2 to 4 mechanisms side by side, differences, entropy, KL and JS",
        aliases={"nv": Alias("variants"), "src": Alias("input"),
                 **{old.format(i): Alias(new.format(i), values) for i in range(1, 5)
                    for old, new, values in (("type{}", "normalization{}", _SAMPLED),
                                             ("w{}", "window{}", {}), ("T{}", "temperature{}", {}))}}),
]


def page(name: str) -> PageEntry:
    """The entry of page ``name`` (KeyError if there is none)."""
    for p in PAGES:
        if p.name == name:
            return p
    raise KeyError(f"no page {name!r} in ui/sitemap.py")


def default() -> PageEntry:
    """The page served at ``/``."""
    return next(p for p in PAGES if p.default)


def find(name: str) -> Optional[PageEntry]:
    return next((p for p in PAGES if p.name == name), None)
