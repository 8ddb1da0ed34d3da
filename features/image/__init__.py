"""The Image page: the attention mechanism on hand-made patch features of a photo (no trained model)."""
