"""Application services for lending."""
