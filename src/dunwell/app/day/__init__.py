"""Application services for day."""
