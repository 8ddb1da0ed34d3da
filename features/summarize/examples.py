"""Example paragraphs of the Summarize page, each with a question that fits it (content, no code)."""

PARAGRAPHS = {
    "Honeybees (abbreviations, numbers, quotes)": (
        "Honeybees are social insects that live in colonies of up to 60,000 individuals. "
        "Each colony has a single queen, whose main job is to lay eggs, e.g. up to 2,000 a day in "
        "early summer. Worker bees are sterile females; they clean the hive, feed the larvae and "
        "forage for nectar and pollen. Drones are males, and their only role is to mate with a queen "
        "from another colony. Bees communicate the location of flowers with a \"waggle dance\" that "
        "encodes direction and distance. Dr. Karl von Frisch won a Nobel Prize in 1973 for decoding "
        "it. Pollination by bees is worth billions of dollars to U.S. agriculture every year. Many "
        "colonies have died in recent winters, and scientists are still debating why.",
        "What do worker bees do?"),
    "Cooking pasta (one off-topic sentence)": (
        "Boil a large pot of salted water before adding the pasta. Stir the spaghetti during the "
        "first minute so it does not stick. Cook it for about ten minutes, until it is al dente. "
        "Drain the pasta and toss it with the warm tomato sauce. The stock market fell sharply on "
        "Tuesday after the bank raised interest rates.",
        "How do I keep spaghetti from sticking?"),
    "A family dinner (dialogue, 7.30 p.m.)": (
        "Dinner was ready at 7.30 p.m., but nobody came downstairs. The oven timer went off twice. "
        "Mum called again, louder this time! \"Five more minutes,\" my brother shouted back. "
        "Meanwhile the lasagne went cold, and the dog ate one of the garlic breads. By the time we "
        "all sat down, it was nearly eight.",
        "What happened to the food?"),
}
DEFAULT_PARAGRAPH, DEFAULT_QUESTION = PARAGRAPHS["Honeybees (abbreviations, numbers, quotes)"]
