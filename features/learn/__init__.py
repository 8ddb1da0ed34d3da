"""The Learn page: the attention formulas step by step on matrices small enough to check by hand."""
