"""The Summarize page: an extractive summary by attention pooling over sentence embeddings."""
