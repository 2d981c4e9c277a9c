"""Application services for channels."""
