"""Example inputs several pages offer (shared content, no code)."""

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

