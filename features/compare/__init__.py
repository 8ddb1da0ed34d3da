"""The Compare page: one input, 2-4 attention variants side by side, their difference and metrics."""
