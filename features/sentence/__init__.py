"""The Sentence page: a real model's attention over a typed sentence, every mechanism."""
