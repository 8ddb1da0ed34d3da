"""Read digits page parameters (URL key = widget key).

``variant`` names the trained captioner (``attention.models.captioner.VARIANTS``, the one list of
them): each was trained with one attention type.  A drawing or an upload is not part of a share link (too large, and
private); the link opens the same view with the chosen test image.
"""
from attention.models.captioner import ORDERS, VARIANTS
from ui import learning, params as P

N_PICK = 100          # test images offered (strings never trained on)
MAX_STEPS = 7         # 6 digits + END

MODEL_LABELS = VARIANTS.labels()
SOURCE_LABELS = {"draw": "Draw", "upload": "Upload a photo", "test": "A test image"}
ORDER_LABELS = {"left_to_right": "Left to right", "largest_first": "Largest digit first"}

PARAMS = [
    P.Choice("source", "Input", "draw", options=tuple(SOURCE_LABELS), labels=SOURCE_LABELS),
    P.Choice("variant", "Attention type (switches to the model trained with it)", "soft",
             options=VARIANTS.names(), labels=MODEL_LABELS),
    P.Choice("order", "Caption order (each order has its own models)", "left_to_right",
             options=ORDERS, labels=ORDER_LABELS,
             help="Left to right: the caption is the string as written. Largest digit first: the "
                  "caption lists the same digits from the largest to the smallest, so the model "
                  "has to jump to wherever the next one is."),
    P.Int("test_image", "Test image #", 0, lo=0, hi=N_PICK - 1),
    P.Int("step", "Digit shown large", 1, lo=1, hi=MAX_STEPS),
    P.Choice("hard_view", "Hard: colour the cells by", "used", options=("used", "alpha"),
             labels={"used": "the cell used (weight 1)", "alpha": "α"},
             help="The cell used: the one cell hard attention read for the digit (weight 1). α: the "
                  "softmax distribution that cell is drawn from (the arg-max at test time)."),
    P.Int("samples", "Hard: samples drawn", 8, lo=1, hi=32),
    P.Int("seed", "Hard: seed of the samples", 0, lo=0, hi=9999),
    *learning.params("learn"),          # "How it learned" (the training replays): open, input #, step
]
BY = {p.key: p for p in PARAMS}
