"""Model explorer parameters: URL key = widget key; the counterfactual's ``scope``, ``window``
and ``normalization`` are ``attention.attend`` option names with the core's values.  Old keys
(``cfs``, ``thr``, ``iso`` ...) still open through ``ui.params.ALIASES["model"]``."""
from ui import examples, params as P
from ui.vocab import NORMALIZATION_LABELS, SCOPE_LABELS

L_LAYERS, N_HEADS, D_HEAD = 6, 12, 32         # all-MiniLM-L6-v2

VIEWS = {"model": "All 72 heads", "head": "Head lines", "neuron": "Neuron (q·k)",
         "stats": "Head statistics", "agg": "Mean & rollout", "cf": "Counterfactual",
         "pair": "Sentence pair"}
STATS = {"entropy": "entropy (nats)", "mean_distance": "mean attention distance (tokens)",
         "special_share": "share on [CLS]/[SEP]", "topk_mass": "top-k mass", "max_weight": "max weight"}

#: Pair blocks "query segment → key segment" of "A [SEP] B", and their segment ids
#: (BERT's token type ids: 0 = A, 1 = B; None = every token).
BLOCKS = ("all", "AA", "AB", "BA", "BB")
BLOCK_LABELS = {"all": "All tokens", "AA": "A → A", "AB": "A → B", "BA": "B → A", "BB": "B → B"}
BLOCK_SEGMENTS = {"all": (None, None), "AA": (0, 0), "AB": (0, 1), "BA": (1, 0), "BB": (1, 1)}

#: The counterfactual's choices (core names); the model's own attention is global + soft.
SCOPES = ("global", "local", "causal")
NORMALIZATIONS = ("soft", "hard", "sparsemax")
SCOPE_CHOICES = {"global": "Global (the model's own)", "local": f"{SCOPE_LABELS['local']}: |i − j| ≤ w",
                 "causal": f"{SCOPE_LABELS['causal']}: j ≤ i"}
NORMALIZATION_CHOICES = {**{k: NORMALIZATION_LABELS[k] for k in NORMALIZATIONS},
                         "soft": "Soft (the model's own)"}

PAIRS = {
    "Question → answer": ("Where did the cat sit?", "The cat sat on the mat because it was warm."),
    "Paraphrase": ("The film was surprisingly good.", "I did not expect to enjoy the movie so much."),
    "Contradiction": ("The shop opens at nine.", "The shop never opens before noon."),
}

PARAMS = [
    P.Text("text", "Text (segment A)", examples.DEFAULT_SENTENCE, max_chars=10_000),
    P.Text("pair", "Text B, optional (the model reads “A [SEP] B”)", "", max_chars=10_000),
    P.Choice("view", "View", "model", options=tuple(VIEWS), labels=VIEWS),
    P.Int("layer", "Layer", 1, lo=1, hi=6), P.Int("head", "Head", 1, lo=1, hi=12),
    P.Int("row", "Query token i", 0, lo=0, hi=511),
    # display filters (what the charts show, never what the model computes)
    P.Flag("hide", "Hide [CLS]/[SEP]", False, help="Drop the special tokens from the charts (not from the model)"),
    P.Int("topk", "Top-k per row (0 = all)", 0, lo=0, hi=64,
          help="Keep each query row's k largest weights; the rest are left blank"),
    P.Float("zmax", "Colour scale top", 1.0, lo=0.05, hi=1.0, step=0.05,
            help="Weights at or above this value get the top colour: raise the contrast of long inputs"),
    P.Choice("block", "Pair block (query → key)", "all", options=BLOCKS, labels=BLOCK_LABELS),
    # head lines
    P.IntSet("heads", "Heads to draw (colours: see the chart legend)", list(range(1, N_HEADS + 1)),
             lo=1, hi=12),
    P.Float("threshold", "Hide lines with weight below", 0.05, lo=0.0, hi=1.0, step=0.01),
    P.Int("isolate", "Isolate a token (or click its dot in the chart)", -1, lo=-1, hi=511),
    P.Choice("isolate_side", "Isolated token is", "q", options=("q", "k"),
             labels=("a query (its lines out)", "a key (lines into it)")),
    # statistics
    P.Choice("stat", "Statistic", "entropy", options=tuple(STATS), labels=STATS),
    P.Int("mass_k", "k for top-k mass", 3, lo=1, hi=20),
    # mean and rollout
    P.Int("rollout_from", "Rollout from layer", 1, lo=1, hi=6),
    P.Int("rollout_to", "Rollout to layer", L_LAYERS, lo=1, hi=6),
    # counterfactual: the attend options of the changed layers
    P.Choice("scope", "Scope", "local", options=SCOPES, labels=SCOPE_CHOICES),
    P.Int("window", "Window w", 2, lo=0, hi=512),
    P.Choice("normalization", "Normalization", "soft", options=NORMALIZATIONS, labels=NORMALIZATION_CHOICES),
    P.IntSet("layers", "Run the variant in layers", list(range(1, L_LAYERS + 1)), lo=1, hi=6),
]
BY = {p.key: p for p in PARAMS}
