"""The Model explorer page: every layer and head of all-MiniLM-L6-v2 (state, compute, figures,
view = the shared layout and per-run context, sections = the seven views)."""
