"""Application services for letters."""
