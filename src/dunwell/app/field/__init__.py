"""Application services for field."""
