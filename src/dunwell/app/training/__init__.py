"""Application services for training."""
