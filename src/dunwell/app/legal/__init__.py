"""Application services for legal."""
