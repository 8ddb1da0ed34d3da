"""Listen page parameters (URL key = widget key; attention names are the core's names).

``variant`` names the trained listener (``attention.models.listener.VARIANTS``): each was trained
with one attention type, so switching it switches the model.  ``source`` says where the audio
comes from: a shipped test clip (``clip``), an upload, the microphone, or digits typed and
spoken by eSpeak NG (``type``; ``digits`` + ``voice`` + ``rate``).  An upload or a recording
cannot travel in a link: a shared link with ``source=upload`` opens the page asking for a file.
"""
from attention.models.espeak import PAGE_VOICES
from attention.models.listener import VARIANTS, clips
from ui import learning, params as P

CLIPS, ATTRIBUTION = clips()
CLIP_LABELS = {c.digits: f"“{' '.join(c.digits)}” (held-out speaker)" for c in CLIPS}
DEFAULT_CLIP = "7777"
SOURCES = {"clip": "A test recording", "type": "Type digits, hear a voice",
           "upload": "Upload a file", "mic": "Record (microphone)"}
MAX_DIGITS_TYPED = 12
MAX_STEPS = 13                  # the models' max_digits + 1

PARAMS = [
    P.Choice("source", "Audio", "clip", options=tuple(SOURCES), labels=SOURCES),
    P.Choice("clip", "Test recording (FSDD speaker “george”, never heard in training)", DEFAULT_CLIP,
             options=tuple(c.digits for c in CLIPS), labels=CLIP_LABELS),
    P.Text("digits", "Digits to speak", "7 7 7 7", max_chars=40),
    P.Choice("voice", "eSpeak NG voice", "en-us+f3", options=tuple(PAGE_VOICES), labels=PAGE_VOICES),
    P.Int("rate", "Speaking rate (words per minute)", 150, lo=100, hi=240),
    P.Choice("variant", "Attention type (switches to the model trained with it)", "location",
             options=VARIANTS.names(), labels=VARIANTS.labels()),
    P.Choice("compare", "Compare with", "none", options=("none", *VARIANTS.names()),
             labels={"none": "Nothing (one model)", **VARIANTS.labels()}),
    P.Int("row", "Digit #", 0, lo=0, hi=MAX_STEPS - 1),
    *learning.params("learn"),          # "How it learned" (the training replays)
]
BY = {p.key: p for p in PARAMS}
